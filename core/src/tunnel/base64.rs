//! A streaming base64 decoder for the tunnel's POST body (RFC 4648 §4,
//! the standard alphabet), as the QuickTime tunnel carries client
//! requests.
//!
//! Peers encode each RTSP message on its own (ffmpeg's `av_base64_encode`,
//! GStreamer's `g_base64_encode`, live555's `base64Encode`), so a padded
//! quantum (`xx==`, `xxx=`) ends one message and the next quantum starts
//! the next: padding may come in the middle of the stream. Some peers
//! break lines; CR, LF, space and tab are skipped wherever they occur.
//! TCP may split the stream anywhere, even inside a quantum: the decoder
//! keeps up to three characters between calls.
//!
//! Decisions:
//! * Any other byte, or `=` where padding cannot be (the first two
//!   characters of a quantum, or `xx=` followed by a character), is an
//!   [`Base64Error`] naming the byte and its offset in the body; the host
//!   then ends the tunnel (the request stream has no resynchronisation
//!   point).
//! * Non-zero bits in the unused part of the last character of a padded
//!   quantum are ignored (RFC 4648 §3.5 lets decoders accept them), as the
//!   peers' own decoders do.

use core::fmt;

/// Why a POST body is not base64 (RFC 4648 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Base64Error {
    /// The offending byte.
    pub byte: u8,
    /// Its offset from the start of the body.
    pub offset: u64,
}

impl fmt::Display for Base64Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.byte == b'=' {
            write!(f, "misplaced base64 padding at body offset {}", self.offset)
        } else if sextet(self.byte).is_some() {
            write!(
                f,
                "base64 character {:?} after padding at body offset {}",
                char::from(self.byte),
                self.offset
            )
        } else {
            write!(
                f,
                "byte 0x{:02x} at body offset {} is not base64",
                self.byte, self.offset
            )
        }
    }
}

impl core::error::Error for Base64Error {}

/// What one [`Base64Decoder::decode`] call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Decoded {
    /// Input bytes used; the caller passes the rest again later.
    pub consumed: usize,
    /// Bytes written to the front of the output.
    pub written: usize,
}

/// Decodes a base64 stream handed in pieces of any size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Base64Decoder {
    /// The 6-bit values of the current quantum so far, big end first.
    bits: u32,
    /// Characters of the current quantum seen (0–3), padding included.
    chars: u8,
    /// `=` seen in the current quantum (then only `=` may follow).
    padded: bool,
    /// Body bytes consumed so far, for error offsets.
    offset: u64,
}

impl Base64Decoder {
    /// A decoder at the start of a body.
    pub const fn new() -> Self {
        Base64Decoder {
            bits: 0,
            chars: 0,
            padded: false,
            offset: 0,
        }
    }

    /// Whether the stream so far ends between quanta (no characters held).
    /// A body that ends otherwise was cut inside a quantum.
    pub fn at_boundary(&self) -> bool {
        self.chars == 0
    }

    /// Decodes from `input` into `out` until one of them is used up. The
    /// bytes of a quantum come out when its fourth character arrives; a
    /// quantum whose bytes do not fit in what is left of `out` stays in
    /// `input` (not consumed) for the next call, so an `out` of at least
    /// three bytes always makes progress. A byte that is not base64 stops
    /// the call before it; the call that starts at it is the error, so
    /// what precedes it decodes the same however the body is split.
    pub fn decode(&mut self, input: &[u8], out: &mut [u8]) -> Result<Decoded, Base64Error> {
        let mut written = 0;
        let mut consumed = 0;
        for &byte in input {
            let bad = Base64Error {
                byte,
                offset: self.offset,
            };
            // What came before a bad byte is handed out first, so the
            // result does not depend on how the body was split.
            let err = |e| if consumed > 0 { Ok(()) } else { Err(e) };
            match byte {
                b'\r' | b'\n' | b' ' | b'\t' => {}
                b'=' => {
                    // RFC 4648 §4: padding only completes a quantum of two
                    // or three characters.
                    if self.chars < 2 {
                        err(bad)?;
                        break;
                    }
                    if self.chars == 3 {
                        let n = if self.padded { 1 } else { 2 };
                        if !self.finish(n, out, &mut written) {
                            break;
                        }
                    } else {
                        self.padded = true;
                        self.push(0);
                    }
                }
                _ => {
                    let value = match sextet(byte) {
                        Some(v) if !self.padded => v,
                        _ => {
                            err(bad)?;
                            break;
                        }
                    };
                    if self.chars == 3 {
                        self.bits = self.bits << 6 | u32::from(value);
                        if !self.finish(3, out, &mut written) {
                            self.bits >>= 6;
                            break;
                        }
                    } else {
                        self.push(value);
                    }
                }
            }
            consumed += 1;
            self.offset += 1;
        }
        Ok(Decoded { consumed, written })
    }

    fn push(&mut self, value: u8) {
        self.bits = self.bits << 6 | u32::from(value);
        self.chars += 1;
    }

    /// Writes the first `n` bytes of the finished quantum (its 24 bits are
    /// in `bits`, or its first 18 with padding still to shift in); `false`
    /// when `out` has no room for them, state untouched.
    fn finish(&mut self, n: usize, out: &mut [u8], written: &mut usize) -> bool {
        let Some(dst) = out.get_mut(*written..*written + n) else {
            return false;
        };
        let bits = if n == 3 { self.bits } else { self.bits << 6 };
        let bytes = bits.to_be_bytes();
        // `bytes[1..1 + n]` with n ≤ 3 lies inside the four bytes.
        for (d, s) in dst.iter_mut().zip(bytes.iter().skip(1)) {
            *d = *s;
        }
        *written += n;
        *self = Base64Decoder::new_at(self.offset);
        true
    }

    const fn new_at(offset: u64) -> Self {
        Base64Decoder {
            offset,
            ..Base64Decoder::new()
        }
    }
}

/// The value of a character of the standard alphabet (RFC 4648 Table 1).
fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}
