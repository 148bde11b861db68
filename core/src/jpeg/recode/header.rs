//! The frame header of a JPEG to re-code (T.81 §B.2.2) and what it implies
//! for the coefficient layout (T.81 §A.2).

use crate::jpeg::markers::{Segments, DAC, DHT, DQT, SOS};
use crate::jpeg::{Error, QuantTable, Type};
use crate::limits::JPEG_MAX_SCANS;

/// One frame component (T.81 §B.2.2): identifier, sampling factors and
/// quantization table selector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct Component {
    pub id: u8,
    pub h: u8,
    pub v: u8,
    pub tq: u8,
}

/// What [`recode`](super::recode) needs to know of a frame before its scans:
/// a 3-component 8-bit Huffman-coded YCbCr frame of RFC 2435 type 0 or 1,
/// sequential or progressive, with any Huffman tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Analysis {
    kind: Type,
    width: u16,
    height: u16,
    progressive: bool,
    standard_huffman: bool,
    scans: u8,
    restart_interval: u16,
    pub(super) components: [Component; 3],
}

impl Analysis {
    /// Reads the markers of `jpeg` (SOI to EOI, entropy-coded data not
    /// decoded). Refuses what cannot be re-coded losslessly into RFC 2435:
    /// [`Error::Sampling`], [`Error::Grayscale`], [`Error::Components`],
    /// [`Error::Precision`], [`Error::Arithmetic`], [`Error::Lossless`],
    /// [`Error::QuantTables`] (Cb and Cr with different tables), and a
    /// damaged or truncated header ([`Error::Malformed`],
    /// [`Error::Truncated`], [`Error::Scan`] for more than
    /// [`JPEG_MAX_SCANS`] scans or a scan naming no frame component).
    pub fn parse(jpeg: &[u8]) -> Result<Analysis, Error> {
        let mut frame: Option<Analysis> = None;
        let mut dqt = [None::<&[u8]>; 4];
        let mut dht_seen = false;
        let mut standard = true;
        let mut restart_interval = 0;
        let mut ended = false;
        for seg in Segments::new(jpeg)? {
            let seg = seg?;
            let bad = Error::Malformed { offset: seg.offset };
            match seg.marker {
                0xc0..=0xc2 => {
                    if frame.is_some() {
                        return Err(bad);
                    }
                    frame = Some(parse_sof(seg.body, seg.marker == 0xc2, bad)?);
                }
                0xc3 | 0xc5..=0xc7 => return Err(Error::Lossless),
                0xc9..=0xcb | 0xcd..=0xcf | DAC => return Err(Error::Arithmetic),
                DQT => read_dqt(seg.body, &mut dqt, bad)?,
                DHT => {
                    dht_seen = true;
                    standard &= super::huffman::dht_is_standard(seg.body);
                }
                0xdd => {
                    let [a, b] = seg.body else { return Err(bad) };
                    restart_interval = u16::from_be_bytes([*a, *b]);
                }
                SOS => {
                    let f = frame.as_mut().ok_or(bad)?;
                    check_scan_components(seg.body, &f.components, bad)?;
                    if f.scans == 0 {
                        f.restart_interval = restart_interval;
                        check_quant_tables(&f.components, &dqt)?;
                    }
                    f.scans = f.scans.saturating_add(1);
                    if usize::from(f.scans) > JPEG_MAX_SCANS {
                        return Err(Error::Scan);
                    }
                }
                0xd9 => ended = true,
                _ => {}
            }
        }
        let mut f = frame.ok_or(Error::Truncated { offset: jpeg.len() })?;
        if f.scans == 0 || !ended {
            return Err(Error::Truncated { offset: jpeg.len() });
        }
        f.standard_huffman = standard || !dht_seen;
        Ok(f)
    }

    /// RFC 2435 type of the re-coded frame (§4.1).
    pub fn kind(&self) -> Type {
        self.kind
    }

    /// Width in pixels.
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u16 {
        self.height
    }

    /// Whether the frame is progressive (SOF2, T.81 Annex G).
    pub fn progressive(&self) -> bool {
        self.progressive
    }

