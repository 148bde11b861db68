//! `rtsp-client publish SOURCE URL`: sends MJPEG to an RTSP server that
//! records (RFC 2326 §10.3 ANNOUNCE, §10.11 RECORD): rtsp-server, MediaMTX,
//! GStreamer's RTSP server in RECORD mode, `ffmpeg -rtsp_flags listen`.
//!
//! The dialogue is the core's client session ([`ClientSession::record`]);
//! which frame is due, the RTP headers and the sender reports are the
//! core's [`Publisher`]; this loop reads the source, packetizes the frames
//! ([`Packetizer`]) and moves bytes. SOURCE is a clip (lab `movie.Mjpeg`
//! format or raw concatenated JPEG, detected from the bytes), sent at
//! `--fps` and once unless `--loop`; or `-`: MJPEG on standard input,
//! each frame sent as it arrives. Every second a line of figures goes to
//! standard error: frames per second, kbit/s of RTP, and the loss the
//! server's receiver reports say (if it sends any).

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration as StdDuration, Instant as StdInstant};

use mio::net::{TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Token};
use rtsp_core::jpeg::{Frame, Packetizer};
use rtsp_core::rtp::{RtpTimestamp, SeqNo, Ssrc};
use rtsp_core::rtsp::interleaved_header;
use rtsp_core::session::client::{
    AuthClientSession, Config, Described, Event, Publisher, PublisherConfig, ReceptionReport,
    TransportRequest,
};
use rtsp_core::session::{Destination, Framerate, MediaTransport};
use rtsp_core::{mjpeg, Duration, Instant};

use crate::cli::Target;
use crate::error::{Error, Refusal};
use crate::net::{self, RxBuf, TxBuf};

const TCP: Token = Token(0);
const RTCP: Token = Token(1);
/// RTP packets no larger than this (header included), as rtsp-server's
/// default MTU.
const MTU: usize = 1400;
/// How long an answer to TEARDOWN is waited for.
const LEAVE_WAIT: Duration = Duration::from_secs(2);
/// Frames waiting between the standard-input reader and the loop.
const STDIN_QUEUE: usize = 4;

/// What `publish` was asked.
#[derive(Debug)]
pub struct PublishOptions {
    /// A clip file, or `-` for standard input.
    pub source: String,
    /// Where to publish.
    pub target: Target,
    /// TCP interleaved instead of UDP.
    pub tcp: bool,
    /// Start the clip again at its end.
    pub looping: bool,
    /// Frame rate of a clip.
    pub fps: f64,
    /// Stop after this long.
    pub duration: Option<f64>,
}

/// Where frames come from.
enum Source {
    /// A whole clip, by frame index.
    Clip(Vec<Vec<u8>>),
    /// Standard input, frame by frame (`None`: it ended).
    Stdin(Receiver<Option<Vec<u8>>>),
}

