//! The RTSP server loop: one client per TCP socket, requests framed and
//! parsed by `rtsp_core::rtsp::parse` (requests and `$`-interleaved data on
//! one stream, RFC 2326 §10.12), answered by the client's [`Dialogue`], and
//! its stream pumped into UDP or the same TCP connection, with RTCP sender
//! reports (RFC 3550 §6.4.1) every few seconds.

use rtsp_core::limits::RTSP_MAX_HEADERS;
use rtsp_core::rtsp::{self, Header, Message, Status, StatusCode};
use smoltcp::socket::{tcp, udp};
use smoltcp::wire::{IpAddress, IpEndpoint};

use crate::bench::RateMeter;
use crate::dialogue::{self, After, Dialogue, State};
use crate::net::{Net, MAX_CLIENTS};
use crate::rtcp;
use crate::stream::Sink;

/// Bytes of one client's request buffer: the longest request we accept
/// (real clients' SETUP is ~250 bytes). Longer ones get 400 and a close.
pub const RX_LEN: usize = 1024;
/// Bytes of the shared response buffer (DESCRIBE with SDP is the longest).
pub const OUT_LEN: usize = 768;
/// TCP send-buffer room kept free of interleaved RTP for responses.
const RESPONSE_ROOM: usize = OUT_LEN;
/// RTCP sender report interval (RFC 3550 §6.2: 5 s minimum is customary).
const SR_INTERVAL_US: u64 = 5_000_000;

/// One client slot.
#[derive(Debug)]
struct Client {
    rx: [u8; RX_LEN],
    len: usize,
    connected: bool,
    dialogue: Dialogue,
    next_sr: u64,
}

/// All clients and the shared response buffer (lives in a static).
#[derive(Debug)]
pub struct Server {
    clients: [Client; MAX_CLIENTS],
    out: [u8; OUT_LEN],
    timeout_secs: u32,
    fast: bool,
    serial: u32,
    /// Rates of everything sent, logged by the `pace=fast` benchmark.
    pub meter: RateMeter,
}

impl Server {
    /// An idle server; `fast` sends frames unpaced (benchmark).
    pub const fn new() -> Self {
        const CLIENT: Client = Client {
            rx: [0; RX_LEN],
            len: 0,
            connected: false,
            dialogue: Dialogue::new(60, 0),
            next_sr: 0,
        };
        Server {
            clients: [CLIENT; MAX_CLIENTS],
            out: [0; OUT_LEN],
            timeout_secs: 60,
            fast: false,
            serial: 0,
            meter: RateMeter::new(),
        }
    }

    /// Applies the run-time options.
    pub fn configure(&mut self, timeout_secs: u32, fast: bool, seed: u32) {
        self.timeout_secs = timeout_secs;
        self.fast = fast;
        self.serial = seed;
    }

    /// Clients whose stream is playing.
    pub fn playing(&self) -> usize {
        self.clients
            .iter()
            .filter(|c| c.dialogue.state == State::Playing)
            .count()
    }

    /// One pass: connections, requests, timeouts, RTP and RTCP.
    pub fn poll(&mut self, now_us: u64, net: &mut Net) {
        self.receive_rtcp(now_us, net);
        for i in 0..MAX_CLIENTS {
            self.poll_client(i, now_us, net);
        }
    }