    /// Whether every Huffman table the frame defines is a T.81 K.3 table
    /// (or it defines none). When false, its tables are "optimized".
    pub fn standard_huffman(&self) -> bool {
        self.standard_huffman
    }

    /// Scans in the frame (1 for the usual sequential frame).
    pub fn scans(&self) -> u8 {
        self.scans
    }

    /// The input's restart interval in MCUs (0: none).
    pub fn restart_interval(&self) -> u16 {
        self.restart_interval
    }

    /// Whether the frame streams through [`recode`](super::recode) with no
    /// coefficient buffer: one interleaved sequential scan.
    pub fn streams(&self) -> bool {
        !self.progressive && self.scans == 1
    }

    /// `i16` entries [`recode`](super::recode) needs in its coefficient
    /// buffer: 0 when the frame [streams](Analysis::streams), else 64 per
    /// block of every component, padded to whole MCUs. `usize::MAX` when
    /// that does not fit a `usize` (a 32-bit target and a huge frame).
    pub fn coefficients_len(&self) -> usize {
        if self.streams() {
            return 0;
        }
        let (mx, my) = self.mcus();
        let blocks_per_mcu: usize = self
            .components
            .iter()
            .map(|c| usize::from(c.h) * usize::from(c.v))
            .sum();
        mx.checked_mul(my)
            .and_then(|n| n.checked_mul(blocks_per_mcu))
            .and_then(|n| n.checked_mul(64))
            .unwrap_or(usize::MAX)
    }

    /// MCUs across and down an interleaved scan (T.81 §A.2.3).
    pub(super) fn mcus(&self) -> (usize, usize) {
        let hmax = usize::from(self.components[0].h);
        let vmax = usize::from(self.components[0].v);
        (
            usize::from(self.width).div_ceil(8 * hmax),
            usize::from(self.height).div_ceil(8 * vmax),
        )
    }

    /// Blocks across and down component `c` that hold image samples
    /// (T.81 §A.1.1); blocks past these in an MCU are padding.
    pub(super) fn component_blocks(&self, c: usize) -> (usize, usize) {
        let hmax = usize::from(self.components[0].h);
        let vmax = usize::from(self.components[0].v);
        let comp = self.components.get(c).copied().unwrap_or_default();
        let w = (usize::from(self.width) * usize::from(comp.h)).div_ceil(hmax);
        let h = (usize::from(self.height) * usize::from(comp.v)).div_ceil(vmax);
        (w.div_ceil(8), h.div_ceil(8))
    }
}

fn parse_sof(b: &[u8], progressive: bool, bad: Error) -> Result<Analysis, Error> {
    let [p, h0, h1, w0, w1, n, rest @ ..] = b else {
        return Err(bad);
    };
    if *p != 8 {
        return Err(Error::Precision { bits: *p });
    }
    match *n {
        1 => return Err(Error::Grayscale),
        3 => {}
        count => return Err(Error::Components { count }),
    }
    let (height, width) = (
        u16::from_be_bytes([*h0, *h1]),
        u16::from_be_bytes([*w0, *w1]),
    );
    if width == 0 || height == 0 {
        return Err(Error::Dimensions { width, height });
    }
    let [y, cb, cr] = match rest {
        [a, b, c, d, e, f, g, h, i] => {
            [[*a, *b, *c], [*d, *e, *f], [*g, *h, *i]].map(|[id, hv, tq]| Component {
                id,
                h: hv >> 4,
                v: hv & 0xf,
                tq,
            })
        }
        _ => return Err(bad),
    };
    let unit = |c: Component| c.h == 1 && c.v == 1;
    let kind = match (y.h, y.v) {
        (2, 1) if unit(cb) && unit(cr) => Type::Yuv422,
        (2, 2) if unit(cb) && unit(cr) => Type::Yuv420,
        _ => {
            let odd = if unit(cb) { cr } else { cb };
            return Err(Error::Sampling {
                h: y.h,
                v: y.v,
                chroma_h: odd.h,
                chroma_v: odd.v,
            });
        }
    };
    if [y, cb, cr].iter().any(|c| c.tq > 3) || y.id == cb.id || y.id == cr.id || cb.id == cr.id {
        return Err(bad);
    }
    Ok(Analysis {
        kind,
        width,
        height,
        progressive,
        standard_huffman: true,
        scans: 0,
        restart_interval: 0,
        components: [y, cb, cr],
    })
}

