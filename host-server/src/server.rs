//! The event loop: one thread, non-blocking sockets (mio), timers from the
//! sessions' deadlines.
//!
//! * One TCP listener for RTSP; each connection has a bounded input buffer
//!   and a bounded output queue ([`OutBuf`]), so a slow or dead client only
//!   ever loses its own frames.
//! * One UDP socket pair for all sessions (RTP on an even port, RTCP on the
//!   next, RFC 3550 §11): media leaves from the advertised `server_port`,
//!   and receiver reports from any client arrive on one socket. With
//!   `--multicast`, members' reports arrive on the group instead: one more
//!   socket per group in use (`crate::multicast`).
//! * Clip frames are paced on one grid of the frame period, so all playing
//!   sessions are served in the same wake-up; a live source's frames are
//!   sent as they arrive.

use std::collections::HashMap;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use embedded_time::Clock as _;
use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Token, Waker};
use rtsp_core::rtsp::header::PortPair;
use rtsp_core::rtsp::{Protocol, Status};
use rtsp_core::session::{self, server::ServerSession};
use rtsp_core::{Duration, Instant};

use crate::live::LiveFeed;
use crate::media::Catalog;
use crate::outbuf::OutBuf;
use crate::session::Media;
use crate::stream::SCRATCH;
use crate::udp::RtpSocket;

#[cfg(test)]
mod alloc_check;
pub mod http;
mod idle;
pub mod multicast;
mod pacing;
pub mod publish;
pub mod relay;
mod rtsp;
mod tunnel;

const LISTENER: Token = Token(0);
const RTP: Token = Token(1);
const RTCP: Token = Token(2);
const WAKER: Token = Token(3);
const FIRST_CONN: usize = 16;

/// Input buffered per connection: two whole RTSP messages.
pub const INPUT_BUFFER: usize = 2 * rtsp_core::limits::RTSP_MAX_MESSAGE;
/// Phases of the frame period that clip sessions are spread over.
pub const GRID_SLOTS: usize = 8;
/// Connections that share one phase before the next phase is used: up to
/// this many clients cost one wake-up per frame period, and past
/// `GRID_SLOTS` × this many, each wake-up sends 1/`GRID_SLOTS` of them.
pub const SLOT_SESSIONS: usize = 32;
/// Interval between RTCP sender reports (RFC 3550 §6.2; DESIGN.md: ~5 s).
pub const SR_INTERVAL: Duration = Duration::from_secs(5);

/// Settings from the command line.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest RTP packet.
    pub mtu: usize,
    /// Most concurrent sessions.
    pub max_sessions: usize,
    /// Session timeout (RFC 2326 §12.37).
    pub session_timeout: Duration,
    /// Restart clips at their end.
    pub looping: bool,
    /// Clip frame rate.
    pub fps: f64,
    /// Use UDP GSO where the kernel allows it.
    pub gso: bool,
    /// Answer HTTP on the RTSP port (`--http`, [`http`]).
    pub http: bool,
    /// Cut frames with restart markers at restart interval boundaries
    /// (RFC 2435 §3.1.7); false (`--no-restart`) cuts every frame at the MTU.
    pub restart: bool,
}

impl Config {
    /// How frames are cut into packets.
    pub fn cut(&self) -> crate::stream::Cut {
        crate::stream::Cut {
            mtu: self.mtu,
            restart_aligned: self.restart,
        }
    }
}

/// What a connection speaks: its first request line decides
/// (`rtsp_core::rtsp::http::protocol_of`).
#[derive(Debug, Default)]
pub enum Kind {
    /// No whole first line yet.
    #[default]
    Undecided,
    /// RTSP: the core session reads everything.
    Rtsp,
    /// HTTP: browsers, the status page, metrics ([`http`]).
    Http(Box<http::HttpConn>),
    /// Half of an RTSP-over-HTTP tunnel ([`tunnel`]).
    Tunnel(tunnel::Half),
}

/// One RTSP connection.
#[derive(Debug)]
pub struct Conn {
    /// The socket.
    stream: TcpStream,
    /// The RTSP peer; UDP media only ever goes to this address.
    peer: SocketAddr,
    /// Bytes received and not yet parsed.
    /// (Grows as requests need, up to [`INPUT_BUFFER`]: an idle client
    /// costs no buffer memory.)
    input: Vec<u8>,
    /// Responses and interleaved media waiting for the socket.
    out: OutBuf,
    /// The RTSP session state machine of this connection (rtsp-core).
    core: ServerSession,
    /// The host's media state, after SETUP.
    media: Option<Media>,
    /// Path of the last admitted SETUP, until the session reports SetUp.
    admitted: Option<String>,
    /// First line of the request being answered, for the log.
    last_request: Option<String>,
    /// Close once `out` is flushed.
    closing: bool,
    /// RTSP or HTTP, from the first request line.
    kind: Kind,
    /// When the connection is closed if it stays silent with no session
    /// ([`idle`]): the session timeout after its last bytes.
    idle_until: Instant,
}

