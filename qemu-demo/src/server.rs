//! The RTSP server loop: one client per TCP socket, each driven by
//! rtsp-core's sans-IO `ServerSession` (RFC 2326 §A.2): bytes in through
//! `handle_input`, responses and RTCP out through `poll_transmit`, session
//! timeout and RTCP sender reports through `poll_timeout`/`handle_timeout`,
//! and `poll_event` starting and stopping the client's [`Stream`].

use core::net::IpAddr;

use rtsp_core::rtsp::header::names;
use rtsp_core::rtsp::{self, Header, Message, MessageWriter, SliceSink, Status, StatusCode};
use rtsp_core::session::server::{self, Admission, Event, MediaInfo, ServerSession, Step};
use rtsp_core::session::{Destination, Framerate, MediaDestination};
use rtsp_core::{Duration, Instant};
use smoltcp::iface::SocketHandle;
use smoltcp::socket::{tcp, udp};
use smoltcp::wire::{IpAddress, IpEndpoint};
use static_cell::ConstStaticCell;

use crate::bench::RateMeter;
use crate::clip;
use crate::net::{Net, GATEWAY, MAX_CLIENTS, RTCP_PORT, RTP_PORT};
use crate::stream::{endpoint, Stream};

/// The presentation's path (RFC 2326 §3.2), without the leading `/`.
pub const PATH: &str = "movie.Mjpeg";
/// Bytes of one client's request buffer: the longest request we accept
/// (real clients' SETUP is ~250 bytes). Longer ones get the core's 413
/// (`Config::input_capacity`) and a close.
pub const RX_LEN: usize = 1024;
/// Bytes of the shared transmit buffer: responses (DESCRIBE with its SDP is
/// the longest, ~600 bytes) and RTCP. A response that does not fit stays
/// queued in the session (`BufferTooSmall`) and the connection is closed.
pub const OUT_LEN: usize = 1024;
/// TCP send-buffer room kept free of interleaved RTP for responses.
const RESPONSE_ROOM: usize = 768;

/// Request buffers, one per client, and the transmit buffer: zeroed statics
/// (.bss), so they cost no flash and show in the statics.
static RX_BUFS: ConstStaticCell<[[u8; RX_LEN]; MAX_CLIENTS]> =
    ConstStaticCell::new([[0; RX_LEN]; MAX_CLIENTS]);
static OUT_BUF: ConstStaticCell<[u8; OUT_LEN]> = ConstStaticCell::new([0; OUT_LEN]);

/// The user clients must log in as, when the firmware is built with
/// `RTSP_USER` and `RTSP_PASSWORD` set (read at build time: the firmware
/// has no file system or console to read them from at run time).
const LOGIN: Option<(&str, &str)> = match (option_env!("RTSP_USER"), option_env!("RTSP_PASSWORD")) {
    (Some(user), Some(password)) => Some((user, password)),
    _ => None,
};
/// Realm of the Digest challenge (RFC 2617 §1.2).
const REALM: &str = "qemu-demo";

/// The catalogue (one clip), capacity policy, randomness and the user the
/// session asks its host for.
#[derive(Debug)]
struct Catalogue {
    media: MediaInfo,
    random: u32,
    /// The Digest nonce, drawn once at boot from `random` (RFC 2617 §3.2.1).
    nonce: server::Nonce,
}

impl server::Host for Catalogue {
    fn media(&mut self, path: &str) -> Result<MediaInfo, StatusCode> {
        (path == PATH).then_some(self.media).ok_or(StatusCode::NotFound)
    }

    fn admit(&mut self, _path: &str) -> Admission {
        // One session per connection, and connections are bounded by the
        // TCP sockets (MAX_CLIENTS): nothing more to count.
        Admission::Accept
    }

    fn random_u32(&mut self) -> u32 {
        // xorshift32 seeded from SysTick at boot: unpredictable enough for
        // SSRCs, session ids and nonces of a demo (RFC 3550 §5.1).
        let mut x = self.random;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.random = x;
        x
    }

