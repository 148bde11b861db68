//! One client's RTP/JPEG stream: the clip's frames as the core session's
//! frame clock hands them out (or as fast as the stack takes them, for the
//! benchmark), cut into packets
//! by `rtsp_core::jpeg::Packetizer` straight from flash into the socket's
//! buffer (RFC 2435 §3; RFC 3550 §5.1 for the header).
//!
//! Over UDP each packet is written in place into smoltcp's datagram buffer.
//! Over TCP (RFC 2326 §10.12) each goes out as `$`, channel, 16-bit length,
//! packet; a packet is only started when the whole frame-chunk fits in the
//! socket's send buffer, so RTSP responses never land inside one.

use rtsp_core::jpeg::Packetizer;
use rtsp_core::limits::RTP_DEFAULT_MTU;
use rtsp_core::rtp;
use rtsp_core::rtsp::{interleaved_header, INTERLEAVED_HEADER_LEN};
use rtsp_core::session::client::Publisher;
use rtsp_core::session::server::{DueFrame, ServerSession};
use rtsp_core::session::MediaDestination;
use rtsp_core::Instant;
use smoltcp::socket::{tcp, udp};
use smoltcp::wire::IpEndpoint;

use crate::bench::RateMeter;
use crate::clip;

/// Largest RTP packet we send (RTP header included), so that with IP and
/// UDP headers it fits one 1500-byte Ethernet frame.
pub const MTU: usize = RTP_DEFAULT_MTU;
/// Room for one packet's RTP and RFC 2435 headers (with quantization tables)
/// when sending over TCP, where headers and flash payload go out in parts.
const HEADER_SCRATCH: usize = 12 + 8 + 4 + 4 + 2 * 128;

/// `addr` as smoltcp's endpoint; `None` for IPv6, which the firmware does
/// not speak (smoltcp built with `proto-ipv4` only).
pub fn endpoint(addr: core::net::SocketAddr) -> Option<IpEndpoint> {
    match addr {
        core::net::SocketAddr::V4(a) => Some(a.into()),
        core::net::SocketAddr::V6(_) => None,
    }
}

/// Whose frame clock a [`Stream`] follows (the core's, either way): a
/// client's server session when serving, the publisher when publishing.
pub trait FrameSource {
    /// The frame due at `now`, with its RTP header.
    fn poll_frame(&mut self, now: Instant) -> Option<DueFrame>;
    /// When the next frame is due (for `pace=fast`); `None` if unknown.
    fn frame_due(&self) -> Option<Instant>;
    /// The frame went out as `packets` packets of `octets` payload bytes.
    fn on_rtp_sent(&mut self, now: Instant, packets: u16, octets: usize);
}

impl FrameSource for ServerSession {
    fn poll_frame(&mut self, now: Instant) -> Option<DueFrame> {
        ServerSession::poll_frame(self, now)
    }
    fn frame_due(&self) -> Option<Instant> {
        ServerSession::frame_due(self)
    }
    fn on_rtp_sent(&mut self, now: Instant, packets: u16, octets: usize) {
        ServerSession::on_rtp_sent(self, now, packets, octets);
    }
}

impl FrameSource for Publisher {
    fn poll_frame(&mut self, now: Instant) -> Option<DueFrame> {
        Publisher::poll_frame(self, now)
    }
    fn frame_due(&self) -> Option<Instant> {
        None
    }
    fn on_rtp_sent(&mut self, now: Instant, packets: u16, octets: usize) {
        Publisher::on_rtp_sent(self, now, packets, octets);
    }
}

/// The state of one client's stream.
#[derive(Debug)]
pub struct Stream {
    /// Destination of the packets (the session's, chosen by its SETUP).
    pub dest: MediaDestination,
    clip: clip::Frames,
    packetizer: Option<Packetizer<'static>>,
    /// Packets and payload octets of the frame in hand, for `on_rtp_sent`.
    frame_packets: u16,
    frame_octets: usize,
}

impl Stream {
    /// A paused stream to `dest`.
    pub fn new(dest: MediaDestination) -> Self {
        Stream {
            dest,
            clip: clip::Frames::default(),
            packetizer: None,
            frame_packets: 0,
            frame_octets: 0,
        }
    }

    /// Whether a frame is being sent (more packets are due right away).
    pub fn busy(&self) -> bool {
        self.packetizer.is_some()
    }