/// The connections concern: every RTSP connection with its core session,
/// and the bookkeeping across them (`rtsp`).
#[derive(Debug, Default)]
struct Connections {
    /// Connections by token − FIRST_CONN.
    slots: Vec<Option<Conn>>,
    /// Client RTCP address → connection, to credit receiver reports.
    rtcp_peers: HashMap<SocketAddr, usize>,
    /// Sessions alive now.
    sessions: usize,
}

/// The scheduler concern: the frame grid sessions are paced on and the
/// packet scratch they share (`pacing`; which frame is due is each core
/// session's frame clock).
#[derive(Debug)]
struct Scheduler {
    /// Frame period for clips.
    period: Duration,
    /// Packet scratch space shared by all sessions.
    scratch: Box<[u8]>,
    /// The live feeds (`--live`, `--pull`), each at its own path.
    live: Vec<LiveFeed>,
}

/// The whole server: sockets and settings, and its state by concern:
/// connections (`rtsp`), scheduler (`pacing`), multicast (`multicast`).
#[derive(Debug)]
pub struct Server {
    poll: Poll,
    listener: TcpListener,
    /// Shared RTP socket (server_port, even).
    rtp: RtpSocket,
    /// Shared RTCP socket (server_port + 1).
    rtcp: RtpSocket,
    /// The RTP port advertised in `server_port`.
    rtp_port: u16,
    clock: std_embedded_time::StandardClock,
    /// Settings.
    cfg: Config,
    /// Settings of every connection's core session.
    session_config: session::server::Config,
    /// What is served.
    catalog: Catalog,
    /// Credentials required of clients, if any.
    auth: Option<crate::auth::Auth>,
    conns: Connections,
    sched: Scheduler,
    /// `--multicast` groups, if on.
    multicast: Option<multicast::Groups>,
    /// `--pull` sources and the requests waiting for them.
    relays: relay::Relays,
    /// Counts that outlive sessions, for `/metrics` ([`http::metrics`]).
    totals: http::metrics::Totals,
    /// Open RTSP-over-HTTP tunnels ([`tunnel`]).
    tunnels: tunnel::Tunnels,
    /// Publishers (ANNOUNCE/RECORD) and `--publish-paths`.
    publishers: publish::Publishers,
}

/// Binds an even/odd UDP pair on `ip` for RTP and RTCP (RFC 3550 §11).
fn bind_pair(ip: std::net::IpAddr) -> io::Result<(UdpSocket, UdpSocket, u16)> {
    for _ in 0..200 {
        let a = UdpSocket::bind(SocketAddr::new(ip, 0))?;
        let p = a.local_addr()?.port();
        if p % 2 == 0 && p < u16::MAX {
            if let Ok(b) = UdpSocket::bind(SocketAddr::new(ip, p + 1)) {
                return Ok((a, b, p));
            }
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        "no free even/odd UDP port pair for RTP/RTCP",
    ))
}

impl Server {
    /// Binds the sockets; `live` is started by the caller with [`Server::waker`].
    pub fn bind(
        addr: SocketAddr,
        catalog: Catalog,
        cfg: Config,
    ) -> io::Result<(Server, Arc<Waker>)> {
        let poll = Poll::new()?;
        let mut listener = TcpListener::bind(addr)?;
        let (mut rtp, mut rtcp, rtp_port) = bind_pair(addr.ip())?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        poll.registry()
            .register(&mut rtp, RTP, Interest::READABLE)?;
        poll.registry()
            .register(&mut rtcp, RTCP, Interest::READABLE)?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let period = Duration::from_micros((1e6 / cfg.fps).round() as u64);
        let clock = std_embedded_time::StandardClock::default();
        let now = clock
            .try_now()
            .map(Instant::from_clock)
            .unwrap_or(Instant::ZERO);
        let unix_now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        let session_config = session::server::Config {
            timeout_secs: u32::try_from(cfg.session_timeout.as_secs()).unwrap_or(u32::MAX),
            server_ports: Some(PortPair::new(rtp_port, rtp_port + 1)),
            report_interval: SR_INTERVAL,
            cname: "rtsp-server",
            // SR NTP timestamps are wall-clock time (RFC 3550 §6.4.1).
            unix_time_at_zero_us: unix_now.saturating_sub(now.as_micros()),
            // The lab's client (and some cameras' clients) SETUP the
            // presentation URL itself; with one stream that is harmless.
            allow_aggregate_setup: true,
            // INPUT_BUFFER is a small constant: the cast cannot truncate.
            input_capacity: INPUT_BUFFER as u32,
            looping: cfg.looping,
        };
        let server = Server {
            poll,
            listener,
            rtp: RtpSocket::new(rtp, cfg.gso),
            rtcp: RtpSocket::new(rtcp, false),
            rtp_port,
            conns: Connections::default(),
            catalog,
            cfg,
            clock,
            sched: Scheduler {
                period,
                scratch: vec![0u8; SCRATCH].into_boxed_slice(),
                live: Vec::new(),
            },
            session_config,
            auth: None,
            multicast: None,
            relays: relay::Relays::default(),
            totals: http::metrics::Totals::default(),
            tunnels: tunnel::Tunnels::default(),
            publishers: publish::Publishers::new(publish::PublishPaths::Matching(vec!["*".into()])),
        };
        Ok((server, waker))
    }

