//! RTP fixed header and sequence arithmetic (RFC 3550 §5).
//!
//! [`Packet`] is a zero-copy view over the bytes of one RTP packet, in the
//! smoltcp style: [`Packet::new_checked`] validates the version, the CSRC
//! list, the header extension and the padding once, after which no accessor
//! panics. [`Repr`] is the fixed header as plain values, with
//! [`Repr::parse`] and [`Repr::emit`]. The payload follows the header; a
//! sender writes it right after the `emit`ted bytes.

pub(crate) mod bytes;
mod payload_type;
mod reorder;
mod seq;

use bytes::{set_u16, set_u32, set_u8, u16_at, u32_at, u8_at};
pub use payload_type::PayloadType;
pub use reorder::ReorderWindow;
pub use seq::{RtpTimestamp, SeqExtender, SeqNo, Ssrc};

use core::fmt;

/// Length of the fixed RTP header, without CSRCs or extension (RFC 3550 §5.1).
pub const HEADER_LEN: usize = 12;

/// The only RTP version (RFC 3550 §5.1: "V ... is two (2)").
pub const VERSION: u8 = 2;

/// Why bytes are not a valid RTP packet, or why a header does not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The packet is shorter than its header says (fixed header, CSRC list
    /// or extension; RFC 3550 §5.1, §5.3.1).
    Truncated {
        /// Bytes the header needs.
        required: usize,
        /// Bytes present.
        actual: usize,
    },
    /// The version field is not 2 (RFC 3550 §5.1).
    BadVersion {
        /// The version found.
        version: u8,
    },
    /// The padding count is zero or longer than the payload (RFC 3550 §5.1
    /// "P", and the validity check of A.1).
    BadPadding {
        /// The padding count found in the last octet.
        padding: u8,
    },
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
                    "RTP packet truncated: header needs {required} bytes, got {actual}"
                )
            }
            Error::BadVersion { version } => write!(f, "RTP version {version}, expected 2"),
            Error::BadPadding { padding } => write!(f, "RTP padding count {padding} is invalid"),
            Error::BufferTooSmall { required } => {
                write!(
                    f,
                    "buffer too small for RTP header: {required} bytes needed"
                )
            }
        }
    }
}

impl core::error::Error for Error {}

/// Byte offsets of the header fields (RFC 3550 §5.1):
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           timestamp                           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           synchronization source (SSRC) identifier            |
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// |            contributing source (CSRC) identifiers             |
/// |                             ....                              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// and of the header extension that follows the CSRCs when X is set
/// (RFC 3550 §5.3.1), relative to its start:
///
/// ```text
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |      defined by profile       |           length              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                        header extension                       |
/// |                             ....                              |
/// ```
mod field {
    /// V (2 bits), P, X, CC (4 bits).
    pub const VPXCC: usize = 0;
    /// M and PT (7 bits).
    pub const MPT: usize = 1;
    pub const SEQUENCE: usize = 2;
    pub const TIMESTAMP: usize = 4;
    pub const SSRC: usize = 8;
    pub const CSRC: usize = 12;
    /// Extension "defined by profile" word, relative to the extension.
    pub const EXT_PROFILE: usize = 0;
    /// Extension length in 32-bit words, relative to the extension.
    pub const EXT_LENGTH: usize = 2;
    pub const EXT_HEADER_LEN: usize = 4;
}

/// A header extension (RFC 3550 §5.3.1), borrowed from the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Extension<'a> {
    /// The 16 bits "defined by profile" (e.g. 0xBEDE for RFC 8285).
    pub profile: u16,
    /// The extension body, a multiple of 4 bytes.
    pub data: &'a [u8],
}

