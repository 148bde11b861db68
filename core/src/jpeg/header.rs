//! The RTP/JPEG payload headers (RFC 2435 §3.1): the main JPEG header, the
//! restart marker header and the quantization table header.

use super::Error;

mod field {
    pub type Field = core::ops::Range<usize>;
    // Main JPEG header, RFC 2435 §3.1:
    //  0                   1                   2                   3
    //  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // | Type-specific |              Fragment Offset                  |
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |      Type     |       Q       |     Width     |     Height    |
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    pub const TYPE_SPECIFIC: usize = 0;
    pub const OFFSET: Field = 1..4;
    pub const TYPE: usize = 4;
    pub const Q: usize = 5;
    pub const WIDTH: usize = 6;
    pub const HEIGHT: usize = 7;
    // Restart marker header, RFC 2435 §3.1.7:
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |       Restart Interval        |F|L|       Restart Count       |
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    pub const INTERVAL: Field = 0..2;
    pub const FL_COUNT: Field = 2..4;
    // Quantization table header, RFC 2435 §3.1.8:
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |      MBZ      |   Precision   |             Length            |
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |                    Quantization Table Data                    |
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    pub const MBZ: usize = 0;
    pub const PRECISION: usize = 1;
    pub const LENGTH: Field = 2..4;
}

/// The image type (RFC 2435 §3.1.3, §4.1), without the restart bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Type {
    /// Type 0: Y sampled 2x1, Cb and Cr 1x1 (4:2:2).
    Yuv422,
    /// Type 1: Y sampled 2x2, Cb and Cr 1x1 (4:2:0).
    Yuv420,
    /// Any other type value (2-63, or 128-255 dynamically defined).
    Unknown(u8),
}

impl Type {
    /// Splits a wire type byte into the type and the restart flag
    /// (types 64-127 are 0-63 with restart markers, §3.1.7).
    pub fn from_wire(b: u8) -> (Type, bool) {
        let (base, restart) = match b {
            64..=127 => (b - 64, true),
            _ => (b, false),
        };
        let t = match base {
            0 => Type::Yuv422,
            1 => Type::Yuv420,
            _ => Type::Unknown(b),
        };
        (t, restart)
    }

    /// The wire type byte, adding 64 for restart markers (§3.1.7).
    pub fn to_wire(self, restart: bool) -> u8 {
        let base = match self {
            Type::Yuv422 => 0,
            Type::Yuv420 => 1,
            Type::Unknown(b) => return b,
        };
        if restart {
            base + 64
        } else {
            base
        }
    }
}

/// The main JPEG header at the start of every RTP/JPEG payload (RFC 2435 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MainHeader {
    /// Type-specific field (§3.1.1); 0 for progressively scanned frames.
    pub type_specific: u8,
    /// Offset of this packet's data in the frame's scan data, 24 bits (§3.1.2).
    pub fragment_offset: u32,
    /// Image type (§3.1.3).
    pub kind: Type,
    /// Whether a restart marker header follows (types 64-127, §3.1.7).
    pub restart: bool,
    /// Quantization table selector (§3.1.4).
    pub q: u8,
    /// Width in 8-pixel blocks; 0 when wider than 2040 px (§3.1.5).
    pub width: u8,
    /// Height in 8-pixel blocks; 0 when taller than 2040 px (§3.1.6).
    pub height: u8,
}

impl MainHeader {
    /// Length on the wire.
    pub const LEN: usize = 8;

    /// Bytes `emit` writes.
    pub const fn buffer_len(&self) -> usize {
        Self::LEN
    }

    /// Parses the first 8 bytes of an RTP/JPEG payload.
    pub fn parse(buf: &[u8]) -> Result<Self, Error> {
        let b: &[u8; Self::LEN] = buf
            .get(..Self::LEN)
            .and_then(|s| s.try_into().ok())
            .ok_or(Error::BadPacket)?;
        let [_, o0, o1, o2] = [b[0], b[1], b[2], b[3]];
        let (kind, restart) = Type::from_wire(b[field::TYPE]);
        Ok(MainHeader {
            type_specific: b[field::TYPE_SPECIFIC],
            fragment_offset: u32::from_be_bytes([0, o0, o1, o2]),
            kind,
            restart,
            q: b[field::Q],
            width: b[field::WIDTH],
            height: b[field::HEIGHT],
        })
    }

    /// Writes the header; fails if `buf` is short or the offset exceeds 24 bits.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let b = buf.get_mut(..Self::LEN).ok_or(Error::BufferTooSmall {
            required: Self::LEN,
        })?;
        let [hi, o0, o1, o2] = self.fragment_offset.to_be_bytes();
        if hi != 0 {
            return Err(Error::FrameTooLarge {
                len: self.fragment_offset as usize,
            });
        }
        b.copy_from_slice(&[
            self.type_specific,
            o0,
            o1,
            o2,
            self.kind.to_wire(self.restart),
            self.q,
            self.width,
            self.height,
        ]);
        debug_assert_eq!(field::OFFSET, 1..4);
        Ok(Self::LEN)
    }
}

