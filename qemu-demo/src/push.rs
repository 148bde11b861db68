//! Publishing (`--features push`): the firmware sends its flash clip to an
//! RTSP server (RFC 2326 §10.3 ANNOUNCE, §10.11 RECORD) at `PUSH_URL`, read
//! at build time, e.g.
//! `PUSH_URL=rtsp://10.0.2.2:8554/cam cargo run --release --features push`
//! (10.0.2.2 is the host as QEMU's user network shows it to the guest).
//!
//! The dialogue is the core's client session, the one `rtsp-client` and
//! the relays use: OPTIONS, ANNOUNCE with the core's SDP, SETUP
//! `mode=record` over TCP interleaved (RFC 2326 §10.12: one connection,
//! which QEMU's user network carries both ways, where UDP from the host to
//! the guest would need a forwarded port), RECORD, keep-alives at
//! timeout/2. The frames come from the core's `Publisher` (the frame clock
//! the server uses for its clips, looping), cut by `jpeg::Packetizer`
//! straight from flash into the socket ([`Stream::pump_tcp`], as when
//! serving), with RTCP sender reports. When the connection drops or the
//! server refuses, the firmware connects again after [`RETRY_MICROS`].
//! It uses the first RTSP client socket and serves nothing meanwhile.

use core::net::SocketAddrV4;

use rtsp_core::rtp::{RtpTimestamp, SeqNo, Ssrc};
use rtsp_core::session::client::{
    ClientSession, Config, Described, Event, Publisher, PublisherConfig, Received, TransportRequest,
};
use rtsp_core::session::{Destination, Framerate, MediaDestination, MediaTransport};
use rtsp_core::{Duration, Instant};
use smoltcp::socket::tcp;
use static_cell::ConstStaticCell;

use crate::bench::RateMeter;
use crate::clip;
use crate::clock::SysTickClock;
use crate::net::Net;
use crate::stream::Stream;

/// Where to publish (build time: the firmware has no console to ask).
pub const PUSH_URL: &str = env!(
    "PUSH_URL",
    "build with PUSH_URL=rtsp://10.0.2.2:PORT/path (the host as QEMU's user network shows it)"
);
/// Wait before connecting again after the connection ended.
const RETRY_MICROS: u64 = 1_000_000;
/// Our local TCP port (any free one: we are the only client).
const LOCAL_PORT: u16 = 40_554;
/// Bytes of the receive buffer: the longest response (ANNOUNCE's or
/// SETUP's, a few hundred bytes) or interleaved RTCP from the server.
const RX_LEN: usize = 1024;
/// Bytes of the transmit buffer: the longest request (ANNOUNCE with its
/// SDP, about 450 bytes) or RTCP.
const OUT_LEN: usize = 1024;
/// TCP send-buffer room kept free of RTP for requests.
const REQUEST_ROOM: usize = 768;

static RX_BUF: ConstStaticCell<[u8; RX_LEN]> = ConstStaticCell::new([0; RX_LEN]);
static OUT_BUF: ConstStaticCell<[u8; OUT_LEN]> = ConstStaticCell::new([0; OUT_LEN]);

/// The server's address from `PUSH_URL` (an IPv4 literal, as QEMU's user
/// network names the host; port 554 when none is given, RFC 2326 §3.2).
fn target() -> Option<SocketAddrV4> {
    let rest = PUSH_URL.strip_prefix("rtsp://")?;
    let authority = rest.split('/').next()?;
    match authority.split_once(':') {
        Some(_) => authority.parse().ok(),
        None => Some(SocketAddrV4::new(authority.parse().ok()?, 554)),
    }
}

/// One publishing connection's state.
struct Pusher {
    session: ClientSession,
    publisher: Publisher,
    stream: Option<Stream>,
    rx: &'static mut [u8; RX_LEN],
    len: usize,
    out: &'static mut [u8; OUT_LEN],
    /// ANNOUNCE asked for on this connection.
    started: bool,
    meter: RateMeter,
}

/// Why a connection is given up.
#[derive(Debug, defmt::Format)]
enum Stop {
    /// The server answered a request with this status.
    Refused(u16),
    /// The server's bytes could not be read, or ours not written.
    Broken,
    /// The server ended the session (RTCP BYE or TEARDOWN).
    Ended,
}

