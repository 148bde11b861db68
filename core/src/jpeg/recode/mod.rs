//! Lossless re-coding of any Huffman-coded JPEG into what RFC 2435 carries.
//!
//! RFC 2435 rebuilds every frame with the T.81 Annex K.3 Huffman tables
//! (§3.1.2, Appendix B) from one interleaved baseline scan, so a frame with
//! optimized tables (ffmpeg's default), a progressive frame, or one split
//! into several scans cannot be sent as it is. Its DCT coefficients can:
//! [`recode`] decodes the Huffman codes to coefficients (T.81 Annex F, and
//! Annex G for progressive scans) and encodes them again with the standard
//! tables, as `jpegtran -copy none` does. The pixels do not change, and the
//! entropy-coded segment it writes is byte for byte the one libjpeg-turbo's
//! `jpegtran -copy none` writes from the same input.
//!
//! * A frame with one interleaved sequential scan streams through, block by
//!   block: no coefficient buffer.
//! * Any other frame (progressive, or sequential in several scans) is
//!   gathered into the caller's coefficient buffer first;
//!   [`Analysis::coefficients_len`] tells how many `i16` it needs.
//! * [`Options::restart_interval`] writes a restart interval (DRI and RSTn
//!   every N MCUs, T.81 §B.2.4.4), as `jpegtran -restart NB` does.
//!
//! Memory: besides the caller's buffers, [`recode`] keeps the eight
//! Huffman decoding tables a frame may define (T.81 allows four DC and four
//! AC) on the stack, about 11.5 KiB, so a microcontroller can run it from
//! a task with 16 KiB of stack.
//!
//! [`plan`] tells a host which of three things a frame needs: nothing, a
//! lossless re-code, or a conversion (pixels decoded and encoded again,
//! which belongs to hosts that can decode). No function here allocates or
//! panics, whatever the input.

mod bits;
mod blocks;
mod decode;
mod encode;
mod header;
mod huffman;
mod scan;
mod stream;
#[cfg(test)]
mod tests;

pub use header::{Analysis, Outline};

use super::{Error, Frame};

/// How [`recode`] writes its output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Options {
    /// Restart interval in MCUs to write (DRI, RSTn; T.81 §B.2.4.4, RFC 2435
    /// §3.1.7); 0 writes none, whatever the input had, as `jpegtran` does.
    pub restart_interval: u16,
}

/// What a JPEG frame needs before RFC 2435 can carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Plan<'a> {
    /// It can be sent as it is.
    Carry(Frame<'a>),
    /// Its coefficients can be: [`recode`] it losslessly.
    Recode(Analysis),
    /// Only its pixels can be carried: it must be decoded and encoded again
    /// as baseline 4:2:0 (lossy). The error says why (sampling, grayscale,
    /// component count, precision, arithmetic or lossless coding, chroma
    /// quantization tables).
    Convert(Error),
}

/// Decides what `jpeg` (one image, SOI to EOI) needs. An error means the
/// frame is damaged or not a JPEG at all: nothing can carry it.
pub fn plan(jpeg: &[u8]) -> Result<Plan<'_>, Error> {
    match Frame::parse(jpeg) {
        Ok(frame) => return Ok(Plan::Carry(frame)),
        Err(Error::NotJpeg) => return Err(Error::NotJpeg),
        Err(_) => {}
    }
    match Analysis::parse(jpeg) {
        Ok(a) => Ok(Plan::Recode(a)),
        Err(
            e @ (Error::Sampling { .. }
            | Error::Grayscale
            | Error::Components { .. }
            | Error::Precision { .. }
            | Error::Arithmetic
            | Error::Lossless
            | Error::QuantTables),
        ) => Ok(Plan::Convert(e)),
        Err(e) => Err(e),
    }
}

/// Re-codes `jpeg` into `out` as one interleaved baseline scan with the
/// T.81 K.3 Huffman tables, headed by the RFC 2435 Appendix B headers
/// ([`JfifHeader`](super::JfifHeader)), and returns the length written;
/// [`Frame::parse`] accepts the result.
///
/// `coefficients` must hold [`Analysis::coefficients_len`] entries (none
/// for a single interleaved sequential scan). Errors: what
/// [`Analysis::parse`] refuses, [`Error::EntropyData`] for a scan that does
/// not decode, [`Error::CoefficientRange`] for a coefficient the standard
/// baseline tables cannot code, [`Error::BufferTooSmall`] when
/// `coefficients` is short (the `required` count is exact) or `out` is full
/// (its `required` is a lower bound: retry with more room).
pub fn recode(
    jpeg: &[u8],
    options: Options,
    coefficients: &mut [i16],
    out: &mut [u8],
) -> Result<usize, Error> {
    let analysis = Analysis::parse(jpeg)?;
    decode::recode(jpeg, &analysis, options, coefficients, out)
}
