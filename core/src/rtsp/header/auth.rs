//! `WWW-Authenticate` and `Authorization` (RFC 2326 §12.5, §12.44, using
//! HTTP Basic and Digest authentication, RFC 2617 §2 and §3.2).

use core::fmt;

use super::{invalid, names, split_unquoted, trim_str, unquote};
use crate::rtsp::Error;

/// An authentication scheme (RFC 2617 §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Scheme<'a> {
    /// `Basic` (RFC 2617 §2).
    Basic,
    /// `Digest` (RFC 2617 §3).
    Digest,
    /// Any other scheme, verbatim.
    Unknown(&'a str),
}

impl<'a> Scheme<'a> {
    fn from_token(t: &'a str) -> Self {
        if t.eq_ignore_ascii_case("Basic") {
            Scheme::Basic
        } else if t.eq_ignore_ascii_case("Digest") {
            Scheme::Digest
        } else {
            Scheme::Unknown(t)
        }
    }

    fn as_str(&self) -> &'a str {
        match self {
            Scheme::Basic => "Basic",
            Scheme::Digest => "Digest",
            Scheme::Unknown(t) => t,
        }
    }
}

/// `name=value` pairs of a challenge or of Digest credentials, separated by
/// commas, values optionally quoted (RFC 2617 §1.2 auth-param).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AuthParams<'a>(pub &'a str);

impl<'a> AuthParams<'a> {
    /// The value of parameter `name` (case-insensitive), unquoted; escapes
    /// inside quoted strings are returned as sent.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        split_unquoted(self.0, b',').find_map(|p| {
            let (k, v) = p.split_once('=')?;
            trim_str(k)
                .eq_ignore_ascii_case(name)
                .then(|| unquote(trim_str(v)))
        })
    }

    /// `realm` (RFC 2617 §1.2).
    pub fn realm(&self) -> Option<&'a str> {
        self.get("realm")
    }

    /// `nonce` (RFC 2617 §3.2.1).
    pub fn nonce(&self) -> Option<&'a str> {
        self.get("nonce")
    }

    /// `opaque` (RFC 2617 §3.2.1).
    pub fn opaque(&self) -> Option<&'a str> {
        self.get("opaque")
    }

    /// `algorithm` (RFC 2617 §3.2.1; MD5 when absent).
    pub fn algorithm(&self) -> Option<&'a str> {
        self.get("algorithm")
    }

    /// `qop` (RFC 2617 §3.2.1).
    pub fn qop(&self) -> Option<&'a str> {
        self.get("qop")
    }

    /// `username` (RFC 2617 §3.2.2).
    pub fn username(&self) -> Option<&'a str> {
        self.get("username")
    }

    /// `uri` (RFC 2617 §3.2.2).
    pub fn uri(&self) -> Option<&'a str> {
        self.get("uri")
    }

    /// `response` (RFC 2617 §3.2.2).
    pub fn response(&self) -> Option<&'a str> {
        self.get("response")
    }

    fn check(&self) -> bool {
        // Every non-empty item must be `name=value`, with balanced quotes.
        self.0.bytes().filter(|&b| b == b'"').count() % 2 == 0
            && split_unquoted(self.0, b',')
                .map(trim_str)
                .filter(|p| !p.is_empty())
                .all(|p| {
                    p.split_once('=')
                        .is_some_and(|(k, _)| !trim_str(k).is_empty())
                })
    }
}

fn split_scheme(value: &str) -> Option<(&str, &str)> {
    let value = trim_str(value);
    let (scheme, rest) = match value.split_once([' ', '\t']) {
        Some((s, r)) => (s, trim_str(r)),
        None => (value, ""),
    };
    (!scheme.is_empty() && scheme.bytes().all(crate::rtsp::scan::is_token))
        .then_some((scheme, rest))
}

/// `WWW-Authenticate` (RFC 2326 §12.44): one challenge, e.g.
/// `Digest realm="LIVE555 Streaming Media", nonce="4f2e"` or `Basic realm="cam"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Challenge<'a> {
    /// The scheme.
    pub scheme: Scheme<'a>,
    /// Its parameters (`realm`, `nonce`, …).
    pub params: AuthParams<'a>,
}

impl<'a> Challenge<'a> {
    /// Reads a challenge.
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let (scheme, rest) = split_scheme(value).ok_or(invalid(names::WWW_AUTHENTICATE))?;
        let params = AuthParams(rest);
        if !params.check() {
            return Err(invalid(names::WWW_AUTHENTICATE));
        }
        Ok(Challenge {
            scheme: Scheme::from_token(scheme),
            params,
        })
    }
}

impl fmt::Display for Challenge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme.as_str())?;
        if !self.params.0.is_empty() {
            write!(f, " {}", self.params.0)?;
        }
        Ok(())
    }
}

/// `Authorization` (RFC 2326 §12.5): `Basic <base64 user:pass>` or
/// `Digest username=.., realm=.., nonce=.., uri=.., response=..`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Authorization<'a> {
    /// The scheme.
    pub scheme: Scheme<'a>,
    /// Everything after the scheme: the base64 token for Basic, the
    /// parameters for Digest.
    pub credentials: &'a str,
}

impl<'a> Authorization<'a> {
    /// Reads credentials.
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let err = invalid(names::AUTHORIZATION);
        let (scheme, credentials) = split_scheme(value).ok_or(err)?;
        let scheme = Scheme::from_token(scheme);
        let ok = match scheme {
            // token68 (RFC 7235 §2.1): base64 alphabet plus padding.
            Scheme::Basic => {
                !credentials.is_empty()
                    && credentials
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+/=-._~".contains(&b))
            }
            Scheme::Digest => AuthParams(credentials).check(),
            Scheme::Unknown(_) => true,
        };
        if !ok {
            return Err(err);
        }
        Ok(Authorization {
            scheme,
            credentials,
        })
    }

    /// The Basic token (base64 of `user:password`), for Basic credentials.
    pub fn basic_token(&self) -> Option<&'a str> {
        (self.scheme == Scheme::Basic).then_some(self.credentials)
    }

    /// The Digest parameters, for Digest credentials.
    pub fn digest(&self) -> Option<AuthParams<'a>> {
        (self.scheme == Scheme::Digest).then_some(AuthParams(self.credentials))
    }
}

impl fmt::Display for Authorization<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme.as_str())?;
        if !self.credentials.is_empty() {
            write!(f, " {}", self.credentials)?;
        }
        Ok(())
    }
}
