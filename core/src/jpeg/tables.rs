//! The fixed tables RFC 2435 relies on: the Appendix A quantization tables
//! and their Q scaling, and the ITU-T T.81 Annex K.3 Huffman tables that
//! Appendix B writes into every rebuilt frame.

use super::QuantTable;

/// Zigzag index -> natural (row-major) index, ITU-T T.81 Figure A.6. DQT
/// segments and the RFC 2435 §3.1.8 table data are in zigzag order.
#[rustfmt::skip]
pub(crate) const ZIGZAG: [usize; 64] = [
     0,  1,  8, 16,  9,  2,  3, 10,
    17, 24, 32, 25, 18, 11,  4,  5,
    12, 19, 26, 33, 40, 48, 41, 34,
    27, 20, 13,  6,  7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36,
    29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46,
    53, 60, 61, 54, 47, 55, 62, 63,
];

/// Luminance quantizer (T.81 Table K.1, natural order), RFC 2435 Appendix A.
#[rustfmt::skip]
const LUMA_QUANTIZER: [u8; 64] = [
    16, 11, 10, 16,  24,  40,  51,  61,
    12, 12, 14, 19,  26,  58,  60,  55,
    14, 13, 16, 24,  40,  57,  69,  56,
    14, 17, 22, 29,  51,  87,  80,  62,
    18, 22, 37, 56,  68, 109, 103,  77,
    24, 35, 55, 64,  81, 104, 113,  92,
    49, 64, 78, 87, 103, 121, 120, 101,
    72, 92, 95, 98, 112, 100, 103,  99,
];

/// Chrominance quantizer (T.81 Table K.2, natural order), RFC 2435 Appendix A.
#[rustfmt::skip]
const CHROMA_QUANTIZER: [u8; 64] = [
    17, 18, 24, 47, 99, 99, 99, 99,
    18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
];

/// The luma and chroma tables (zigzag order, 8-bit) a Q of 1–99 stands for:
/// RFC 2435 Appendix A `MakeTables`. Q is clamped to 1..=99 as there.
pub fn make_tables(q: u8) -> ([u8; 64], [u8; 64]) {
    scaled_tables(q.clamp(1, 99))
}

/// The Annex K tables scaled to an IJG quality of 1–100 (clamped), as
/// `MakeTables` and libjpeg's `jpeg_quality_scaling` do; at 100 every entry
/// is 1.
fn scaled_tables(quality: u8) -> ([u8; 64], [u8; 64]) {
    let factor = u32::from(quality.clamp(1, 100));
    let scale = if factor < 50 {
        5000 / factor
    } else {
        200 - factor * 2
    };
    let mut luma = [0u8; 64];
    let mut chroma = [0u8; 64];
    for ((l, c), &natural) in luma.iter_mut().zip(chroma.iter_mut()).zip(ZIGZAG.iter()) {
        let scaled = |base: &[u8; 64]| {
            let v = base.get(natural).copied().map_or(1, u32::from);
            // Limit the quantizers to 1 <= q <= 255, as Appendix A does.
            (v * scale + 50).checked_div(100).unwrap_or(1).clamp(1, 255) as u8
        };
        *l = scaled(&LUMA_QUANTIZER);
        *c = scaled(&CHROMA_QUANTIZER);
    }
    (luma, chroma)
}

/// The IJG quality (1–100) whose scaled Annex K luma table (T.81 Table K.1,
/// scaled as RFC 2435 Appendix A and libjpeg do) is closest to `luma`, a
/// DQT table in zigzag order, 8- or 16-bit (T.81 §B.2.4.1).
///
/// A host that must re-encode a frame (e.g. 4:4:4 into RFC 2435's 4:2:0)
/// uses it to keep roughly the source's fidelity. Closest means the least
/// sum of absolute differences over the 64 entries; on a tie the higher
/// quality wins, so an estimate never costs fidelity. Tables of other
/// encoders (ffmpeg scales the MPEG matrices, not Annex K) get the IJG
/// quality nearest to them.
pub fn estimate_quality(luma: QuantTable<'_>) -> u8 {
    let data = luma.data();
    let entry = |i: usize| -> u32 {
        if luma.is_16bit() {
            let hi = data.get(2 * i).copied().unwrap_or(0);
            let lo = data.get(2 * i + 1).copied().unwrap_or(0);
            u32::from(u16::from_be_bytes([hi, lo]))
        } else {
            data.get(i).copied().map_or(0, u32::from)
        }
    };
    let mut best = (u32::MAX, 100u8);
    for quality in (1..=100u8).rev() {
        let (table, _) = scaled_tables(quality);
        let distance: u32 = table
            .iter()
            .enumerate()
            .map(|(i, &t)| entry(i).abs_diff(u32::from(t)))
            .sum();
        if distance < best.0 {
            best = (distance, quality);
        }
    }
    best.1
}

/// One Huffman table as a DHT segment carries it: 16 code-length counts, then
/// the symbol values (T.81 §B.2.4.2).
#[derive(Debug, Clone, Copy)]
pub(crate) struct HuffmanTable {
    pub bits: [u8; 16],
    pub values: &'static [u8],
}

impl HuffmanTable {
    /// Whether a DHT table body (`bits` then `values`) equals this table.
    pub fn matches(&self, bits: &[u8], values: &[u8]) -> bool {
        bits == self.bits && values == self.values
    }
}

