//! Sans-IO RTSP sessions (RFC 2326 Appendix A state machines), in the
//! quinn-proto / str0m shape.
//!
//! A session owns no socket and reads no clock. The host feeds it what
//! arrives and the current time, then drains what it wants to send:
//!
//! ```text
//! loop {
//!     let now = Instant::from_clock(clock.try_now()?);
//!     // 1. input, one message at a time (drain 2. after each call)
//!     match session.handle_input(now, &rx[..n], &mut host)? {
//!         Input::Partial => { /* read more from TCP */ }
//!         Input::Consumed(used) => { rx.drain(..used); }
//!         Input::Rtcp { consumed, .. } => { rx.drain(..consumed); } // already read
//!     }
//!     session.handle_rtcp(now, &rtcp_datagram);      // from the RTCP UDP socket
//!     if session.poll_timeout().is_some_and(|t| t <= now) { session.handle_timeout(now); }
//!     // 2. drain output and events until nothing is left
//!     while let Some(tx) = session.poll_transmit(now, &mut buf)? {
//!         match tx.destination { Destination::Rtsp | Destination::Interleaved { .. } => tcp.write(&buf[..tx.len]),
//!                                Destination::Rtcp { port } => rtcp_socket.send_to(&buf[..tx.len], (peer_ip, port)) }
//!     }
//!     while let Some(ev) = session.poll_event() { log(ev) }
//!     // 3. sleep until input or session.poll_timeout()
//! }
//! ```
//!
//! Rules every host follows:
//! * After **every** `handle_*` call, drain `poll_transmit` until `Ok(None)`
//!   and `poll_event` until `None`. A server session holds one pending
//!   response: `handle_input` refuses new input with
//!   [`Error::TransmitPending`] until it is drained.
//! * Call `handle_timeout(now)` whenever `now >= poll_timeout()`.
//! * `now` never goes backwards.
//! * Buffers for `poll_transmit` hold at least
//!   [`RTSP_MAX_MESSAGE`](crate::limits::RTSP_MAX_MESSAGE) bytes.
//!
//! Panic policy: a panic is a bug, never a reaction to input; every entry
//! point is fed garbage by `core/tests/session_malformed.rs`.

pub mod client;
pub mod digest;
pub mod server;
mod timer;

use core::fmt;
use core::net::SocketAddr;

use crate::rtsp;

pub(crate) use timer::Timers;

/// Where the bytes of one [`Transmit`] go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Destination {
    /// An RTSP message for the RTSP TCP connection.
    Rtsp,
    /// An RTCP compound packet for the peer's RTCP UDP port (RFC 3550 §11),
    /// at the RTSP peer's address, or at the group's address for a server
    /// session whose [`multicast`](server::ServerSession::multicast) is
    /// `Some` (RFC 2326 §12.39).
    Rtcp {
        /// The peer's RTCP port.
        port: u16,
    },
    /// An RTCP packet already framed as `$ channel length` (RFC 2326
    /// §10.12), for the RTSP TCP connection.
    Interleaved {
        /// The interleaved channel.
        channel: u8,
    },
}

/// One datagram or TCP write produced by `poll_transmit`: the first `len`
/// bytes of the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Transmit {
    /// Where to send it.
    pub destination: Destination,
    /// How many bytes of the buffer to send.
    pub len: usize,
}

/// What a server session's `handle_input` did with the bytes it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Input<'a> {
    /// The bytes end inside a message: read more and call again with the
    /// whole (extended) buffer.
    Partial,
    /// One message (or an interleaved frame on no channel of ours) was
    /// used: drop this many bytes.
    Consumed(usize),
    /// Interleaved RTCP from the client on the session's RTCP channel
    /// (RFC 2326 §10.12), already read as by `handle_rtcp` (liveness,
    /// receiver reports); the packet is there for the host's log or
    /// capture. Drop `consumed` bytes.
    Rtcp {
        /// Bytes to drop from the input.
        consumed: usize,
        /// The RTCP compound packet (RFC 3550 §6.1).
        packet: &'a [u8],
    },
    /// Interleaved RTP from a publisher on its session's RTP channel
    /// (RFC 2326 §10.11, §10.12), for the host's depacketizer. Drop
    /// `consumed` bytes.
    Rtp {
        /// Bytes to drop from the input.
        consumed: usize,
        /// The RTP packet (RFC 3550 §5.1).
        packet: &'a [u8],
    },
}

/// How media flows for a set-up session (RFC 2326 §12.39).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MediaTransport {
    /// RTP/AVP over UDP, unicast to the RTSP peer's address.
    Udp {
        /// Client RTP/RTCP ports.
        client: rtsp::header::PortPair,
        /// Server RTP/RTCP ports.
        server: rtsp::header::PortPair,
    },
    /// RTP/AVP/TCP, interleaved on the RTSP connection.
    Interleaved {
        /// Channels for RTP and RTCP.
        channels: rtsp::header::ChannelPair,
    },
}

/// Where a server session's media goes, resolved to addresses (RFC 2326
/// §12.39): the one destination type every host sends RTP and RTCP by,
/// from [`ServerSession::media_destination`](server::ServerSession::media_destination).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaDestination {
    /// UDP to the RTSP peer's address, or to the session's multicast group
    /// (RFC 2326 §12.39, §10.4).
    Udp {
        /// Where RTP goes.
        rtp: SocketAddr,
        /// Where RTCP goes (RFC 3550 §11: the next port).
        rtcp: SocketAddr,
    },
    /// Interleaved on the RTSP connection (RFC 2326 §10.12).
    Interleaved {
        /// Channel of RTP.
        rtp: u8,
        /// Channel of RTCP.
        rtcp: u8,
    },
}

