//! Scans gathered into the coefficient buffer, their headers, block order
//! and restart intervals: progressive scans (T.81
//! Annex G: spectral selection and successive approximation) and sequential
//! frames split into several scans (T.81 §F.2, non-interleaved).

use super::bits::{BitReader, Restarts};
use super::blocks::{ac_first, ac_refine, dc_block, sequential_block, ScanState};
use super::decode::Tables;
use super::Analysis;
use crate::jpeg::Error;

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
                    if eob_runs && st.skip_in_eob_run() {
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
