//! RTCP (RFC 3550 §6): sender and receiver reports, SDES CNAME, BYE, APP,
//! and compound packets.
//!
//! Parsing borrows: [`Compound::new`] iterates the packets of one compound
//! datagram without copying, and [`Compound::validate`] applies the validity
//! checks of RFC 3550 A.2. Each repr (`SenderReport`, `ReceiverReport`,
//! `Sdes`, `Bye`, `App`, `Unknown`) has `buffer_len` and `emit` into
//! `&mut [u8]`, and [`emit_compound`] writes several back to back, as §6.1
//! requires (a report first, then SDES with CNAME, then optionally BYE).
//!
//! Every packet starts with the common header (§6.4.1):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |V=2|P|    RC   |      PT       |             length            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! where length is the packet's size in 32-bit words minus one, header
//! included.

mod bye;
mod ntp;
mod report;
mod sdes;

pub use bye::{App, Bye, Sources, Unknown};
pub use ntp::{dlsr_from_duration, round_trip, NtpTimestamp, NTP_UNIX_OFFSET_SECS};
pub use report::{ReceiverReport, ReportBlock, ReportBlocks, SenderReport, REPORT_BLOCK_LEN};
pub use sdes::{Sdes, SdesChunk, SdesItem, SdesType};

use crate::rtp::bytes::{set_u16, set_u8, u16_at, u8_at};
use core::fmt;

/// Length of the common header (RFC 3550 §6.4.1).
pub const HEADER_LEN: usize = 4;

/// Byte offsets in the common header.
mod field {
    /// V (2 bits), P, RC/SC/subtype (5 bits).
    pub const VPC: usize = 0;
    pub const PT: usize = 1;
    pub const LENGTH: usize = 2;
}

/// Why bytes are not valid RTCP, or why a packet cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// Shorter than a header, length field or count says (RFC 3550 §6.4).
    Truncated {
        /// Bytes needed.
        required: usize,
        /// Bytes present.
        actual: usize,
    },
    /// Version is not 2 (RFC 3550 §6.4.1).
    BadVersion {
        /// The version found.
        version: u8,
    },
    /// Padding count zero or longer than the packet (RFC 3550 §6.4.1 "P").
    BadPadding {
        /// The padding count found.
        padding: u8,
    },
    /// A packet to emit is not a whole number of 32-bit words, or longer
    /// than the 16-bit length field can say.
    BadLength {
        /// Its length in bytes.
        len: usize,
    },
    /// More report blocks or sources than the 5-bit count field holds.
    TooManyItems {
        /// Items given.
        count: usize,
        /// Most allowed.
        max: usize,
    },
    /// An SDES or BYE text longer than allowed.
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// Most allowed.
        max: usize,
    },
    /// A compound packet does not start with an SR or RR (RFC 3550 A.2).
    FirstNotReport {
        /// The first packet's type.
        packet_type: u8,
    },
    /// Padding on the first packet of a compound, or on any but the last
    /// (RFC 3550 A.2).
    PaddingNotLast,
    /// The output buffer is too small.
    BufferTooSmall {
        /// Bytes needed.
        required: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Truncated { required, actual } => {
                write!(
                    f,
                    "RTCP truncated: {required} bytes needed, {actual} present"
                )
            }
            Error::BadVersion { version } => write!(f, "RTCP version {version}, expected 2"),
            Error::BadPadding { padding } => write!(f, "RTCP padding count {padding} is invalid"),
            Error::BadLength { len } => {
                write!(
                    f,
                    "RTCP packet of {len} bytes is not a whole number of 32-bit words"
                )
            }
            Error::TooManyItems { count, max } => {
                write!(
                    f,
                    "{count} RTCP report blocks or sources, at most {max} fit"
                )
            }
            Error::TooLong { len, max } => write!(f, "RTCP text of {len} bytes, at most {max}"),
            Error::FirstNotReport { packet_type } => {
                write!(
                    f,
                    "compound RTCP starts with type {packet_type}, not SR or RR"
                )
            }
            Error::PaddingNotLast => f.write_str("RTCP padding before the last packet"),
            Error::BufferTooSmall { required } => {
                write!(f, "buffer too small for RTCP: {required} bytes needed")
            }
        }
    }
}

