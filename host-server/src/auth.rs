//! Optional access control (`--user`/`--password`): RTSP authentication
//! (RFC 2326 §12.5, §12.44) with HTTP Digest (RFC 2617 §3, MD5, with or
//! without `qop=auth`), and Basic (RFC 2617 §2) only when `--basic` asks
//! for it, since Basic sends the password in the clear.
//!
//! The challenge and the credentials are read and written with
//! `rtsp_core::rtsp::header::{Authorization, AuthParams}`; rtsp-core's
//! server session has no notion of users, so the host checks each request
//! before the session sees it and answers `401 Unauthorized` itself.

use base64::Engine as _;
use md5::{Digest as _, Md5};
use rtsp_core::rtsp::header::{Authorization, Scheme};
use rtsp_core::rtsp::{Method, Request};

/// Realm announced in challenges (RFC 2617 §1.2).
pub const REALM: &str = "rtsp-server";

/// Users allowed in, and how they may prove it.
#[derive(Debug, Clone)]
pub struct Auth {
    user: String,
    password: String,
    basic: bool,
    nonce: String,
}

impl Auth {
    /// One user; `basic` also accepts Basic credentials.
    pub fn new(user: &str, password: &str, basic: bool) -> Auth {
        let nonce = format!(
            "{:016x}{:016x}",
            crate::session::random(),
            crate::session::random()
        );
        Auth {
            user: user.into(),
            password: password.into(),
            basic,
            nonce,
        }
    }

    /// Whether `req` may go on to the session. OPTIONS needs no
    /// credentials, as clients send it before they know of a challenge.
    pub fn allows(&self, req: &Request<'_, '_>) -> bool {
        if req.method == Method::Options {
            return true;
        }
        let Some(auth) = req
            .header_str("Authorization")
            .and_then(|v| Authorization::parse(v).ok())
        else {
            return false;
        };
        match auth.scheme {
            Scheme::Digest => self.digest_ok(&auth, req.method.as_str()),
            Scheme::Basic if self.basic => auth.basic_token().is_some_and(|t| {
                let want = base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:{}", self.user, self.password));
                t.trim() == want
            }),
            _ => false,
        }
    }

    fn digest_ok(&self, auth: &Authorization<'_>, method: &str) -> bool {
        let Some(p) = auth.digest() else { return false };
        let (Some(user), Some(realm), Some(nonce), Some(uri), Some(response)) =
            (p.username(), p.realm(), p.nonce(), p.uri(), p.response())
        else {
            return false;
        };
        if user != self.user || realm != REALM || nonce != self.nonce {
            return false;
        }
        if p.algorithm()
            .is_some_and(|a| !a.eq_ignore_ascii_case("MD5"))
        {
            return false;
        }
        let ha1 = md5_hex(&format!("{}:{REALM}:{}", self.user, self.password));
        let ha2 = md5_hex(&format!("{method}:{uri}"));
        let want = match p.qop() {
            // RFC 2617 §3.2.2.1 with qop=auth.
            Some(q) if q.eq_ignore_ascii_case("auth") => {
                let (Some(nc), Some(cnonce)) = (p.get("nc"), p.get("cnonce")) else {
                    return false;
                };
                md5_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
            }
            Some(_) => return false,
            // RFC 2069 compatibility form, which most RTSP clients send.
            None => md5_hex(&format!("{ha1}:{nonce}:{ha2}")),
        };
        response.eq_ignore_ascii_case(&want)
    }

    /// `WWW-Authenticate` values for a 401 (RFC 2326 §12.44), strongest
    /// first. Digest offers `qop="auth"` (RFC 2617 §3.2.1: a server SHOULD),
    /// so the client's nonce goes into the hash too; a client that ignores
    /// qop still gets in with the RFC 2069 form, which `check` accepts.
    pub fn challenges(&self) -> Vec<String> {
        let mut v = vec![format!(
            "Digest realm=\"{REALM}\", nonce=\"{}\", qop=\"auth\", algorithm=MD5",
            self.nonce
        )];
        if self.basic {
            v.push(format!("Basic realm=\"{REALM}\""));
        }
        v
    }
}

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtsp_core::rtsp::{self, Header, Message};

    fn allowed(a: &Auth, text: &str) -> bool {
        let mut h = [Header::EMPTY; 16];
        let Ok(rtsp::Status::Complete((Message::Request(r), _))) =
            rtsp::parse(text.as_bytes(), &mut h)
        else {
            panic!("not a request")
        };
        a.allows(&r)
    }

    #[test]
    fn rfc2617_digest_and_basic() {
        let mut a = Auth::new("Mufasa", "Circle Of Life", false);
        a.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093".into();
        let uri = "rtsp://h/movie.Mjpeg";
        let ha1 = md5_hex(&format!("Mufasa:{REALM}:Circle Of Life"));
        let resp = md5_hex(&format!(
            "{ha1}:{}:{}",
            a.nonce,
            md5_hex(&format!("DESCRIBE:{uri}"))
        ));
        let good = format!(
            "DESCRIBE {uri} RTSP/1.0\r\nCSeq: 2\r\nAuthorization: Digest username=\"Mufasa\", realm=\"{REALM}\", \
             nonce=\"{}\", uri=\"{uri}\", response=\"{resp}\"\r\n\r\n",
            a.nonce
        );
        assert!(allowed(&a, &good));
        assert!(
            !allowed(&a, &good.replace("DESCRIBE rtsp", "PLAY rtsp")),
            "the method is part of HA2"
        );
        assert!(!allowed(&a, &good.replace(&resp, &"0".repeat(32))));
        assert!(!allowed(
            &a,
            &format!("DESCRIBE {uri} RTSP/1.0\r\nCSeq: 2\r\n\r\n")
        ));
        assert!(allowed(
            &a,
            &format!("OPTIONS {uri} RTSP/1.0\r\nCSeq: 1\r\n\r\n")
        ));
        // Basic only when asked for.
        let basic = format!("DESCRIBE {uri} RTSP/1.0\r\nCSeq: 3\r\nAuthorization: Basic TXVmYXNhOkNpcmNsZSBPZiBMaWZl\r\n\r\n");
        assert!(!allowed(&a, &basic));
        a.basic = true;
        assert!(allowed(&a, &basic));
        assert_eq!(a.challenges().len(), 2);
    }
}
