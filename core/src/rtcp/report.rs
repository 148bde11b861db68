//! Sender and receiver reports (RFC 3550 §6.4.1, §6.4.2).
//!
//! ```text
//!         0                   1                   2                   3
//!         0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! header |V=2|P|    RC   |   PT=SR=200   |             length            |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |                         SSRC of sender                        |
//!        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//! sender |              NTP timestamp, most significant word             |
//! info   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |             NTP timestamp, least significant word             |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |                         RTP timestamp                         |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |                     sender's packet count                     |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |                      sender's octet count                     |
//!        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//! report |                 SSRC_1 (SSRC of first source)                 |
//! block  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!   1    | fraction lost |       cumulative number of packets lost       |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |           extended highest sequence number received           |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |                      interarrival jitter                      |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |                         last SR (LSR)                         |
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |                   delay since last SR (DLSR)                  |
//!        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//! ```
//!
//! An RR (PT=201) is the same without the sender info.

use super::{emit_header, Error, NtpTimestamp, PacketType, HEADER_LEN};
use crate::limits::RTCP_MAX_REPORT_BLOCKS;
use crate::rtp::bytes::{put, set_u24, set_u32, set_u8, u24_at, u32_at, u8_at};
use crate::rtp::{RtpTimestamp, Ssrc};

/// Offsets of the fields after the common header and sender SSRC.
mod field {
    pub const SSRC: usize = 4;
    pub const NTP: usize = 8;
    pub const RTP_TS: usize = 16;
    pub const PACKETS: usize = 20;
    pub const OCTETS: usize = 24;
    /// Where report blocks start in an SR and in an RR.
    pub const SR_BLOCKS: usize = 28;
    pub const RR_BLOCKS: usize = 8;
    /// Offsets inside one report block.
    pub const B_SSRC: usize = 0;
    pub const B_FRACTION: usize = 4;
    pub const B_LOST: usize = 5;
    pub const B_HIGHEST: usize = 8;
    pub const B_JITTER: usize = 12;
    pub const B_LSR: usize = 16;
    pub const B_DLSR: usize = 20;
}

/// Length of one report block (RFC 3550 §6.4.1).
pub const REPORT_BLOCK_LEN: usize = 24;

/// Largest and smallest values of the signed 24-bit "cumulative number of
/// packets lost" (RFC 3550 §6.4.1: clamp rather than wrap).
const LOST_MAX: i32 = 0x7f_ffff;
const LOST_MIN: i32 = -0x80_0000;

/// One reception report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReportBlock {
    /// SSRC_n, the source this block reports on.
    pub ssrc: Ssrc,
    /// Fraction of packets lost since the last report, in 1/256 (A.3).
    pub fraction_lost: u8,
    /// Cumulative packets lost, signed 24 bits (negative with duplicates);
    /// `emit` clamps it to that range.
    pub cumulative_lost: i32,
    /// Extended highest sequence number received (cycles << 16 | max_seq).
    pub highest_seq: u32,
    /// Interarrival jitter in RTP timestamp units (A.8).
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR (0 if none).
    pub last_sr: u32,
    /// Delay since that SR, in 1/65536 s (0 if none).
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    fn parse(bytes: &[u8]) -> ReportBlock {
        // Sign-extend the 24-bit two's complement count.
        let lost = u24_at(bytes, field::B_LOST);
        let cumulative_lost = ((lost << 8) as i32) >> 8;
        ReportBlock {
            ssrc: Ssrc(u32_at(bytes, field::B_SSRC)),
            fraction_lost: u8_at(bytes, field::B_FRACTION),
            cumulative_lost,
            highest_seq: u32_at(bytes, field::B_HIGHEST),
            jitter: u32_at(bytes, field::B_JITTER),
            last_sr: u32_at(bytes, field::B_LSR),
            delay_since_last_sr: u32_at(bytes, field::B_DLSR),
        }
    }

    fn emit(&self, block: &mut [u8]) {
        set_u32(block, field::B_SSRC, self.ssrc.0);
        set_u8(block, field::B_FRACTION, self.fraction_lost);
        // Two's complement in 24 bits: the mask keeps the low bits.
        let lost = self.cumulative_lost.clamp(LOST_MIN, LOST_MAX) as u32 & 0xff_ffff;
        set_u24(block, field::B_LOST, lost);
        set_u32(block, field::B_HIGHEST, self.highest_seq);
        set_u32(block, field::B_JITTER, self.jitter);
        set_u32(block, field::B_LSR, self.last_sr);
        set_u32(block, field::B_DLSR, self.delay_since_last_sr);
    }
}

