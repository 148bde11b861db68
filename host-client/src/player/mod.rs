//! The network loop: one mio poll over the RTSP connection, the RTP/RTCP
//! UDP pair and a waker for commands; the client session from rtsp-core
//! ([`crate::control`]) decides what to send and when.
//!
//! Run order each turn, as the sans-IO session wants it: feed input
//! (commands, RTSP bytes, RTP/RTCP datagrams), feed expired timers, drain
//! transmits and events, then sleep until the earliest of the session's
//! timeout, the next status line and the stop conditions.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use embedded_time::Clock;
use mio::net::{TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Token, Waker};
use rtsp_core::session::client::Received;
use rtsp_core::Instant;

mod drive;

use crate::cli::{Args, Target};
pub use crate::command::Command;
use crate::control::{Control, Setup};
use crate::error::{failed_to, Error};
use crate::frame_slot::FrameSlot;
use crate::media::{self, Media};
use crate::net::{self, RxBuf, TxBuf};
use crate::report::Sample;

const RTSP: Token = Token(0);
const RTP: Token = Token(1);
const RTCP: Token = Token(2);
const WAKE: Token = Token(3);

/// How long to wait for the TEARDOWN answer before leaving anyway.
const TEARDOWN_GRACE_US: u64 = 2_000_000;

/// Sends commands to the network loop from any thread.
#[derive(Debug, Clone)]
pub struct Commands {
    tx: mpsc::Sender<Command>,
    waker: Arc<Waker>,
}

impl Commands {
    /// Queues `c` and wakes the loop.
    pub fn send(&self, c: Command) {
        let _ = self.tx.send(c);
        let _ = self.waker.wake();
    }
}

/// Everything the command line says about playing.
#[derive(Debug, Clone)]
pub struct Options {
    /// The presentation.
    pub target: Target,
    /// SETUP and PLAY at once (`--play`); otherwise the prompt drives.
    pub auto_play: bool,
    /// Stop after this long playing.
    pub duration_us: Option<u64>,
    /// Stop after this many complete frames.
    pub frames: Option<u64>,
    /// Interleaved transport from the start.
    pub tcp: bool,
    /// No RTP over UDP for this long after PLAY: fall back to TCP.
    pub udp_timeout_us: u64,
    /// `--report`.
    pub report: Option<PathBuf>,
    /// `--save-frames`.
    pub save_frames: Option<PathBuf>,
    /// `--pcap`.
    pub pcap: Option<PathBuf>,
    /// `--plot`.
    pub plot: Option<PathBuf>,
    /// `--start`: where the first PLAY starts in the presentation.
    pub start: Option<Duration>,
    /// `--reorder-packets`, `--reorder-ms`.
    pub reorder: media::ReorderLimits,
}

impl Options {
    /// From the parsed command line.
    pub fn from_args(a: &Args, target: Target) -> Options {
        let secs = |s: f64| (s.max(0.0) * 1e6) as u64;
        let tunnel = target.tunnel;
        Options {
            target,
            auto_play: a.play,
            duration_us: a.duration.map(secs),
            frames: a.frames,
            // A tunnel's media is interleaved in its GET.
            tcp: a.tcp || tunnel,
            udp_timeout_us: secs(a.udp_timeout),
            report: a.report.clone(),
            save_frames: a.save_frames.clone(),
            pcap: a.pcap.clone(),
            plot: a.plot.clone(),
            start: a.start,
            reorder: media::ReorderLimits {
                packets: a.reorder_packets,
                ms: a.reorder_ms,
            },
        }
    }
}

