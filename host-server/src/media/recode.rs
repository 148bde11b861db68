//! Lossless re-coding at the host: `rtsp_core::jpeg::recode` with buffers
//! that grow as a frame needs them.

use rtsp_core::jpeg::{self, recode};

/// Largest output tried, as a multiple of the input: a re-coded scan is
/// never much larger than the original (the K.3 tables cost a few percent
/// over optimized ones), so a frame that needs more is broken, not large.
const MAX_GROWTH: usize = 16;

/// Re-codes `jpeg` losslessly into `out` (RFC 2435 Appendix B headers, one
/// baseline scan with the T.81 K.3 tables). `coefficients` is scratch for
/// progressive and multi-scan frames; both keep their capacity for the
/// next frame, so a steady stream allocates nothing once they have grown.
pub fn recode_into(
    jpeg: &[u8],
    analysis: &recode::Analysis,
    coefficients: &mut Vec<i16>,
    out: &mut Vec<u8>,
) -> Result<(), jpeg::Error> {
    let needed = analysis.coefficients_len();
    if needed == usize::MAX {
        return Err(jpeg::Error::BufferTooSmall { required: needed });
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
        match recode::recode(jpeg, recode::Options::default(), coefficients, out) {
            Ok(n) => {
                out.truncate(n);
                return Ok(());
            }
            Err(jpeg::Error::BufferTooSmall { required }) if room < limit => {
                room = room.saturating_mul(2).max(required).min(limit);
            }
            Err(e) => {
                out.clear();
                return Err(e);
            }
        }
    }
}