/// Publishes until the clip ends (without `--loop`), standard input ends,
/// `--duration` passes, or the server refuses or leaves.
pub fn run(opts: &PublishOptions) -> Result<(), Error> {
    let (source, first) = open_source(&opts.source)?;
    let f = Frame::parse(&first).map_err(|e| source_error(&opts.source, format!("{e}")))?;
    let (width, height) = (f.width(), f.height());
    let clock = std_embedded_time::StandardClock::default();
    let now = || {
        use embedded_time::Clock as _;
        clock
            .try_now()
            .map(Instant::from_clock)
            .unwrap_or(Instant::ZERO)
    };
    let addr = opts.target.resolve()?;
    let shown = format!("{}:{}", opts.target.host, opts.target.port);
    let mut tcp = net::connect(addr, &shown)?;
    let local_ip = tcp.local_addr().map_err(Error::Connection)?.ip();
    let mut poll = Poll::new().map_err(local("create the poll"))?;
    let (rtp_sock, mut rtcp_sock, transport) = if opts.tcp {
        (None, None, TransportRequest::Tcp)
    } else {
        let (rtp, rtcp) = net::bind_pair(local_ip)?;
        let rtp_port = rtp.local_addr().map_err(local("read a UDP port"))?.port();
        (Some(rtp), Some(rtcp), TransportRequest::Udp { rtp_port })
    };
    poll.registry()
        .register(&mut tcp, TCP, Interest::READABLE)
        .map_err(local("register the connection"))?;
    if let Some(s) = rtcp_sock.as_mut() {
        poll.registry()
            .register(s, RTCP, Interest::READABLE)
            .map_err(local("register the RTCP socket"))?;
    }
    let ssrc = Ssrc(crate::control::random_ssrc());
    let config = Config {
        transport,
        user_agent: concat!("rtsp-client/", env!("CARGO_PKG_VERSION")),
        ssrc,
        ..Config::default()
    };
    let url_error = |source| Error::Url {
        url: opts.target.url.clone(),
        source,
    };
    let mut session = AuthClientSession::with_auth(config, &opts.target.url).map_err(url_error)?;
    if let Some(c) = &opts.target.credentials {
        session
            .set_credentials(&c.user, &c.password)
            .map_err(|source| Error::Credentials {
                url: opts.target.url.clone(),
                source,
            })?;
    }
    let framerate = Framerate::from_millis((opts.fps * 1000.0).round() as u32);
    let frames = match &source {
        Source::Clip(c) => Some(c.len() as u32),
        Source::Stdin(_) => None,
    };
    let mut publisher = Publisher::new(PublisherConfig {
        framerate,
        frames,
        looping: opts.looping,
        ssrc,
        first_seq: SeqNo(crate::control::random_ssrc() as u16),
        first_ts: RtpTimestamp(crate::control::random_ssrc()),
        report_interval: Duration::from_secs(5),
        cname: "rtsp-client",
        unix_time_at_zero_us: unix_at_zero(now()),
    });
    let start = now();
    session
        .record(start, Described::jpeg(width, height, framerate))
        .map_err(Error::Session)?;
    let mut lp = Loop {
        tcp,
        rtp: rtp_sock,
        rtcp: rtcp_sock,
        peer: addr,
        rx: RxBuf::new(),
        tx: TxBuf::default(),
        buf: vec![0u8; 65_536],
        stats: Stats::new(),
        source,
        pending_stdin: Some(first),
        recording_since: None,
        leaving: false,
        leaving_since: None,
    };
    let deadline = opts
        .duration
        .map(|s| start + Duration::from_micros((s * 1e6) as u64));
    let mut events = Events::with_capacity(16);
    loop {
        let t = now();
        match lp.transmit(t, &mut session, &mut publisher) {
            Err(Error::Connection(_)) if lp.leaving => {
                lp.stats.print(t, true);
                return Ok(());
            }
            r => r?,
        }
        while let Some(ev) = session.poll_event() {
            match ev {
                Event::Recording => {
                    tracing::info!("recording: {}", opts.target.url);
                    publisher.start(t);
                    lp.recording_since = Some(t);
                }
                Event::TornDown => {
                    lp.stats.print(t, true);
                    return Ok(());
                }
                Event::Error {
                    request,
                    status,
                    auth,
                } => {
                    return Err(Error::Refused(match auth {
                        Some(why) => Refusal::Auth {
                            url: opts.target.url.clone(),
                            status,
                            why,
                        },
                        None => Refusal::Status { request, status },
                    }))
                }
                Event::ServerBye => tracing::info!("the server sent RTCP BYE"),
                _ => {}
            }
        }
        let finished = publisher.is_finished()
            || deadline.is_some_and(|d| t >= d)
            || matches!(lp.source, Source::Stdin(_)) && lp.stdin_ended();
        if finished && !lp.leaving {
            lp.leaving = true;
            lp.leaving_since = Some(t);
            publisher.stop();
            session.teardown(t);
            continue;
        }
        if lp.recording_since.is_some() && !lp.leaving {
            lp.send_due(t, &mut session, &mut publisher)?;
            if publisher.is_finished() {
                // The clip just ended: leave now (some recorders close as
                // soon as the stream stops).
                continue;
            }
        }
        lp.stats.print(t, false);
        let next = [session.poll_timeout(), publisher.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let mut wait = next.map_or(StdDuration::from_millis(200), |n| {
            StdDuration::from_micros(n.saturating_since(t).as_micros())
        });
        if matches!(lp.source, Source::Stdin(_)) && lp.recording_since.is_some() {
            // Standard input has no waker: look again soon.
            wait = wait.min(StdDuration::from_millis(5));
        }
        poll.poll(&mut events, Some(wait.min(StdDuration::from_secs(1))))
            .or_else(|e| match e.kind() {
                io::ErrorKind::Interrupted => Ok(()),
                _ => Err(e),
            })
            .map_err(local("poll"))?;
        let t = now();
        match lp.rx.fill(&mut lp.tcp) {
            Ok(true) => {}
            Ok(false) | Err(_) if lp.leaving => {
                // Some recorders (ffmpeg -rtsp_flags listen) close or reset
                // the connection once the stream ends instead of answering
                // TEARDOWN: we are done either way.
                lp.stats.print(t, true);
                return Ok(());
            }
            Ok(false) => return Err(Error::Closed),
            Err(e) => return Err(Error::Connection(e)),
        }
        if lp
            .leaving_since
            .is_some_and(|s| t.saturating_since(s) > LEAVE_WAIT)
        {
            tracing::warn!("no answer to TEARDOWN: leaving anyway");
            lp.stats.print(t, true);
            return Ok(());
        }
        lp.read_input(t, &mut session, &mut publisher)?;
        lp.read_rtcp(t, &mut session, &mut publisher);
        if session.poll_timeout().is_some_and(|d| d <= t) {
            session.handle_timeout(t);
        }
    }
}

/// The loop's sockets and buffers.
struct Loop {
    tcp: TcpStream,
    rtp: Option<UdpSocket>,
    rtcp: Option<UdpSocket>,
    peer: SocketAddr,
    rx: RxBuf,
    tx: TxBuf,
    buf: Vec<u8>,
    stats: Stats,
    source: Source,
    /// The first frame (already read to learn the size), or one read from
    /// standard input and not sent yet.
    pending_stdin: Option<Vec<u8>>,
    recording_since: Option<Instant>,
    leaving: bool,
    /// When TEARDOWN was asked for.
    leaving_since: Option<Instant>,
}

impl Loop {
    /// Requests and RTCP from the session and the publisher.
    fn transmit(
        &mut self,
        now: Instant,
        session: &mut AuthClientSession,
        publisher: &mut Publisher,
    ) -> Result<(), Error> {
        while let Some(t) = session
            .poll_transmit(now, &mut self.buf, &mut ())
            .map_err(Error::Session)?
        {
            self.send(t.destination, t.len)?;
        }
        if let Some(transport) = session.media_transport() {
            while let Some(t) = publisher
                .poll_transmit(now, transport, &mut self.buf)
                .map_err(Error::Session)?
            {
                self.send(t.destination, t.len)?;
            }
        }
        self.tx.flush(&mut self.tcp).map_err(Error::Connection)
    }

    fn send(&mut self, to: Destination, len: usize) -> Result<(), Error> {
        let bytes = &self.buf[..len];
        match to {
            Destination::Rtsp | Destination::Interleaved { .. } => self
                .tx
                .send(&mut self.tcp, bytes)
                .map_err(Error::Connection),
            Destination::Rtcp { port } => {
                if let Some(s) = &self.rtcp {
                    let _ = s.send_to(bytes, SocketAddr::new(self.peer.ip(), port));
                }
                Ok(())
            }
        }
    }

    /// Sends every frame that is due.
    fn send_due(
        &mut self,
        now: Instant,
        session: &mut AuthClientSession,
        publisher: &mut Publisher,
    ) -> Result<(), Error> {
        let Some(transport) = session.media_transport() else {
            return Ok(());
        };
        loop {
            let (frame, header) = match &self.source {
                Source::Clip(clip) => {
                    let Some(due) = publisher.poll_frame(now) else {
                        return Ok(());
                    };
                    let Some(f) = clip.get(due.index as usize) else {
                        return Ok(());
                    };
                    (f.clone(), due.header)
                }
                Source::Stdin(rx) => {
                    let next = self
                        .pending_stdin
                        .take()
                        .or_else(|| rx.try_recv().ok().flatten());
                    let Some(f) = next else { return Ok(()) };
                    let since = self.recording_since.unwrap_or(now);
                    (f, publisher.frame_header(now.saturating_since(since)))
                }
            };
            let (packets, octets) = self.send_frame(&frame, header, transport)?;
            publisher.on_rtp_sent(now, packets, octets);
            self.stats.frame(packets, octets);
        }
    }

    /// Packetizes and sends one frame; returns its packets and payload bytes.
    fn send_frame(
        &mut self,
        jpeg: &[u8],
        header: rtsp_core::rtp::Repr,
        transport: MediaTransport,
    ) -> Result<(u16, usize), Error> {
        let Ok(frame) = Frame::parse(jpeg) else {
            tracing::warn!("a frame RTP/JPEG cannot carry (RFC 2435) was skipped");
            return Ok((0, 0));
        };
        let Ok(mut p) = Packetizer::new(&frame, MTU, header) else {
            return Ok((0, 0));
        };
        let (mut packets, mut octets) = (0u16, 0usize);
        let mut pkt = [0u8; MTU];
        while let Ok(Some(n)) = p.next_packet(&mut pkt) {
            packets += 1;
            octets += n.saturating_sub(12);
            match transport {
                MediaTransport::Udp { server, .. } => {
                    if let Some(s) = &self.rtp {
                        let _ = s.send_to(&pkt[..n], SocketAddr::new(self.peer.ip(), server.rtp));
                    }
                }
                MediaTransport::Interleaved { channels } => {
                    // An MTU-sized packet always fits the 16-bit length.
                    let Some(head) = interleaved_header(channels.rtp, n) else {
                        continue;
                    };
                    self.tx
                        .send(&mut self.tcp, &head)
                        .map_err(Error::Connection)?;
                    self.tx
                        .send(&mut self.tcp, &pkt[..n])
                        .map_err(Error::Connection)?;
                }
            }
        }
        Ok((packets, octets))
    }

    /// Responses and interleaved RTCP from the server.
    fn read_input(
        &mut self,
        now: Instant,
        session: &mut AuthClientSession,
        publisher: &mut Publisher,
    ) -> Result<(), Error> {
        loop {
            let r = session
                .handle_input(now, self.rx.data())
                .map_err(Error::NotRtsp)?;
            let Some(n) = r.consumed() else { return Ok(()) };
            if let rtsp_core::session::client::Received::Rtcp { packet, .. } = r {
                if let Some(rr) = publisher.handle_rtcp(packet) {
                    self.stats.report(rr);
                }
            }
            self.rx.consume(n);
        }
    }

    /// RTCP datagrams from the server (its receiver reports).
    fn read_rtcp(
        &mut self,
        now: Instant,
        session: &mut AuthClientSession,
        publisher: &mut Publisher,
    ) {
        let Some(s) = &self.rtcp else { return };
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = s.recv_from(&mut buf) {
            if from.ip() != self.peer.ip() {
                continue;
            }
            session.handle_rtcp(now, &buf[..n]);
            if let Some(rr) = publisher.handle_rtcp(&buf[..n]) {
                self.stats.report(rr);
            }
        }
    }

    /// Whether standard input ended and every frame read was sent.
    fn stdin_ended(&mut self) -> bool {
        let Source::Stdin(rx) = &self.source else {
            return false;
        };
        if self.pending_stdin.is_some() {
            return false;
        }
        match rx.try_recv() {
            Ok(Some(f)) => {
                self.pending_stdin = Some(f);
                false
            }
            Ok(None) | Err(mpsc::TryRecvError::Disconnected) => true,
            Err(mpsc::TryRecvError::Empty) => false,
        }
    }
}

/// The figures printed every second.
struct Stats {
    frames: u64,
    packets: u64,
    octets: u64,
    window: (u64, u64),
    last_print: Option<Instant>,
    report: Option<ReceptionReport>,
    started: StdInstant,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            frames: 0,
            packets: 0,
            octets: 0,
            window: (0, 0),
            last_print: None,
            report: None,
            started: StdInstant::now(),
        }
    }

    fn frame(&mut self, packets: u16, octets: usize) {
        self.frames += 1;
        self.packets += u64::from(packets);
        self.octets += octets as u64;
        self.window.0 += 1;
        self.window.1 += octets as u64;
    }

    fn report(&mut self, rr: ReceptionReport) {
        self.report = Some(rr);
    }

    fn print(&mut self, now: Instant, last: bool) {
        let Some(since) = self.last_print else {
            self.last_print = Some(now);
            return;
        };
        let secs = now.saturating_since(since).as_micros() as f64 / 1e6;
        if secs < 1.0 && !last {
            return;
        }
        if last {
            eprintln!(
                "publish: done: {} frames and {} packets ({} kB of RTP payload) sent in {:.1} s",
                self.frames,
                self.packets,
                self.octets / 1000,
                self.started.elapsed().as_secs_f64()
            );
            return;
        }
        let receiver = match self.report {
            Some(r) => format!(
                ", receiver: {:.1}% lost recently, {} in all, jitter {:.2} ms",
                f64::from(r.fraction_lost) * 100.0 / 256.0,
                r.cumulative_lost,
                f64::from(r.jitter) / 90.0
            ),
            None => String::new(),
        };
        let secs = secs.max(1e-3);
        eprintln!(
            "publish: {:.1} fps, {:.0} kbit/s, {} frames and {} packets sent in {:.1} s{receiver}",
            self.window.0 as f64 / secs,
            self.window.1 as f64 * 8.0 / 1000.0 / secs,
            self.frames,
            self.packets,
            self.started.elapsed().as_secs_f64()
        );
        let _ = io::stderr().flush();
        self.window = (0, 0);
        self.last_print = Some(now);
    }
}