    fn credentials(&self) -> Option<server::Credentials<'_>> {
        let (user, password) = LOGIN?;
        Some(server::Credentials {
            realm: REALM,
            user,
            password,
            nonce: &self.nonce,
            // Digest only: Basic would send the password in the clear.
            basic: false,
        })
    }
}

/// One client slot.
#[derive(Debug)]
struct Client {
    rx: &'static mut [u8; RX_LEN],
    len: usize,
    session: Option<ServerSession>,
    stream: Option<Stream>,
    /// Close the connection once the queued output is sent.
    closing: bool,
}

/// All clients and the shared buffers.
#[derive(Debug)]
pub struct Server {
    clients: [Client; MAX_CLIENTS],
    out: &'static mut [u8; OUT_LEN],
    config: server::Config,
    catalogue: Catalogue,
    fast: bool,
    /// Rates of everything sent, logged by the `pace=fast` benchmark.
    pub meter: RateMeter,
}

impl Server {
    /// An idle server. Call once: it takes the static buffers.
    pub fn new(
        timeout_secs: u32,
        fast: bool,
        seed: u32,
        frames: u32,
        width: u16,
        height: u16,
    ) -> Self {
        let mut rx = RX_BUFS.take().iter_mut();
        let clients = core::array::from_fn(|_| Client {
            // RX_BUFS has exactly MAX_CLIENTS entries: `next` always yields.
            rx: rx.next().unwrap_or_else(|| crate::exit_failure()),
            len: 0,
            session: None,
            stream: None,
            closing: false,
        });
        let config = server::Config {
            timeout_secs,
            server_ports: Some(rtsp_core::rtsp::header::PortPair::new(RTP_PORT, RTCP_PORT)),
            cname: "qemu-demo@10.0.2.15",
            // Minimal clients (the networking lab's) SETUP the presentation URL.
            allow_aggregate_setup: true,
            input_capacity: RX_LEN as u32,
            ..server::Config::default()
        };
        let media = MediaInfo {
            width,
            height,
            framerate: Framerate::fps(clip::FPS),
            duration: Some(Duration::from_micros(
                u64::from(frames) * clip::FRAME_MICROS,
            )),
        };
        let mut catalogue = Catalogue {
            media,
            random: seed | 1,
            nonce: server::Nonce::generate(|| 0),
        };
        catalogue.nonce = server::Nonce::generate(|| server::Host::random_u32(&mut catalogue));
        if let Some((user, _)) = LOGIN {
            defmt::info!("clients must log in as {=str} (Digest)", user);
        }
        Server {
            clients,
            out: OUT_BUF.take(),
            config,
            catalogue,
            fast,
            meter: RateMeter::new(),
        }
    }

    /// Clients whose stream is playing.
    pub fn playing(&self) -> usize {
        self.clients
            .iter()
            .filter(|c| c.session.as_ref().is_some_and(ServerSession::is_playing))
            .count()
    }

    /// Whether nothing is left to do until the next frame, request or timer
    /// (no frame half sent).
    pub fn idle(&self) -> bool {
        !self
            .clients
            .iter()
            .any(|c| c.stream.as_ref().is_some_and(Stream::busy))
    }

    /// One pass: connections, requests, timers, RTP and RTCP.
    pub fn poll(&mut self, now_us: u64, net: &mut Net) {
        self.receive_rtcp(now_us, net);
        for i in 0..MAX_CLIENTS {
            self.poll_client(i, now_us, net);
        }
        self.poll_spare(net);
    }

