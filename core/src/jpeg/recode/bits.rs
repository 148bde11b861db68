//! Bits in and out of entropy-coded data: byte stuffing (a 0xFF data byte
//! is followed by 0x00, T.81 §F.1.2.3), restart markers (§F.1.2.3, B.2.1)
//! and the 1-bits that pad a segment to a whole byte (§F.1.2.3).

use crate::jpeg::Error;

/// Reads bits MSB first from one scan's entropy-coded data (T.81 §F.2.2.5).
///
/// Past the data (at a marker or its end) it reads 0-bits, as libjpeg does,
/// and counts them: [`BitReader::overrun`] tells whether any were used,
/// which a complete scan never needs.
#[derive(Debug)]
pub(super) struct BitReader<'a> {
    data: &'a [u8],
    /// Offset of `data` in the frame, for error offsets.
    base: usize,
    pos: usize,
    /// The next bits, left-aligned.
    acc: u64,
    bits: u32,
    /// Trailing bits of `acc` that were not in the data.
    fake: u32,
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8], base: usize) -> Self {
        BitReader {
            data,
            base,
            pos: 0,
            acc: 0,
            bits: 0,
            fake: 0,
        }
    }

    /// Makes at least `n` (≤ 57) bits available.
    #[inline(always)]
    pub fn ensure(&mut self, n: u32) {
        if self.bits < n {
            self.refill();
        }
    }

    #[inline]
    fn refill(&mut self) {
        // Whole bytes at once when the next eight hold no 0xFF (the usual
        // case: stuffing and markers are rare).
        if let Some(&[a, b, c, d, e, f, g, h]) = self.data.get(self.pos..self.pos + 8) {
            let w = u64::from_be_bytes([a, b, c, d, e, f, g, h]);
            let inv = !w;
            let has_ff = inv.wrapping_sub(0x0101_0101_0101_0101) & !inv & 0x8080_8080_8080_8080;
            if has_ff == 0 && self.fake == 0 {
                let take = (64 - self.bits) / 8;
                self.acc |= w >> self.bits;
                self.bits += take * 8;
                if self.bits < 64 {
                    // Keep only whole bytes: the next refill ORs in after them.
                    self.acc &= !(u64::MAX >> self.bits);
                }
                self.pos += take as usize;
                return;
            }
        }
        while self.bits <= 56 {
            let byte = match self.data.get(self.pos) {
                Some(&0xff) => match self.data.get(self.pos + 1) {
                    Some(0x00) => {
                        self.pos += 2;
                        0xff
                    }
                    // A marker (RSTn, or the end of the scan): feed zeros.
                    _ => {
                        self.fake += 8;
                        0
                    }
                },
                Some(&b) => {
                    self.pos += 1;
                    b
                }
                None => {
                    self.fake += 8;
                    0
                }
            };
            self.acc |= u64::from(byte) << (56 - self.bits);
            self.bits += 8;
        }
    }

    /// The next `n` (1..=32) bits, not consumed; call [`ensure`] first.
    ///
    /// [`ensure`]: BitReader::ensure
    #[inline(always)]
    pub fn peek(&self, n: u32) -> u32 {
        (self.acc >> (64 - n)) as u32
    }

    #[inline(always)]
    pub fn consume(&mut self, n: u32) {
        let n = n.min(self.bits);
        self.acc <<= n;
        self.bits -= n;
    }

    /// `n` (0..=16) bits as an unsigned value.
    #[inline(always)]
    pub fn bits(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        self.ensure(n);
        let v = self.peek(n);
        self.consume(n);
        v
    }

    /// `n` (0..=16) bits as a signed value (T.81 §F.2.2.1 RECEIVE, EXTEND).
    #[inline(always)]
    pub fn receive_extend(&mut self, n: u32) -> i32 {
        if n == 0 {
            return 0;
        }
        let v = self.bits(n) as i32;
        // A leading 0 bit marks a negative value: v - (2^n - 1). Without a
        // branch, as signs are unpredictable.
        let negative = i32::from(v < (1 << (n - 1)));
        v - negative * ((1 << n) - 1)
    }

    /// Whether bits past the data were used.
    pub fn overrun(&self) -> bool {
        self.fake > self.bits
    }

    /// The error for undecodable data at the current position.
    pub fn error(&self) -> Error {
        Error::EntropyData {
            offset: self.base + self.pos,
        }
    }

    /// Ends a restart interval (T.81 §F.2.2.5, E.2.4): drops the padding
    /// bits, then expects RSTn with `n` = `count` mod 8.
    pub fn restart(&mut self, count: u16) -> Result<(), Error> {
        if self.overrun() {
            return Err(self.error());
        }
        // What is left in `acc` is at most the byte's padding: bytes are
        // never read past a marker.
        self.acc = 0;
        self.bits = 0;
        self.fake = 0;
        let mut p = self.pos;
        while self.data.get(p + 1) == Some(&0xff) {
            p += 1; // fill bytes before the marker (T.81 §B.1.1.2)
        }
        let want = 0xd0 + (count % 8) as u8;
        match self.data.get(p..p + 2) {
            Some([0xff, m]) if *m == want => {
                self.pos = p + 2;
                Ok(())
            }
            _ => Err(self.error()),
        }
    }
}