/// The restart marker header (RFC 2435 §3.1.7), present in types 64-127.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RestartHeader {
    /// Restart interval in MCUs, as in the DRI segment.
    pub interval: u16,
    /// F: the packet starts a run of whole restart intervals.
    pub first: bool,
    /// L: the packet ends a run of whole restart intervals.
    pub last: bool,
    /// Restart count (14 bits); 0x3FFF with F=L=1 when packets are not
    /// aligned to restart intervals.
    pub count: u16,
}

impl RestartHeader {
    /// Length on the wire.
    pub const LEN: usize = 4;

    /// The header a sender writes when it does not align packets to restart
    /// intervals: F=1, L=1, count 0x3FFF (§3.1.7).
    pub fn unaligned(interval: u16) -> Self {
        RestartHeader {
            interval,
            first: true,
            last: true,
            count: 0x3fff,
        }
    }

    /// Bytes `emit` writes.
    pub const fn buffer_len(&self) -> usize {
        Self::LEN
    }

    /// Parses the 4 bytes after the main header.
    pub fn parse(buf: &[u8]) -> Result<Self, Error> {
        let i = buf.get(field::INTERVAL).ok_or(Error::BadPacket)?;
        let c = buf.get(field::FL_COUNT).ok_or(Error::BadPacket)?;
        let (i, c) = match (i, c) {
            ([i0, i1], [c0, c1]) => (u16::from_be_bytes([*i0, *i1]), [*c0, *c1]),
            _ => return Err(Error::BadPacket),
        };
        let fl = u16::from_be_bytes(c);
        Ok(RestartHeader {
            interval: i,
            first: fl & 0x8000 != 0,
            last: fl & 0x4000 != 0,
            count: fl & 0x3fff,
        })
    }

    /// Writes the header.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let b = buf.get_mut(..Self::LEN).ok_or(Error::BufferTooSmall {
            required: Self::LEN,
        })?;
        let fl =
            (u16::from(self.first) << 15) | (u16::from(self.last) << 14) | (self.count & 0x3fff);
        let [i0, i1] = self.interval.to_be_bytes();
        let [c0, c1] = fl.to_be_bytes();
        b.copy_from_slice(&[i0, i1, c0, c1]);
        Ok(Self::LEN)
    }
}

/// The quantization table header (RFC 2435 §3.1.8), in the first packet of a
/// frame with Q >= 128. `length` bytes of table data follow it: table 0
/// (luma) then table 1 (chroma), each 64 bytes, or 128 when its precision bit
/// is set (16-bit entries), in zigzag order as in DQT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QuantHeader {
    /// Bit i set: table i has 16-bit entries.
    pub precision: u8,
    /// Bytes of table data that follow.
    pub length: u16,
}

impl QuantHeader {
    /// Length on the wire, without the table data.
    pub const LEN: usize = 4;

    /// Bytes `emit` writes (the table data follows separately).
    pub const fn buffer_len(&self) -> usize {
        Self::LEN
    }

    /// Parses the header (MBZ is ignored, as receivers should).
    pub fn parse(buf: &[u8]) -> Result<Self, Error> {
        let p = *buf.get(field::PRECISION).ok_or(Error::BadPacket)?;
        let l = match buf.get(field::LENGTH) {
            Some(&[a, b]) => u16::from_be_bytes([a, b]),
            _ => return Err(Error::BadPacket),
        };
        Ok(QuantHeader {
            precision: p,
            length: l,
        })
    }

    /// Writes the header (MBZ 0).
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let b = buf.get_mut(..Self::LEN).ok_or(Error::BufferTooSmall {
            required: Self::LEN,
        })?;
        let [l0, l1] = self.length.to_be_bytes();
        b.copy_from_slice(&[0, self.precision, l0, l1]);
        debug_assert_eq!(field::MBZ, 0);
        Ok(Self::LEN)
    }
}

/// One RTP/JPEG payload split into its headers and data (RFC 2435 §3.1):
/// the main header, the restart header (types 64-127), the quantization
/// table header and tables (first packet, Q >= 128) and the scan data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Payload<'a> {
    /// The main JPEG header.
    pub main: MainHeader,
    /// The restart marker header, when the type says one follows.
    pub restart: Option<RestartHeader>,
    /// The quantization table header and its table data (possibly empty).
    pub quant: Option<(QuantHeader, &'a [u8])>,
    /// Scan data at `main.fragment_offset`.
    pub data: &'a [u8],
}

