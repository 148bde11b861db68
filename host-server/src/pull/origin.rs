//! One connection to a pull's origin: the core's client session
//! (`AuthClientSession`, RTP/AVP/TCP interleaved) driven by a blocking
//! socket with a short read timeout, as the sans-IO call order wants it
//! (input, timers, then drain transmits and events), and RTP/JPEG packets
//! reassembled into frames for the live source.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration as StdDuration;

use embedded_time::Clock as _;
use rtsp_core::jpeg::Depacketizer;
use rtsp_core::limits::{JPEG_MAX_HEADER, RTSP_MAX_BODY, RTSP_MAX_MESSAGE};
use rtsp_core::rtp::{self, Ssrc};
use rtsp_core::rtsp::StatusCode;
use rtsp_core::session::client::{
    AuthClientSession, ClientSession, Config, Event, Received, State, TransportRequest,
};
use rtsp_core::session::Destination;
use rtsp_core::stats::ReceiverStats;
use rtsp_core::{Duration, Instant};

use super::{Pull, Status, LINGER, MEDIA_TIMEOUT};
use crate::live::{Producer, MAX_FRAME};

/// How long connecting may take.
const CONNECT_TIMEOUT: StdDuration = StdDuration::from_secs(3);
/// Longest sleep in `read`: how often demand and timers are looked at.
const TICK: StdDuration = StdDuration::from_millis(50);
/// Longest wait for an answer to a request.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);
/// Longest wait for the TEARDOWN answer before closing anyway.
const TEARDOWN_GRACE: Duration = Duration::from_secs(2);
/// Receive buffer: an interleaved frame is at most 4 + 65 535 bytes, a
/// response at most `RTSP_MAX_MESSAGE` + its body.
const RX_BUF: usize = 4 + 65_535 + RTSP_MAX_MESSAGE + RTSP_MAX_BODY;

/// Why a connection to the origin ended.
#[derive(Debug)]
pub enum End {
    /// Nobody watched for [`LINGER`]: torn down.
    NoDemand,
    /// The origin answered with an error; the text says which request.
    Refused(StatusCode, String),
    /// Unreachable, closed, silent or unreadable.
    Lost(String),
}

/// Plays the origin until it drops or, on demand, nobody watches; frames
/// go to `producer`, status changes to `status`.
pub fn play(pull: &Pull, producer: &Producer, status: impl Fn(Status)) -> End {
    match Connection::open(pull) {
        Ok(mut c) => c.run(pull, producer, status),
        Err(end) => end,
    }
}

struct Connection {
    tcp: TcpStream,
    session: AuthClientSession,
    clock: std_embedded_time::StandardClock,
    rx: Vec<u8>,
    rx_len: usize,
    tx: Vec<u8>,
    depack: Depacketizer<Vec<u8>>,
    stats: ReceiverStats,
}

