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
    find_below_or_del::<b' '>(s)
}

/// Index of the first space or control character of `s`: the end of a
/// Request-URI (RFC 2326 §6.1), a word at a time.
#[inline]
pub(crate) fn find_space_or_ctl(s: &[u8]) -> Option<usize> {
    find_below_or_del::<0x21>(s)
}

/// Index of the first byte of `s` below `LIMIT` (at most 0x80) or equal
/// to 0x7f.
#[inline]
fn find_below_or_del<const LIMIT: u8>(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let spaces: u64 = ONES * LIMIT as u64;
    const DEL: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // Skip clean 16-byte blocks first: on a fixed-size array this
    // branch-free test compiles to a few vector instructions (SSE2 on
    // x86_64), twice the stride of the word loop below, which then finds
    // the exact byte in the block that has it (or in the short tail).
    let mut at = 0;
    let mut rest = s;
    while let Some((block, tail)) = rest.split_first_chunk::<16>() {
        if block
            .iter()
            .fold(false, |acc, &b| acc | (b < LIMIT) | (b == 0x7f))
        {
            break;
        }
        at += 16;
        rest = tail;
    }
    let mut chunks = rest.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // Bytes below 0x20: x - 0x20 borrows into the high bit where x's
        // high bit was clear. Bytes equal to 0x7f: the zero-byte test on
        // x ^ 0x7f. As in find_lf, the lowest flag is always a true match.
        let below = x.wrapping_sub(spaces) & !x & HIGHS;
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
        .position(|&b| b < LIMIT || b == 0x7f)
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
        // The URI end: a space or a control, past a clean 16-byte block.
        let uri = b"rtsp://127.0.0.1:8554/cam/stream=0 RTSP/1.0";
        assert_eq!(find_space_or_ctl(uri), Some(34));
        assert_eq!(find_space_or_ctl(&uri[..34]), None);
        assert_eq!(find_space_or_ctl(b"rtsp://127.0.0.1:8554/c\x7fm"), Some(23));
        assert_eq!(
            find_space_or_ctl(b"rtsp://127.0.0.1:8554/\xc3\xa9\r\n"),
            Some(24)
        );
    }
}

/// `s` without leading and trailing blanks (SP, HTAB: RFC 2326 §15.1 LWS
/// within a line).
pub(crate) fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}
