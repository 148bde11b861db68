//! Server-side authentication (RFC 2326 §12.5, §12.44): every request but
//! OPTIONS must carry `Authorization` for the host's one user, as HTTP
//! Digest (RFC 2617 §3.2.2, MD5, with `qop=auth` or in the RFC 2069 form
//! without qop) or, only when the host allows it, Basic (RFC 2617 §2, the
//! password in the clear). Anything else is answered `401 Unauthorized`
//! with the challenges. The Digest computation is the client's
//! ([`digest`](crate::session::digest)). The user comes from
//! [`Host::credentials`](super::Host::credentials).

use core::fmt;

use crate::rtsp::header::{names, Authorization, Scheme};
use crate::rtsp::{Method, Request};
use crate::session::digest::{lower_hex, BasicToken, DigestInput};

/// A Digest nonce (RFC 2617 §3.2.1): 64 bits from the host's random source
/// (RFC 4086 wants it unpredictable), written as 16 hex digits. The host
/// keeps one and lends it with its [`Credentials`], so sessions stay small.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Nonce([u8; 16]);

impl Nonce {
    /// A fresh nonce from the host's random source (its
    /// [`Host::random_u32`], or whatever feeds it).
    pub fn generate(mut random_u32: impl FnMut() -> u32) -> Nonce {
        let n = u64::from(random_u32()) << 32 | u64::from(random_u32());
        Nonce(lower_hex(n))
    }

    /// The hex digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The one user a host lets in, from
/// [`Host::credentials`](super::Host::credentials).
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    /// Realm announced in the challenges (RFC 2617 §1.2); at most
    /// [`RTSP_URL_MAX`](crate::limits::RTSP_URL_MAX) bytes are announced.
    pub realm: &'a str,
    /// The user name.
    pub user: &'a str,
    /// The password.
    pub password: &'a str,
    /// The nonce of Digest challenges.
    pub nonce: &'a Nonce,
    /// Also accept Basic (the password then crosses the network in the
    /// clear, RFC 2617 §4.1): offered after Digest.
    pub basic: bool,
}

// Manual: the password stays out of logs.
impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("realm", &self.realm)
            .field("user", &self.user)
            .field("basic", &self.basic)
            .finish_non_exhaustive()
    }
}

/// Why a request was let in or not, for the host's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Verdict {
    /// Let in.
    Allowed,
    /// No (usable) `Authorization` header.
    Missing,
    /// Credentials that do not match.
    Wrong,
}

impl Credentials<'_> {
    /// Whether `req` may reach the session. OPTIONS needs no credentials:
    /// clients send it before they know of a challenge. A host that serves
    /// HTTP on the same port checks its requests here too (the method and
    /// `Authorization` are HTTP's, RFC 2617).
    pub fn check(&self, req: &Request<'_, '_>) -> Verdict {
        if req.method == Method::Options {
            return Verdict::Allowed;
        }
        let Some(auth) = req
            .header_str(names::AUTHORIZATION)
            .and_then(|v| Authorization::parse(v).ok())
        else {
            return Verdict::Missing;
        };
        let ok = match auth.scheme {
            Scheme::Digest => self.digest_ok(&auth, req.method.as_str()),
            Scheme::Basic if self.basic => auth
                .basic_token()
                .is_some_and(|t| self.basic_matches(t.trim())),
            _ => return Verdict::Missing,
        };
        if ok {
            Verdict::Allowed
        } else {
            Verdict::Wrong
        }
    }

    /// The `WWW-Authenticate` values of a 401, strongest first (RFC 2617
    /// §4.6): Digest, then Basic if allowed.
    pub fn challenges(&self) -> impl Iterator<Item = Challenge<'_>> {
        let digest = Challenge::Digest {
            realm: self.realm,
            nonce: self.nonce,
        };
        let basic = self.basic.then_some(Challenge::Basic { realm: self.realm });
        core::iter::once(digest).chain(basic)
    }

    fn basic_matches(&self, token: &str) -> bool {
        let mut m = Matches {
            rest: token.as_bytes(),
        };
        let token = BasicToken {
            user: self.user,
            password: self.password,
        };
        fmt::write(&mut m, format_args!("{token}")).is_ok() && m.rest.is_empty()
    }

    /// RFC 2617 §3.2.2: our user, realm and nonce, MD5, and the response
    /// recomputed for this request's method and the credentials' `uri`.
    fn digest_ok(&self, auth: &Authorization<'_>, method: &str) -> bool {
        let Some(p) = auth.digest() else { return false };
        let (Some(user), Some(realm), Some(nonce), Some(uri), Some(response)) =
            (p.username(), p.realm(), p.nonce(), p.uri(), p.response())
        else {
            return false;
        };
        if user != self.user || realm != self.realm || nonce != self.nonce.as_str() {
            return false;
        }
        if p.algorithm()
            .is_some_and(|a| !a.eq_ignore_ascii_case("MD5"))
        {
            return false;
        }
        let qop_auth = match p.qop() {
            // RFC 2617 §3.2.2: nc is exactly 8 hex digits.
            Some(q) if q.eq_ignore_ascii_case("auth") => {
                let (Some(nc), Some(cnonce)) = (p.get("nc"), p.get("cnonce")) else {
                    return false;
                };
                let Some(nc) = (nc.len() == 8)
                    .then(|| u32::from_str_radix(nc, 16).ok())
                    .flatten()
                else {
                    return false;
                };
                Some((nc, cnonce))
            }
            Some(_) => return false,
            // The RFC 2069 form, which most RTSP clients send.
            None => None,
        };
        let want = DigestInput {
            username: self.user,
            realm: self.realm,
            password: self.password,
            method,
            uri,
            nonce: self.nonce.as_str(),
            qop_auth,
        }
        .response();
        // RFC 2617 §3.1.3: LHEX, but accept upper case as some clients send.
        response.len() == 32
            && response
                .bytes()
                .zip(want.as_str().bytes())
                .fold(true, |ok, (a, b)| ok & a.eq_ignore_ascii_case(&b))
    }
}

/// One `WWW-Authenticate` value (RFC 2617 §1.2); `Display` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge<'a> {
    /// Digest with `qop="auth"` (RFC 2617 §3.2.1: a server SHOULD offer
    /// qop; clients that ignore it still get in with the RFC 2069 form).
    Digest {
        /// The realm.
        realm: &'a str,
        /// The nonce.
        nonce: &'a Nonce,
    },
    /// Basic (RFC 2617 §2).
    Basic {
        /// The realm.
        realm: &'a str,
    },
}

impl fmt::Display for Challenge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Challenge::Digest { realm, nonce } => write!(
                f,
                "Digest realm=\"{realm}\", nonce=\"{}\", qop=\"auth\", algorithm=MD5",
                nonce.as_str()
            ),
            Challenge::Basic { realm } => write!(f, "Basic realm=\"{realm}\""),
        }
    }
}

/// A `fmt::Write` that compares what is written with `rest`.
struct Matches<'a> {
    rest: &'a [u8],
}

impl fmt::Write for Matches<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        match self.rest.strip_prefix(s.as_bytes()) {
            Some(rest) => {
                self.rest = rest;
                Ok(())
            }
            None => Err(fmt::Error),
        }
    }
}
