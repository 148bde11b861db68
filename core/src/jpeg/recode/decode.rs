//! Walking the frame's markers, decoding its scans (T.81 Annex F, G) and
//! writing the re-coded frame.

use super::bits::{BitReader, BitWriter};
use super::encode::ScanEncoder;
use super::header::read_dqt;
use super::huffman::{dht_tables, DecodeTable};
use super::scan::{self, ScanParams};
use super::{Analysis, Options};
use crate::jpeg::markers::{Segments, DHT, DQT, SOS};
use crate::jpeg::{Error, JfifHeader, QuantTable};

/// Huffman tables currently defined: [class][id] (T.81 §B.2.4.2).
pub(super) struct Tables {
    pub dc: [DecodeTable; 4],
    pub ac: [DecodeTable; 4],
    defined: [[bool; 4]; 2],
}

impl Tables {
    fn new() -> Self {
        Tables {
            dc: [
                DecodeTable::EMPTY,
                DecodeTable::EMPTY,
                DecodeTable::EMPTY,
                DecodeTable::EMPTY,
            ],
            ac: [
                DecodeTable::EMPTY,
                DecodeTable::EMPTY,
                DecodeTable::EMPTY,
                DecodeTable::EMPTY,
            ],
            defined: [[false; 4]; 2],
        }
    }

    fn define(&mut self, body: &[u8], bad: Error) -> Result<(), Error> {
        for table in dht_tables(body) {
            let (class, id, counts, symbols) = table.ok_or(bad)?;
            let (class, id) = (usize::from(class), usize::from(id));
            let slot = match class {
                0 => self.dc.get_mut(id),
                1 => self.ac.get_mut(id),
                _ => None,
            }
            .ok_or(bad)?;
            *slot = DecodeTable::build(counts, symbols)?;
            if let Some(d) = self.defined.get_mut(class).and_then(|c| c.get_mut(id)) {
                *d = true;
            }
        }
        Ok(())
    }

    /// A frame without DHT uses the K.3 tables (the Motion-JPEG "AVI1"
    /// convention, which RFC 2435 receivers also rebuild): define any table
    /// a scan needs that the frame left out.
    fn default_missing(&mut self) -> Result<(), Error> {
        use crate::jpeg::tables::{CHROMA_AC, CHROMA_DC, LUMA_AC, LUMA_DC};
        for (class, id, t) in [
            (0, 0, LUMA_DC),
            (1, 0, LUMA_AC),
            (0, 1, CHROMA_DC),
            (1, 1, CHROMA_AC),
        ] {
            if !self.is_defined(class, id) {
                let slot = if class == 0 {
                    &mut self.dc
                } else {
                    &mut self.ac
                };
                if let Some(slot) = slot.get_mut(id) {
                    *slot = DecodeTable::build(&t.bits, t.values)?;
                }
            }
        }
        Ok(())
    }

    pub fn is_defined(&self, class: usize, id: usize) -> bool {
        self.defined
            .get(class)
            .and_then(|c| c.get(id))
            .copied()
            .unwrap_or(false)
    }
}

pub(super) fn recode(
    jpeg: &[u8],
    a: &Analysis,
    options: Options,
    coefficients: &mut [i16],
    out: &mut [u8],
) -> Result<usize, Error> {
    let need = a.coefficients_len();
    let coefficients = coefficients
        .get_mut(..need)
        .ok_or(Error::BufferTooSmall { required: need })?;
    coefficients.fill(0);
    let mut tables = Tables::new();
    let mut dqt = [None::<&[u8]>; 4];
    let mut restart_interval = 0u16;
    let mut header_len = None;
    let mut eoi = None;
    let mut defaults_applied = false;
    for seg in Segments::new(jpeg)? {
        let seg = seg?;
        let bad = Error::Malformed { offset: seg.offset };
        match seg.marker {
            DQT => read_dqt(seg.body, &mut dqt, bad)?,
            DHT => tables.define(seg.body, bad)?,
            0xdd => {
                let [x, y] = seg.body else { return Err(bad) };
                restart_interval = u16::from_be_bytes([*x, *y]);
            }
            SOS => {
                if header_len.is_none() {
                    header_len = Some(write_header(a, &dqt, options, out)?);
                }
                if !defaults_applied && !tables.defined.iter().flatten().any(|&d| d) {
                    tables.default_missing()?;
                    defaults_applied = true;
                }
                let scan = ScanParams::parse(seg.body, a, bad)?;
                scan::check_tables(&scan, &tables)?;
                let reader = BitReader::new(seg.entropy, seg.entropy_start);
                if a.streams() {
                    let start = header_len.unwrap_or(0);
                    let end = super::stream::stream(
                        a,
                        &scan,
                        &tables,
                        reader,
                        restart_interval,
                        options,
                        out,
                        start,
                    )?;
                    eoi = Some(end);
                } else {
                    scan::decode_scan(a, &scan, &tables, reader, restart_interval, coefficients)?;
                }
            }
            0xd9 => break,
            _ => {}
        }
    }
    let start = header_len.ok_or(Error::Truncated { offset: jpeg.len() })?;
    let end = match eoi {
        Some(end) => end,
        None => encode_buffered(a, coefficients, options, out, start)?,
    };
    let tail = out
        .get_mut(end..end + 2)
        .ok_or(Error::BufferTooSmall { required: end + 2 })?;
    tail.copy_from_slice(&[0xff, 0xd9]);
    Ok(end + 2)
}

