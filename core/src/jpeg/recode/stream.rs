//! The one interleaved sequential scan, re-coded as it is read: each AC
//! symbol is decoded with the frame's table and written with the K.3 one,
//! its extra bits passed through (T.81 §F.1.2.2, F.2.2.2), with no
//! coefficient buffer.

use super::bits::{BitReader, BitWriter, Restarts};
use super::blocks::{sequential, MAX_DC_SIZE};
use super::decode::{full, Tables};
use super::encode::ScanEncoder;
use super::huffman::DecodeTable;
use super::scan::ScanParams;
use super::{Analysis, Options};
use crate::jpeg::Error;

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
pub(super) fn stream(
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
    let mut restarts = Restarts::new(restart_in);
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
    for row in 0..my {
        for col in 0..mx {
            if restarts.before_unit(&mut r)? {
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
                        if col * h + bx >= sc.blocks.0 || row * v + by >= sc.blocks.1 {
                            // Decoded to move on, written as jpegtran
                            // writes padding blocks.
                            sequential(dct, act, &mut r, &mut sc.pred, |_, _| Ok(()))?;
                            enc.padding_block(c)?;
                        } else {
                            transcode_block(dct, act, &mut r, &mut sc.pred, &mut enc, c)?;
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

/// One block from input symbols to output symbols. The input may code a
/// block in a way the K.3 encoder never would (zero runs, ZRL, up to the
/// block's end instead of EOB); what is written is what libjpeg's encoder
/// writes for the same coefficients.
#[inline(always)]
fn transcode_block(
    dct: &DecodeTable,
    act: &DecodeTable,
    r: &mut BitReader<'_>,
    pred: &mut i32,
    enc: &mut ScanEncoder<'_>,
    comp: usize,
) -> Result<(), Error> {
    let s = u32::from(dct.decode(r)?);
    if s > MAX_DC_SIZE {
        return Err(Error::CoefficientRange);
    }
    *pred = pred.saturating_add(r.receive_extend(s));
    // The buffered path holds coefficients as i16 (T.81 §F.1.1.5 bounds
    // them far tighter): refuse a running DC beyond that here too.
    if i16::try_from(*pred).is_err() {
        return Err(Error::CoefficientRange);
    }
    let mut b = enc.block_writer();
    b.dc(comp, *pred)?;
    let mut k = 1usize;
    // ZRLs read but not written yet: only a non-zero coefficient after
    // them makes them needed.
    let mut zrl = 0u32;
    while k < 64 {
        // One refill for the code (≤ 16 bits) and its extra bits (≤ 15).
        r.ensure(32);
        let rs = act.decode_ready(r)?;
        let size = u32::from(rs & 15);
        if size == 0 {
            if rs != 0xf0 {
                b.eob();
                b.finish();
                return Ok(());
            }
            zrl += 1;
            k += 16;
            continue;
        }
        k += usize::from(rs >> 4) + 1;
        if k > 64 {
            return Err(r.error());
        }
        let extra = r.peek(size);
        r.consume(size);
        for _ in 0..core::mem::take(&mut zrl) {
            b.zrl();
        }
        // A value's extra bits are the same in any table: they depend on
        // its category only (T.81 §F.1.2.1.1).
        b.ac(rs, extra)?;
    }
    if zrl > 0 {
        // Zero runs up to the block's end: an EOB in canonical form.
        b.eob();
    }
    b.finish();
    Ok(())
}