    /// Requires `auth`'s user of every client (`--user`).
    pub fn set_auth(&mut self, auth: crate::auth::Auth) {
        self.auth = Some(auth);
    }

    /// Which paths publishers may take (`--publish-paths`).
    pub fn set_publish_paths(&mut self, paths: publish::PublishPaths) {
        self.publishers = publish::Publishers::new(paths);
    }

    /// Serves `feed`'s live source at path `name`.
    pub fn serve_live(&mut self, name: &str, feed: LiveFeed) {
        self.catalog
            .insert(name.into(), crate::media::Source::Live(feed.live.clone()));
        self.sched.live.push(feed);
    }

    /// What is served.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The RTP port advertised in `server_port` (RTCP is the next).
    pub fn rtp_port(&self) -> u16 {
        self.rtp_port
    }

    /// Whether media goes out with UDP GSO.
    pub fn gso(&self) -> bool {
        self.rtp.gso()
    }

    /// The poller's registry, for sockets other modules own (the
    /// multicast groups' RTCP receivers).
    pub fn registry(&self) -> &mio::Registry {
        self.poll.registry()
    }

    /// The listening address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Now, from `std_embedded_time::StandardClock` (DESIGN.md: hosts feed
    /// the core `embedded_time` instants).
    pub fn now(&self) -> Instant {
        self.clock
            .try_now()
            .map(Instant::from_clock)
            .unwrap_or(Instant::ZERO)
    }

    /// The first point at or after `t` of connection `idx`'s slot on the
    /// frame grid. Sessions share [`GRID_SLOTS`] phases of the frame period,
    /// [`SLOT_SESSIONS`] connections at a time (connection indices are
    /// reused lowest first, so they stay dense): few wake-ups, yet not every
    /// client's frame in one burst (which could overflow the socket buffer
    /// or a NIC queue with hundreds of clients).
    pub fn grid_after(&self, t: Instant, idx: usize) -> Instant {
        let p = self.sched.period.as_micros().max(1);
        let slot = (idx / SLOT_SESSIONS) % GRID_SLOTS;
        let phase = p * slot as u64 / GRID_SLOTS as u64;
        let k = t.as_micros().saturating_sub(phase).div_ceil(p);
        Instant::from_micros(k * p + phase)
    }

