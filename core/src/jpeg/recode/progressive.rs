//! Scans gathered into the coefficient buffer: progressive scans (T.81
//! Annex G: spectral selection and successive approximation) and sequential
//! frames split into several scans (T.81 §F.2, non-interleaved).

use super::bits::{BitReader, Restarts};
use super::decode::Tables;
use super::huffman::DecodeTable;
use super::Analysis;
use crate::jpeg::Error;

/// Largest DC difference category of 8-bit samples (T.81 Table F.1).
pub(super) const MAX_DC_SIZE: u32 = 11;

/// One scan component: which frame component, and its DC and AC tables.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ScanComponent {
    /// Index of the frame component (0 = Y).
    pub index: usize,
    pub td: u8,
    pub ta: u8,
}

/// A scan header (T.81 §B.2.3).
#[derive(Debug, Clone, Copy)]
pub(super) struct ScanParams {
    pub count: usize,
    pub comps: [ScanComponent; 3],
    /// Spectral selection start and end (zigzag indices).
    pub ss: usize,
    pub se: usize,
    /// Successive approximation: previous and current point transform.
    pub ah: u32,
    pub al: u32,
}

impl ScanParams {
    /// Reads and checks an SOS body against the frame: table ids, and
    /// spectral selection / successive approximation legal for the frame's
    /// mode (T.81 §B.2.3, G.1.1.1.1).
    pub fn parse(b: &[u8], a: &Analysis, bad: Error) -> Result<ScanParams, Error> {
        let [n, rest @ ..] = b else { return Err(bad) };
        let count = usize::from(*n);
        let (sel, tail) = rest.split_at_checked(2 * count).ok_or(bad)?;
        let [ss, se, ahal] = tail else {
            return Err(bad);
        };
        let mut comps = [ScanComponent::default(); 3];
        for (slot, s) in comps.iter_mut().zip(sel.chunks_exact(2)) {
            let [id, t] = s else { return Err(bad) };
            let index = a
                .components
                .iter()
                .position(|c| c.id == *id)
                .ok_or(Error::Scan)?;
            let (td, ta) = (t >> 4, t & 0xf);
            if td > 3 || ta > 3 {
                return Err(bad);
            }
            *slot = ScanComponent { index, td, ta };
        }
        let p = ScanParams {
            count,
            comps,
            ss: usize::from(*ss),
            se: usize::from(*se),
            ah: u32::from(ahal >> 4),
            al: u32::from(ahal & 0xf),
        };
        let legal = if a.progressive() {
            let dc = p.ss == 0 && p.se == 0;
            let ac = p.ss >= 1 && p.se >= p.ss && p.se <= 63 && count == 1;
            (dc || ac) && p.al <= 13 && (p.ah == 0 || p.ah == p.al + 1)
        } else {
            p.ss == 0 && p.se == 63 && p.ah == 0 && p.al == 0
        };
        if !(1..=3).contains(&count) || !legal {
            return Err(Error::Scan);
        }
        Ok(p)
    }

    fn components(&self) -> &[ScanComponent] {
        self.comps.get(..self.count).unwrap_or_default()
    }
}

/// Where each component's blocks lie in the coefficient buffer: row-major,
/// padded to whole MCUs, 64 coefficients a block in zigzag order.
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    /// For each component: its first coefficient and its width in blocks.
    start: [usize; 3],
    width: [usize; 3],
    height: [usize; 3],
}

impl Layout {
    pub fn new(a: &Analysis) -> Layout {
        let (mx, my) = a.mcus();
        let mut start = [0; 3];
        let mut width = [0; 3];
        let mut height = [0; 3];
        let mut at = 0usize;
        let slots = start
            .iter_mut()
            .zip(width.iter_mut())
            .zip(height.iter_mut());
        for (((start, width), height), comp) in slots.zip(&a.components) {
            *start = at;
            *width = mx * usize::from(comp.h);
            *height = my * usize::from(comp.v);
            at = at.saturating_add(width.saturating_mul(*height).saturating_mul(64));
        }
        Layout {
            start,
            width,
            height,
        }
    }