/// Reads SOURCE: a clip's frames, or a reader thread on standard input;
/// with the first frame (for the size the SDP announces).
fn open_source(source: &str) -> Result<(Source, Vec<u8>), Error> {
    if source == "-" {
        let (tx, rx) = mpsc::sync_channel(STDIN_QUEUE);
        std::thread::spawn(move || {
            let stdin = io::stdin().lock();
            let reader = embedded_io_adapters::std::FromStd::new(stdin);
            let mut frames = mjpeg::Reader::new(reader, vec![0u8; 8 << 20]);
            loop {
                match frames.next_frame() {
                    Ok(Some(f)) => {
                        if tx.send(Some(f.to_vec())).is_err() {
                            return;
                        }
                    }
                    Err(mjpeg::Error::Skipped(_)) => {}
                    Ok(None) | Err(_) => {
                        let _ = tx.send(None);
                        return;
                    }
                }
            }
        });
        let first = rx
            .recv()
            .ok()
            .flatten()
            .ok_or_else(|| source_error(source, "standard input holds no JPEG frame".into()))?;
        return Ok((Source::Stdin(rx), first));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(source)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| source_error(source, e.to_string()))?;
    let mut frames = Vec::new();
    for (i, f) in mjpeg::Frames::new(&bytes).enumerate() {
        let f = f.map_err(|e| source_error(source, format!("frame {i}: {e}")))?;
        if let Err(e) = Frame::parse(f) {
            return Err(source_error(
                source,
                format!("frame {i} cannot be sent as RTP/JPEG (RFC 2435): {e}"),
            ));
        }
        frames.push(f.to_vec());
    }
    let first = frames
        .first()
        .cloned()
        .ok_or_else(|| source_error(source, "no JPEG frame in it".into()))?;
    Ok((Source::Clip(frames), first))
}

fn source_error(source: &str, why: String) -> Error {
    Error::Source {
        source: source.to_string(),
        why,
    }
}

fn local(doing: &'static str) -> impl Fn(io::Error) -> Error {
    move |source| Error::Local { doing, source }
}

/// Unix time of `Instant::ZERO` in microseconds (RFC 3550 §6.4.1: SR NTP
/// timestamps are wall-clock time).
fn unix_at_zero(now: Instant) -> u64 {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64);
    unix.saturating_sub(now.as_micros())
}
