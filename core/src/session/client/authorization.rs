//! `Authorization` values (RFC 2326 §12.5) written without allocation:
//! the Digest `response` (RFC 2617 §3.2.2.1, MD5) and the Basic token
//! (RFC 2617 §2, base64 per RFC 4648 §4), from the Digest and Basic pieces
//! the server shares (`session::digest`).

use core::fmt::{self, Write as _};

pub(crate) use crate::session::digest::{BasicToken, Hex8};
pub use crate::session::digest::{DigestHex, DigestInput};

/// An `Authorization` value, written without allocation.
#[derive(Clone, Copy)]
pub(crate) enum Credentials<'a> {
    /// `Basic base64(user:password)` (RFC 2617 §2).
    Basic { user: &'a str, password: &'a str },
    /// `Digest username=…, response=…` (RFC 2617 §3.2.2).
    Digest {
        user: &'a str,
        realm: &'a str,
        nonce: &'a str,
        uri: &'a str,
        response: DigestHex,
        algorithm: bool,
        opaque: &'a str,
        /// nc and cnonce, with `qop=auth`.
        qop: Option<(Hex8, Hex8)>,
    },
}

impl fmt::Display for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Credentials::Basic { user, password } => {
                write!(f, "Basic {}", BasicToken { user, password })
            }
            Credentials::Digest {
                user,
                realm,
                nonce,
                uri,
                response,
                algorithm,
                opaque,
                qop,
            } => {
                f.write_str("Digest username=\"")?;
                for c in user.chars() {
                    // quoted-pair (RFC 2616 §2.2) for the two special characters.
                    if c == '"' || c == '\\' {
                        f.write_char('\\')?;
                    }
                    f.write_char(c)?;
                }
                write!(f, "\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\"")?;
                if algorithm {
                    f.write_str(", algorithm=MD5")?;
                }
                if let Some((nc, cnonce)) = qop {
                    write!(f, ", qop=auth, nc={nc}, cnonce=\"{cnonce}\"")?;
                }
                write!(f, ", response=\"{response}\"")?;
                if !opaque.is_empty() {
                    write!(f, ", opaque=\"{opaque}\"")?;
                }
                Ok(())
            }
        }
    }
}