    pub fn block<'c>(
        &self,
        coefs: &'c [i16],
        c: usize,
        row: usize,
        col: usize,
    ) -> Option<&'c [i16]> {
        let i = self.index(c, row, col)?;
        coefs.get(i..i + 64)
    }

    fn block_mut<'c>(
        &self,
        coefs: &'c mut [i16],
        c: usize,
        row: usize,
        col: usize,
    ) -> Option<&'c mut [i16]> {
        let i = self.index(c, row, col)?;
        coefs.get_mut(i..i + 64)
    }

    /// Blocks `0..cols` of block row `row` of component `c`, contiguous.
    fn row_mut<'c>(
        &self,
        coefs: &'c mut [i16],
        c: usize,
        row: usize,
        cols: usize,
    ) -> Option<&'c mut [i16]> {
        let i = self.index(c, row, 0)?;
        let w = *self.width.get(c)?;
        coefs.get_mut(i..i + cols.min(w) * 64)
    }

    fn index(&self, c: usize, row: usize, col: usize) -> Option<usize> {
        let (w, h, start) = (
            *self.width.get(c)?,
            *self.height.get(c)?,
            *self.start.get(c)?,
        );
        (row < h && col < w).then(|| start + (row * w + col) * 64)
    }
}

/// Decoding state that lives across the blocks of one scan.
#[derive(Default)]
struct ScanState {
    pred: [i32; 3],
    eobrun: u32,
}

/// Decodes one scan into `coefs` (already zeroed for the frame).
pub(super) fn decode_scan(
    a: &Analysis,
    p: &ScanParams,
    tables: &Tables,
    r: BitReader<'_>,
    restart_interval: u16,
    coefs: &mut [i16],
) -> Result<(), Error> {
    check_tables(p, tables)?;
    let dc = |sc: &ScanComponent| tables.dc.get(usize::from(sc.td)).ok_or(Error::HuffmanTable);
    let ac = |sc: &ScanComponent| tables.ac.get(usize::from(sc.ta)).ok_or(Error::HuffmanTable);
    let walk = Walk {
        a,
        p,
        restart_interval,
    };
    // One loop per kind of scan, so that no block asks again which it is.
    if !a.progressive() {
        walk.run(r, coefs, false, |sc, r, st, block| {
            sequential_block(sc.index, dc(sc)?, ac(sc)?, r, st, block)
        })
    } else if p.ss == 0 {
        walk.run(r, coefs, false, |sc, r, st, block| {
            dc_block(p, sc.index, dc(sc)?, r, st, block)
        })
    } else {
        // AC scans have one component (checked by `ScanParams::parse`).
        let act = ac(&p.comps[0])?;
        if p.ah == 0 {
            walk.run(r, coefs, true, |_, r, st, block| {
                ac_first(p, act, r, st, block)
            })
        } else {
            walk.run(r, coefs, false, |_, r, st, block| {
                ac_refine(p, act, r, st, block)
            })
        }
    }
}

/// The order of a scan's blocks (T.81 §A.2): whole MCUs when interleaved
/// (padding blocks included), the component's own blocks row by row when
/// not; and its restart intervals.
struct Walk<'s> {
    a: &'s Analysis,
    p: &'s ScanParams,
    restart_interval: u16,
}

impl Walk<'_> {
    /// Calls `f` on every block of the scan in order. With `eob_runs`, a
    /// block inside an end-of-band run is passed over without a call: it
    /// has nothing to read (T.81 §G.1.2.2).
    #[inline(always)]
    fn run(
        &self,
        mut r: BitReader<'_>,
        coefs: &mut [i16],
        eob_runs: bool,
        mut f: impl FnMut(
            &ScanComponent,
            &mut BitReader<'_>,
            &mut ScanState,
            &mut [i16],
        ) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let (a, p) = (self.a, self.p);
        let layout = Layout::new(a);
        let mut st = ScanState::default();
        let mut restarts = Restarts::new(self.restart_interval);
        let (mx, my) = a.mcus();
        let (cols, rows) = if p.count > 1 {
            (mx, my)
        } else {
            a.component_blocks(p.comps[0].index)
        };
        for row in 0..rows {
            if p.count == 1 {
                let sc = &p.comps[0];
                let blocks = layout
                    .row_mut(coefs, sc.index, row, cols)
                    .ok_or(Error::Scan)?;
                for block in blocks.chunks_exact_mut(64) {
                    if restarts.before_unit(&mut r)? {
                        st = ScanState::default();
                    }
                    if eob_runs && st.eobrun > 0 {
                        st.eobrun -= 1;
                        continue;
                    }
                    f(sc, &mut r, &mut st, block)?;
                }
            } else {
                for col in 0..cols {
                    if restarts.before_unit(&mut r)? {
                        st = ScanState::default();
                    }
                    for sc in p.components() {
                        let comp = a.components.get(sc.index).ok_or(Error::Scan)?;
                        let (h, v) = (usize::from(comp.h), usize::from(comp.v));
                        for by in 0..v {
                            for bx in 0..h {
                                let block = layout
                                    .block_mut(coefs, sc.index, row * v + by, col * h + bx)
                                    .ok_or(Error::Scan)?;
                                f(sc, &mut r, &mut st, block)?;
                            }
                        }
                    }
                }
            }
            if r.overrun() {
                return Err(r.error());
            }
        }
        Ok(())
    }
}