/// The client's network side.
#[derive(Debug)]
pub struct Player {
    opts: Options,
    poll: Poll,
    waker: Arc<Waker>,
    rx: mpsc::Receiver<Command>,
    tx: mpsc::Sender<Command>,
    tcp: TcpStream,
    /// With `rtsph://`: the tunnel's POST, where requests go (`tcp` is its GET).
    post: Option<crate::tunnel::Post>,
    server: SocketAddr,
    local: SocketAddr,
    rxbuf: RxBuf,
    txbuf: TxBuf,
    /// When the RTSP connection was opened (µs; 0 for the first).
    connected_at: u64,
    udp: Option<(UdpSocket, UdpSocket)>,
    control: Control,
    media: Media,
    slot: Option<Arc<FrameSlot>>,
    clock: std_embedded_time::StandardClock,
    /// When PLAY was last confirmed (µs), while playing.
    playing_since: Option<u64>,
    /// Time played before the current PLAY (µs).
    played_us: u64,
    /// When the first PLAY was confirmed (µs), for the plot's time axis.
    first_play: Option<u64>,
    samples: Vec<Sample>,
    next_status: u64,
    /// TEARDOWN sent to switch to TCP; SETUP again when it is answered.
    fallback_pending: bool,
    /// The last SETUP chose interleaved media (for the report).
    tcp_media: bool,
    /// Set when leaving: the deadline for the TEARDOWN answer.
    leaving: Option<u64>,
    /// Packets seen when PLAY over UDP was confirmed, for the fallback.
    udp_check: Option<(u64, u64)>,
    fell_back: bool,
    status_on_tty: bool,
    /// Standard output is a terminal.
    stdout_tty: bool,
    pkt: Box<[u8]>,
    tx_buf: Box<[u8]>,
}