impl Connection {
    fn open(pull: &Pull) -> Result<Connection, End> {
        let spec = &pull.spec;
        let lost = |why: String| End::Lost(why);
        let addr = (spec.host.as_str(), spec.port)
            .to_socket_addrs()
            .map_err(|e| lost(format!("cannot resolve {}: {e}", spec.host)))?
            .next()
            .ok_or_else(|| lost(format!("{} has no address", spec.host)))?;
        let tcp = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)
            .map_err(|e| lost(format!("cannot connect to {addr}: {e}")))?;
        let _ = tcp.set_nodelay(true);
        tcp.set_read_timeout(Some(TICK))
            .map_err(|e| lost(format!("socket: {e}")))?;
        let config = Config {
            transport: TransportRequest::Tcp,
            user_agent: concat!("rtsp-server/", env!("CARGO_PKG_VERSION"), " relay"),
            ssrc: Ssrc(crate::session::random() as u32),
            ..Config::default()
        };
        let mut session = ClientSession::with_auth(config, &spec.url)
            .map_err(|e| End::Refused(StatusCode::BadRequest, format!("URL not usable: {e}")))?;
        if let Some((user, password)) = &spec.credentials {
            session
                .set_credentials(user, password)
                .map_err(|e| End::Refused(StatusCode::Unauthorized, format!("credentials: {e}")))?;
        }
        Ok(Connection {
            tcp,
            session,
            clock: std_embedded_time::StandardClock::default(),
            rx: vec![0; RX_BUF],
            rx_len: 0,
            tx: vec![0; RTSP_MAX_MESSAGE],
            depack: Depacketizer::new(vec![0; JPEG_MAX_HEADER + MAX_FRAME + 2]),
            stats: ReceiverStats::new(90_000),
        })
    }

    fn now(&self) -> Instant {
        self.clock
            .try_now()
            .map(Instant::from_clock)
            .unwrap_or(Instant::ZERO)
    }

    fn run(&mut self, pull: &Pull, producer: &Producer, status: impl Fn(Status)) -> End {
        let start = self.now();
        self.session.play(start);
        // When the last request went out, while one is outstanding.
        let mut asked = start;
        let mut last_media = start;
        let mut idle_since: Option<Instant> = None;
        let mut tearing_down: Option<Instant> = None;
        loop {
            let now = self.now();
            if self.session.poll_timeout().is_some_and(|t| t <= now) {
                self.session.handle_timeout(now);
            }
            if let Err(end) = self.drain(now, &mut asked, &status) {
                return end;
            }
            // Demand (on demand only): TEARDOWN after LINGER without viewers.
            if pull.wanted() {
                idle_since = None;
            } else if tearing_down.is_none() {
                let since = *idle_since.get_or_insert(now);
                if now.saturating_since(since) >= Duration::from_micros(LINGER.as_micros() as u64) {
                    self.session.teardown(now);
                    tearing_down = Some(now);
                    continue;
                }
            }
            if tearing_down.is_some_and(|t| now.saturating_since(t) >= TEARDOWN_GRACE) {
                return End::NoDemand;
            }
            if self.session.is_busy() && now.saturating_since(asked) >= ANSWER_TIMEOUT {
                return End::Lost(format!(
                    "no answer to {:?} within {} s",
                    self.session.in_flight(),
                    ANSWER_TIMEOUT.as_secs()
                ));
            }
            let playing = self.session.state() == State::Playing;
            let silent =
                now.saturating_since(last_media).as_micros() >= MEDIA_TIMEOUT.as_micros() as u64;
            if playing && silent && tearing_down.is_none() {
                return End::Lost(format!("no media for {} s", MEDIA_TIMEOUT.as_secs()));
            }
            match self.read(now, producer, &mut last_media) {
                Ok(()) => {}
                Err(e) => return e,
            }
        }
    }

    /// Sends what the session queued and acts on its events.
    fn drain(
        &mut self,
        now: Instant,
        asked: &mut Instant,
        status: &impl Fn(Status),
    ) -> Result<(), End> {
        loop {
            let mut idle = true;
            while let Some(t) = self
                .session
                .poll_transmit(now, &mut self.tx, &mut self.stats)
                .map_err(|e| End::Lost(format!("cannot write a request: {e}")))?
            {
                idle = false;
                if t.destination == Destination::Rtsp {
                    *asked = now;
                }
                // Over TCP everything (requests, interleaved RTCP) goes on
                // the connection; a UDP RTCP destination cannot occur.
                if !matches!(t.destination, Destination::Rtcp { .. }) {
                    self.tcp
                        .write_all(&self.tx[..t.len])
                        .map_err(|e| End::Lost(format!("connection lost: {e}")))?;
                }
            }
            while let Some(ev) = self.session.poll_event() {
                idle = false;
                match ev {
                    Event::Described => {
                        if let Some((w, h)) = self.session.described().and_then(|d| d.size) {
                            self.depack.set_dimensions(w, h);
                        }
                    }
                    Event::Playing { .. } => status(Status::Up),
                    Event::Error {
                        request,
                        status,
                        auth,
                    } => {
                        let why = match auth {
                            Some(a) => format!("{request:?}: {status} ({a})"),
                            None => format!("{request:?}: {status}"),
                        };
                        return Err(End::Refused(status, why));
                    }
                    Event::NotJpeg => {
                        return Err(End::Refused(
                            StatusCode::UnsupportedMediaType,
                            "its stream is not JPEG (RFC 2435)".into(),
                        ))
                    }
                    Event::ServerBye => {
                        return Err(End::Lost("the origin ended the stream (RTCP BYE)".into()))
                    }
                    Event::TornDown => return Err(End::NoDemand),
                    // A pull only plays (it never records).
                    Event::SetUp { .. } | Event::Paused | Event::Recording => {}
                }
            }
            if idle {
                return Ok(());
            }
        }
    }

    /// Reads what the origin sent (waiting at most [`TICK`]) and hands each
    /// response to the session and each RTP packet to the depacketizer.
    fn read(
        &mut self,
        now: Instant,
        producer: &Producer,
        last_media: &mut Instant,
    ) -> Result<(), End> {
        let Some(space) = self.rx.get_mut(self.rx_len..).filter(|s| !s.is_empty()) else {
            return Err(End::Lost("a message longer than the receive buffer".into()));
        };
        match self.tcp.read(space) {
            Ok(0) => return Err(End::Lost("the origin closed the connection".into())),
            Ok(n) => self.rx_len += n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                return Ok(())
            }
            Err(e) => return Err(End::Lost(format!("connection lost: {e}"))),
        }
        let mut start = 0;
        while start < self.rx_len {
            let input = &self.rx[start..self.rx_len];
            match self.session.handle_input(now, input) {
                Ok(Received::Partial) => break,
                Ok(Received::Rtp { consumed, packet }) => {
                    start += consumed;
                    *last_media = now;
                    let Ok(p) = rtp::Packet::new_checked(packet) else {
                        continue;
                    };
                    self.stats.on_rtp(now, &p);
                    if let Ok(Some(frame)) = self.depack.push(&p) {
                        producer
                            .live
                            .frames_in
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let mut buf = producer.buffer(frame.len());
                        buf.extend_from_slice(frame);
                        if !producer.send(buf) {
                            return Err(End::Lost("the server is stopping".into()));
                        }
                    }
                }
                Ok(r) => start += r.consumed().unwrap_or(input.len()),
                Err(e) => return Err(End::Lost(format!("unreadable data from the origin: {e}"))),
            }
        }
        self.rx.copy_within(start..self.rx_len, 0);
        self.rx_len -= start;
        Ok(())
    }
}