    fn poll_client(&mut self, i: usize, now_us: u64, net: &mut Net) {
        let Some(&handle) = net.tcp.get(i) else {
            return;
        };
        let Server {
            clients,
            out,
            timeout_secs,
            fast,
            serial,
            meter,
        } = self;
        let Some(client) = clients.get_mut(i) else {
            return;
        };
        let socket = net.sockets.get_mut::<tcp::Socket>(handle);
        match socket.state() {
            tcp::State::Established if !client.connected => {
                *serial = serial.wrapping_add(0x9e37_79b9);
                client.connected = true;
                client.len = 0;
                client.dialogue = Dialogue::new(*timeout_secs, *serial);
                defmt::info!(
                    "client {=usize}: connected from {}",
                    i,
                    socket.remote_endpoint()
                );
            }
            tcp::State::CloseWait => socket.close(),
            // FinWait2: our FIN (after a final error response) was acked, so
            // the response arrived; do not wait for a client that never
            // closes its side, free the slot.
            tcp::State::Closed | tcp::State::TimeWait | tcp::State::FinWait2 => {
                if client.connected {
                    defmt::info!("client {=usize}: disconnected", i);
                }
                client.connected = false;
                client.dialogue.reset();
                net.listen(i);
                return;
            }
            _ => {}
        }
        if !client.connected {
            return;
        }
        let peer = socket
            .remote_endpoint()
            .map_or(IpAddress::Ipv4(crate::net::GATEWAY), |e| e.addr);
        // Requests.
        while socket.can_recv() && client.len < RX_LEN {
            let rx = &mut client.rx[client.len..];
            let n = socket.recv_slice(rx).unwrap_or(0);
            if n == 0 {
                break;
            }
            client.len += n;
        }
        loop {
            let mut headers = [Header::EMPTY; RTSP_MAX_HEADERS];
            let (used, after) = match rtsp::parse(&client.rx[..client.len], &mut headers) {
                Ok(Status::Complete((Message::Request(req), used))) => {
                    defmt::debug!(
                        "client {=usize}: {=str} {=str}",
                        i,
                        req.method.as_str(),
                        req.uri
                    );
                    let n = client.dialogue.handle(now_us, peer, &req, out);
                    let _ = socket.send_slice(out.get(..n).unwrap_or_default());
                    (used, After::Keep)
                }
                Ok(Status::Complete((Message::Interleaved(_), used))) => {
                    // RTCP from the client (RR) on the interleaved channel:
                    // a sign of life (RFC 2326 §12.37 via DESIGN.md).
                    client.dialogue.last_seen = now_us;
                    (used, After::Keep)
                }
                Ok(Status::Complete((Message::Response(_), used))) => (used, After::Keep),
                Ok(Status::Partial) if client.len < RX_LEN => break,
                Ok(Status::Partial) => {
                    defmt::warn!("client {=usize}: request over {=usize} bytes", i, RX_LEN);
                    reply_error(out, socket, StatusCode::RequestEntityTooLarge);
                    (client.len, After::Close)
                }
                Err(e) => {
                    defmt::warn!("client {=usize}: malformed request: {}", i, e);
                    reply_error(out, socket, StatusCode::BadRequest);
                    (client.len, After::Close)
                }
            };
            client.rx.copy_within(used.min(client.len)..client.len, 0);
            client.len -= used.min(client.len);
            if after == After::Close {
                client.dialogue.reset();
                socket.close();
                break;
            }
        }
        // Timeout (RFC 2326 §12.37): a silent session stops and is reclaimed.
        if client.dialogue.expired(now_us) {
            defmt::info!("client {=usize}: session timed out", i);
            client.dialogue.reset();
        }
        // Media.
        let fast = *fast;
        let Some(stream) = client.dialogue.stream.as_mut() else {
            return;
        };
        match stream.sink {
            Sink::Interleaved { rtcp: channel, .. } => {
                if socket.send_capacity() - socket.send_queue() > RESPONSE_ROOM {
                    stream.pump_tcp(now_us, fast, socket, meter, RESPONSE_ROOM);
                }
                if stream.is_playing() && now_us >= client.next_sr {
                    client.next_sr = now_us + SR_INTERVAL_US;
                    let mut buf = [0u8; rtcp::SR_LEN];
                    let n = rtcp::sender_report(now_us, stream, &mut buf);
                    if socket.send_capacity() - socket.send_queue() >= n + 4 {
                        let _ = socket.send_slice(&[b'$', channel, (n >> 8) as u8, n as u8]);
                        let _ = socket.send_slice(buf.get(..n).unwrap_or_default());
                    }
                }
            }
            Sink::Udp { rtcp: to, .. } => {
                stream.pump_udp(
                    now_us,
                    fast,
                    net.sockets.get_mut::<udp::Socket>(net.rtp),
                    meter,
                );
                if stream.is_playing() && now_us >= client.next_sr {
                    client.next_sr = now_us + SR_INTERVAL_US;
                    let mut buf = [0u8; rtcp::SR_LEN];
                    let n = rtcp::sender_report(now_us, stream, &mut buf);
                    let sock = net.sockets.get_mut::<udp::Socket>(net.rtcp);
                    let _ = sock.send_slice(buf.get(..n).unwrap_or_default(), to);
                }
            }
        }
    }

    /// RTCP from clients over UDP (receiver reports): a sign of life for the
    /// session whose RTCP address sent it.
    fn receive_rtcp(&mut self, now_us: u64, net: &mut Net) {
        let socket = net.sockets.get_mut::<udp::Socket>(net.rtcp);
        while let Ok((_, meta)) = socket.recv() {
            let from: IpEndpoint = meta.endpoint;
            for c in &mut self.clients {
                if let Some(s) = &c.dialogue.stream {
                    if matches!(s.sink, Sink::Udp { rtcp, .. } if rtcp == from) {
                        c.dialogue.last_seen = now_us;
                    }
                }
            }
        }
    }
}

/// Answers a request that could not be parsed: no CSeq to echo.
fn reply_error(out: &mut [u8], socket: &mut tcp::Socket, status: StatusCode) {
    let n = dialogue::error(out, status, None);
    let _ = socket.send_slice(out.get(..n).unwrap_or_default());
}