/// A read/write view of an RTP packet (RFC 3550 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` without validation. Accessors never panic, but may read
    /// zeros or an empty payload; use [`Packet::new_checked`] on input.
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps `buffer` and validates it (see [`Packet::check`]).
    pub fn new_checked(buffer: T) -> Result<Packet<T>, Error> {
        let packet = Packet::new_unchecked(buffer);
        packet.check()?;
        Ok(packet)
    }

    /// Checks the version, that the CSRC list and header extension fit, and
    /// that the padding count is at least one and no longer than what follows
    /// the header (RFC 3550 §5.1, §5.3.1 and the validity checks of A.1).
    pub fn check(&self) -> Result<(), Error> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated {
                required: HEADER_LEN,
                actual: len,
            });
        }
        if self.version() != VERSION {
            return Err(Error::BadVersion {
                version: self.version(),
            });
        }
        let header = self.header_len();
        if len < header {
            return Err(Error::Truncated {
                required: header,
                actual: len,
            });
        }
        if self.padding() {
            let count = self.padding_count();
            if count == 0 || usize::from(count) > len - header {
                return Err(Error::BadPadding { padding: count });
            }
        }
        Ok(())
    }

    /// Returns the underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn buf(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The whole packet's bytes (header, payload and padding).
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// V: the version (RFC 3550 §5.1).
    pub fn version(&self) -> u8 {
        u8_at(self.buf(), field::VPXCC) >> 6
    }

    /// P: whether padding octets end the packet (RFC 3550 §5.1).
    pub fn padding(&self) -> bool {
        u8_at(self.buf(), field::VPXCC) & 0x20 != 0
    }

    /// X: whether a header extension follows the CSRCs (RFC 3550 §5.3.1).
    pub fn extension_flag(&self) -> bool {
        u8_at(self.buf(), field::VPXCC) & 0x10 != 0
    }

    /// CC: number of CSRC identifiers (RFC 3550 §5.1).
    pub fn csrc_count(&self) -> u8 {
        u8_at(self.buf(), field::VPXCC) & 0x0f
    }

    /// M: the marker bit; for JPEG, the last packet of a frame (RFC 2435 §3).
    pub fn marker(&self) -> bool {
        u8_at(self.buf(), field::MPT) & 0x80 != 0
    }

    /// PT: the 7-bit payload type (RFC 3550 §5.1).
    pub fn payload_type(&self) -> u8 {
        u8_at(self.buf(), field::MPT) & 0x7f
    }

    /// The sequence number (RFC 3550 §5.1).
    pub fn sequence_number(&self) -> SeqNo {
        SeqNo(u16_at(self.buf(), field::SEQUENCE))
    }

    /// The timestamp (RFC 3550 §5.1).
    pub fn timestamp(&self) -> RtpTimestamp {
        RtpTimestamp(u32_at(self.buf(), field::TIMESTAMP))
    }

    /// The synchronization source (RFC 3550 §5.1).
    pub fn ssrc(&self) -> Ssrc {
        Ssrc(u32_at(self.buf(), field::SSRC))
    }

    /// The `index`th contributing source, if `index < csrc_count()`.
    pub fn csrc(&self, index: usize) -> Option<Ssrc> {
        if index >= usize::from(self.csrc_count()) {
            return None;
        }
        let at = field::CSRC + 4 * index;
        self.buf()
            .get(at..at + 4)
            .map(|_| Ssrc(u32_at(self.buf(), at)))
    }

    /// The contributing sources (RFC 3550 §5.1 "CSRC list").
    pub fn csrcs(&self) -> impl Iterator<Item = Ssrc> + '_ {
        (0..usize::from(self.csrc_count())).filter_map(|i| self.csrc(i))
    }

    fn extension_start(&self) -> usize {
        field::CSRC + 4 * usize::from(self.csrc_count())
    }

    /// The header extension (RFC 3550 §5.3.1), if X is set and it fits.
    pub fn extension(&self) -> Option<Extension<'_>> {
        if !self.extension_flag() {
            return None;
        }
        let start = self.extension_start();
        let words = usize::from(u16_at(self.buf(), start + field::EXT_LENGTH));
        let body = start + field::EXT_HEADER_LEN;
        let data = self.buf().get(body..body + 4 * words)?;
        Some(Extension {
            profile: u16_at(self.buf(), start + field::EXT_PROFILE),
            data,
        })
    }

    /// Length of the whole header: fixed part, CSRCs and extension.
    pub fn header_len(&self) -> usize {
        let start = self.extension_start();
        if self.extension_flag() {
            let words = usize::from(u16_at(self.buf(), start + field::EXT_LENGTH));
            start + field::EXT_HEADER_LEN + 4 * words
        } else {
            start
        }
    }

    /// The padding count: the last octet when P is set, else 0 (RFC 3550 §5.1).
    pub fn padding_count(&self) -> u8 {
        if self.padding() {
            self.buf().last().copied().unwrap_or(0)
        } else {
            0
        }
    }

    /// The payload, with the header before it and the padding after it
    /// removed; empty if the packet is inconsistent.
    pub fn payload(&self) -> &[u8] {
        let buf = self.buf();
        let end = buf.len().saturating_sub(usize::from(self.padding_count()));
        buf.get(self.header_len()..end).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn buf_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    fn set_bits(&mut self, at: usize, mask: u8, value: u8) {
        let old = u8_at(self.buf(), at);
        set_u8(self.buf_mut(), at, (old & !mask) | (value & mask));
    }

    /// Sets V (RFC 3550 §5.1).
    pub fn set_version(&mut self, version: u8) {
        self.set_bits(field::VPXCC, 0xc0, version << 6);
    }

    /// Sets P (RFC 3550 §5.1). The caller writes the padding octets.
    pub fn set_padding(&mut self, padding: bool) {
        self.set_bits(field::VPXCC, 0x20, if padding { 0x20 } else { 0 });
    }

    /// Sets X (RFC 3550 §5.3.1). The caller writes the extension.
    pub fn set_extension_flag(&mut self, extension: bool) {
        self.set_bits(field::VPXCC, 0x10, if extension { 0x10 } else { 0 });
    }

    /// Sets CC (low 4 bits of `count`; RFC 3550 §5.1).
    pub fn set_csrc_count(&mut self, count: u8) {
        self.set_bits(field::VPXCC, 0x0f, count);
    }

    /// Sets M (RFC 3550 §5.1).
    pub fn set_marker(&mut self, marker: bool) {
        self.set_bits(field::MPT, 0x80, if marker { 0x80 } else { 0 });
    }

    /// Sets PT (low 7 bits; RFC 3550 §5.1).
    pub fn set_payload_type(&mut self, payload_type: u8) {
        self.set_bits(field::MPT, 0x7f, payload_type);
    }

    /// Sets the sequence number (RFC 3550 §5.1).
    pub fn set_sequence_number(&mut self, seq: SeqNo) {
        set_u16(self.buf_mut(), field::SEQUENCE, seq.0);
    }

    /// Sets the timestamp (RFC 3550 §5.1).
    pub fn set_timestamp(&mut self, timestamp: RtpTimestamp) {
        set_u32(self.buf_mut(), field::TIMESTAMP, timestamp.0);
    }

    /// Sets the SSRC (RFC 3550 §5.1).
    pub fn set_ssrc(&mut self, ssrc: Ssrc) {
        set_u32(self.buf_mut(), field::SSRC, ssrc.0);
    }

    /// Sets the `index`th CSRC if it is in the buffer (RFC 3550 §5.1).
    pub fn set_csrc(&mut self, index: usize, csrc: Ssrc) {
        if index < crate::limits::RTP_MAX_CSRC {
            set_u32(self.buf_mut(), field::CSRC + 4 * index, csrc.0);
        }
    }

    /// The payload, mutable (padding excluded).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        let end = self
            .buf()
            .len()
            .saturating_sub(usize::from(self.padding_count()));
        self.buf_mut().get_mut(start..end).unwrap_or(&mut [])
    }
}

