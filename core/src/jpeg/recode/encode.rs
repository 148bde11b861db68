//! Encoding blocks into one interleaved baseline scan with the K.3 tables
//! (T.81 §F.1.2), as libjpeg-turbo's `jpegtran` writes it.

use super::bits::{BitWriter, Pending};
use super::huffman::{EncodeTable, CHROMA_AC_CODES, CHROMA_DC_CODES, LUMA_AC_CODES, LUMA_DC_CODES};

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
/// `v - 1` in two's complement). Branch-free: the sign of a coefficient is a
/// coin toss, which a branch would mispredict half the time.
#[inline(always)]
fn extra_bits(v: i32, size: u32) -> u32 {
    let v = v + (v >> 31);
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
        let mut b = self.block_writer();
        b.dc(comp, dc)?;
        let mut last = 0usize;
        for (k, v) in ac {
            let mut run = k.wrapping_sub(last + 1);
            if k <= last || k > 63 {
                return Err(Error::CoefficientRange);
            }
            while run >= 16 {
                b.zrl();
                run -= 16;
            }
            let s = size(v);
            b.ac((run << 4) as u8 | s as u8, extra_bits(v, s))?;
            last = k;
        }
        if last != 63 {
            b.eob();
        }
        b.finish();
        Ok(())
    }

    /// A writer for one block's codes (see [`BitWriter::pending`]); call
    /// [`BlockWriter::finish`] after the last one.
    #[inline(always)]
    pub fn block_writer(&mut self) -> BlockWriter<'_, 'o> {
        let pending = self.w.pending();
        BlockWriter {
            enc: self,
            pending,
            ac_table: &LUMA_AC_CODES,
        }
    }
}

/// Writes the codes of one block.
#[derive(Debug)]
pub(super) struct BlockWriter<'e, 'o> {
    enc: &'e mut ScanEncoder<'o>,
    pending: Pending,
    /// The AC table of the block (luma or chroma).
    ac_table: &'static EncodeTable,
}

impl BlockWriter<'_, '_> {
    /// The block's DC value, coded as the difference from the prediction
    /// (T.81 §F.1.2.1).
    #[inline(always)]
    pub fn dc(&mut self, comp: usize, dc: i32) -> Result<(), Error> {
        let pred = self.enc.pred.get_mut(comp).ok_or(Error::Scan)?;
        // Saturating: a damaged scan may push predictions anywhere; the
        // range check below then refuses it.
        let diff = dc.saturating_sub(*pred);
        *pred = dc;
        self.enc.last_dc = dc;
        // RFC 2435 Appendix B: luma tables for Y, chroma ones for Cb, Cr.
        let dc_table = if comp == 0 {
            self.ac_table = &LUMA_AC_CODES;
            &LUMA_DC_CODES
        } else {
            self.ac_table = &CHROMA_AC_CODES;
            &CHROMA_DC_CODES
        };
        let s = size(diff);
        if s > MAX_DC_SIZE {
            return Err(Error::CoefficientRange);
        }
        self.code(dc_table, s as usize, extra_bits(diff, s), s);
        Ok(())
    }

    /// One AC symbol (run << 4 | size, T.81 §F.1.2.2) and its `size` extra
    /// bits.
    #[inline(always)]
    pub fn ac(&mut self, run_size: u8, extra: u32) -> Result<(), Error> {
        let s = u32::from(run_size & 15);
        if s > MAX_AC_SIZE {
            return Err(Error::CoefficientRange);
        }
        self.code(self.ac_table, usize::from(run_size), extra, s);
        Ok(())
    }

    /// A run of 16 zero coefficients.
    #[inline(always)]
    pub fn zrl(&mut self) {
        self.code(self.ac_table, ZRL, 0, 0);
    }

    /// End of block.
    #[inline(always)]
    pub fn eob(&mut self) {
        self.code(self.ac_table, EOB, 0, 0);
    }

    /// Hands the pending bits back to the scan's writer.
    #[inline(always)]
    pub fn finish(self) {
        self.enc.w.set_pending(self.pending);
    }

    /// A symbol's code followed by `n` extra bits (at most 16 + 11 bits).
    #[inline(always)]
    fn code(&mut self, t: &EncodeTable, symbol: usize, extra: u32, n: u32) {
        let c = t.codes.get(symbol).copied().unwrap_or(0);
        let len = c & 0xff;
        self.enc
            .w
            .put_in(&mut self.pending, ((c >> 8) << n) | extra, len + n);
    }
}
