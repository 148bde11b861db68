//! Frame analysis: what of a JPEG image RFC 2435 carries, and whether it can.

use super::markers::{Segments, DAC, DHT, DQT, DRI, EOI, SOF0, SOS};
use super::tables::{HuffmanTable, CHROMA_AC, CHROMA_DC, LUMA_AC, LUMA_DC};
use super::{Error, Type};

/// Largest fragment offset, so the most scan data per frame (RFC 2435 §3.1.2).
const MAX_SCAN: usize = 0x00ff_ffff;

/// One quantization table as DQT holds it: 64 entries in zigzag order, of
/// 8 bits, or of 16 bits big-endian (RFC 2435 §3.1.8, T.81 §B.2.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QuantTable<'a> {
    data: &'a [u8],
}

impl<'a> QuantTable<'a> {
    /// Wraps table data: 64 bytes (8-bit) or 128 bytes (16-bit).
    pub fn new(data: &'a [u8]) -> Option<Self> {
        matches!(data.len(), 64 | 128).then_some(QuantTable { data })
    }

    /// Whether the entries are 16 bits (the §3.1.8 precision bit).
    pub fn is_16bit(&self) -> bool {
        self.data.len() == 128
    }

    /// The entries as they go on the wire and into DQT.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
}

/// A baseline JPEG frame that RFC 2435 can carry, borrowed from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Frame<'a> {
    kind: Type,
    width: u16,
    height: u16,
    restart_interval: u16,
    luma: QuantTable<'a>,
    chroma: QuantTable<'a>,
    scan: &'a [u8],
    scan_start: usize,
}

#[derive(Clone, Copy)]
struct Component {
    id: u8,
    h: u8,
    v: u8,
    tq: u8,
}

type Dht<'a> = Option<(&'a [u8], &'a [u8])>;