/// The fixed RTP header as values (RFC 3550 §5.1). `emit` writes version 2
/// with no padding, no extension and no CSRCs, which is all a sender of one
/// JPEG stream needs; `parse` ignores CSRCs and extension (see [`Packet`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Repr {
    /// M (RFC 3550 §5.1; last packet of a JPEG frame, RFC 2435 §3).
    pub marker: bool,
    /// PT, 7 bits (RFC 3550 §5.1; 26 for JPEG). See [`PayloadType`].
    pub payload_type: u8,
    /// Sequence number (RFC 3550 §5.1).
    pub sequence: SeqNo,
    /// Timestamp (RFC 3550 §5.1).
    pub timestamp: RtpTimestamp,
    /// Synchronization source (RFC 3550 §5.1).
    pub ssrc: Ssrc,
}

impl Repr {
    /// Reads the fixed header of a packet; checks it first, so an unchecked
    /// view is fine too.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Repr, Error> {
        packet.check()?;
        Ok(Repr {
            marker: packet.marker(),
            payload_type: packet.payload_type(),
            sequence: packet.sequence_number(),
            timestamp: packet.timestamp(),
            ssrc: packet.ssrc(),
        })
    }

    /// Bytes `emit` writes: [`HEADER_LEN`].
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// The payload type as an enum.
    pub fn payload_type(&self) -> PayloadType {
        PayloadType::from(self.payload_type)
    }

    /// Writes the 12-byte fixed header at the start of `buf` and returns its
    /// length; the payload goes right after it.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let header = buf.get_mut(..HEADER_LEN).ok_or(Error::BufferTooSmall {
            required: HEADER_LEN,
        })?;
        let mut packet = Packet::new_unchecked(header);
        set_u8(packet.buf_mut(), field::VPXCC, VERSION << 6);
        packet.set_marker(self.marker);
        packet.set_payload_type(self.payload_type);
        packet.set_sequence_number(self.sequence);
        packet.set_timestamp(self.timestamp);
        packet.set_ssrc(self.ssrc);
        Ok(HEADER_LEN)
    }
}

#[cfg(test)]
mod tests;