impl Player {
    /// Connects to the server; one clear error line if it cannot.
    pub fn connect(opts: Options, slot: Option<Arc<FrameSlot>>) -> Result<Player, Error> {
        let server = opts.target.resolve()?;
        let poll = Poll::new().map_err(failed_to("make a poll"))?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKE).map_err(failed_to("make a waker"))?);
        let Connection {
            tcp,
            post,
            rxbuf,
            local,
        } = Connection::open(&opts.target, server, &poll)?;
        let mut media = Media::new(
            opts.save_frames.clone(),
            opts.pcap.as_deref(),
            slot.clone(),
            opts.reorder,
        )?;
        media.frame_limit = opts.frames;
        let (tx, rx) = mpsc::channel();
        // UDP media needs our RTP/RTCP pair before SETUP names it.
        let (udp, how) = if opts.tcp {
            (None, Setup::Tcp)
        } else {
            let (mut a, mut b) = net::bind_pair(local.ip())?;
            let port = a
                .local_addr()
                .map_err(failed_to("read the RTP port"))?
                .port();
            poll.registry()
                .register(&mut a, RTP, Interest::READABLE)
                .map_err(failed_to("poll the RTP socket"))?;
            poll.registry()
                .register(&mut b, RTCP, Interest::READABLE)
                .map_err(failed_to("poll the RTCP socket"))?;
            (Some((a, b)), Setup::Udp { rtp_port: port })
        };
        let control = Control::new(
            &opts.target.url,
            how,
            opts.target.credentials.clone(),
            opts.start.map(crate::control::duration),
        )?;
        println!(
            "connected to {}:{} ({})",
            opts.target.host, opts.target.port, opts.target.url
        );
        Ok(Player {
            poll,
            waker,
            rx,
            tx,
            tcp,
            post,
            server,
            local,
            rxbuf,
            txbuf: TxBuf::default(),
            connected_at: 0,
            udp,
            control,
            media,
            slot,
            clock: std_embedded_time::StandardClock::default(),
            playing_since: None,
            played_us: 0,
            first_play: None,
            samples: Vec::new(),
            next_status: 0,
            fallback_pending: false,
            tcp_media: false,
            leaving: None,
            udp_check: None,
            fell_back: false,
            status_on_tty: std::io::IsTerminal::is_terminal(&std::io::stdout()) && opts.auto_play,
            stdout_tty: std::io::IsTerminal::is_terminal(&std::io::stdout()),
            opts,
            pkt: vec![0; 65_536].into_boxed_slice(),
            tx_buf: vec![0; rtsp_core::limits::RTSP_MAX_MESSAGE].into_boxed_slice(),
        })
    }

    /// A handle for sending commands from other threads.
    pub fn commands(&self) -> Commands {
        Commands {
            tx: self.tx.clone(),
            waker: self.waker.clone(),
        }
    }

    fn now(&self) -> Instant {
        self.clock
            .try_now()
            .map(Instant::from_clock)
            .unwrap_or(Instant::ZERO)
    }

    /// Runs until quit, end of duration/frames, or the server goes away.
    pub fn run(mut self) -> Result<(), Error> {
        let mut events = Events::with_capacity(16);
        if self.opts.auto_play {
            let now = self.now();
            self.control.play_now(now);
        }
        let result = loop {
            let now = self.now();
            let timeout = self.next_wakeup(now);
            if let Err(e) = self.poll.poll(&mut events, Some(timeout)) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    break Err(Error::Local {
                        doing: "poll",
                        source: e,
                    });
                }
            }
            let now = self.now();
            let mut closed = false;
            for ev in events.iter() {
                match ev.token() {
                    RTSP => match self.read_rtsp(now) {
                        Ok(open) => closed |= !open,
                        Err(e) => {
                            self.finish();
                            return Err(e);
                        }
                    },
                    RTP | RTCP => self.read_udp(now),
                    _ => {}
                }
            }
            while let Ok(c) = self.rx.try_recv() {
                self.command(now, c);
            }
            self.control.handle_timeout(now);
            self.media.poll(now.as_micros());
            if let Err(e) = self.drive(now) {
                break Err(e);
            }
            self.periodic(now);
            if closed && self.may_reconnect(now) {
                if let Err(e) = self.reconnect(now) {
                    break Err(e);
                }
            } else if closed {
                break if self.leaving.is_some() {
                    Ok(())
                } else {
                    Err(Error::Closed)
                };
            }
            if let Some(deadline) = self.leaving {
                if self.control.is_closed() || now.as_micros() >= deadline {
                    break Ok(());
                }
            }
        };
        self.finish();
        result
    }

    /// Whether a closed RTSP connection is only the server tidying up: no
    /// session and nothing in flight, so nothing is lost, and the next
    /// request may go on a new connection (an RTSP session is not tied to
    /// a TCP connection, RFC 2326 §1.1). rtsp-server closes a connection
    /// without a session after its session timeout, as the lab's prompt
    /// leaves it before `setup`. A server that closes at once is not
    /// retried: that is a refusal, said as one.
    fn may_reconnect(&self, now: Instant) -> bool {
        const HELD_US: u64 = 1_000_000;
        self.leaving.is_none()
            && self.control.is_closed()
            && now.as_micros().saturating_sub(self.connected_at) >= HELD_US
    }

    /// Opens a new RTSP connection in place of the closed one.
    fn reconnect(&mut self, now: Instant) -> Result<(), Error> {
        let _ = self.poll.registry().deregister(&mut self.tcp);
        let c = Connection::open(&self.opts.target, self.server, &self.poll)?;
        (self.tcp, self.post, self.rxbuf, self.local) = (c.tcp, c.post, c.rxbuf, c.local);
        self.txbuf = TxBuf::default();
        self.connected_at = now.as_micros();
        tracing::info!("the server closed the idle RTSP connection; opened a new one");
        Ok(())
    }

    /// The earliest of: session timer, status line, stop conditions.
    fn next_wakeup(&self, now: Instant) -> Duration {
        let n = now.as_micros();
        let mut at = n + 1_000_000;
        if self.playing_since.is_some() {
            at = at.min(self.next_status.max(n));
        }
        if let Some(t) = self.control.poll_timeout() {
            at = at.min(t.as_micros().max(n));
        }
        if let Some(d) = self.leaving {
            at = at.min(d.max(n));
        }
        if let Some(t) = self.media.poll_timeout() {
            at = at.min(t.as_micros().max(n));
        }
        Duration::from_micros(at - n + 500)
    }

    fn read_rtsp(&mut self, now: Instant) -> Result<bool, Error> {
        let open = match self.rxbuf.fill(&mut self.tcp) {
            Ok(open) => open,
            // A reset is the server going away, as a close is.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => false,
            Err(e) => return Err(Error::Connection(e)),
        };
        loop {
            let data = self.rxbuf.data();
            if data.is_empty() {
                break;
            }
            // The core reads the `$` framing (RFC 2326 §10.12): what comes
            // back is a packet, already on its channel.
            let received = self.control.handle_input(now, data)?;
            let from_server = media::Path {
                src: self.server,
                dst: self.local,
            };
            match received {
                Received::Partial => break,
                Received::Consumed(n) => {
                    if data.first() != Some(&b'$') {
                        tracing::debug!("received: {}", drive::first_line(&data[..n]));
                    }
                }
                Received::Rtp { packet, .. } => {
                    let ch = self.control.interleaved_rtp_channel().unwrap_or(0);
                    let path = tcp_path(ch, from_server);
                    self.media.on_rtp(now.as_micros(), path, packet);
                }
                Received::Rtcp { packet, .. } => {
                    let ch = self.control.interleaved_rtcp_channel().unwrap_or(1);
                    self.media.capture(tcp_path(ch, from_server), packet);
                }
            }
            if let Some(n) = received.consumed() {
                self.rxbuf.consume(n);
            }
        }
        Ok(open)
    }
}

