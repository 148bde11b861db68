//! Goodbye (RFC 3550 §6.6), application-defined (§6.7) and unknown RTCP
//! packets (passed through unchanged, §6.1).
//!
//! ```text
//!        0                   1                   2                   3
//!        0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!       |V=2|P|    SC   |   PT=BYE=203  |             length            |
//!       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!       |                           SSRC/CSRC                           |
//!       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!       :                              ...                              :
//!       +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//! (opt) |     length    |               reason for leaving            ...
//!       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!
//!       |V=2|P| subtype |   PT=APP=204  |             length            |
//!       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!       |                           SSRC/CSRC                           |
//!       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!       |                          name (ASCII)                         |
//!       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!       |                   application-dependent data                ...
//! ```

use super::report::put_bytes;
use super::{emit_header, Error, PacketType, HEADER_LEN};
use crate::limits::RTCP_MAX_REPORT_BLOCKS;
use crate::rtp::bytes::{set_u32, set_u8, u32_at};
use crate::rtp::Ssrc;

/// The sources of a BYE: on the wire (parsed) or a caller's slice (to
/// emit). Equality compares the sources.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Sources<'a>(SourcesInner<'a>);

#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum SourcesInner<'a> {
    Wire(&'a [u8]),
    Slice(&'a [Ssrc]),
}

impl<'a> Sources<'a> {
    /// Sources to emit (at most 31, the SC field).
    pub const fn new(sources: &'a [Ssrc]) -> Self {
        Sources(SourcesInner::Slice(sources))
    }

    /// Number of sources.
    pub fn len(&self) -> usize {
        match self.0 {
            SourcesInner::Wire(b) => b.len() / 4,
            SourcesInner::Slice(s) => s.len(),
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sources in order.
    pub fn iter(&self) -> impl Iterator<Item = Ssrc> + 'a {
        let this = *self;
        (0..this.len()).filter_map(move |i| match this.0 {
            SourcesInner::Wire(b) => b.get(4 * i..4 * i + 4).map(|w| Ssrc(u32_at(w, 0))),
            SourcesInner::Slice(s) => s.get(i).copied(),
        })
    }
}

impl PartialEq for Sources<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Sources<'_> {}

/// A BYE packet (RFC 3550 §6.6): the sources leaving and an optional reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Bye<'a> {
    /// The sources leaving.
    pub sources: Sources<'a>,
    /// Reason for leaving (UTF-8 by §6.6, not checked), at most 255 bytes.
    pub reason: Option<&'a [u8]>,
}

impl<'a> Bye<'a> {
    /// A BYE for `sources` with no reason.
    pub const fn new(sources: &'a [Ssrc]) -> Self {
        Bye {
            sources: Sources::new(sources),
            reason: None,
        }
    }

    /// Parses one BYE from `packet` (common header included) with SC `count`.
    pub(crate) fn parse(packet: &'a [u8], count: u8) -> Result<Self, Error> {
        let end = HEADER_LEN + 4 * usize::from(count);
        let ssrcs = packet.get(HEADER_LEN..end).ok_or(Error::Truncated {
            required: end,
            actual: packet.len(),
        })?;
        let rest = packet.get(end..).unwrap_or(&[]);
        let reason = match rest.first() {
            None => None,
            Some(&n) => {
                let need = end + 1 + usize::from(n);
                let text = rest.get(1..1 + usize::from(n)).ok_or(Error::Truncated {
                    required: need,
                    actual: packet.len(),
                })?;
                Some(text)
            }
        };
        Ok(Bye {
            sources: Sources(SourcesInner::Wire(ssrcs)),
            reason,
        })
    }

    /// Bytes `emit` writes.
    pub fn buffer_len(&self) -> usize {
        let reason = self.reason.map_or(0, |r| (1 + r.len()).div_ceil(4) * 4);
        HEADER_LEN + 4 * self.sources.len() + reason
    }

    /// Writes the BYE at the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let count = self.sources.len();
        if count > RTCP_MAX_REPORT_BLOCKS {
            return Err(Error::TooManyItems {
                count,
                max: RTCP_MAX_REPORT_BLOCKS,
            });
        }
        let len = self.buffer_len();
        let out = buf
            .get_mut(..len)
            .ok_or(Error::BufferTooSmall { required: len })?;
        // count <= 31, checked above.
        emit_header(out, PacketType::Bye, u8::try_from(count).unwrap_or(0), len)?;
        for (i, ssrc) in self.sources.iter().enumerate() {
            set_u32(out, HEADER_LEN + 4 * i, ssrc.0);
        }
        if let Some(reason) = self.reason {
            let n = u8::try_from(reason.len()).map_err(|_| Error::TooLong {
                len: reason.len(),
                max: 255,
            })?;
            let at = HEADER_LEN + 4 * count;
            set_u8(out, at, n);
            put_bytes(out, at + 1, reason)?;
            out.get_mut(at + 1 + reason.len()..)
                .unwrap_or(&mut [])
                .fill(0);
        }
        Ok(len)
    }
}

/// An application-defined packet (RFC 3550 §6.7), passed through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct App<'a> {
    /// The 5-bit subtype.
    pub subtype: u8,
    /// The source.
    pub ssrc: Ssrc,
    /// Four ASCII characters naming the application.
    pub name: [u8; 4],
    /// Application data; a multiple of 4 bytes to emit.
    pub data: &'a [u8],
}

impl<'a> App<'a> {
    pub(crate) fn parse(packet: &'a [u8], subtype: u8) -> Result<Self, Error> {
        let head = HEADER_LEN + 8;
        let name = packet
            .get(HEADER_LEN + 4..head)
            .and_then(|n| n.first_chunk::<4>())
            .ok_or(Error::Truncated {
                required: head,
                actual: packet.len(),
            })?;
        Ok(App {
            subtype,
            ssrc: Ssrc(u32_at(packet, HEADER_LEN)),
            name: *name,
            data: packet.get(head..).unwrap_or(&[]),
        })
    }

    /// Bytes `emit` writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + 8 + self.data.len()
    }

    /// Writes the APP packet at the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let len = self.buffer_len();
        let out = buf
            .get_mut(..len)
            .ok_or(Error::BufferTooSmall { required: len })?;
        emit_header(out, PacketType::App, self.subtype, len)?;
        set_u32(out, HEADER_LEN, self.ssrc.0);
        put_bytes(out, HEADER_LEN + 4, &self.name)?;
        put_bytes(out, HEADER_LEN + 8, self.data)?;
        Ok(len)
    }
}

/// An RTCP packet of a type this crate does not interpret (e.g. RTPFB/PSFB
/// of RFC 4585, XR of RFC 3611), kept so it can be passed through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Unknown<'a> {
    /// The packet type octet.
    pub packet_type: u8,
    /// The 5-bit count/format field.
    pub count: u8,
    /// Everything after the 4-byte common header (padding removed); a
    /// multiple of 4 bytes to emit.
    pub body: &'a [u8],
}

impl Unknown<'_> {
    /// Bytes `emit` writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.body.len()
    }

    /// Writes the packet at the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let len = self.buffer_len();
        let out = buf
            .get_mut(..len)
            .ok_or(Error::BufferTooSmall { required: len })?;
        emit_header(out, PacketType::from(self.packet_type), self.count, len)?;
        put_bytes(out, HEADER_LEN, self.body)?;
        Ok(len)
    }
}