/// The tables of a DQT segment, by id (T.81 §B.2.4.1).
pub(super) fn read_dqt<'a>(
    mut b: &'a [u8],
    dqt: &mut [Option<&'a [u8]>; 4],
    bad: Error,
) -> Result<(), Error> {
    while let [pq_tq, rest @ ..] = b {
        let n = match pq_tq >> 4 {
            0 => 64,
            1 => 128,
            _ => return Err(bad),
        };
        let slot = dqt.get_mut(usize::from(pq_tq & 0xf)).ok_or(bad)?;
        *slot = Some(rest.get(..n).ok_or(bad)?);
        b = rest.get(n..).unwrap_or_default();
    }
    Ok(())
}

/// RFC 2435 has one chroma table: Cb and Cr must use equal tables, and all
/// three must be defined when the first scan starts (T.81 §B.2.4.1).
fn check_quant_tables(comps: &[Component; 3], dqt: &[Option<&[u8]>; 4]) -> Result<(), Error> {
    let table = |c: &Component| dqt.get(usize::from(c.tq)).copied().flatten();
    let [y, cb, cr] = comps;
    match (table(y), table(cb), table(cr)) {
        (Some(_), Some(b), Some(r)) if b == r => Ok(()),
        _ => Err(Error::QuantTables),
    }
}

/// Every scan component must be a frame component, each at most once, in
/// frame order (T.81 §B.2.3).
fn check_scan_components(b: &[u8], comps: &[Component; 3], bad: Error) -> Result<(), Error> {
    let [n, rest @ ..] = b else { return Err(bad) };
    let n = usize::from(*n);
    if !(1..=3).contains(&n) || rest.len() != 2 * n + 3 {
        return Err(bad);
    }
    let mut last = None;
    for sel in rest.chunks_exact(2).take(n) {
        let index = comps
            .iter()
            .position(|c| Some(&c.id) == sel.first())
            .ok_or(Error::Scan)?;
        if last.is_some_and(|l| index <= l) {
            return Err(Error::Scan);
        }
        last = Some(index);
    }
    Ok(())
}

/// What any JPEG frame says of itself before its scans are decoded,
/// whether or not it can be re-coded: what a host converting its pixels
/// needs to know (T.81 §B.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Outline<'a> {
    /// The first component's quantization table (Y, or gray), as defined
    /// when the first scan starts.
    pub luma: Option<QuantTable<'a>>,
    /// SOF2 or another progressive SOF (T.81 Table B.1).
    pub progressive: bool,
    /// Scans in the frame.
    pub scans: usize,
}

impl<'a> Outline<'a> {
    /// Walks the markers of `jpeg`; `None` when they do not parse.
    pub fn parse(jpeg: &'a [u8]) -> Option<Outline<'a>> {
        let mut dqt = [None::<&[u8]>; 4];
        let mut luma_tq = None;
        let mut outline = Outline {
            luma: None,
            progressive: false,
            scans: 0,
        };
        for seg in Segments::new(jpeg).ok()? {
            let seg = seg.ok()?;
            match seg.marker {
                // SOFn: every 0xCn but DHT, JPG and DAC.
                0xc0..=0xcf if !matches!(seg.marker, DHT | 0xc8 | DAC) => {
                    outline.progressive = matches!(seg.marker, 0xc2 | 0xc6 | 0xca | 0xce);
                    luma_tq = seg.body.get(8).map(|tq| usize::from(tq & 3));
                }
                DQT => {
                    read_dqt(seg.body, &mut dqt, Error::Malformed { offset: seg.offset }).ok()?
                }
                SOS => {
                    if outline.scans == 0 {
                        outline.luma = luma_tq
                            .and_then(|tq| dqt.get(tq).copied().flatten())
                            .and_then(QuantTable::new);
                    }
                    outline.scans += 1;
                }
                _ => {}
            }
        }
        Some(outline)
    }
}
