//! Byte classes of the RTSP grammar (RFC 2326 §15.1), as lookup tables:
//! one load per byte instead of a chain of range compares.

/// `token` characters (RFC 2326 §15.1, HTTP/1.1 tchar).
// Built at compile time; `i < 256` bounds every index.
#[allow(clippy::indexing_slicing)]
static TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = matches!(b, b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'.' | b'0'..=b'9' | b'A'..=b'Z' | b'^'..=b'z' | b'|' | b'~');
        i += 1;
    }
    t
};

/// Whether `b` may appear in a token (method, header name).
#[inline]
pub(crate) fn is_token(b: u8) -> bool {
    // A u8 index is always below 256, so `get` never misses.
    TOKEN.get(usize::from(b)).copied().unwrap_or(false)
}

/// Index of the first `\n` in `s`. Lines are short (20–80 bytes), where a
/// word-at-a-time scan inlined here beats a call into a SIMD search.
#[inline]
pub(crate) fn find_lf(s: &[u8]) -> Option<usize> {
    find_byte::<b'\n'>(s)
}

/// Index of the first byte `B` in `s`, a word at a time.
#[inline]
pub(crate) fn find_byte<const B: u8>(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let splat: u64 = ONES * B as u64;
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ splat;
        // A byte of `x` is zero where the input is `B`; the lowest flagged
        // byte is always a true match (borrows only flag bytes above one).
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|p| at + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_lf_matches_a_plain_search() {
        let mut buf = [b'a'; 40];
        assert_eq!(find_lf(&buf), None);
        for i in 0..40 {
            buf = [b'a'; 40];
            buf[i] = b'\n';
            if i + 3 < 40 {
                buf[i + 3] = b'\n';
            }
            // Bytes just above '\n' (0x0b) and 0x8a must not confuse it.
            if i > 0 {
                buf[i - 1] = 0x0b;
            }
            for len in 0..=40 {
                assert_eq!(
                    find_lf(&buf[..len]),
                    buf[..len].iter().position(|&b| b == b'\n'),
                    "{i} {len}"
                );
            }
        }
        assert_eq!(find_lf(&[0x8a, 0x0b, 0x09, b'\n']), Some(3));
    }
}

/// Index of the first byte of `s` below 0x20 or equal to 0x7f (a control
/// character, RFC 2326 §15.1 CTL: the CR/LF ending a line, a TAB, or
/// garbage), scanning a word at a time.
#[inline]
pub(crate) fn find_ctl(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const SPACES: u64 = 0x2020_2020_2020_2020;
    const DEL: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // Bytes below 0x20: x - 0x20 borrows into the high bit where x's
        // high bit was clear. Bytes equal to 0x7f: the zero-byte test on
        // x ^ 0x7f. As in find_lf, the lowest flag is always a true match.
        let below = x.wrapping_sub(SPACES) & !x & HIGHS;
        let d = x ^ DEL;
        let del = d.wrapping_sub(ONES) & !d & HIGHS;
        let found = below | del;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b < b' ' || b == 0x7f)
        .map(|p| at + p)
}

#[cfg(test)]
mod ctl_tests {
    use super::*;

    #[test]
    fn find_ctl_matches_a_plain_search() {
        let plain = |s: &[u8]| s.iter().position(|&b| b < b' ' || b == 0x7f);
        for special in [b'\r', b'\n', b'\t', 0x00, 0x1f, 0x7f] {
            for i in 0..24 {
                let mut buf = [b'x'; 24];
                buf[i] = special;
                // Neighbours that must not match: space, 0x80, 0xff, 0x7e.
                if i > 0 {
                    buf[i - 1] = [b' ', 0x80, 0xff, 0x7e][i % 4];
                }
                for len in 0..=24 {
                    assert_eq!(
                        find_ctl(&buf[..len]),
                        plain(&buf[..len]),
                        "{special} {i} {len}"
                    );
                }
            }
        }
        assert_eq!(find_ctl(b"abc \x80\xff~ defgh"), None);
    }
}
