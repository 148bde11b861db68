//! Decoding the scans and writing the re-coded frame.
use super::{Analysis, Options};
use crate::jpeg::Error;

pub(super) fn recode(
    _jpeg: &[u8],
    _analysis: &Analysis,
    _options: Options,
    _coefficients: &mut [i16],
    _out: &mut [u8],
) -> Result<usize, Error> {
    Err(Error::Scan)
}