impl<'a> Frame<'a> {
    /// Analyses one JPEG image (SOI to EOI) for RFC 2435 §3.1 and §4.1.
    ///
    /// Huffman tables must be the T.81 K.3 ones RFC 2435 Appendix B rebuilds;
    /// a frame without DHT (the Motion-JPEG "AVI1" convention) is taken to
    /// use them. Bytes after EOI are ignored.
    pub fn parse(data: &'a [u8]) -> Result<Self, Error> {
        let mut dqt: [Option<QuantTable<'a>>; 4] = [None; 4];
        let mut dht: [[Dht<'a>; 4]; 2] = [[None; 4]; 2];
        let mut sof: Option<(u16, u16, [Component; 3])> = None;
        let mut restart_interval = 0u16;
        let mut scan: Option<(&'a [u8], usize)> = None;

        for seg in Segments::new(data)? {
            let seg = seg?;
            let bad = Error::Malformed { offset: seg.offset };
            if scan.is_some() && seg.marker != EOI {
                // A second scan (or DNL, or tables between scans): not the
                // single interleaved scan RFC 2435 carries.
                return Err(Error::Scan);
            }
            match seg.marker {
                SOF0 | 0xc1 => sof = Some(parse_sof(seg.body, bad)?),
                0xc2 | 0xc6 => return Err(Error::Progressive),
                0xc3 | 0xc5 | 0xc7 => return Err(Error::Lossless),
                0xc9..=0xcb | 0xcd..=0xcf | DAC => return Err(Error::Arithmetic),
                DQT => parse_dqt(seg.body, &mut dqt, bad)?,
                DHT => parse_dht(seg.body, &mut dht, bad)?,
                DRI => {
                    restart_interval = match seg.body {
                        [a, b] => u16::from_be_bytes([*a, *b]),
                        _ => return Err(bad),
                    }
                }
                SOS => {
                    let (_, _, comps) = sof.ok_or(bad)?;
                    check_sos(seg.body, &comps, &dht, bad)?;
                    scan = Some((seg.entropy, seg.entropy_start));
                }
                EOI => break,
                _ => {} // APPn, COM, RSTn outside a scan: nothing RTP carries.
            }
        }
        let (width, height, comps) = sof.ok_or(Error::Truncated { offset: data.len() })?;
        let (scan, scan_start) = scan.ok_or(Error::Truncated { offset: data.len() })?;
        let [y, cb, cr] = comps;
        let kind = match (y.h, y.v) {
            (2, 1) => Type::Yuv422,
            (2, 2) => Type::Yuv420,
            _ => sampling_error(y, cb)?,
        };
        let table = |c: Component| dqt.get(usize::from(c.tq)).copied().flatten();
        let luma = table(y).ok_or(Error::QuantTables)?;
        let chroma = table(cb).ok_or(Error::QuantTables)?;
        if table(cr) != Some(chroma) {
            return Err(Error::QuantTables);
        }
        if scan.len() > MAX_SCAN {
            return Err(Error::FrameTooLarge { len: scan.len() });
        }
        Ok(Frame {
            kind,
            width,
            height,
            restart_interval,
            luma,
            chroma,
            scan,
            scan_start,
        })
    }

    /// RFC 2435 type (§3.1.3): 0 or 1; see [`Frame::restart`] for +64.
    pub fn kind(&self) -> Type {
        self.kind
    }

    /// Whether the frame has restart markers (DRI), so types 64-127 (§3.1.7).
    pub fn restart(&self) -> bool {
        self.restart_interval != 0
    }

    /// The type byte on the wire (§3.1.3), 64 added with restart markers.
    pub fn wire_type(&self) -> u8 {
        self.kind.to_wire(self.restart())
    }

    /// Width in pixels (the SOF value; SDP `a=x-dimensions` above 2040).
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u16 {
        self.height
    }

    /// Width in 8-pixel blocks for the header (§3.1.5), rounded up; 0 when
    /// above 2040 px, where the SDP `a=x-dimensions` attribute carries it.
    pub fn width_blocks(&self) -> u8 {
        blocks(self.width)
    }

    /// Height in 8-pixel blocks for the header (§3.1.6); 0 above 2040 px.
    pub fn height_blocks(&self) -> u8 {
        blocks(self.height)
    }

    /// Restart interval in MCUs (DRI), 0 if none.
    pub fn restart_interval(&self) -> u16 {
        self.restart_interval
    }

    /// Quantization tables: [luma (table 0), chroma (table 1)] (§4.1).
    pub fn quant_tables(&self) -> [QuantTable<'a>; 2] {
        [self.luma, self.chroma]
    }

    /// Bytes of in-band table data (§3.1.8 Length field).
    pub fn quant_len(&self) -> usize {
        self.luma.data.len() + self.chroma.data.len()
    }

    /// The §3.1.8 precision byte: bit 0 for table 0, bit 1 for table 1.
    pub fn quant_precision(&self) -> u8 {
        u8::from(self.luma.is_16bit()) | (u8::from(self.chroma.is_16bit()) << 1)
    }

    /// The entropy-coded scan data, between the SOS header and EOI: the RTP
    /// payload proper (§3.1.9).
    pub fn scan_data(&self) -> &'a [u8] {
        self.scan
    }

    /// Where the scan data lies in the bytes given to [`Frame::parse`].
    pub fn scan_range(&self) -> core::ops::Range<usize> {
        self.scan_start..self.scan_start + self.scan.len()
    }
}

fn blocks(px: u16) -> u8 {
    if px > crate::limits::JPEG_MAX_HEADER_DIMENSION {
        0
    } else {
        // At most 2040 / 8 = 255 after rounding up.
        u8::try_from(px.div_ceil(8)).unwrap_or(0)
    }
}

fn sampling_error(y: Component, c: Component) -> Result<Type, Error> {
    Err(Error::Sampling {
        h: y.h,
        v: y.v,
        chroma_h: c.h,
        chroma_v: c.v,
    })
}

fn parse_sof(b: &[u8], bad: Error) -> Result<(u16, u16, [Component; 3]), Error> {
    let (&p, rest) = b.split_first().ok_or(bad)?;
    let (height, width, n, rest) = match rest {
        [h0, h1, w0, w1, n, rest @ ..] => (
            u16::from_be_bytes([*h0, *h1]),
            u16::from_be_bytes([*w0, *w1]),
            *n,
            rest,
        ),
        _ => return Err(bad),
    };
    if p != 8 {
        return Err(Error::Precision { bits: p });
    }
    match n {
        1 => return Err(Error::Grayscale),
        3 => {}
        _ => return Err(Error::Components { count: n }),
    }
    if width == 0 || height == 0 {
        return Err(Error::Dimensions { width, height });
    }
    let mut comps = [Component {
        id: 0,
        h: 0,
        v: 0,
        tq: 0,
    }; 3];
    for (c, raw) in comps.iter_mut().zip(rest.chunks_exact(3)) {
        if let [id, hv, tq] = raw {
            *c = Component {
                id: *id,
                h: hv >> 4,
                v: hv & 0xf,
                tq: *tq,
            };
        }
    }
    if rest.len() != 9 {
        return Err(bad);
    }
    let [y, cb, cr] = comps;
    let chroma_ok = |c: Component| c.h == 1 && c.v == 1;
    if !matches!((y.h, y.v), (2, 1) | (2, 2)) || !chroma_ok(cb) || !chroma_ok(cr) {
        let odd = if chroma_ok(cb) { cr } else { cb };
        return sampling_error(y, odd).map(|_| (0, 0, comps));
    }
    Ok((width, height, comps))
}

fn parse_dqt<'a>(
    mut b: &'a [u8],
    dqt: &mut [Option<QuantTable<'a>>; 4],
    bad: Error,
) -> Result<(), Error> {
    while let Some((&pq_tq, rest)) = b.split_first() {
        let n = match pq_tq >> 4 {
            0 => 64,
            1 => 128,
            _ => return Err(bad),
        };
        let slot = dqt.get_mut(usize::from(pq_tq & 0xf)).ok_or(bad)?;
        let data = rest.get(..n).ok_or(bad)?;
        *slot = QuantTable::new(data);
        b = rest.get(n..).unwrap_or(&[]);
    }
    Ok(())
}

fn parse_dht<'a>(mut b: &'a [u8], dht: &mut [[Dht<'a>; 4]; 2], bad: Error) -> Result<(), Error> {
    while let Some((&tc_th, rest)) = b.split_first() {
        let bits = rest.get(..16).ok_or(bad)?;
        let count: usize = bits.iter().map(|&n| usize::from(n)).sum();
        let values = rest.get(16..16 + count).ok_or(bad)?;
        let slot = dht
            .get_mut(usize::from(tc_th >> 4))
            .and_then(|c| c.get_mut(usize::from(tc_th & 0xf)))
            .ok_or(bad)?;
        *slot = Some((bits, values));
        b = rest.get(16 + count..).unwrap_or(&[]);
    }
    Ok(())
}

/// SOS must be the one interleaved baseline scan: Y, Cb, Cr in frame order,
/// Ss=0, Se=63, Ah=Al=0, with the K.3 Huffman tables (RFC 2435 Appendix B).
fn check_sos(
    b: &[u8],
    comps: &[Component; 3],
    dht: &[[Dht<'_>; 4]; 2],
    bad: Error,
) -> Result<(), Error> {
    let (&n, rest) = b.split_first().ok_or(bad)?;
    if n != 3 {
        return Err(Error::Scan);
    }
    match rest {
        [c0, t0, c1, t1, c2, t2, 0, 63, 0] => {
            let sel = [(*c0, *t0), (*c1, *t1), (*c2, *t2)];
            for (i, ((cs, tdta), comp)) in sel.iter().zip(comps.iter()).enumerate() {
                if *cs != comp.id {
                    return Err(Error::Scan);
                }
                let (dc, ac) = if i == 0 {
                    (LUMA_DC, LUMA_AC)
                } else {
                    (CHROMA_DC, CHROMA_AC)
                };
                standard(dht, 0, tdta >> 4, &dc)?;
                standard(dht, 1, tdta & 0xf, &ac)?;
            }
            Ok(())
        }
        [_, _, _, _, _, _, _, _, _] => Err(Error::Scan),
        _ => Err(bad),
    }
}

fn standard(
    dht: &[[Dht<'_>; 4]; 2],
    class: usize,
    id: u8,
    want: &HuffmanTable,
) -> Result<(), Error> {
    let slot = dht
        .get(class)
        .and_then(|c| c.get(usize::from(id)))
        .ok_or(Error::NonStandardHuffman)?;
    match slot {
        None => Ok(()), // no DHT: the implied standard tables (AVI1 MJPEG)
        Some((bits, values)) if want.matches(bits, values) => Ok(()),
        Some(_) => Err(Error::NonStandardHuffman),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg::{make_tables, JfifHeader};
    use std::vec::Vec;

    /// A valid 4:2:0 frame from our JFIF writer, with 2 bytes of scan data.
    fn valid() -> Vec<u8> {
        let (l, c) = make_tables(60);
        let h = JfifHeader {
            kind: Type::Yuv420,
            width: 48,
            height: 32,
            restart_interval: 0,
            luma: QuantTable::new(&l).unwrap(),
            chroma: QuantTable::new(&c).unwrap(),
        };
        let mut b = [0u8; 1024];
        let n = h.emit(&mut b).unwrap();
        let mut v = b[..n].to_vec();
        v.extend_from_slice(&[0x12, 0x34, 0xff, 0xd9]);
        v
    }

    fn at(v: &[u8], marker: u8) -> usize {
        v.windows(2).position(|w| w == [0xff, marker]).unwrap()
    }

    #[test]
    fn valid_frame_fields() {
        let v = valid();
        let f = Frame::parse(&v).unwrap();
        assert_eq!((f.width(), f.height()), (48, 32));
        assert_eq!((f.width_blocks(), f.height_blocks()), (6, 4));
        assert_eq!(
            (f.kind(), f.wire_type(), f.restart()),
            (Type::Yuv420, 1, false)
        );
        assert_eq!(f.scan_data(), &[0x12, 0x34]);
        assert_eq!(&v[f.scan_range()], &[0x12, 0x34]);
        assert_eq!((f.quant_len(), f.quant_precision()), (128, 0));
    }

    #[test]
    fn frames_without_dht_use_the_standard_tables() {
        // Motion-JPEG "AVI1" frames leave DHT out.
        let mut v = valid();
        let start = at(&v, 0xc4);
        let end = at(&v, 0xda);
        v.drain(start..end);
        assert!(Frame::parse(&v).is_ok());
    }

    #[test]
    fn refusals_name_the_reason() {
        let v = valid();
        let sof = at(&v, 0xc0);
        let patches = |edits: &[(usize, u8)]| {
            let mut w = v.clone();
            for &(i, b) in edits {
                w[i] = b;
            }
            Frame::parse(&w).map(|_| ())
        };
        let patch = |i: usize, b: u8| patches(&[(i, b)]);
        assert_eq!(patch(sof + 1, 0xc2), Err(Error::Progressive));
        assert_eq!(patch(sof + 1, 0xc3), Err(Error::Lossless));
        assert_eq!(patch(sof + 1, 0xc9), Err(Error::Arithmetic));
        assert_eq!(patch(sof + 4, 12), Err(Error::Precision { bits: 12 }));
        assert_eq!(
            patches(&[(sof + 5, 0), (sof + 6, 0)]),
            Err(Error::Dimensions {
                width: 48,
                height: 0
            })
        );
        // Y 1x1: 4:4:4.
        assert_eq!(
            patch(sof + 11, 0x11),
            Err(Error::Sampling {
                h: 1,
                v: 1,
                chroma_h: 1,
                chroma_v: 1
            })
        );
        // Cr quantized with the luma table: RFC 2435 has one chroma table.
        assert_eq!(patch(sof + 18, 0), Err(Error::QuantTables));
        // A DHT value changed: not the K.3 tables.
        let dht = at(&v, 0xc4);
        assert_eq!(patch(dht + 5 + 16, 1), Err(Error::NonStandardHuffman));
        // A scan of one component: not interleaved.
        let sos = at(&v, 0xda);
        assert_eq!(patch(sos + 4, 1), Err(Error::Scan));
        // A second SOS after the first scan.
        let mut two = v.clone();
        let end = two.len() - 2;
        let sos_seg = v[sos..sos + 14].to_vec();
        two.splice(end..end, sos_seg);
        assert_eq!(Frame::parse(&two), Err(Error::Scan));
        // No EOI.
        assert!(matches!(
            Frame::parse(&v[..v.len() - 2]),
            Err(Error::Truncated { .. })
        ));
    }

    #[test]
    fn grayscale_and_other_component_counts() {
        let v = valid();
        let sof = at(&v, 0xc0);
        let mut g = v.clone();
        g[sof + 9] = 1;
        assert_eq!(Frame::parse(&g), Err(Error::Grayscale));
        g[sof + 9] = 4;
        assert_eq!(Frame::parse(&g), Err(Error::Components { count: 4 }));
    }

    #[test]
    fn wide_frames_say_zero_blocks() {
        let v = valid();
        let sof = at(&v, 0xc0);
        let mut w = v.clone();
        w[sof + 7..sof + 9].copy_from_slice(&2041u16.to_be_bytes());
        let f = Frame::parse(&w).unwrap();
        assert_eq!(
            (f.width(), f.width_blocks(), f.height_blocks()),
            (2041, 0, 4)
        );
        w[sof + 7..sof + 9].copy_from_slice(&2040u16.to_be_bytes());
        assert_eq!(Frame::parse(&w).unwrap().width_blocks(), 255);
    }
}
