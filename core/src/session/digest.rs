//! The Digest (RFC 2617 §3.2.2.1, MD5) and Basic (RFC 2617 §2) computations
//! that the client session answers a challenge with and the server session
//! checks credentials with: one implementation for both sides.

use core::fmt::{self, Write as _};

use md5::{Digest as _, Md5};

/// The inputs of a Digest `response` (RFC 2617 §3.2.2.1, algorithm MD5).
/// `realm` and `nonce` are as they appear between the challenge's quotes:
/// `\x` escapes are undone for hashing (unq(), RFC 2617 §3.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DigestInput<'a> {
    /// The user name.
    pub username: &'a str,
    /// The challenge's `realm`.
    pub realm: &'a str,
    /// The password.
    pub password: &'a str,
    /// The request's method (`DESCRIBE`, …).
    pub method: &'a str,
    /// The Request-URI, as in the request line (digest-uri, §3.2.2.5).
    pub uri: &'a str,
    /// The challenge's `nonce`.
    pub nonce: &'a str,
    /// With `qop=auth`: the nonce count and the client nonce; `None` for
    /// the RFC 2069 form without qop.
    pub qop_auth: Option<(u32, &'a str)>,
}

/// 32 lowercase hex digits of an MD5 digest (RFC 2617 §3.1.3 LHEX).
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DigestHex(pub(crate) [u8; 32]);

impl DigestHex {
    fn of(hash: Md5) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [b'0'; 32];
        for (pair, byte) in out.chunks_exact_mut(2).zip(hash.finalize()) {
            for (slot, nibble) in pair.iter_mut().zip([byte >> 4, byte & 0x0f]) {
                *slot = HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
            }
        }
        DigestHex(out)
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for DigestHex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for DigestHex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Feeds `s` to `h` with quoted-pair escapes undone (RFC 2617 §3.2.1 unq()).
fn update_unq(h: &mut Md5, s: &str) {
    let mut escaped = false;
    for b in s.bytes() {
        if b == b'\\' && !escaped {
            escaped = true;
            continue;
        }
        escaped = false;
        h.update([b]);
    }
}

impl DigestInput<'_> {
    /// `request-digest` (RFC 2617 §3.2.2.1): `KD(H(A1), nonce:nc:cnonce:
    /// auth:H(A2))` with qop, `KD(H(A1), nonce:H(A2))` without, where
    /// A1 = `user:realm:password` and A2 = `method:uri` (§3.2.2.2-3).
    pub fn response(&self) -> DigestHex {
        let mut a1 = Md5::new();
        a1.update(self.username);
        a1.update(":");
        update_unq(&mut a1, self.realm);
        a1.update(":");
        a1.update(self.password);
        let ha1 = DigestHex::of(a1);
        let mut a2 = Md5::new();
        a2.update(self.method);
        a2.update(":");
        a2.update(self.uri);
        let ha2 = DigestHex::of(a2);
        let mut kd = Md5::new();
        kd.update(ha1.0);
        kd.update(":");
        update_unq(&mut kd, self.nonce);
        kd.update(":");
        if let Some((nc, cnonce)) = self.qop_auth {
            kd.update(Hex8(nc).digits());
            kd.update(":");
            kd.update(cnonce);
            kd.update(":auth:");
        }
        kd.update(ha2.0);
        DigestHex::of(kd)
    }
}

/// A 32-bit value as 8 lowercase hex digits (RFC 2617 §3.2.2 nc-value).
#[derive(Clone, Copy)]
pub(crate) struct Hex8(pub(crate) u32);

impl Hex8 {
    pub(crate) fn digits(self) -> [u8; 8] {
        lower_hex(u64::from(self.0))
    }
}

/// The low `N` nibbles of `value` as lowercase hex digits, most
/// significant first (nc-value, nonces).
pub(crate) fn lower_hex<const N: usize>(value: u64) -> [u8; N] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'0'; N];
    for (i, slot) in out.iter_mut().enumerate() {
        let shift = 4 * (N - 1 - i) as u32;
        let nibble = value.checked_shr(shift).unwrap_or(0) & 0xf;
        *slot = HEX.get(nibble as usize).copied().unwrap_or(b'0');
    }
    out
}

impl fmt::Display for Hex8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.digits() {
            f.write_char(char::from(d))?;
        }
        Ok(())
    }
}

/// The Basic credentials token (RFC 2617 §2): base64 (RFC 4648 §4, with
/// padding) of `user:password`, written without allocation.
#[derive(Debug, Clone, Copy)]
pub struct BasicToken<'a> {
    /// The user name.
    pub user: &'a str,
    /// The password.
    pub password: &'a str,
}

impl fmt::Display for BasicToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        base64(f, self.user, self.password)
    }
}

fn base64(f: &mut fmt::Formatter<'_>, user: &str, password: &str) -> fmt::Result {
    let mut bytes = user
        .bytes()
        .chain(core::iter::once(b':'))
        .chain(password.bytes());
    loop {
        let mut chunk = [0u8; 3];
        let n = chunk
            .iter_mut()
            .zip(&mut bytes)
            .map(|(slot, b)| *slot = b)
            .count();
        let Some(taken) = chunk.get(..n).filter(|c| !c.is_empty()) else {
            return Ok(());
        };
        for c in crate::tunnel::base64_quantum(taken) {
            f.write_char(char::from(c))?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2617 §3.5: the worked example.
    #[test]
    fn rfc2617_section_3_5_example() {
        let input = DigestInput {
            username: "Mufasa",
            realm: "testrealm@host.com",
            password: "Circle Of Life",
            method: "GET",
            uri: "/dir/index.html",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            qop_auth: Some((1, "0a4f113b")),
        };
        assert_eq!(
            input.response().as_str(),
            "6629fae49393a05397450978507c4ef1"
        );
    }

    /// RFC 2069 form (no qop): KD(H(A1), nonce:H(A2)), checked against the
    /// hashes of its parts computed independently.
    #[test]
    fn digest_without_qop() {
        let h = |s: &str| {
            let mut m = Md5::new();
            m.update(s);
            DigestHex::of(m)
        };
        // RFC 1321 A.5 test suite value.
        assert_eq!(h("abc").as_str(), "900150983cd24fb0d6963f7d28e17f72");
        let ha1 = h("Mufasa:testrealm@host.com:Circle Of Life");
        let ha2 = h("DESCRIBE:rtsp://h/x");
        let want = h(&std::format!("{ha1}:nonce1:{ha2}"));
        let input = DigestInput {
            username: "Mufasa",
            realm: "testrealm@host.com",
            password: "Circle Of Life",
            method: "DESCRIBE",
            uri: "rtsp://h/x",
            nonce: "nonce1",
            qop_auth: None,
        };
        assert_eq!(input.response(), want);
    }

    /// RFC 2617 §2's Basic example, and RFC 4648 §10's padding vectors.
    #[test]
    fn basic_token() {
        let token = |u: &'static str, p: &'static str| {
            std::format!(
                "Basic {}",
                BasicToken {
                    user: u,
                    password: p
                }
            )
        };
        assert_eq!(
            token("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        // "f:" "fo:" "foo:" → 2, 3, 4 bytes: ==, =, none.
        assert_eq!(token("f", ""), "Basic Zjo=");
        assert_eq!(token("fo", ""), "Basic Zm86");
        assert_eq!(token("foo", "b"), "Basic Zm9vOmI=");
    }
}