    /// Starts the frame the session's frame clock hands out as due, if
    /// any (the core's policy for start, seek, pause, lateness and looping);
    /// returns whether a frame is in hand. A frame in hand is finished even
    /// after PAUSE, so receivers never see half a frame. With `fast` (the
    /// `pace=fast` benchmark) every frame counts as due.
    fn frame_in_hand(&mut self, now_us: u64, fast: bool, session: &mut impl FrameSource) -> bool {
        if self.packetizer.is_some() {
            return true;
        }
        let now = Instant::from_micros(now_us);
        let at = match session.frame_due() {
            Some(due) if fast => due.max(now),
            _ => now,
        };
        let Some(due) = session.poll_frame(at) else {
            return false;
        };
        let Some(frame) = self.clip.frame_at(due.index) else {
            defmt::warn!("clip frame {=u32} missing", due.index);
            return false;
        };
        match Packetizer::new(&frame, MTU, due.header) {
            Ok(p) => self.packetizer = Some(p),
            Err(e) => {
                defmt::warn!("frame not packetized: {}", e);
                return false;
            }
        }
        self.frame_packets = 0;
        self.frame_octets = 0;
        true
    }

    /// Books one sent packet; at the end of a frame tells the session
    /// (RFC 3550 §6.4.1 sender counts, next sequence number).
    fn sent(
        &mut self,
        now_us: u64,
        session: &mut impl FrameSource,
        meter: &mut RateMeter,
        payload: usize,
        wire: usize,
    ) {
        self.frame_packets = self.frame_packets.wrapping_add(1);
        self.frame_octets += payload;
        let done = self.packetizer.as_ref().is_none_or(Packetizer::is_done);
        if done {
            self.packetizer = None;
            session.on_rtp_sent(
                Instant::from_micros(now_us),
                self.frame_packets,
                self.frame_octets,
            );
        }
        meter.packet(wire, done);
    }

    /// Sends every packet due at `now_us` that fits into the UDP socket.
    pub fn pump_udp(
        &mut self,
        now_us: u64,
        fast: bool,
        session: &mut impl FrameSource,
        socket: &mut udp::Socket,
        meter: &mut RateMeter,
    ) {
        let MediaDestination::Udp { rtp: to, .. } = self.dest else {
            return;
        };
        let Some(to) = endpoint(to) else {
            return;
        };
        while self.frame_in_hand(now_us, fast, session) {
            let Some(packetizer) = self.packetizer.as_mut() else {
                return;
            };
            let mut result = Ok(None);
            let sent = socket.send_with(MTU, to, |buf| {
                result = packetizer.next_packet(buf);
                // An error or no packet leaves the datagram empty: nothing
                // is queued (checked below before counting).
                match result {
                    Ok(Some(len)) => len,
                    _ => 0,
                }
            });
            match (sent, result) {
                (Ok(_), Ok(Some(len))) => self.sent(
                    now_us,
                    session,
                    meter,
                    len.saturating_sub(rtp::HEADER_LEN),
                    len,
                ),
                (Err(_), _) => return, // socket full: try again after the interface polls
                (Ok(_), _) => {
                    // The packetizer refused (cannot happen with MTU-sized
                    // room): drop the frame rather than loop on it.
                    defmt::warn!("packetizer error, frame dropped");
                    self.packetizer = None;
                    return;
                }
            }
        }
    }

    /// Sends every packet due at `now_us` that fits into the TCP send buffer,
    /// interleaved on the RTSP connection.
    /// `reserve` bytes of the send buffer are left for RTSP responses.
    pub fn pump_tcp(
        &mut self,
        now_us: u64,
        fast: bool,
        session: &mut impl FrameSource,
        socket: &mut tcp::Socket,
        meter: &mut RateMeter,
        reserve: usize,
    ) {
        let MediaDestination::Interleaved { rtp: channel, .. } = self.dest else {
            return;
        };
        let mut header = [0u8; HEADER_SCRATCH];
        while socket.may_send() && self.frame_in_hand(now_us, fast, session) {
            let free = socket.send_capacity() - socket.send_queue();
            if free < INTERLEAVED_HEADER_LEN + MTU + reserve {
                return;
            }
            let Some(packetizer) = self.packetizer.as_mut() else {
                return;
            };
            let parts = match packetizer.next_parts(&mut header) {
                Ok(Some(parts)) => parts,
                _ => {
                    self.packetizer = None;
                    return;
                }
            };
            let len = parts.len();
            // The core writes the `$` framing (RFC 2326 §10.12); a packet
            // of at most MTU bytes always fits its 16-bit length.
            let Some(prefix) = interleaved_header(channel, len) else {
                self.packetizer = None;
                return;
            };
            // `free` covers all three parts, so none is cut short.
            let _ = socket.send_slice(&prefix);
            let _ = socket.send_slice(header.get(..parts.header_len).unwrap_or_default());
            let _ = socket.send_slice(parts.payload);
            self.sent(
                now_us,
                session,
                meter,
                len.saturating_sub(rtp::HEADER_LEN),
                len + INTERLEAVED_HEADER_LEN,
            );
        }
    }
}
