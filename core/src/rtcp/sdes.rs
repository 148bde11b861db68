//! Source description, SDES (RFC 3550 §6.5), with CNAME (§6.5.1).
//!
//! ```text
//!         0                   1                   2                   3
//!         0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! header |V=2|P|    SC   |  PT=SDES=202  |             length            |
//!        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//! chunk  |                          SSRC/CSRC_1                          |
//!   1    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!        |                           SDES items                          |
//!        |                              ...                              |
//!        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//!
//!        |    CNAME=1    |     length    | user and domain name        ...
//! ```
//!
//! Each chunk's item list ends with one or more zero octets up to the next
//! 32-bit boundary (§6.5).

use super::report::put_bytes;
use super::{emit_header, Error, PacketType, HEADER_LEN};
use crate::limits::RTCP_CNAME_MAX;
use crate::rtp::bytes::{set_u32, u32_at, u8_at};
use crate::rtp::Ssrc;

/// SDES item types (RFC 3550 §6.5 and §12.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SdesType {
    /// 1: canonical end-point identifier (§6.5.1).
    Cname,
    /// 2: user name (§6.5.2).
    Name,
    /// 3: e-mail address (§6.5.3).
    Email,
    /// 4: phone number (§6.5.4).
    Phone,
    /// 5: geographic location (§6.5.5).
    Loc,
    /// 6: application or tool name (§6.5.6).
    Tool,
    /// 7: notice/status (§6.5.7).
    Note,
    /// 8: private extensions (§6.5.8).
    Priv,
    /// Any other non-zero type.
    Unknown(u8),
}

impl From<u8> for SdesType {
    fn from(v: u8) -> Self {
        match v {
            1 => SdesType::Cname,
            2 => SdesType::Name,
            3 => SdesType::Email,
            4 => SdesType::Phone,
            5 => SdesType::Loc,
            6 => SdesType::Tool,
            7 => SdesType::Note,
            8 => SdesType::Priv,
            v => SdesType::Unknown(v),
        }
    }
}

/// One SDES item (RFC 3550 §6.5), borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SdesItem<'a> {
    /// Item type.
    pub kind: SdesType,
    /// Item text (UTF-8 by §6.5, not checked here).
    pub value: &'a [u8],
}

/// One SDES chunk: a source and its items (RFC 3550 §6.5). Equality
/// compares the source and the items.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SdesChunk<'a> {
    /// The source described.
    pub ssrc: Ssrc,
    items: Items<'a>,
}

#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Items<'a> {
    /// Raw items, up to (not including) the terminating zero octet.
    Wire(&'a [u8]),
    /// A single CNAME item built to emit.
    Cname(&'a [u8]),
}

impl<'a> SdesChunk<'a> {
    /// The chunk's items in order.
    pub fn items(&self) -> impl Iterator<Item = SdesItem<'a>> + 'a {
        let (mut rest, mut single) = match self.items {
            Items::Wire(raw) => (raw, None),
            Items::Cname(value) => (
                &[][..],
                Some(SdesItem {
                    kind: SdesType::Cname,
                    value,
                }),
            ),
        };
        core::iter::from_fn(move || {
            if let Some(item) = single.take() {
                return Some(item);
            }
            let (item, len) = item_at(rest)?;
            rest = rest.get(len..).unwrap_or(&[]);
            Some(item)
        })
    }

    /// The CNAME item's text, if present.
    pub fn cname(&self) -> Option<&'a [u8]> {
        self.items()
            .find(|i| i.kind == SdesType::Cname)
            .map(|i| i.value)
    }
}

impl PartialEq for SdesChunk<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.ssrc == other.ssrc && self.items().eq(other.items())
    }
}

impl Eq for SdesChunk<'_> {}

/// Reads the item at the start of `bytes`: `None` at the end marker (a zero
/// type octet) or if it does not fit; else the item and its length.
fn item_at(bytes: &[u8]) -> Option<(SdesItem<'_>, usize)> {
    let kind = *bytes.first()?;
    if kind == 0 {
        return None;
    }
    let len = usize::from(*bytes.get(1)?);
    let value = bytes.get(2..2 + len)?;
    Some((
        SdesItem {
            kind: SdesType::from(kind),
            value,
        },
        2 + len,
    ))
}

/// Splits one chunk off `bytes` (which start 32-bit aligned): the chunk and
/// its whole length including the terminator and alignment padding.
fn chunk_at(bytes: &[u8]) -> Result<(SdesChunk<'_>, usize), Error> {
    if bytes.len() < 4 {
        return Err(Error::Truncated {
            required: 4,
            actual: bytes.len(),
        });
    }
    let mut at = 4;
    while let Some((_, len)) = bytes.get(at..).and_then(item_at) {
        at += len;
    }
    // Here bytes[at] must be the zero terminator; anything else means an
    // item ran past the end.
    if u8_at(bytes, at) != 0 || at >= bytes.len() {
        return Err(Error::Truncated {
            required: at + 1,
            actual: bytes.len(),
        });
    }
    let items = bytes.get(4..at).unwrap_or(&[]);
    // Terminator plus zero octets up to the next multiple of 4.
    let end = (at / 4 + 1) * 4;
    if end > bytes.len() {
        return Err(Error::Truncated {
            required: end,
            actual: bytes.len(),
        });
    }
    Ok((
        SdesChunk {
            ssrc: Ssrc(u32_at(bytes, 0)),
            items: Items::Wire(items),
        },
        end,
    ))
}