/// Every table the scan decodes with must be defined (T.81 §B.2.4.2),
/// unless the frame defines none and so uses the K.3 ones.
pub(super) fn check_tables(p: &ScanParams, tables: &Tables) -> Result<(), Error> {
    if !tables_from_frame(tables) {
        return Ok(());
    }
    let needs_dc = p.ss == 0 && p.ah == 0;
    let needs_ac = p.se > 0;
    for sc in p.components() {
        if (needs_dc && !tables.is_defined(0, usize::from(sc.td)))
            || (needs_ac && !tables.is_defined(1, usize::from(sc.ta)))
        {
            return Err(Error::HuffmanTable);
        }
    }
    Ok(())
}

/// True when the frame defined its own tables (so a missing one is an
/// error rather than the implied K.3 default).
fn tables_from_frame(tables: &Tables) -> bool {
    (0..2).any(|class| (0..4).any(|id| tables.is_defined(class, id)))
}

fn to_i16(v: i32) -> Result<i16, Error> {
    i16::try_from(v).map_err(|_| Error::CoefficientRange)
}

/// A whole block of a sequential scan (T.81 §F.2.2.1, F.2.2.2): updates
/// the DC prediction `pred` and hands each non-zero AC coefficient
/// (zigzag index, value) to `ac`, in order.
#[inline(always)]
pub(super) fn sequential(
    dct: &DecodeTable,
    act: &DecodeTable,
    r: &mut BitReader<'_>,
    pred: &mut i32,
    mut ac: impl FnMut(usize, i32) -> Result<(), Error>,
) -> Result<(), Error> {
    let s = u32::from(dct.decode(r)?);
    if s > MAX_DC_SIZE {
        return Err(Error::CoefficientRange);
    }
    *pred = pred.saturating_add(r.receive_extend(s));
    let mut k = 1usize;
    while k < 64 {
        let rs = act.decode(r)?;
        let (run, s) = (usize::from(rs >> 4), u32::from(rs & 15));
        if s == 0 {
            if run != 15 {
                break; // EOB
            }
            k += 16; // ZRL
            continue;
        }
        k += run;
        if k > 63 {
            return Err(r.error());
        }
        ac(k, r.receive_extend(s))?;
        k += 1;
    }
    Ok(())
}

fn sequential_block(
    comp: usize,
    dct: &DecodeTable,
    act: &DecodeTable,
    r: &mut BitReader<'_>,
    st: &mut ScanState,
    block: &mut [i16],
) -> Result<(), Error> {
    let pred = st.pred.get_mut(comp).ok_or(Error::Scan)?;
    let (dc, rest) = block.split_first_mut().ok_or(Error::Scan)?;
    sequential(dct, act, r, pred, |k, v| {
        let slot = rest.get_mut(k - 1).ok_or(Error::Scan)?;
        *slot = to_i16(v)?;
        Ok(())
    })?;
    *dc = to_i16(*pred)?;
    Ok(())
}

/// A DC scan of a progressive frame (T.81 §G.1.2.1): first pass, or one
/// more bit of precision.
fn dc_block(
    p: &ScanParams,
    comp: usize,
    dct: &DecodeTable,
    r: &mut BitReader<'_>,
    st: &mut ScanState,
    block: &mut [i16],
) -> Result<(), Error> {
    let slot = block.first_mut().ok_or(Error::Scan)?;
    if p.ah == 0 {
        let s = u32::from(dct.decode(r)?);
        if s > MAX_DC_SIZE {
            return Err(Error::CoefficientRange);
        }
        let pred = st.pred.get_mut(comp).ok_or(Error::Scan)?;
        *pred = pred.saturating_add(r.receive_extend(s));
        *slot = to_i16(
            pred.checked_shl(p.al)
                .filter(|v| v >> p.al == *pred)
                .ok_or(Error::CoefficientRange)?,
        )?;
    } else if r.bits(1) != 0 {
        *slot |= 1 << p.al;
    }
    Ok(())
}