impl Pusher {
    fn new(
        seed: u32,
        summary: &clip::Summary,
        rx: &'static mut [u8; RX_LEN],
        out: &'static mut [u8; OUT_LEN],
    ) -> Pusher {
        Pusher {
            session: new_session(seed),
            publisher: new_publisher(seed, summary),
            stream: None,
            rx,
            len: 0,
            out,
            started: false,
            meter: RateMeter::new(),
        }
    }

    /// A fresh session and publisher for the next connection.
    fn reset(&mut self, seed: u32, summary: &clip::Summary) {
        self.session = new_session(seed);
        self.publisher = new_publisher(seed, summary);
        self.stream = None;
        self.len = 0;
        self.started = false;
    }

    /// Runs the session over the connected `socket`: input, timers,
    /// requests, events, RTCP, then frames (the sans-IO call order).
    fn step(
        &mut self,
        now_us: u64,
        summary: &clip::Summary,
        socket: &mut tcp::Socket,
    ) -> Result<(), Stop> {
        let now = Instant::from_micros(now_us);
        if !self.started {
            let stream = Described::jpeg(summary.width, summary.height, Framerate::fps(clip::FPS));
            self.session.record(now, stream).map_err(|_| Stop::Broken)?;
            self.started = true;
        }
        self.read(now, socket)?;
        if self.session.poll_timeout().is_some_and(|t| t <= now) {
            self.session.handle_timeout(now);
        }
        while let Some(ev) = self.session.poll_event() {
            match ev {
                Event::Recording => {
                    let Some(MediaTransport::Interleaved { channels }) =
                        self.session.media_transport()
                    else {
                        return Err(Stop::Broken);
                    };
                    defmt::info!("push: recording to {=str}", PUSH_URL);
                    self.publisher.start(now);
                    self.stream = Some(Stream::new(MediaDestination::Interleaved {
                        rtp: channels.rtp,
                        rtcp: channels.rtcp_channel(),
                    }));
                }
                Event::Error { status, .. } => return Err(Stop::Refused(status.as_u16())),
                Event::ServerBye | Event::TornDown => return Err(Stop::Ended),
                _ => {}
            }
        }
        // Requests and keep-alives, then our sender reports.
        loop {
            let session = self.session.poll_transmit(now, &mut self.out[..], &mut ());
            let t = match (
                session.map_err(|_| Stop::Broken)?,
                self.session.media_transport(),
            ) {
                (Some(t), _) => t,
                (None, Some(transport)) => {
                    let rtcp = self
                        .publisher
                        .poll_transmit(now, transport, &mut self.out[..]);
                    match rtcp.map_err(|_| Stop::Broken)? {
                        Some(t) => t,
                        None => break,
                    }
                }
                (None, None) => break,
            };
            send(
                socket,
                t.destination,
                self.out.get(..t.len).unwrap_or_default(),
            )?;
        }
        if let Some(stream) = self.stream.as_mut() {
            stream.pump_tcp(
                now_us,
                false,
                &mut self.publisher,
                socket,
                &mut self.meter,
                REQUEST_ROOM,
            );
        }
        Ok(())
    }

    /// Reads what the server sent: responses to the session, its RTCP
    /// receiver reports to the publisher.
    fn read(&mut self, now: Instant, socket: &mut tcp::Socket) -> Result<(), Stop> {
        if socket.can_recv() {
            let free = self.rx.get_mut(self.len..).unwrap_or_default();
            self.len += socket.recv_slice(free).map_err(|_| Stop::Broken)?;
        }
        let mut start = 0;
        while start < self.len {
            let input = self.rx.get(start..self.len).unwrap_or_default();
            match self.session.handle_input(now, input) {
                Ok(Received::Partial) => break,
                Ok(Received::Rtcp { consumed, packet }) => {
                    if let Some(r) = self.publisher.handle_rtcp(packet) {
                        defmt::debug!(
                            "push: receiver report: {=i32} lost, jitter {=u32}",
                            r.cumulative_lost,
                            r.jitter
                        );
                    }
                    start += consumed;
                }
                Ok(r) => start += r.consumed().unwrap_or(input.len()),
                Err(_) => return Err(Stop::Broken),
            }
        }
        self.rx.copy_within(start..self.len, 0);
        self.len -= start;
        if self.len == RX_LEN {
            // A message longer than any response we expect.
            return Err(Stop::Broken);
        }
        Ok(())
    }
}

