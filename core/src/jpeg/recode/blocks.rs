//! Decoding one block of a scan into the coefficient buffer: sequential
//! (T.81 §F.2.2), and the four kinds of progressive scan (T.81 §G.1.2).

use super::bits::BitReader;
use super::huffman::DecodeTable;
use super::scan::ScanParams;
use crate::jpeg::Error;

/// Largest DC difference category of 8-bit samples (T.81 Table F.1).
pub(super) const MAX_DC_SIZE: u32 = 11;

/// Decoding state that lives across the blocks of one scan.
#[derive(Default)]
pub(super) struct ScanState {
    pred: [i32; 3],
    eobrun: u32,
}

impl ScanState {
    /// Whether this block lies inside an end-of-band run of an AC first
    /// scan (and so has nothing to read, T.81 §G.1.2.2); counts it.
    #[inline(always)]
    pub(super) fn skip_in_eob_run(&mut self) -> bool {
        let inside = self.eobrun > 0;
        self.eobrun -= u32::from(inside);
        inside
    }
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

pub(super) fn sequential_block(
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
pub(super) fn dc_block(
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
pub(super) fn ac_first(
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
pub(super) fn ac_refine(
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