impl core::error::Error for Error {}

/// RTCP packet types (RFC 3550 §12.1; others kept as `Unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PacketType {
    /// 200: sender report (§6.4.1).
    SenderReport,
    /// 201: receiver report (§6.4.2).
    ReceiverReport,
    /// 202: source description (§6.5).
    Sdes,
    /// 203: goodbye (§6.6).
    Bye,
    /// 204: application-defined (§6.7).
    App,
    /// Any other value.
    Unknown(u8),
}

impl From<u8> for PacketType {
    fn from(v: u8) -> Self {
        match v {
            200 => PacketType::SenderReport,
            201 => PacketType::ReceiverReport,
            202 => PacketType::Sdes,
            203 => PacketType::Bye,
            204 => PacketType::App,
            v => PacketType::Unknown(v),
        }
    }
}

impl From<PacketType> for u8 {
    fn from(pt: PacketType) -> u8 {
        match pt {
            PacketType::SenderReport => 200,
            PacketType::ReceiverReport => 201,
            PacketType::Sdes => 202,
            PacketType::Bye => 203,
            PacketType::App => 204,
            PacketType::Unknown(v) => v,
        }
    }
}

/// Writes a common header for a packet of `len` bytes (no padding).
pub(crate) fn emit_header(
    out: &mut [u8],
    packet_type: PacketType,
    count: u8,
    len: usize,
) -> Result<(), Error> {
    if count > 31 {
        return Err(Error::TooManyItems {
            count: usize::from(count),
            max: 31,
        });
    }
    let words = u16::try_from(len / 4)
        .ok()
        .filter(|_| len % 4 == 0 && len >= HEADER_LEN)
        .ok_or(Error::BadLength { len })?;
    set_u8(out, field::VPC, (crate::rtp::VERSION << 6) | count);
    set_u8(out, field::PT, packet_type.into());
    set_u16(out, field::LENGTH, words - 1);
    Ok(())
}

/// One RTCP packet of a compound (RFC 3550 §6.4–§6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Packet<'a> {
    /// Sender report.
    Sr(SenderReport<'a>),
    /// Receiver report.
    Rr(ReceiverReport<'a>),
    /// Source description.
    Sdes(Sdes<'a>),
    /// Goodbye.
    Bye(Bye<'a>),
    /// Application-defined.
    App(App<'a>),
    /// Any other type, passed through.
    Unknown(Unknown<'a>),
}

impl<'a> Packet<'a> {
    /// Parses the packet at the start of `buf`; returns it and its length
    /// (from the length field, padding included).
    pub fn parse(buf: &'a [u8]) -> Result<(Packet<'a>, usize), Error> {
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated {
                required: HEADER_LEN,
                actual: buf.len(),
            });
        }
        let first = u8_at(buf, field::VPC);
        let version = first >> 6;
        if version != crate::rtp::VERSION {
            return Err(Error::BadVersion { version });
        }
        let len = (usize::from(u16_at(buf, field::LENGTH)) + 1) * 4;
        let whole = buf.get(..len).ok_or(Error::Truncated {
            required: len,
            actual: buf.len(),
        })?;
        let mut packet = whole;
        if first & 0x20 != 0 {
            let padding = whole.last().copied().unwrap_or(0);
            let keep = len
                .checked_sub(usize::from(padding))
                .filter(|&k| padding != 0 && k >= HEADER_LEN)
                .ok_or(Error::BadPadding { padding })?;
            packet = whole.get(..keep).unwrap_or(whole);
        }
        let count = first & 0x1f;
        let parsed = match PacketType::from(u8_at(buf, field::PT)) {
            PacketType::SenderReport => Packet::Sr(SenderReport::parse(packet, count)?),
            PacketType::ReceiverReport => Packet::Rr(ReceiverReport::parse(packet, count)?),
            PacketType::Sdes => Packet::Sdes(Sdes::parse(packet, count)?),
            PacketType::Bye => Packet::Bye(Bye::parse(packet, count)?),
            PacketType::App => Packet::App(App::parse(packet, count)?),
            PacketType::Unknown(packet_type) => Packet::Unknown(Unknown {
                packet_type,
                count,
                body: packet.get(HEADER_LEN..).unwrap_or(&[]),
            }),
        };
        Ok((parsed, len))
    }

    /// The packet type.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Packet::Sr(_) => PacketType::SenderReport,
            Packet::Rr(_) => PacketType::ReceiverReport,
            Packet::Sdes(_) => PacketType::Sdes,
            Packet::Bye(_) => PacketType::Bye,
            Packet::App(_) => PacketType::App,
            Packet::Unknown(u) => PacketType::from(u.packet_type),
        }
    }

    /// Bytes `emit` writes.
    pub fn buffer_len(&self) -> usize {
        match self {
            Packet::Sr(p) => p.buffer_len(),
            Packet::Rr(p) => p.buffer_len(),
            Packet::Sdes(p) => p.buffer_len(),
            Packet::Bye(p) => p.buffer_len(),
            Packet::App(p) => p.buffer_len(),
            Packet::Unknown(p) => p.buffer_len(),
        }
    }

    /// Writes the packet at the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        match self {
            Packet::Sr(p) => p.emit(buf),
            Packet::Rr(p) => p.emit(buf),
            Packet::Sdes(p) => p.emit(buf),
            Packet::Bye(p) => p.emit(buf),
            Packet::App(p) => p.emit(buf),
            Packet::Unknown(p) => p.emit(buf),
        }
    }
}