const DC_VALUES: [u8; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

/// Luminance DC (T.81 Table K.3), RFC 2435 Appendix B `lum_dc_*`.
pub(crate) const LUMA_DC: HuffmanTable = HuffmanTable {
    bits: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
    values: &DC_VALUES,
};

/// Chrominance DC (T.81 Table K.4), RFC 2435 Appendix B `chm_dc_*`.
pub(crate) const CHROMA_DC: HuffmanTable = HuffmanTable {
    bits: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
    values: &DC_VALUES,
};

/// Luminance AC (T.81 Table K.5), RFC 2435 Appendix B `lum_ac_*`.
pub(crate) const LUMA_AC: HuffmanTable = HuffmanTable {
    bits: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
    values: &LUMA_AC_VALUES,
};

/// Chrominance AC (T.81 Table K.6), RFC 2435 Appendix B `chm_ac_*`.
pub(crate) const CHROMA_AC: HuffmanTable = HuffmanTable {
    bits: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
    values: &CHROMA_AC_VALUES,
};

#[rustfmt::skip]
const LUMA_AC_VALUES: [u8; 162] = [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06,
    0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08,
    0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72,
    0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45,
    0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
    0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75,
    0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3,
    0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
    0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9,
    0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
    0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4,
    0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
];

#[rustfmt::skip]
const CHROMA_AC_VALUES: [u8; 162] = [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41,
    0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91,
    0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1,
    0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
    0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44,
    0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
    0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74,
    0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
    0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a,
    0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
    0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
    0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
    0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4,
    0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn zigzag(natural: &[u8; 64]) -> [u8; 64] {
        core::array::from_fn(|i| natural[ZIGZAG[i]])
    }

    #[test]
    fn q50_is_the_standard_tables() {
        let (l, c) = make_tables(50);
        assert_eq!(l, zigzag(&LUMA_QUANTIZER));
        assert_eq!(c, zigzag(&CHROMA_QUANTIZER));
        // First zigzag entries: DC then (0,1), (1,0).
        assert_eq!(&l[..3], &[16, 11, 12]);
        assert_eq!(&c[..3], &[17, 18, 18]);
    }

    #[test]
    fn q1_saturates_and_q99_floors() {
        // Q=1: scale 5000 -> 16*50 = 800 clamps to 255 everywhere.
        let (l, c) = make_tables(1);
        assert!(l.iter().chain(c.iter()).all(|&v| v == 255));
        // Q=99: scale 2 -> (16*2+50)/100 = 0 clamps up to 1; 99*2+50 = 248 -> 2.
        let (l, c) = make_tables(99);
        assert_eq!(l[0], 1);
        assert_eq!(c[63], 2);
        assert_eq!(l[63], 2); // (99*2+50)/100
                              // Out-of-range Q is clamped like Appendix A does.
        assert_eq!(make_tables(0), make_tables(1));
        assert_eq!(make_tables(120), make_tables(99));
    }

    #[test]
    fn q75_matches_libjpeg_scaling() {
        // libjpeg's quality 75 scale is 50: luma DC 16 -> 8, chroma DC 17 -> 9.
        let (l, c) = make_tables(75);
        assert_eq!(l[0], 8);
        assert_eq!(c[0], 9);
        assert_eq!(l[63], 50); // 99*50/100 rounded
    }

    #[test]
    fn huffman_table_sizes_match_bits() {
        for t in [LUMA_DC, CHROMA_DC, LUMA_AC, CHROMA_AC] {
            let n: usize = t.bits.iter().map(|&b| usize::from(b)).sum();
            assert_eq!(n, t.values.len());
        }
    }

    #[test]
    fn estimate_quality_round_trips_make_tables() {
        for q in 1..=100u8 {
            let (l, _) = scaled_tables(q);
            let got = estimate_quality(QuantTable::new(&l).unwrap());
            // Neighbouring qualities can scale to the same table (all 255 at
            // the bottom); the estimate must name that very table.
            assert_eq!(scaled_tables(got).0, l, "q {q} -> {got}");
            if q >= 25 {
                assert_eq!(got, q);
            }
        }
        assert!(scaled_tables(100).0.iter().all(|&v| v == 1));
        // 16-bit DQT entries (T.81 §B.2.4.1, Pq = 1) read the same.
        let (l, _) = make_tables(75);
        let wide: [u8; 128] = core::array::from_fn(|i| if i % 2 == 1 { l[i / 2] } else { 0 });
        assert_eq!(estimate_quality(QuantTable::new(&wide).unwrap()), 75);
    }

    #[test]
    fn estimate_quality_of_real_encoders() {
        // `cjpeg -quality 85` (libjpeg-turbo 2.1), DQT 0 as written.
        #[rustfmt::skip]
        let cjpeg85 = [
            5, 3, 4, 4, 4, 3, 5, 4, 4, 4, 5, 5, 5, 6, 7, 12, 8, 7, 7, 7, 7, 15, 11, 11, 9, 12, 17,
            15, 18, 18, 17, 15, 17, 17, 19, 22, 28, 23, 19, 20, 26, 21, 17, 17, 24, 33, 24, 26,
            29, 29, 31, 31, 31, 19, 23, 34, 36, 34, 30, 36, 28, 30, 31, 30,
        ];
        assert_eq!(estimate_quality(QuantTable::new(&cjpeg85).unwrap()), 85);
        // ffmpeg 5.1 `-c:v mjpeg` at its default qscale: the MPEG-1 intra
        // matrix scaled, not Annex K; the nearest IJG table is a high one.
        #[rustfmt::skip]
        let ffmpeg = [
            8, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 8,
            8, 8, 7, 7, 7, 6, 6, 7, 7, 8, 8, 8, 8, 9, 9, 9, 8, 8, 8, 8, 9, 9, 10, 10, 10, 12, 12,
            11, 11, 14, 14, 14, 17, 17, 20,
        ];
        let q = estimate_quality(QuantTable::new(&ffmpeg).unwrap());
        assert!((85..=97).contains(&q), "{q}");
    }
}
