//! Big-endian field access that cannot panic (network byte order, RFC 3550
//! §4). Shared by the RTP and RTCP views: out-of-range reads return zero and
//! out-of-range writes do nothing, so a view whose length was checked once by
//! `new_checked` needs no further bounds reasoning, and an unchecked view
//! still cannot panic.

/// Reads the byte at `at`, or 0 past the end.
pub(crate) fn u8_at(buf: &[u8], at: usize) -> u8 {
    buf.get(at).copied().unwrap_or(0)
}

/// Reads a big-endian `u16` at `at`, or 0 past the end.
pub(crate) fn u16_at(buf: &[u8], at: usize) -> u16 {
    buf.get(at..)
        .and_then(|b| b.first_chunk::<2>())
        .map_or(0, |c| u16::from_be_bytes(*c))
}

/// Reads a big-endian `u32` at `at`, or 0 past the end.
pub(crate) fn u32_at(buf: &[u8], at: usize) -> u32 {
    buf.get(at..)
        .and_then(|b| b.first_chunk::<4>())
        .map_or(0, |c| u32::from_be_bytes(*c))
}

/// Writes the byte at `at` if it is in range.
pub(crate) fn set_u8(buf: &mut [u8], at: usize, value: u8) {
    if let Some(b) = buf.get_mut(at) {
        *b = value;
    }
}

/// Writes a big-endian `u16` at `at` if it fits.
pub(crate) fn set_u16(buf: &mut [u8], at: usize, value: u16) {
    if let Some(c) = buf.get_mut(at..).and_then(|b| b.first_chunk_mut::<2>()) {
        *c = value.to_be_bytes();
    }
}

/// Writes a big-endian `u32` at `at` if it fits.
pub(crate) fn set_u32(buf: &mut [u8], at: usize, value: u32) {
    if let Some(c) = buf.get_mut(at..).and_then(|b| b.first_chunk_mut::<4>()) {
        *c = value.to_be_bytes();
    }
}

/// Reads a big-endian 24-bit value at `at`, or 0 past the end.
pub(crate) fn u24_at(buf: &[u8], at: usize) -> u32 {
    buf.get(at..)
        .and_then(|b| b.first_chunk::<3>())
        .map_or(0, |c| u32::from_be_bytes([0, c[0], c[1], c[2]]))
}

/// Writes a big-endian 24-bit value (the low 24 bits of `value`) at `at`.
pub(crate) fn set_u24(buf: &mut [u8], at: usize, value: u32) {
    if let Some(c) = buf.get_mut(at..).and_then(|b| b.first_chunk_mut::<3>()) {
        let [_, a, b, d] = value.to_be_bytes();
        *c = [a, b, d];
    }
}

/// Copies `src` to `buf[at..]`, or reports the total length needed.
pub(crate) fn put(buf: &mut [u8], at: usize, src: &[u8]) -> Result<(), usize> {
    let end = at.saturating_add(src.len());
    match buf.get_mut(at..end) {
        Some(dst) => {
            dst.copy_from_slice(src);
            Ok(())
        }
        None => Err(end),
    }
}