/// Writes `packets` back to back as one compound packet (RFC 3550 §6.1);
/// returns the total length. The caller orders them: SR or RR first, then
/// SDES with a CNAME, then BYE if leaving.
pub fn emit_compound(packets: &[Packet<'_>], buf: &mut [u8]) -> Result<usize, Error> {
    let total: usize = packets.iter().map(Packet::buffer_len).sum();
    if buf.len() < total {
        return Err(Error::BufferTooSmall { required: total });
    }
    let mut at = 0;
    for packet in packets {
        let out = buf
            .get_mut(at..)
            .ok_or(Error::BufferTooSmall { required: total })?;
        at += packet.emit(out)?;
    }
    Ok(at)
}

/// The packets of one compound RTCP datagram, in order (RFC 3550 §6.1),
/// borrowed from it. A malformed packet yields one `Err` and ends the
/// iteration, since its length cannot be trusted to find the next one.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Compound<'a> {
    rest: &'a [u8],
}

impl<'a> Compound<'a> {
    /// Iterates the packets in `buf`.
    pub const fn new(buf: &'a [u8]) -> Self {
        Compound { rest: buf }
    }

    /// Applies the RTCP header validity checks of RFC 3550 A.2 to a whole
    /// compound packet: every packet parses with version 2, the first is an
    /// SR or RR without padding, only the last may be padded, and the lengths
    /// add up to the datagram. Returns the number of packets.
    pub fn validate(buf: &'a [u8]) -> Result<usize, Error> {
        let mut count = 0;
        let mut rest = buf;
        while !rest.is_empty() {
            let (packet, len) = Packet::parse(rest)?;
            let padded = u8_at(rest, field::VPC) & 0x20 != 0;
            if count == 0 {
                if !matches!(packet, Packet::Sr(_) | Packet::Rr(_)) {
                    return Err(Error::FirstNotReport {
                        packet_type: u8_at(rest, field::PT),
                    });
                }
                // A.2 masks the P bit into the first word's check: padding
                // belongs on the last packet, and the first never is (the
                // compound must hold an SDES after it, §6.1).
                if padded {
                    return Err(Error::PaddingNotLast);
                }
            }
            if padded && len < rest.len() {
                return Err(Error::PaddingNotLast);
            }
            rest = rest.get(len..).unwrap_or(&[]);
            count += 1;
        }
        if count == 0 {
            return Err(Error::Truncated {
                required: HEADER_LEN,
                actual: 0,
            });
        }
        Ok(count)
    }
}

impl<'a> Iterator for Compound<'a> {
    type Item = Result<Packet<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match Packet::parse(self.rest) {
            Ok((packet, len)) => {
                self.rest = self.rest.get(len..).unwrap_or(&[]);
                Some(Ok(packet))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests;
