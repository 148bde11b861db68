//! Huffman tables: decoding any table a DHT defines (T.81 §B.2.4.2,
//! Annex C, §F.2.2.3), and encoding with the K.3 tables (§F.1.2.1, C.2).

use super::bits::BitReader;
use crate::jpeg::tables::{HuffmanTable, CHROMA_AC, CHROMA_DC, LUMA_AC, LUMA_DC};
use crate::jpeg::Error;

/// Bits looked at in one table lookup: codes up to this long (nearly all of
/// them in practice) decode in one step; longer ones walk `max_code`.
const LOOKAHEAD: u32 = 9;

/// A decoding table built from one DHT table (T.81 Figure F.15, with a
/// lookahead table as libjpeg has).
#[derive(Clone)]
pub(super) struct DecodeTable {
    /// For each `LOOKAHEAD`-bit prefix: `length << 8 | symbol` of the code it
    /// starts with, or 0 when the code is longer (or absent).
    lookup: [u16; 1 << LOOKAHEAD],
    /// Largest code of each length 1..=16 (index = length), -1 if none.
    max_code: [i32; 17],
    /// Added to a code of each length to index `values`.
    offset: [i32; 17],
    values: [u8; 256],
}

impl core::fmt::Debug for DecodeTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("DecodeTable")
    }
}

impl DecodeTable {
    /// An empty table: a scan that uses it fails with [`Error::HuffmanTable`].
    pub const EMPTY: DecodeTable = DecodeTable {
        lookup: [0; 1 << LOOKAHEAD],
        max_code: [-1; 17],
        offset: [0; 17],
        values: [0; 256],
    };

    /// Builds from a table's 16 code counts and its symbols. Refuses counts
    /// that over-subscribe the code space (not a prefix code) or more than
    /// 256 symbols (T.81 §B.2.4.2, C.2).
    pub fn build(counts: &[u8], symbols: &[u8]) -> Result<DecodeTable, Error> {
        let mut t = DecodeTable::EMPTY;
        let total: usize = counts.iter().map(|&n| usize::from(n)).sum();
        if counts.len() != 16 || total > 256 || symbols.len() != total {
            return Err(Error::HuffmanTable);
        }
        if let Some(v) = t.values.get_mut(..total) {
            v.copy_from_slice(symbols);
        }
        // Canonical codes (T.81 Figures C.1 to C.3): consecutive within a
        // length, doubled on each step to the next length.
        let mut code: i32 = 0;
        let mut k: i32 = 0;
        let per_length = t.offset.iter_mut().zip(t.max_code.iter_mut()).skip(1);
        for ((len, &n), (offset, max_code)) in (1..=16u32).zip(counts).zip(per_length) {
            let n = i32::from(n);
            if n > 0 {
                *offset = k - code;
                code += n;
                k += n;
                *max_code = code - 1;
                // More codes than the length has room for: not a prefix
                // code. (A complete code, all-ones included, is accepted
                // as libjpeg does.)
                if code > (1 << len) {
                    return Err(Error::HuffmanTable);
                }
            }
            code <<= 1;
        }
        // Fill the lookahead table with every code of up to LOOKAHEAD bits.
        let mut code: u32 = 0;
        let mut k = 0usize;
        for (len, &n) in (1..=16u32).zip(counts) {
            for _ in 0..n {
                if len <= LOOKAHEAD {
                    let shift = LOOKAHEAD - len;
                    let first = (code << shift) as usize;
                    let entry =
                        ((len as u16) << 8) | u16::from(t.values.get(k).copied().unwrap_or(0));
                    if let Some(slots) = t.lookup.get_mut(first..first + (1 << shift)) {
                        slots.fill(entry);
                    }
                }
                code += 1;
                k += 1;
            }
            code <<= 1;
        }
        Ok(t)
    }

    /// Decodes one symbol (T.81 §F.2.2.3 DECODE).
    #[inline(always)]
    pub fn decode(&self, r: &mut BitReader<'_>) -> Result<u8, Error> {
        r.ensure(16);
        self.decode_ready(r)
    }