/// Interleaved packets are captured as UDP between synthetic ports.
pub(super) fn tcp_path(channel: u8, p: media::Path) -> media::Path {
    let port = crate::pcap_out::INTERLEAVED_BASE_PORT + u16::from(channel);
    media::Path {
        src: SocketAddr::new(p.src.ip(), port),
        dst: SocketAddr::new(p.dst.ip(), port),
    }
}

impl Player {
    fn read_udp(&mut self, now: Instant) {
        let Some((rtp, rtcp)) = &self.udp else { return };
        let t = now.as_micros();
        for (sock, is_rtp) in [(rtp, true), (rtcp, false)] {
            let dst = sock.local_addr().unwrap_or(self.local);
            loop {
                match sock.recv_from(&mut self.pkt) {
                    Ok((n, src)) => {
                        // RFC 2326 §12.39: media comes from the RTSP server's host.
                        if src.ip() != self.server.ip() {
                            continue;
                        }
                        let path = media::Path { src, dst };
                        let data = &self.pkt[..n];
                        if is_rtp {
                            self.media.on_rtp(t, path, data);
                        } else {
                            self.media.capture(path, data);
                            self.control.handle_rtcp(now, data);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(_) => break,
                }
            }
        }
    }
}

/// One RTSP connection: plain TCP, or a tunnel's GET (read) and POST
/// (written), registered with the player's poll.
struct Connection {
    tcp: TcpStream,
    post: Option<crate::tunnel::Post>,
    rxbuf: RxBuf,
    local: SocketAddr,
}

impl Connection {
    fn open(target: &Target, server: SocketAddr, poll: &Poll) -> Result<Connection, Error> {
        let shown = format!("{}:{}", target.host, target.port);
        let mut rxbuf = RxBuf::new();
        let (mut tcp, post) = if target.tunnel {
            let t = crate::tunnel::open(server, &shown, target)?;
            rxbuf.preload(&t.early);
            (t.get, Some(t.post))
        } else {
            (net::connect(server, &shown)?, None)
        };
        let local = tcp
            .local_addr()
            .map_err(failed_to("read the RTSP connection's address"))?;
        poll.registry()
            .register(&mut tcp, RTSP, Interest::READABLE)
            .map_err(failed_to("poll the RTSP connection"))?;
        Ok(Connection {
            tcp,
            post,
            rxbuf,
            local,
        })
    }
}