/// The report blocks of an SR or RR: either still on the wire (parsed, no
/// copy) or a caller's slice (to emit). Equality compares the blocks.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReportBlocks<'a>(Blocks<'a>);

#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Blocks<'a> {
    Wire(&'a [u8]),
    Slice(&'a [ReportBlock]),
}

impl<'a> ReportBlocks<'a> {
    /// Blocks to emit. At most [`RTCP_MAX_REPORT_BLOCKS`] fit the RC field.
    pub const fn new(blocks: &'a [ReportBlock]) -> Self {
        ReportBlocks(Blocks::Slice(blocks))
    }

    /// No blocks (an SR from a sender that receives nothing).
    pub const fn empty() -> Self {
        ReportBlocks(Blocks::Slice(&[]))
    }

    /// Number of blocks.
    pub fn len(&self) -> usize {
        match self.0 {
            Blocks::Wire(b) => b.len() / REPORT_BLOCK_LEN,
            Blocks::Slice(s) => s.len(),
        }
    }

    /// Whether there is no block.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `index`th block.
    pub fn get(&self, index: usize) -> Option<ReportBlock> {
        match self.0 {
            Blocks::Wire(b) => b
                .chunks_exact(REPORT_BLOCK_LEN)
                .nth(index)
                .map(ReportBlock::parse),
            Blocks::Slice(s) => s.get(index).copied(),
        }
    }

    /// The blocks in order.
    pub fn iter(&self) -> impl Iterator<Item = ReportBlock> + 'a {
        let this = *self;
        (0..this.len()).filter_map(move |i| this.get(i))
    }

    fn emit(&self, buf: &mut [u8]) {
        for (block, chunk) in self.iter().zip(buf.chunks_exact_mut(REPORT_BLOCK_LEN)) {
            block.emit(chunk);
        }
    }

    fn count(&self) -> Result<u8, Error> {
        let n = self.len();
        if n > RTCP_MAX_REPORT_BLOCKS {
            return Err(Error::TooManyItems {
                count: n,
                max: RTCP_MAX_REPORT_BLOCKS,
            });
        }
        // n <= 31, checked above.
        Ok(u8::try_from(n).unwrap_or(0))
    }
}

impl PartialEq for ReportBlocks<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for ReportBlocks<'_> {}

/// Takes the `count` report blocks starting at `at` from `body` (header
/// included), checking they fit.
fn blocks_at(body: &[u8], at: usize, count: u8) -> Result<ReportBlocks<'_>, Error> {
    let len = usize::from(count) * REPORT_BLOCK_LEN;
    let end = at + len;
    let bytes = body.get(at..end).ok_or(Error::Truncated {
        required: end,
        actual: body.len(),
    })?;
    Ok(ReportBlocks(Blocks::Wire(bytes)))
}

/// A sender report (RFC 3550 §6.4.1, PT=200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SenderReport<'a> {
    /// SSRC of the sender.
    pub ssrc: Ssrc,
    /// Wall-clock time when this report was sent.
    pub ntp_timestamp: NtpTimestamp,
    /// The same instant in the stream's RTP clock (for lip sync and the
    /// receiver's RTP↔wall-clock mapping).
    pub rtp_timestamp: RtpTimestamp,
    /// RTP data packets sent since the start (wraps at 2^32).
    pub packet_count: u32,
    /// RTP payload octets sent since the start (wraps at 2^32).
    pub octet_count: u32,
    /// Reception reports, if the sender also receives.
    pub reports: ReportBlocks<'a>,
}