impl<'a> Payload<'a> {
    /// Splits an RTP payload; fails if a header is cut short or the table
    /// data is longer than the packet.
    pub fn parse(payload: &'a [u8]) -> Result<Self, Error> {
        let main = MainHeader::parse(payload)?;
        let mut rest = payload.get(MainHeader::LEN..).unwrap_or_default();
        let mut restart = None;
        if main.restart {
            restart = Some(RestartHeader::parse(rest)?);
            rest = rest.get(RestartHeader::LEN..).unwrap_or_default();
        }
        let mut quant = None;
        if main.fragment_offset == 0 && main.q >= 128 {
            let qh = QuantHeader::parse(rest)?;
            rest = rest.get(QuantHeader::LEN..).unwrap_or_default();
            let len = usize::from(qh.length);
            quant = Some((qh, rest.get(..len).ok_or(Error::BadPacket)?));
            rest = rest.get(len..).unwrap_or_default();
        }
        Ok(Payload {
            main,
            restart,
            quant,
            data: rest,
        })
    }

    /// Bytes of headers (and tables) before the scan data.
    pub fn header_len(&self) -> usize {
        MainHeader::LEN
            + self.restart.map_or(0, |_| RestartHeader::LEN)
            + self.quant.map_or(0, |(_, t)| QuantHeader::LEN + t.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Type 65 (4:2:0 + restart), Q 255, 640x480, offset 0x012345.
    static MAIN: [u8; 8] = [0x00, 0x01, 0x23, 0x45, 65, 255, 80, 60];
    static RESTART: [u8; 4] = [0x00, 0x28, 0xff, 0xff];

    #[test]
    fn main_header_deconstruct_and_construct() {
        let h = MainHeader::parse(&MAIN).unwrap();
        assert_eq!(h.fragment_offset, 0x012345);
        assert_eq!((h.kind, h.restart), (Type::Yuv420, true));
        assert_eq!((h.q, h.width, h.height), (255, 80, 60));
        let mut b = [0u8; 8];
        assert_eq!(h.emit(&mut b), Ok(8));
        assert_eq!(b, MAIN);
        assert_eq!(MainHeader::parse(&MAIN[..7]), Err(Error::BadPacket));
        let big = MainHeader {
            fragment_offset: 1 << 24,
            ..h
        };
        assert!(big.emit(&mut b).is_err());
    }

    #[test]
    fn restart_header_unaligned_bytes() {
        let r = RestartHeader::unaligned(40);
        let mut b = [0u8; 4];
        r.emit(&mut b).unwrap();
        assert_eq!(b, RESTART);
        assert_eq!(RestartHeader::parse(&RESTART), Ok(r));
    }

    #[test]
    fn types_round_trip() {
        assert_eq!(Type::from_wire(0), (Type::Yuv422, false));
        assert_eq!(Type::from_wire(64), (Type::Yuv422, true));
        assert_eq!(Type::from_wire(1), (Type::Yuv420, false));
        assert_eq!(Type::from_wire(200), (Type::Unknown(200), false));
        assert_eq!(Type::from_wire(70), (Type::Unknown(70), true));
        assert_eq!(Type::Yuv420.to_wire(true), 65);
        assert_eq!(Type::Yuv422.to_wire(false), 0);
    }

    #[test]
    fn payload_splits_headers_and_data() {
        let mut p = MAIN.to_vec();
        p[1..4].copy_from_slice(&[0, 0, 0]); // offset 0: tables follow
        p.extend_from_slice(&RESTART);
        p.extend_from_slice(&[0, 0, 0, 2, 7, 8, 0xaa, 0xbb, 0xcc]);
        let pl = Payload::parse(&p).unwrap();
        assert_eq!(pl.restart, Some(RestartHeader::unaligned(40)));
        let (qh, t) = pl.quant.unwrap();
        assert_eq!((qh.length, t), (2, &[7u8, 8][..]));
        assert_eq!(pl.data, &[0xaa, 0xbb, 0xcc]);
        assert_eq!(pl.header_len(), 8 + 4 + 4 + 2);
        // Table data longer than the packet.
        p[15] = 200;
        assert_eq!(Payload::parse(&p), Err(Error::BadPacket));
        // Not the first packet: no table header even with Q=255.
        let bytes = [&MAIN[..], &RESTART[..], &[1, 2]].concat();
        let later = Payload::parse(&bytes).unwrap();
        assert_eq!((later.quant, later.data), (None, &[1u8, 2][..]));
        // Type 65 without its restart header.
        assert_eq!(Payload::parse(&MAIN), Err(Error::BadPacket));
    }

    #[test]
    fn quant_header_bytes() {
        let q = QuantHeader {
            precision: 0b01,
            length: 192,
        };
        let mut b = [9u8; 4];
        q.emit(&mut b).unwrap();
        assert_eq!(b, [0, 1, 0, 192]);
        assert_eq!(QuantHeader::parse(&b), Ok(q));
    }
}
