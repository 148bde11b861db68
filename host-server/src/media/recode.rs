//! Lossless re-coding at the host: `rtsp_core::jpeg::recode` with buffers
//! that grow as a frame needs them.

use rtsp_core::jpeg::{self, recode};

/// Largest output tried, as a multiple of the input: a re-coded scan is
/// never much larger than the original (the K.3 tables cost a few percent
/// over optimized ones), so a frame that needs more is broken, not large.
const MAX_GROWTH: usize = 16;

/// Most coefficients a progressive or multi-scan frame may need (i16 each,
/// 128 MiB): an 8K 4:2:0 frame needs 50 M. A header claiming more (up to
/// 65535×65535, 6.4 G) is refused rather than allocated: end-of-band runs
/// let a few bytes of scan describe a huge frame.
const MAX_COEFFICIENTS: usize = 64 << 20;

/// Re-codes `jpeg` losslessly into `out` (RFC 2435 Appendix B headers, one
/// baseline scan with the T.81 K.3 tables, the restart interval `options`
/// give). `coefficients` is scratch for
/// progressive and multi-scan frames; both keep their capacity for the
/// next frame, so a steady stream allocates nothing once they have grown.
pub fn recode_into(
    jpeg: &[u8],
    analysis: &recode::Analysis,
    options: recode::Options,
    coefficients: &mut Vec<i16>,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let needed = analysis.coefficients_len();
    if needed > MAX_COEFFICIENTS {
        return Err(format!(
            "a {}x{} progressive or multi-scan frame needs {needed} DCT coefficients in memory, \
             more than the {MAX_COEFFICIENTS} allowed",
            analysis.width(),
            analysis.height()
        ));
    }
    coefficients.clear();
    coefficients.resize(needed, 0);
    // Start at twice the input (the core's advice) and double on
    // BufferTooSmall, whose `required` is only a lower bound.
    let mut room = jpeg.len().saturating_mul(2).saturating_add(4096);
    let limit = jpeg
        .len()
        .saturating_mul(MAX_GROWTH)
        .saturating_add(1 << 20);
    loop {
        out.clear();
        out.resize(room, 0);
        match recode::recode(jpeg, options, coefficients, out) {
            Ok(n) => {
                out.truncate(n);
                return Ok(());
            }
            Err(jpeg::Error::BufferTooSmall { required }) if room < limit => {
                room = room.saturating_mul(2).max(required).min(limit);
            }
            Err(e) => {
                out.clear();
                return Err(e.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A progressive 4:2:0 header claiming 65535×65535 pixels (6.4 G
    /// coefficients): refused before any allocation.
    #[test]
    fn huge_progressive_frames_are_refused_not_allocated() {
        let mut jpeg = vec![0xff, 0xd8];
        // DQT: table 0, all ones.
        jpeg.extend_from_slice(&[0xff, 0xdb, 0, 67, 0]);
        jpeg.extend_from_slice(&[1; 64]);
        // SOF2: 8-bit, 65535×65535, Y 2x2, Cb and Cr 1x1, all table 0.
        jpeg.extend_from_slice(&[0xff, 0xc2, 0, 17, 8, 0xff, 0xff, 0xff, 0xff, 3]);
        jpeg.extend_from_slice(&[1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0]);
        // SOS: DC first scan of all three, then EOI.
        jpeg.extend_from_slice(&[0xff, 0xda, 0, 12, 3, 1, 0, 2, 0, 3, 0, 0, 0, 0]);
        jpeg.extend_from_slice(&[0x00, 0xff, 0xd9]);
        let a = recode::Analysis::parse(&jpeg).unwrap();
        assert!(a.coefficients_len() > MAX_COEFFICIENTS);
        let (mut coefs, mut out) = (Vec::new(), Vec::new());
        let why =
            recode_into(&jpeg, &a, recode::Options::default(), &mut coefs, &mut out).unwrap_err();
        assert!(why.contains("65535x65535"), "{why}");
        assert_eq!(coefs.capacity(), 0, "nothing allocated");
    }
}