/// An SDES packet (RFC 3550 §6.5): parsed from the wire (any chunks and
/// items, no copy) or built with [`Sdes::cname`] to emit.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Sdes<'a>(Inner<'a>);

impl PartialEq for Sdes<'_> {
    /// Compares the chunks, however each side was made.
    fn eq(&self, other: &Self) -> bool {
        self.chunks().eq(other.chunks())
    }
}

impl Eq for Sdes<'_> {}

#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Inner<'a> {
    /// Chunks after the common header, validated, and their count.
    Wire(&'a [u8], u8),
    Cname(Ssrc, &'a [u8]),
}

impl<'a> Sdes<'a> {
    /// An SDES with one chunk carrying `cname` for `ssrc`, as every compound
    /// packet must (RFC 3550 §6.1, §6.5.1).
    pub const fn cname(ssrc: Ssrc, cname: &'a str) -> Self {
        Sdes(Inner::Cname(ssrc, cname.as_bytes()))
    }

    /// Parses one SDES from `packet` (common header included) with SC `count`.
    pub(crate) fn parse(packet: &'a [u8], count: u8) -> Result<Self, Error> {
        let body = packet.get(HEADER_LEN..).unwrap_or(&[]);
        let mut rest = body;
        for _ in 0..count {
            let (_, len) = chunk_at(rest)?;
            rest = rest.get(len..).unwrap_or(&[]);
        }
        let used = body.len() - rest.len();
        Ok(Sdes(Inner::Wire(body.get(..used).unwrap_or(&[]), count)))
    }

    /// The chunks in order.
    pub fn chunks(&self) -> impl Iterator<Item = SdesChunk<'a>> + 'a {
        let (mut rest, mut left, mut single) = match self.0 {
            Inner::Wire(body, count) => (body, count, None),
            Inner::Cname(ssrc, cname) => (
                &[][..],
                0,
                Some(SdesChunk {
                    ssrc,
                    items: Items::Cname(cname),
                }),
            ),
        };
        core::iter::from_fn(move || {
            if let Some(chunk) = single.take() {
                return Some(chunk);
            }
            if left == 0 {
                return None;
            }
            left -= 1;
            // Validated by `parse`, so this does not fail on wire bytes.
            let (chunk, len) = chunk_at(rest).ok()?;
            rest = rest.get(len..).unwrap_or(&[]);
            Some(chunk)
        })
    }

    /// The first CNAME and its source (RFC 3550 §6.5.1).
    pub fn first_cname(&self) -> Option<(Ssrc, &'a [u8])> {
        match self.0 {
            Inner::Cname(ssrc, cname) => Some((ssrc, cname)),
            Inner::Wire(..) => self.chunks().find_map(|c| Some((c.ssrc, c.cname()?))),
        }
    }

    /// Bytes `emit` writes.
    pub fn buffer_len(&self) -> usize {
        match self.0 {
            Inner::Wire(body, _) => HEADER_LEN + body.len(),
            // SSRC, type, length, text, then 1–4 zero octets to align.
            Inner::Cname(_, cname) => HEADER_LEN + 4 + ((2 + cname.len()) / 4 + 1) * 4,
        }
    }

    /// Writes the SDES at the start of `buf`; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let len = self.buffer_len();
        let out = buf
            .get_mut(..len)
            .ok_or(Error::BufferTooSmall { required: len })?;
        match self.0 {
            Inner::Wire(body, count) => {
                emit_header(out, PacketType::Sdes, count, len)?;
                put_bytes(out, HEADER_LEN, body)?;
            }
            Inner::Cname(ssrc, cname) => {
                if cname.len() > RTCP_CNAME_MAX {
                    return Err(Error::TooLong {
                        len: cname.len(),
                        max: RTCP_CNAME_MAX,
                    });
                }
                emit_header(out, PacketType::Sdes, 1, len)?;
                set_u32(out, HEADER_LEN, ssrc.0);
                // cname.len() <= RTCP_CNAME_MAX < 256, checked above.
                let n = u8::try_from(cname.len()).unwrap_or(u8::MAX);
                put_bytes(out, HEADER_LEN + 4, &[1, n])?;
                put_bytes(out, HEADER_LEN + 6, cname)?;
                out.get_mut(HEADER_LEN + 6 + cname.len()..)
                    .unwrap_or(&mut [])
                    .fill(0);
            }
        }
        Ok(len)
    }
}