    /// A connection beyond [`MAX_CLIENTS`]: read its first request, answer
    /// `503 Service Unavailable` (echoing CSeq, RFC 2326 §12.17), close.
    fn poll_spare(&mut self, net: &mut Net) {
        let socket = net.sockets.get_mut::<tcp::Socket>(net.spare);
        match socket.state() {
            tcp::State::Established => {
                let mut headers = [Header::EMPTY; 8];
                let mut cseq = None;
                let complete = socket
                    .recv(|buf| match rtsp::parse(buf, &mut headers) {
                        Ok(Status::Complete((Message::Request(req), used))) => {
                            cseq = req.cseq();
                            (used, true)
                        }
                        Ok(Status::Partial) if buf.len() < 512 => (0, false),
                        _ => (buf.len(), true),
                    })
                    .unwrap_or(true);
                if complete {
                    let mut w = MessageWriter::response(
                        SliceSink::new(&mut self.out[..]),
                        StatusCode::ServiceUnavailable,
                    );
                    if let Some(c) = cseq {
                        w.header(names::CSEQ, c);
                    }
                    let n = w.finish(b"").unwrap_or(0);
                    let _ = socket.send_slice(self.out.get(..n).unwrap_or_default());
                    socket.close();
                    defmt::info!("over capacity: 503 to {}", socket.remote_endpoint());
                }
            }
            tcp::State::CloseWait => socket.close(),
            tcp::State::Closed | tcp::State::TimeWait | tcp::State::FinWait2 => net.listen_spare(),
            _ => {}
        }
    }

    fn poll_client(&mut self, i: usize, now_us: u64, net: &mut Net) {
        let now = Instant::from_micros(now_us);
        let Some(&handle) = net.tcp.get(i) else {
            return;
        };
        let Server {
            clients,
            out,
            config,
            catalogue,
            fast,
            meter,
        } = self;
        let Some(client) = clients.get_mut(i) else {
            return;
        };
        let mut socket = net.sockets.get_mut::<tcp::Socket>(handle);
        match socket.state() {
            tcp::State::Established if client.session.is_none() => {
                let peer = match socket.remote_endpoint().map(|e| e.addr) {
                    Some(IpAddress::Ipv4(a)) => a,
                    _ => GATEWAY,
                };
                client.session = Some(ServerSession::new(*config, IpAddr::V4(peer)));
                client.stream = None;
                client.len = 0;
                client.closing = false;
                defmt::info!(
                    "client {=usize}: connected from {}",
                    i,
                    socket.remote_endpoint()
                );
            }
            tcp::State::CloseWait => socket.close(),
            // FinWait2: our FIN was acked, so everything we sent arrived; do
            // not wait for a client that never closes its side.
            tcp::State::Closed | tcp::State::TimeWait | tcp::State::FinWait2 => {
                if client.session.take().is_some() {
                    defmt::info!("client {=usize}: disconnected", i);
                }
                client.stream = None;
                net.listen(i);
                return;
            }
            _ => {}
        }
        let Some(session) = client.session.as_mut() else {
            return;
        };

        // 1. Input: every whole message in the buffer.
        while socket.can_recv() && client.len < RX_LEN && !client.closing {
            let n = socket.recv_slice(&mut client.rx[client.len..]).unwrap_or(0);
            if n == 0 {
                break;
            }
            client.len += n;
        }
        while client.len > 0 && !client.closing {
            let used = match session.read_input(now, &client.rx[..client.len], catalogue) {
                Step::NeedMore => break,
                // No publishers here (Host::accepts_publishers is false).
                Step::Used(used) | Step::Rtp(used) => used,
                Step::Close(e) => {
                    defmt::warn!("client {=usize}: unreadable request: {}", i, e);
                    client.closing = true;
                    client.len
                }
                Step::Drain => {
                    defmt::warn!("client {=usize}: session output not drained", i);
                    break;
                }
            };
            let used = used.min(client.len);
            client.rx.copy_within(used..client.len, 0);
            client.len -= used;
            drain(i, now, session, net, handle, &mut out[..]);
            handle_events(i, session, &mut client.stream, &mut client.closing);
            socket = net.sockets.get_mut::<tcp::Socket>(handle);
        }

        // 2. Timers: session expiry (RFC 2326 §12.37) and RTCP SR (RFC 3550 §6.2).
        if session.poll_timeout().is_some_and(|t| t <= now) {
            session.handle_timeout(now);
            drain(i, now, session, net, handle, &mut out[..]);
            handle_events(i, session, &mut client.stream, &mut client.closing);
            socket = net.sockets.get_mut::<tcp::Socket>(handle);
        }
        if client.closing {
            if socket.send_queue() == 0 || !socket.may_send() {
                socket.close();
            }
            return;
        }

        // 3. Media.
        let Some(stream) = client.stream.as_mut() else {
            return;
        };
        match stream.dest {
            MediaDestination::Interleaved { .. } => {
                stream.pump_tcp(now_us, *fast, session, socket, meter, RESPONSE_ROOM);
            }
            MediaDestination::Udp { .. } => {
                let rtp = net.sockets.get_mut::<udp::Socket>(net.rtp);
                stream.pump_udp(now_us, *fast, session, rtp, meter);
            }
        }
    }