/// The RFC 2435 Appendix B headers, with the frame's own quantization
/// tables (Y's as table 0, Cb's as table 1; [`Analysis::parse`] checked
/// that Cr's equals Cb's).
fn write_header(
    a: &Analysis,
    dqt: &[Option<&[u8]>; 4],
    options: Options,
    out: &mut [u8],
) -> Result<usize, Error> {
    let table = |c: usize| {
        let tq = a.components.get(c).map_or(0, |c| usize::from(c.tq));
        dqt.get(tq)
            .copied()
            .flatten()
            .and_then(QuantTable::new)
            .ok_or(Error::QuantTables)
    };
    JfifHeader {
        kind: a.kind(),
        width: a.width(),
        height: a.height(),
        restart_interval: options.restart_interval,
        luma: table(0)?,
        chroma: table(1)?,
    }
    .emit(out)
}

/// [`Error::BufferTooSmall`] with an estimate of the room the whole scan
/// needs, from what `done` of `rows` MCU rows took.
pub(super) fn full(enc: &ScanEncoder<'_>, done: usize, rows: usize) -> Error {
    let written = enc.w.written();
    Error::BufferTooSmall {
        required: written.saturating_mul(rows.max(1)) / done.max(1) + 2,
    }
}

/// The gathered coefficients as one interleaved baseline scan.
fn encode_buffered(
    a: &Analysis,
    coefficients: &[i16],
    options: Options,
    out: &mut [u8],
    start: usize,
) -> Result<usize, Error> {
    let (mx, my) = a.mcus();
    let mut enc = ScanEncoder::new(BitWriter::new(out, start), options.restart_interval);
    let layout = scan::Layout::new(a);
    for row in 0..my {
        for col in 0..mx {
            enc.start_mcu();
            for (c, comp) in a.components.iter().enumerate() {
                let (bw, bh) = a.component_blocks(c);
                for by in 0..usize::from(comp.v) {
                    for bx in 0..usize::from(comp.h) {
                        let (brow, bcol) = (
                            row * usize::from(comp.v) + by,
                            col * usize::from(comp.h) + bx,
                        );
                        if bcol >= bw || brow >= bh {
                            enc.padding_block(c)?;
                            continue;
                        }
                        let block = layout
                            .block(coefficients, c, brow, bcol)
                            .ok_or(Error::Scan)?;
                        let dc = block.first().copied().unwrap_or(0);
                        enc.block(c, i32::from(dc), NonZero::new(block))?;
                    }
                }
            }
        }
        if enc.w.finish().is_none() {
            return Err(full(&enc, row + 1, my));
        }
    }
    enc.w.flush();
    enc.w.finish().ok_or_else(|| full(&enc, my, my))
}

/// The non-zero AC coefficients of a block, (zigzag index, value) in order.
/// A bit mask of them is made first, so the rest costs one step per
/// non-zero coefficient.
struct NonZero<'b> {
    block: &'b [i16],
    mask: u64,
}

impl<'b> NonZero<'b> {
    #[inline(always)]
    fn new(block: &'b [i16]) -> Self {
        // Eight at a time with constant shifts, which compiles to vector
        // compares and a byte mask, no branch per coefficient.
        let mut mask = 0u64;
        for (j, oct) in block.chunks_exact(8).enumerate() {
            let mut m = 0u64;
            for (i, &v) in oct.iter().enumerate() {
                m |= u64::from(v != 0) << i;
            }
            mask |= m << ((8 * j) & 63);
        }
        NonZero {
            block,
            mask: mask & !1,
        }
    }
}

impl Iterator for NonZero<'_> {
    type Item = (usize, i32);

    #[inline(always)]
    fn next(&mut self) -> Option<(usize, i32)> {
        if self.mask == 0 {
            return None;
        }
        let k = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some((k, i32::from(self.block.get(k).copied().unwrap_or(0))))
    }
}
