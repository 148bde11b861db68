//! Walking the frame's markers, decoding its scans (T.81 Annex F, G) and
//! writing the re-coded frame.

use super::bits::{BitReader, BitWriter};
use super::encode::ScanEncoder;
use super::huffman::DecodeTable;
use super::progressive::{self, ScanParams};
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

    fn define(&mut self, mut body: &[u8], bad: Error) -> Result<(), Error> {
        while let [tc_th, rest @ ..] = body {
            let counts = rest.get(..16).ok_or(bad)?;
            let n: usize = counts.iter().map(|&c| usize::from(c)).sum();
            let symbols = rest.get(16..16 + n).ok_or(bad)?;
            let (class, id) = (usize::from(tc_th >> 4), usize::from(tc_th & 0xf));
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
            body = rest.get(16 + n..).unwrap_or_default();
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
                progressive::check_tables(&scan, &tables)?;
                let reader = BitReader::new(seg.entropy, seg.entropy_start);
                if a.streams() {
                    let start = header_len.unwrap_or(0);
                    let end = stream(
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
                    progressive::decode_scan(
                        a,
                        &scan,
                        &tables,
                        reader,
                        restart_interval,
                        coefficients,
                    )?;
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

fn read_dqt<'a>(mut b: &'a [u8], dqt: &mut [Option<&'a [u8]>; 4], bad: Error) -> Result<(), Error> {
    while let [pq_tq, rest @ ..] = b {
        let n = if pq_tq >> 4 == 0 { 64 } else { 128 };
        let slot = dqt.get_mut(usize::from(pq_tq & 0xf)).ok_or(bad)?;
        *slot = Some(rest.get(..n).ok_or(bad)?);
        b = rest.get(n..).unwrap_or_default();
    }
    Ok(())
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

/// What [`stream`] keeps per component.
struct StreamComponent<'t> {
    comp: super::header::Component,
    dc: Option<&'t DecodeTable>,
    ac: Option<&'t DecodeTable>,
    pred: i32,
    blocks: (usize, usize),
}

/// The one interleaved sequential scan, block by block straight into the
/// output: no coefficient buffer.
#[allow(clippy::too_many_arguments)]
fn stream(
    a: &Analysis,
    scan: &ScanParams,
    tables: &Tables,
    mut r: BitReader<'_>,
    restart_in: u16,
    options: Options,
    out: &mut [u8],
    start: usize,
) -> Result<usize, Error> {
    if scan.count != 3 {
        return Err(Error::Scan);
    }
    let (mx, my) = a.mcus();
    let mut enc = ScanEncoder::new(BitWriter::new(out, start), options.restart_interval);
    let mut restarts = 0u16;
    // Per component: its frame entry, its tables, its DC prediction and how
    // many of its blocks hold samples.
    let mut comps = [0, 1, 2].map(|c| StreamComponent {
        comp: a.components.get(c).copied().unwrap_or_default(),
        dc: scan
            .comps
            .get(c)
            .and_then(|s| tables.dc.get(usize::from(s.td))),
        ac: scan
            .comps
            .get(c)
            .and_then(|s| tables.ac.get(usize::from(s.ta))),
        pred: 0,
        blocks: a.component_blocks(c),
    });
    let mut ac = [(0usize, 0i32); 63];
    for row in 0..my {
        for col in 0..mx {
            let i = row * mx + col;
            if restart_in != 0 && i != 0 && i % usize::from(restart_in) == 0 {
                r.restart(restarts)?;
                restarts = restarts.wrapping_add(1);
                comps.iter_mut().for_each(|c| c.pred = 0);
            }
            enc.start_mcu();
            for (c, sc) in comps.iter_mut().enumerate() {
                let (Some(dct), Some(act)) = (sc.dc, sc.ac) else {
                    return Err(Error::HuffmanTable);
                };
                let (h, v) = (usize::from(sc.comp.h), usize::from(sc.comp.v));
                for by in 0..v {
                    for bx in 0..h {
                        let mut n = 0;
                        progressive::sequential(dct, act, &mut r, &mut sc.pred, |k, value| {
                            if let Some(slot) = ac.get_mut(n) {
                                *slot = (k, value);
                            }
                            n += 1;
                            Ok(())
                        })?;
                        // The buffered path holds coefficients as i16
                        // (T.81 §F.1.1.5 bounds them far tighter): refuse a
                        // running DC beyond that here too, so both agree.
                        if i16::try_from(sc.pred).is_err() {
                            return Err(Error::CoefficientRange);
                        }
                        if col * h + bx >= sc.blocks.0 || row * v + by >= sc.blocks.1 {
                            enc.padding_block(c)?;
                        } else {
                            enc.block(c, sc.pred, ac.iter().take(n).copied())?;
                        }
                    }
                }
            }
            if r.overrun() {
                return Err(r.error());
            }
        }
        if enc.w.finish().is_none() {
            return Err(full(&enc, row + 1, my));
        }
    }
    enc.w.flush();
    enc.w.finish().ok_or_else(|| full(&enc, my, my))
}

/// [`Error::BufferTooSmall`] with an estimate of the room the whole scan
/// needs, from what `done` of `rows` MCU rows took.
fn full(enc: &ScanEncoder<'_>, done: usize, rows: usize) -> Error {
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
    let layout = progressive::Layout::new(a);
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
/// A bit mask of them is made first, four coefficients at a time (most
/// high-frequency quadruples are all zero), so the rest costs one step per
/// non-zero coefficient.
struct NonZero<'b> {
    block: &'b [i16],
    mask: u64,
}

impl<'b> NonZero<'b> {
    #[inline(always)]
    fn new(block: &'b [i16]) -> Self {
        let mut mask = 0u64;
        for (j, quad) in block.chunks_exact(4).enumerate() {
            if let [a, b, c, d] = *quad {
                if (a | b | c | d) != 0 {
                    let bits = u64::from(a != 0)
                        | u64::from(b != 0) << 1
                        | u64::from(c != 0) << 2
                        | u64::from(d != 0) << 3;
                    mask |= bits << ((4 * j) & 63);
                }
            }
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