/// Writes one request or RTCP packet whole on the connection (the send
/// buffer keeps [`REQUEST_ROOM`] free of RTP for them).
fn send(socket: &mut tcp::Socket, to: Destination, bytes: &[u8]) -> Result<(), Stop> {
    if matches!(to, Destination::Rtcp { .. }) {
        // Only over UDP, which we do not ask for.
        return Ok(());
    }
    match socket.send_slice(bytes) {
        Ok(n) if n == bytes.len() => Ok(()),
        _ => Err(Stop::Broken),
    }
}

/// Publishes forever (connecting again after [`RETRY_MICROS`] whenever the
/// connection ends); never returns.
pub fn run(
    net: &mut Net,
    clock: &SysTickClock,
    summary: clip::Summary,
    seed: u32,
    stats_secs: u32,
) -> ! {
    let Some(server) = target() else {
        defmt::error!("PUSH_URL {=str}: not rtsp://A.B.C.D[:PORT]/path", PUSH_URL);
        crate::exit_failure()
    };
    let mut pusher = Pusher::new(seed, &summary, RX_BUF.take(), OUT_BUF.take());
    defmt::info!(
        "push: publishing to {=str} ({=usize} B of state)",
        PUSH_URL,
        core::mem::size_of::<Pusher>()
    );
    let handle = net.tcp[0];
    net.sockets.get_mut::<tcp::Socket>(handle).abort();
    let mut retry_at = 0u64;
    let mut attempt = 0u16;
    let mut active = false;
    let mut next_stats = clock.micros();
    net.eth.enable_wakeups(crate::clock::TICK_HZ / 1000);
    loop {
        let (now, now_net) = net.poll_clock(clock);
        let socket = net.sockets.get_mut::<tcp::Socket>(handle);
        if !socket.is_open() {
            if active {
                defmt::warn!(
                    "push: connection closed; again in {=u64} ms",
                    RETRY_MICROS / 1000
                );
                active = false;
                retry_at = now + RETRY_MICROS;
                pusher.reset(seed.wrapping_add(u32::from(attempt)), &summary);
            }
            if now >= retry_at {
                attempt = attempt.wrapping_add(1);
                let local = LOCAL_PORT + attempt % 1000;
                let cx = net.iface.context();
                if socket
                    .connect(cx, (*server.ip(), server.port()), local)
                    .is_ok()
                {
                    socket.set_nagle_enabled(false);
                    active = true;
                } else {
                    retry_at = now + RETRY_MICROS;
                }
            }
        } else if socket.may_send() {
            if let Err(why) = pusher.step(now, &summary, socket) {
                defmt::warn!("push: {}", why);
                socket.close();
            }
        }
        if stats_secs > 0 && now >= next_stats {
            next_stats = now + u64::from(stats_secs) * 1_000_000;
            crate::log_stats(usize::from(pusher.stream.is_some()));
        }
        let busy = pusher.stream.as_ref().is_some_and(Stream::busy);
        if !busy && net.idle(now_net) {
            net.eth.sleep();
        }
    }
}

fn new_session(seed: u32) -> ClientSession {
    let config = Config {
        transport: TransportRequest::Tcp,
        user_agent: "qemu-demo",
        ssrc: Ssrc(seed),
        ..Config::default()
    };
    // `target` accepted PUSH_URL; one the session refuses (not ASCII)
    // cannot be published to.
    match ClientSession::new(config, PUSH_URL) {
        Ok(s) => s,
        Err(_) => {
            defmt::error!("PUSH_URL {=str} is not a usable RTSP URL", PUSH_URL);
            crate::exit_failure()
        }
    }
}

fn new_publisher(seed: u32, summary: &clip::Summary) -> Publisher {
    Publisher::new(PublisherConfig {
        framerate: Framerate::fps(clip::FPS),
        frames: Some(summary.frames),
        looping: true,
        ssrc: Ssrc(seed),
        first_seq: SeqNo(seed as u16),
        first_ts: RtpTimestamp(seed.rotate_left(16)),
        report_interval: Duration::from_secs(5),
        cname: "qemu-demo",
        unix_time_at_zero_us: 0,
    })
}
