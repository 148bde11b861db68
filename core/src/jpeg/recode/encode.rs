//! Encoding blocks into one interleaved baseline scan with the K.3 tables
//! (T.81 §F.1.2), as libjpeg-turbo's `jpegtran` writes it.

use super::bits::BitWriter;
use super::huffman::{EncodeTable, STANDARD};
use crate::jpeg::Error;

/// Largest DC difference category the K.3 DC tables code (T.81 Table F.1).
const MAX_DC_SIZE: u32 = 11;
/// Largest AC category the K.3 AC tables code (T.81 Table F.2).
const MAX_AC_SIZE: u32 = 10;
/// Run of 16 zero coefficients (T.81 §F.1.2.2.1).
const ZRL: usize = 0xf0;
/// End of block.
const EOB: usize = 0x00;

/// Writes the output scan: DC prediction per component, restart markers
/// every `restart_interval` MCUs, and the padding blocks of partial MCUs.
#[derive(Debug)]
pub(super) struct ScanEncoder<'o> {
    pub w: BitWriter<'o>,
    pred: [i32; 3],
    restart_interval: u16,
    mcus: usize,
    /// DC written for the previous block of the current MCU.
    last_dc: i32,
}

/// Category (bit length) of a value's magnitude (T.81 §F.1.2.1.1).
#[inline(always)]
fn size(v: i32) -> u32 {
    32 - v.unsigned_abs().leading_zeros()
}

/// The `size` low bits coding `v` (T.81 §F.1.2.1.1: negative values as
/// `v - 1` in two's complement).
#[inline(always)]
fn extra_bits(v: i32, size: u32) -> u32 {
    let v = if v < 0 { v - 1 } else { v };
    (v as u32) & ((1u32 << size) - 1)
}

impl<'o> ScanEncoder<'o> {
    pub fn new(w: BitWriter<'o>, restart_interval: u16) -> Self {
        ScanEncoder {
            w,
            pred: [0; 3],
            restart_interval,
            mcus: 0,
            last_dc: 0,
        }
    }

    /// Starts the next MCU: writes RSTn first when an interval ends
    /// (T.81 §F.1.2.3: DC predictions restart at 0, bits pad to a byte).
    #[inline]
    pub fn start_mcu(&mut self) {
        let ri = usize::from(self.restart_interval);
        if ri != 0 && self.mcus != 0 && self.mcus % ri == 0 {
            self.w.flush();
            let n = (self.mcus / ri - 1) % 8;
            self.w.marker(0xd0 + n as u8);
            self.pred = [0; 3];
        }
        self.mcus += 1;
    }

    /// A padding block of a partial MCU (T.81 §A.2.4), written as
    /// libjpeg's `jpegtran` does: no AC, the DC of the block before it in
    /// the MCU, so the output is byte for byte jpegtran's.
    #[inline]
    pub fn padding_block(&mut self, comp: usize) -> Result<(), Error> {
        self.block(comp, self.last_dc, core::iter::empty())
    }

    /// One block: its DC value and its non-zero AC coefficients as
    /// (zigzag index 1..=63, value) in increasing index order.
    #[inline(always)]
    pub fn block(
        &mut self,
        comp: usize,
        dc: i32,
        ac: impl Iterator<Item = (usize, i32)>,
    ) -> Result<(), Error> {
        let (dct, act) = tables(comp);
        let pred = self.pred.get_mut(comp).ok_or(Error::Scan)?;
        // Saturating: a damaged scan may push predictions anywhere; the
        // range check below then refuses it.
        let diff = dc.saturating_sub(*pred);
        *pred = dc;
        self.last_dc = dc;
        let s = size(diff);
        if s > MAX_DC_SIZE {
            return Err(Error::CoefficientRange);
        }
        self.code(dct, s as usize, extra_bits(diff, s), s);
        let mut last = 0usize;
        for (k, v) in ac {
            let mut run = k.wrapping_sub(last + 1);
            if k <= last || k > 63 {
                return Err(Error::CoefficientRange);
            }
            while run >= 16 {
                self.code(act, ZRL, 0, 0);
                run -= 16;
            }
            let s = size(v);
            if s > MAX_AC_SIZE {
                return Err(Error::CoefficientRange);
            }
            self.code(act, (run << 4) | s as usize, extra_bits(v, s), s);
            last = k;
        }
        if last != 63 {
            self.code(act, EOB, 0, 0);
        }
        Ok(())
    }

    /// A symbol's code followed by `n` extra bits (at most 16 + 11 bits).
    #[inline(always)]
    fn code(&mut self, t: &EncodeTable, symbol: usize, extra: u32, n: u32) {
        let c = t.codes.get(symbol).copied().unwrap_or(0);
        let len = c & 0xff;
        self.w.put(((c >> 8) << n) | extra, len + n);
    }
}

/// The K.3 tables of a component: luma for the first, chroma for the others
/// (RFC 2435 Appendix B).
#[inline(always)]
fn tables(comp: usize) -> (&'static EncodeTable, &'static EncodeTable) {
    if comp == 0 {
        (&STANDARD[0], &STANDARD[1])
    } else {
        (&STANDARD[2], &STANDARD[3])
    }
}