impl<'a> SenderReport<'a> {
    /// Parses one SR from `packet` (common header included, padding already
    /// excluded) whose RC is `count`.
    pub(crate) fn parse(packet: &'a [u8], count: u8) -> Result<Self, Error> {
        if packet.len() < field::SR_BLOCKS {
            return Err(Error::Truncated {
                required: field::SR_BLOCKS,
                actual: packet.len(),
            });
        }
        let ntp = (u64::from(u32_at(packet, field::NTP)) << 32)
            | u64::from(u32_at(packet, field::NTP + 4));
        Ok(SenderReport {
            ssrc: Ssrc(u32_at(packet, field::SSRC)),
            ntp_timestamp: NtpTimestamp(ntp),
            rtp_timestamp: RtpTimestamp(u32_at(packet, field::RTP_TS)),
            packet_count: u32_at(packet, field::PACKETS),
            octet_count: u32_at(packet, field::OCTETS),
            reports: blocks_at(packet, field::SR_BLOCKS, count)?,
        })
    }

    /// Bytes `emit` writes.
    pub fn buffer_len(&self) -> usize {
        field::SR_BLOCKS + self.reports.len() * REPORT_BLOCK_LEN
    }

    /// Writes the SR at the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let len = self.buffer_len();
        let out = buf
            .get_mut(..len)
            .ok_or(Error::BufferTooSmall { required: len })?;
        emit_header(out, PacketType::SenderReport, self.reports.count()?, len)?;
        set_u32(out, field::SSRC, self.ssrc.0);
        // The high word, then the low word (truncation keeps each half).
        set_u32(out, field::NTP, (self.ntp_timestamp.0 >> 32) as u32);
        set_u32(out, field::NTP + 4, self.ntp_timestamp.0 as u32);
        set_u32(out, field::RTP_TS, self.rtp_timestamp.0);
        set_u32(out, field::PACKETS, self.packet_count);
        set_u32(out, field::OCTETS, self.octet_count);
        self.reports
            .emit(out.get_mut(field::SR_BLOCKS..).unwrap_or(&mut []));
        Ok(len)
    }
}

/// A receiver report (RFC 3550 §6.4.2, PT=201).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReceiverReport<'a> {
    /// SSRC of the packet sender (the receiver writing the report).
    pub ssrc: Ssrc,
    /// Reception reports, one per source heard.
    pub reports: ReportBlocks<'a>,
}

impl<'a> ReceiverReport<'a> {
    /// Parses one RR from `packet` (common header included) whose RC is
    /// `count`.
    pub(crate) fn parse(packet: &'a [u8], count: u8) -> Result<Self, Error> {
        if packet.len() < field::RR_BLOCKS {
            return Err(Error::Truncated {
                required: field::RR_BLOCKS,
                actual: packet.len(),
            });
        }
        Ok(ReceiverReport {
            ssrc: Ssrc(u32_at(packet, field::SSRC)),
            reports: blocks_at(packet, field::RR_BLOCKS, count)?,
        })
    }

    /// Bytes `emit` writes.
    pub fn buffer_len(&self) -> usize {
        field::RR_BLOCKS + self.reports.len() * REPORT_BLOCK_LEN
    }

    /// Writes the RR at the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let len = self.buffer_len();
        let out = buf
            .get_mut(..len)
            .ok_or(Error::BufferTooSmall { required: len })?;
        emit_header(out, PacketType::ReceiverReport, self.reports.count()?, len)?;
        set_u32(out, field::SSRC, self.ssrc.0);
        self.reports
            .emit(out.get_mut(field::RR_BLOCKS..).unwrap_or(&mut []));
        Ok(len)
    }
}

// The header length is shared with the other RTCP packet types.
const _: () = assert!(HEADER_LEN == field::SSRC);

/// Copies raw bytes into `buf` at `at` (used by pass-through packets).
pub(crate) fn put_bytes(buf: &mut [u8], at: usize, src: &[u8]) -> Result<(), Error> {
    put(buf, at, src).map_err(|required| Error::BufferTooSmall { required })
}