    /// [`decode`](DecodeTable::decode) when at least 16 bits are ready.
    #[inline(always)]
    pub fn decode_ready(&self, r: &mut BitReader<'_>) -> Result<u8, Error> {
        let peek = r.peek(LOOKAHEAD);
        let entry = self.lookup.get(peek as usize).copied().unwrap_or(0);
        if entry != 0 {
            r.consume(u32::from(entry >> 8));
            return Ok(entry as u8);
        }
        self.decode_long(r)
    }

    #[cold]
    fn decode_long(&self, r: &mut BitReader<'_>) -> Result<u8, Error> {
        let per_length = self.max_code.iter().zip(&self.offset);
        for (len, (&max_code, &offset)) in (0..=16).zip(per_length).skip(LOOKAHEAD as usize + 1) {
            let code = r.peek(len) as i32;
            if code <= max_code {
                r.consume(len);
                let i = usize::try_from(code + offset).map_err(|_| Error::HuffmanTable)?;
                return self.values.get(i).copied().ok_or(Error::HuffmanTable);
            }
        }
        Err(r.error())
    }
}

/// Codes for the encoder: for each symbol, `code << 8 | length` (length 0:
/// the symbol has no code in this table).
#[derive(Debug, Clone, Copy)]
pub(super) struct EncodeTable {
    pub codes: [u32; 256],
}

impl EncodeTable {
    // Evaluated at compile time only (for `STANDARD`): an index out of
    // range would fail the build, never run.
    #[allow(clippy::indexing_slicing)]
    const fn from_k3(t: &HuffmanTable) -> EncodeTable {
        let mut codes = [0u32; 256];
        let mut code = 0u32;
        let mut k = 0;
        let mut len = 1;
        while len <= 16 {
            let mut n = t.bits[len - 1];
            while n > 0 {
                codes[t.values[k] as usize] = (code << 8) | len as u32;
                code += 1;
                k += 1;
                n -= 1;
            }
            code <<= 1;
            len += 1;
        }
        EncodeTable { codes }
    }
}

/// Encoder codes of T.81 Table K.3 (luma DC).
pub(super) static LUMA_DC_CODES: EncodeTable = EncodeTable::from_k3(&LUMA_DC);
/// Encoder codes of T.81 Table K.5 (luma AC).
pub(super) static LUMA_AC_CODES: EncodeTable = EncodeTable::from_k3(&LUMA_AC);
/// Encoder codes of T.81 Table K.4 (chroma DC).
pub(super) static CHROMA_DC_CODES: EncodeTable = EncodeTable::from_k3(&CHROMA_DC);
/// Encoder codes of T.81 Table K.6 (chroma AC).
pub(super) static CHROMA_AC_CODES: EncodeTable = EncodeTable::from_k3(&CHROMA_AC);

/// Whether every table in a DHT segment body is one of the K.3 tables
/// under the class it is defined for (RFC 2435 Appendix B rebuilds those).
pub(super) fn dht_is_standard(body: &[u8]) -> bool {
    dht_tables(body).all(|t| match t {
        Some((0, _, counts, values)) => {
            LUMA_DC.matches(counts, values) || CHROMA_DC.matches(counts, values)
        }
        Some((_, _, counts, values)) => {
            LUMA_AC.matches(counts, values) || CHROMA_AC.matches(counts, values)
        }
        None => false,
    })
}

/// One table of a DHT segment: class (0 DC, 1 AC), id, the 16 code
/// counts and the symbols.
pub(super) type DhtTable<'a> = (u8, u8, &'a [u8], &'a [u8]);

/// The tables of a DHT segment body in order (T.81 §B.2.4.2); `None` for a
/// table cut short, after which the iteration ends.
pub(super) fn dht_tables(mut body: &[u8]) -> impl Iterator<Item = Option<DhtTable<'_>>> {
    core::iter::from_fn(move || {
        let [tc_th, rest @ ..] = body else {
            return None;
        };
        let table = rest.get(..16).and_then(|counts| {
            let n: usize = counts.iter().map(|&c| usize::from(c)).sum();
            let symbols = rest.get(16..16 + n)?;
            Some((tc_th >> 4, tc_th & 0xf, counts, symbols))
        });
        body = match table {
            Some((_, _, counts, symbols)) => {
                rest.get(counts.len() + symbols.len()..).unwrap_or_default()
            }
            None => &[],
        };
        Some(table)
    })
}