impl MediaDestination {
    /// Bytes in front of each RTP packet on this destination: the `$`
    /// frame header when interleaved (RFC 2326 §10.12), none over UDP.
    pub const fn framing_len(&self) -> usize {
        match self {
            MediaDestination::Udp { .. } => 0,
            MediaDestination::Interleaved { .. } => rtsp::INTERLEAVED_HEADER_LEN,
        }
    }

    /// Frames an RTP packet for this destination in place: `buf` holds
    /// [`framing_len`](Self::framing_len) free bytes, then the `len`-byte
    /// packet; the framing is written into the free bytes. Returns the
    /// bytes to send, or `None` if the packet is too long to frame (over
    /// 65,535 bytes interleaved) or `buf` too short.
    pub fn frame_rtp(&self, buf: &mut [u8], len: usize) -> Option<usize> {
        let total = self.framing_len().checked_add(len)?;
        if buf.len() < total {
            return None;
        }
        if let MediaDestination::Interleaved { rtp, .. } = *self {
            let header = rtsp::interleaved_header(rtp, len)?;
            buf.get_mut(..rtsp::INTERLEAVED_HEADER_LEN)?
                .copy_from_slice(&header);
        }
        Some(total)
    }

    /// Whether RTP goes to a multicast group.
    pub fn is_multicast(&self) -> bool {
        matches!(self, MediaDestination::Udp { rtp, .. } if rtp.ip().is_multicast())
    }
}

// Manual: `SocketAddr` has no defmt impl; ports and channels say enough.
#[cfg(feature = "defmt")]
impl defmt::Format for MediaDestination {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            MediaDestination::Udp { rtp, rtcp } => {
                defmt::write!(f, "Udp {{ rtp: {}, rtcp: {} }}", rtp.port(), rtcp.port())
            }
            MediaDestination::Interleaved { rtp, rtcp } => {
                defmt::write!(f, "Interleaved {{ rtp: {}, rtcp: {} }}", rtp, rtcp)
            }
        }
    }
}

/// Errors of the session layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The input is not valid RTSP/1.0, or too large to read. A server
    /// session has queued its answer (400, 413 or 505, see
    /// [`ServerSession::handle_input`](server::ServerSession::handle_input)):
    /// drain `poll_transmit`, then close the connection, because the
    /// message boundary is lost.
    Rtsp(rtsp::Error),
    /// A previous response or request is still waiting in `poll_transmit`.
    TransmitPending,
    /// The caller's buffer is too small; the item stays queued.
    BufferTooSmall {
        /// Bytes needed.
        required: usize,
    },
    /// A URL is longer than the session can keep.
    UrlTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// The URL is not an `rtsp://` URL.
    InvalidUrl,
    /// A client request cannot be made in the current state (e.g. PAUSE
    /// before SETUP), or one is already outstanding.
    InvalidState,
}

impl From<rtsp::Error> for Error {
    fn from(e: rtsp::Error) -> Self {
        match e {
            rtsp::Error::BufferTooSmall { required } => Error::BufferTooSmall { required },
            other => Error::Rtsp(other),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Rtsp(e) => write!(f, "bad RTSP input: {e}"),
            Error::TransmitPending => f.write_str("drain poll_transmit before handling more input"),
            Error::BufferTooSmall { required } => {
                write!(f, "transmit buffer too small: {required} bytes needed")
            }
            Error::UrlTooLong { limit } => write!(f, "URL longer than {limit} bytes"),
            Error::InvalidUrl => f.write_str("not an rtsp:// URL"),
            Error::InvalidState => f.write_str("request not valid in this session state"),
        }
    }
}

impl core::error::Error for Error {}

/// Frames per second as a fraction (SDP `a=framerate`, RFC 4566 §6), so
/// 30000/1001 is exact; the same type the SDP module reads and writes.
pub use crate::sdp::Framerate;

/// Writes the compound RTCP packet `packets` (RFC 3550 §6.1) for
/// `transport` into `buf`: as it is for UDP, behind the `$` header on the
/// transport's RTCP channel when interleaved (RFC 2326 §10.12). Both
/// sessions send RTCP through here, so the framing is written once.
pub(crate) fn write_rtcp(
    packets: &[crate::rtcp::Packet<'_>],
    transport: MediaTransport,
    buf: &mut [u8],
) -> Result<usize, Error> {
    let offset = match transport {
        MediaTransport::Interleaved { .. } => rtsp::INTERLEAVED_HEADER_LEN,
        MediaTransport::Udp { .. } => 0,
    };
    let total = offset
        + packets
            .iter()
            .map(crate::rtcp::Packet::buffer_len)
            .sum::<usize>();
    let too_small = Error::BufferTooSmall { required: total };
    let out = buf.get_mut(..total).ok_or(too_small)?;
    let (head, body) = out.split_at_mut(offset);
    crate::rtcp::emit_compound(packets, body).map_err(|_| too_small)?;
    if let MediaTransport::Interleaved { channels } = transport {
        let h =
            rtsp::interleaved_header(channels.rtcp_channel(), total - offset).ok_or(too_small)?;
        head.copy_from_slice(&h);
    }
    Ok(total)
}

/// 90 kHz RTP ticks in `d` (RFC 2435 §3), modulo 2^32 as RTP timestamps are.
pub(crate) fn ticks_90k(d: crate::Duration) -> u32 {
    // u64 micros * 9 / 100 cannot overflow for any Duration below ~65k years.
    (d.as_micros().wrapping_mul(9) / 100) as u32
}