    /// Runs until the process is stopped.
    pub fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(256);
        loop {
            let now = self.now();
            let timeout = self
                .next_deadline(now)
                .map(|d| StdDuration::from_micros(d.saturating_since(now).as_micros()));
            match self.poll.poll(&mut events, timeout) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            let now = self.now();
            for ev in events.iter() {
                match ev.token() {
                    LISTENER => self.accept(),
                    RTP => self.drain_udp(false, now),
                    RTCP => self.drain_udp(true, now),
                    WAKER => self.drain_live(now),
                    Token(t) if t >= crate::server::multicast::GROUP_TOKENS => {
                        self.drain_group(t - crate::server::multicast::GROUP_TOKENS, now);
                    }
                    Token(t) => {
                        let idx = t - FIRST_CONN;
                        if ev.is_readable() || ev.is_read_closed() {
                            self.read_conn(idx, now);
                        }
                        if ev.is_writable() {
                            self.flush_conn(idx);
                        }
                    }
                }
            }
            self.on_timers(now);
        }
    }

    fn accept(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((stream, peer)) => {
                    if self.add_conn(stream, peer).is_some() {
                        tracing::debug!("{peer}: connected");
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    return;
                }
            }
        }
    }

    /// Registers a new RTSP connection; returns its index.
    pub fn add_conn(&mut self, mut stream: TcpStream, peer: SocketAddr) -> Option<usize> {
        let _ = stream.set_nodelay(true);
        let idx = self
            .conns
            .slots
            .iter()
            .position(Option::is_none)
            .unwrap_or_else(|| {
                self.conns.slots.push(None);
                self.conns.slots.len() - 1
            });
        let token = Token(FIRST_CONN + idx);
        if let Err(e) = self
            .poll
            .registry()
            .register(&mut stream, token, Interest::READABLE)
        {
            tracing::warn!("{peer}: cannot register connection: {e}");
            return None;
        }
        self.conns.slots[idx] = Some(Conn {
            stream,
            peer,
            input: Vec::new(),
            out: OutBuf::default(),
            core: ServerSession::new(self.session_config, peer.ip()),
            media: None,
            admitted: None,
            last_request: None,
            closing: false,
            kind: Kind::Undecided,
            idle_until: self.now() + self.cfg.session_timeout,
        });
        Some(idx)
    }

    fn read_conn(&mut self, idx: usize, now: Instant) {
        let mut closed = false;
        let mut chunk = [0u8; 4096];
        loop {
            let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
                return;
            };
            let room = if c.takes_input() {
                INPUT_BUFFER.saturating_sub(c.input.len()).min(chunk.len())
            } else {
                chunk.len()
            };
            if room == 0 {
                break;
            }
            match c.stream.read(&mut chunk[..room]) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => {
                    c.idle_until = now + self.cfg.session_timeout;
                    if c.takes_input() {
                        c.input.extend_from_slice(&chunk[..n]);
                    }
                    self.dispatch_input(idx, now);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tracing::debug!("read error: {e}");
                    closed = true;
                    break;
                }
            }
        }
        if closed {
            self.close(idx, now, "connection closed by the client");
        } else {
            self.flush_conn(idx);
        }
    }

    /// Hands connection `idx`'s input to what it speaks: RTSP to its core
    /// session, HTTP to [`http`]. The first request line decides, once
    /// (with `--http off`, everything is RTSP, which answers HTTP with 505).
    fn dispatch_input(&mut self, idx: usize, now: Instant) {
        let http_on = self.cfg.http;
        let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        if matches!(c.kind, Kind::Undecided) {
            c.kind = match rtsp_core::rtsp::http::protocol_of(&c.input) {
                _ if !http_on => Kind::Rtsp,
                Status::Partial => return,
                Status::Complete(Protocol::Rtsp) => Kind::Rtsp,
                Status::Complete(Protocol::Http) => Kind::Http(Box::new(http::HttpConn::new(now))),
            };
        }
        match c.kind {
            Kind::Http(_) => self.handle_http(idx, now),
            Kind::Tunnel(_) => self.tunnel_input(idx, now),
            _ => self.handle_input(idx, now),
        }
    }

    /// Writes what the connection's socket takes; asks for writability
    /// while something is left.
    pub fn flush_conn(&mut self, idx: usize) {
        let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        let had = !c.out.is_empty();
        match c.out.flush_to(&mut c.stream) {
            Ok(done) => {
                let interest = if done {
                    Interest::READABLE
                } else {
                    Interest::READABLE | Interest::WRITABLE
                };
                if had {
                    let _ = self.poll.registry().reregister(
                        &mut c.stream,
                        Token(FIRST_CONN + idx),
                        interest,
                    );
                }
                if done && c.closing {
                    let now = self.now();
                    if !self.linger(idx, now) {
                        self.close(idx, now, "closed after an error response");
                    }
                }
            }
            Err(e) => {
                let now = self.now();
                self.close(idx, now, &format!("write failed: {e}"));
            }
        }
    }

    /// Ends a connection and the session it carries.
    pub fn close(&mut self, idx: usize, _now: Instant, why: &str) {
        let peer = match self.conns.slots.get(idx).and_then(Option::as_ref) {
            Some(c) => c.peer,
            None => return,
        };
        self.end_media(idx, why);
        self.unpublish(idx, why);
        self.forget_held(idx);
        self.end_viewer(idx, why);
        self.end_tunnel(idx, _now);
        let Some(mut c) = self.conns.slots.get_mut(idx).and_then(Option::take) else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut c.stream);
        tracing::debug!("{peer}: {why}");
    }

    /// Reads RTP (publishers', see `publish`) or RTCP from clients.
    fn drain_udp(&mut self, rtcp: bool, now: Instant) {
        let mut buf = [0u8; 2048];
        loop {
            let sock = if rtcp {
                self.rtcp.socket()
            } else {
                self.rtp.socket()
            };
            match sock.recv_from(&mut buf) {
                Ok((n, from)) => {
                    if rtcp {
                        self.on_rtcp(from, &buf[..n], now);
                    } else {
                        self.on_udp_rtp(from, &buf[..n], now);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => return,
            }
        }
    }
}