/// The first pass over a band of AC coefficients (T.81 §G.1.2.2), with
/// end-of-band runs spanning blocks.
fn ac_first(
    p: &ScanParams,
    act: &DecodeTable,
    r: &mut BitReader<'_>,
    st: &mut ScanState,
    block: &mut [i16],
) -> Result<(), Error> {
    if st.eobrun > 0 {
        st.eobrun -= 1;
        return Ok(());
    }
    let mut k = p.ss;
    while k <= p.se {
        let rs = act.decode(r)?;
        let (run, s) = (u32::from(rs >> 4), u32::from(rs & 15));
        if s == 0 {
            if run == 15 {
                k += 16;
                continue;
            }
            // EOBn: this block and 2^run - 1 + (run bits) more end here.
            st.eobrun = (1 << run) + r.bits(run) - 1;
            break;
        }
        k += run as usize;
        if k > p.se {
            return Err(r.error());
        }
        let v = r.receive_extend(s);
        let slot = block.get_mut(k).ok_or(Error::Scan)?;
        *slot = to_i16(
            v.checked_shl(p.al)
                .filter(|x| x >> p.al == v)
                .ok_or(Error::CoefficientRange)?,
        )?;
        k += 1;
    }
    Ok(())
}

/// One correction bit for a coefficient already non-zero (T.81 §G.1.2.3):
/// it moves away from zero by `p1` when the bit is set and that bit of its
/// magnitude is not yet. Wrapping: a damaged scan can only make a value the
/// encoder's range check then refuses, never a panic.
#[inline(always)]
fn refine(coef: &mut i16, r: &mut BitReader<'_>, p1: i16) {
    // Branch-free: correction bits and signs are unpredictable.
    let bit = r.bits(1) as i16;
    let unset = i16::from(*coef & p1 == 0);
    let sign = *coef >> 15; // 0 or -1
    *coef = coef.wrapping_add((bit & unset) * ((p1 ^ sign) - sign));
}

/// A refinement pass over a band (T.81 §G.1.2.3): one more bit for every
/// coefficient already non-zero, and new coefficients of magnitude 1.
fn ac_refine(
    p: &ScanParams,
    act: &DecodeTable,
    r: &mut BitReader<'_>,
    st: &mut ScanState,
    block: &mut [i16],
) -> Result<(), Error> {
    let p1: i16 = 1 << p.al; // al ≤ 13
    let m1: i16 = -p1;
    let mut k = p.ss;
    if st.eobrun == 0 {
        while k <= p.se {
            let rs = act.decode(r)?;
            let (mut run, s) = (i32::from(rs >> 4), rs & 15);
            let mut value = 0i16;
            if s != 0 {
                // New coefficients are ±1 << al (T.81 §G.1.2.3).
                if s != 1 {
                    return Err(r.error());
                }
                value = if r.bits(1) != 0 { p1 } else { m1 };
            } else if run != 15 {
                st.eobrun = (1 << run) + r.bits(run as u32);
                break;
            }
            // Skip `run` zero coefficients, refining the non-zero ones met
            // on the way; the new value goes in the next zero one.
            while k <= p.se {
                let coef = block.get_mut(k).ok_or(Error::Scan)?;
                if *coef != 0 {
                    refine(coef, r, p1);
                } else {
                    if run == 0 {
                        break;
                    }
                    run -= 1;
                }
                k += 1;
            }
            if value != 0 {
                let slot = block.get_mut(k).filter(|_| k <= p.se).ok_or(r.error())?;
                *slot = value;
            }
            k += 1;
        }
    }
    if st.eobrun > 0 {
        // The rest of the band is in an end-of-band run: refine only. Most
        // of it is zero, so look at four coefficients at a time.
        if let Some(band) = block.get_mut(k..=p.se) {
            for quad in band.chunks_mut(4) {
                if quad.iter().all(|&c| c == 0) {
                    continue;
                }
                for coef in quad.iter_mut().filter(|c| **c != 0) {
                    refine(coef, r, p1);
                }
            }
        }
        st.eobrun -= 1;
    }
    Ok(())
}