    /// RTCP from clients over UDP (receiver reports, RFC 3550 §6.4.2): to
    /// the session whose peer port sent it (a sign of life).
    fn receive_rtcp(&mut self, now_us: u64, net: &mut Net) {
        let socket = net.sockets.get_mut::<udp::Socket>(net.rtcp);
        while let Ok((packet, meta)) = socket.recv() {
            let from: IpEndpoint = meta.endpoint;
            for c in &mut self.clients {
                let to_us = matches!(c.stream.as_ref().map(|s| s.dest), Some(MediaDestination::Udp { rtcp, .. }) if endpoint(rtcp) == Some(from));
                if let (true, Some(session)) = (to_us, c.session.as_mut()) {
                    session.handle_rtcp(Instant::from_micros(now_us), packet);
                }
            }
        }
    }
}

/// Sends everything the session has queued: responses and interleaved RTCP
/// on the connection, RTCP over UDP to the peer's RTCP port.
fn drain(
    i: usize,
    now: Instant,
    session: &mut ServerSession,
    net: &mut Net,
    tcp: SocketHandle,
    out: &mut [u8],
) {
    loop {
        match session.poll_transmit(now, out) {
            Ok(Some(tx)) => {
                let bytes = out.get(..tx.len).unwrap_or_default();
                match tx.destination {
                    Destination::Rtsp | Destination::Interleaved { .. } => {
                        let tcp = net.sockets.get_mut::<tcp::Socket>(tcp);
                        // A client that already closed gets nothing more
                        // (e.g. the RTCP BYE after its TEARDOWN).
                        if tcp.may_send() && tcp.send_slice(bytes) != Ok(bytes.len()) {
                            defmt::warn!("client {=usize}: TCP send buffer full, output cut", i);
                        }
                    }
                    Destination::Rtcp { port } => {
                        let IpAddr::V4(peer) = session.peer() else {
                            continue;
                        };
                        let rtcp = net.sockets.get_mut::<udp::Socket>(net.rtcp);
                        let _ =
                            rtcp.send_slice(bytes, IpEndpoint::new(IpAddress::Ipv4(peer), port));
                    }
                }
            }
            Ok(None) => return,
            Err(e) => {
                defmt::warn!("client {=usize}: cannot write output: {}", i, e);
                return;
            }
        }
    }
}

/// Applies the session's events to the client's stream.
fn handle_events(
    i: usize,
    session: &mut ServerSession,
    stream: &mut Option<Stream>,
    closing: &mut bool,
) {
    while let Some(event) = session.poll_event() {
        defmt::info!("client {=usize}: {}", i, event);
        match event {
            Event::SetUp { .. } => {
                let Some(dest) = session.media_destination() else {
                    continue;
                };
                // A second SETUP on the session (new transport) replaces it.
                *stream = Some(Stream::new(dest));
            }
            // The session's frame clock starts, seeks and stops the frames.
            Event::Playing { .. } | Event::Paused => {}
            Event::TornDown => *stream = None,
            Event::Expired => {
                // Interleaved media dies with its connection; UDP clients
                // keep the connection for a new SETUP.
                if matches!(
                    stream.as_ref().map(|s| s.dest),
                    Some(MediaDestination::Interleaved { .. })
                ) {
                    *closing = true;
                }
                *stream = None;
            }
            Event::Ended
            | Event::Unauthorized { .. }
            | Event::ReceiverReport { .. }
            | Event::PublishStarted
            | Event::PublishStopped => {}
        }
    }
}