/// Counts the MCUs of a scan and reads the RSTn that ends each restart
/// interval (T.81 §B.2.4.4, F.2.2.5).
#[derive(Debug)]
pub(super) struct Restarts {
    interval: usize,
    units: usize,
    count: u16,
}

impl Restarts {
    pub fn new(interval: u16) -> Self {
        Restarts {
            interval: usize::from(interval),
            units: 0,
            count: 0,
        }
    }

    /// Call before each MCU: reads the marker when an interval ends here,
    /// and says so (the caller then restarts its DC predictions and
    /// end-of-band run).
    #[inline(always)]
    pub fn before_unit(&mut self, r: &mut BitReader<'_>) -> Result<bool, Error> {
        let ends = self.interval != 0 && self.units != 0 && self.units % self.interval == 0;
        self.units += 1;
        if ends {
            r.restart(self.count)?;
            self.count = self.count.wrapping_add(1);
        }
        Ok(ends)
    }
}

/// Bits waiting to be written, right-aligned: see [`BitWriter::pending`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Pending {
    acc: u64,
    bits: u32,
}

/// Writes entropy-coded data MSB first into a caller buffer (T.81
/// §F.1.2.3), stuffing a 0x00 after each 0xFF.
#[derive(Debug)]
pub(super) struct BitWriter<'o> {
    out: &'o mut [u8],
    pos: usize,
    /// Pending bits, right-aligned; `bits` of them.
    acc: u64,
    bits: u32,
    full: bool,
}

impl<'o> BitWriter<'o> {
    pub fn new(out: &'o mut [u8], pos: usize) -> Self {
        BitWriter {
            out,
            pos,
            acc: 0,
            bits: 0,
            full: false,
        }
    }

    /// The bits not written yet. A hot loop keeps them in a local (a
    /// register) and hands them to [`put_in`](BitWriter::put_in): in the
    /// writer they would be stored to memory on every code, as the
    /// compiler cannot tell the output buffer from the writer itself.
    #[inline(always)]
    pub fn pending(&self) -> Pending {
        Pending {
            acc: self.acc,
            bits: self.bits,
        }
    }

    /// Gives back what [`pending`](BitWriter::pending) took.
    #[inline(always)]
    pub fn set_pending(&mut self, p: Pending) {
        self.acc = p.acc;
        self.bits = p.bits;
    }

    /// Appends the low `n` bits of `value` (`n` + pending ≤ 64) to bits
    /// taken with [`pending`](BitWriter::pending).
    #[inline(always)]
    pub fn put_in(&mut self, p: &mut Pending, value: u32, n: u32) {
        p.acc = (p.acc << n) | u64::from(value);
        p.bits += n;
        if p.bits >= 32 {
            p.bits -= 32;
            self.word((p.acc >> p.bits) as u32);
        }
    }

    #[inline(always)]
    fn word(&mut self, w: u32) {
        let bytes = w.to_be_bytes();
        // A 0xFF byte in `w`: !w has a zero byte there.
        let inv = !w;
        let has_ff = inv.wrapping_sub(0x0101_0101) & !inv & 0x8080_8080 != 0;
        if !has_ff {
            if let Some(dst) = self.out.get_mut(self.pos..self.pos + 4) {
                dst.copy_from_slice(&bytes);
                self.pos += 4;
                return;
            }
        }
        for b in bytes {
            self.byte(b);
            if b == 0xff {
                self.byte(0);
            }
        }
    }

    #[inline]
    fn byte(&mut self, b: u8) {
        match self.out.get_mut(self.pos) {
            Some(slot) => {
                *slot = b;
                self.pos += 1;
            }
            None => self.full = true,
        }
    }

    /// Pads the last byte with 1-bits (T.81 §F.1.2.3) and writes what is
    /// pending.
    pub fn flush(&mut self) {
        let pad = (8 - self.bits % 8) % 8;
        self.acc = (self.acc << pad) | ((1u64 << pad) - 1);
        self.bits += pad;
        while self.bits >= 8 {
            self.bits -= 8;
            let b = (self.acc >> self.bits) as u8;
            self.byte(b);
            if b == 0xff {
                self.byte(0);
            }
        }
        self.acc = 0;
    }

    /// Writes a marker (after [`flush`](BitWriter::flush)).
    pub fn marker(&mut self, m: u8) {
        self.byte(0xff);
        self.byte(m);
    }

    /// The offset after what was written, or `None` when `out` was too small.
    pub fn finish(&self) -> Option<usize> {
        (!self.full).then_some(self.pos)
    }

    /// Bytes written so far (for a lower bound when `out` is full).
    pub fn written(&self) -> usize {
        self.pos
    }
}
