//! Answering a server's authentication challenge (RFC 2326 §12.5, §12.44):
//! HTTP Digest (RFC 2617 §3.2.2, MD5, with `qop=auth` or without qop) or,
//! only when it is the only scheme offered, Basic (RFC 2617 §2).
//!
//! The credentials and the challenge being answered share one bounded
//! buffer of the session's `AUTH` bytes, as
//! `user NUL password [NUL realm NUL nonce NUL opaque]`. NUL cannot occur in
//! any of them: RFC 2617 §1.2 quoted strings exclude control characters, and
//! [`set_credentials`](super::ClientSession::set_credentials) refuses a NUL.

use core::fmt;

use super::authorization::{Credentials, DigestInput, Hex8};
use crate::rtsp::header::{names, AuthParams, Challenge, Scheme};
use crate::rtsp::Header;

/// Why credentials were refused, or why a `401 Unauthorized` (RFC 2326
/// §11.4.2) could not be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum AuthError {
    /// The server wants credentials (RFC 2326 §12.44) and none were set.
    NoCredentials,
    /// The server answered our credentials with another 401: a wrong user
    /// or password.
    Rejected,
    /// No challenge this client answers: neither Digest with MD5 and
    /// `qop=auth` or no qop (RFC 2617 §3.2.1), nor Basic alone (§2), nor
    /// any `WWW-Authenticate` at all.
    UnsupportedChallenge,
    /// The challenge's realm, nonce and opaque do not fit next to the
    /// credentials in the session's buffer.
    ChallengeTooLong {
        /// The buffer's size in bytes.
        limit: u16,
    },
    /// User and password do not fit in the session's buffer.
    CredentialsTooLong {
        /// The buffer's size in bytes.
        limit: u16,
    },
    /// The user name has a control character, or the password a NUL: the
    /// user name goes into a quoted string (RFC 2617 §3.2.2), where
    /// control characters cannot be sent.
    InvalidCredentials,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::NoCredentials => f.write_str("the server wants a user and password"),
            AuthError::Rejected => f.write_str("the server refused the user and password"),
            AuthError::UnsupportedChallenge => f.write_str(
                "the server asks for an authentication this client does not answer \
                 (it answers Digest with MD5, and Basic)",
            ),
            AuthError::ChallengeTooLong { limit } => write!(
                f,
                "the server's challenge does not fit in {limit} bytes with the credentials"
            ),
            AuthError::CredentialsTooLong { limit } => {
                write!(f, "user and password longer than {limit} bytes")
            }
            AuthError::InvalidCredentials => {
                f.write_str("control character in the user name or NUL in the password")
            }
        }
    }
}

impl core::error::Error for AuthError {}

/// The scheme and options of the challenge being answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// No challenge yet: requests carry no `Authorization`.
    None,
    /// RFC 2617 §2.
    Basic,
    /// RFC 2617 §3.2.2.
    Digest {
        /// The challenge offered `qop=auth`.
        qop_auth: bool,
        /// The challenge named `algorithm=MD5` (echoed back).
        algorithm: bool,
    },
}

/// Separator of the buffer's fields.
const SEP: char = '\0';

/// Credentials and the challenge being answered, in `AUTH` bytes.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Auth<const AUTH: usize> {
    text: heapless::String<AUTH, u16>,
    answer: Answer,
    /// Requests sent with the current nonce (RFC 2617 §3.2.2 nc).
    nc: u32,
    /// The outstanding request is the answer to a challenge: another 401
    /// means the credentials are wrong.
    retried: bool,
}

// Manual: never print the password.
impl<const AUTH: usize> fmt::Debug for Auth<AUTH> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("user", &self.field(0))
            .field("answer", &self.answer)
            .field("nc", &self.nc)
            .finish_non_exhaustive()
    }
}

impl<const AUTH: usize> Auth<AUTH> {
    /// No credentials.
    pub(crate) const fn new() -> Self {
        Auth {
            text: heapless::String::new(),
            answer: Answer::None,
            nc: 0,
            retried: false,
        }
    }

    fn limit() -> u16 {
        u16::try_from(AUTH).unwrap_or(u16::MAX)
    }

    /// Field `i` of `user NUL password NUL realm NUL nonce NUL opaque`.
    fn field(&self, i: usize) -> &str {
        self.text.split(SEP).nth(i).unwrap_or_default()
    }

    /// Keeps `user` and `password` and forgets any challenge.
    pub(crate) fn set(&mut self, user: &str, password: &str) -> Result<(), AuthError> {
        if user.chars().any(char::is_control) || password.contains(SEP) {
            return Err(AuthError::InvalidCredentials);
        }
        *self = Auth::new();
        let stored = self
            .text
            .push_str(user)
            .and_then(|()| self.text.push(SEP))
            .and_then(|()| self.text.push_str(password));
        if stored.is_err() {
            self.text.clear();
            return Err(AuthError::CredentialsTooLong {
                limit: Self::limit(),
            });
        }
        Ok(())
    }

    /// A `401 Unauthorized` arrived with these headers: picks the challenge
    /// to answer (Digest over Basic) so that the request can be sent again.
    pub(crate) fn challenged(&mut self, headers: &[Header<'_>]) -> Result<(), AuthError> {
        if !self.text.contains(SEP) {
            return Err(AuthError::NoCredentials);
        }
        if self.retried {
            // Stays set: later requests carry the same refused credentials.
            return Err(AuthError::Rejected);
        }
        let (answer, params) = choose(headers)?;
        let credentials = self.field(0).len() + 1 + self.field(1).len();
        self.text.truncate(credentials);
        self.answer = Answer::None;
        if let Answer::Digest { .. } = answer {
            let parts = [
                params.realm().unwrap_or_default(),
                params.nonce().unwrap_or_default(),
                params.opaque().unwrap_or_default(),
            ];
            if parts.iter().any(|p| p.contains(SEP)) {
                // Would shift the buffer's fields; no real server sends it.
                return Err(AuthError::UnsupportedChallenge);
            }
            for p in parts {
                if self
                    .text
                    .push(SEP)
                    .and_then(|()| self.text.push_str(p))
                    .is_err()
                {
                    self.text.truncate(credentials);
                    return Err(AuthError::ChallengeTooLong {
                        limit: Self::limit(),
                    });
                }
            }
        }
        self.answer = answer;
        self.nc = 0;
        self.retried = true;
        Ok(())
    }

    /// A response other than 401 arrived: the credentials (if sent) held.
    pub(crate) fn answered(&mut self) {
        self.retried = false;
    }

    /// A request carrying [`authorization`](Self::authorization) went out.
    pub(crate) fn sent(&mut self) {
        if let Answer::Digest { qop_auth: true, .. } = self.answer {
            self.nc = self.nc.wrapping_add(1);
        }
    }

    /// The `Authorization` value (RFC 2326 §12.5) for a request, once a
    /// challenge is known. `cnonce` is the client nonce (RFC 2617 §3.2.2).
    pub(crate) fn authorization<'s>(
        &'s self,
        method: &'s str,
        uri: &'s str,
        cnonce: u32,
    ) -> Option<Credentials<'s>> {
        let (user, password) = (self.field(0), self.field(1));
        match self.answer {
            Answer::None => None,
            Answer::Basic => Some(Credentials::Basic { user, password }),
            Answer::Digest {
                qop_auth,
                algorithm,
            } => {
                let nc = self.nc.wrapping_add(1);
                let digits = Hex8(cnonce).digits();
                // Only ASCII hex digits are in `digits`.
                let cnonce_str = core::str::from_utf8(&digits).unwrap_or_default();
                let input = DigestInput {
                    username: user,
                    realm: self.field(2),
                    password,
                    method,
                    uri,
                    nonce: self.field(3),
                    qop_auth: qop_auth.then_some((nc, cnonce_str)),
                };
                let response = input.response();
                Some(Credentials::Digest {
                    user,
                    realm: self.field(2),
                    nonce: self.field(3),
                    uri,
                    response,
                    algorithm,
                    opaque: self.field(4),
                    qop: qop_auth.then_some((Hex8(nc), Hex8(cnonce))),
                })
            }
        }
    }
}

/// Picks the challenge to answer among the response's `WWW-Authenticate`
/// headers: the first Digest one this client can answer, else Basic if no
/// Digest was offered at all (never downgrade an offered Digest to Basic,
/// which sends the password in the clear).
fn choose<'h>(headers: &[Header<'h>]) -> Result<(Answer, AuthParams<'h>), AuthError> {
    let mut basic = None;
    let mut digest_offered = false;
    let challenges = headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(names::WWW_AUTHENTICATE))
        .filter_map(|h| h.value_str())
        .filter_map(|v| Challenge::parse(v).ok());
    for c in challenges {
        match c.scheme {
            Scheme::Digest => {
                digest_offered = true;
                if let Some(answer) = digest_answer(&c.params) {
                    return Ok((answer, c.params));
                }
            }
            Scheme::Basic => {
                basic.get_or_insert(c.params);
            }
            Scheme::Unknown(_) => {}
        }
    }
    match basic {
        Some(params) if !digest_offered => Ok((Answer::Basic, params)),
        _ => Err(AuthError::UnsupportedChallenge),
    }
}

/// How to answer a Digest challenge, if this client can (RFC 2617
/// §3.2.1): a nonce, algorithm MD5 or none, qop absent or listing `auth`.
fn digest_answer(p: &AuthParams<'_>) -> Option<Answer> {
    p.nonce()?;
    let algorithm = match p.algorithm() {
        None => false,
        Some(a) if a.eq_ignore_ascii_case("MD5") => true,
        // MD5-sess, SHA-256 (RFC 7616) and others are not answered.
        Some(_) => return None,
    };
    let qop_auth = match p.qop() {
        None => false,
        Some(list) => {
            // auth-int alone would need a hash of the body: not answered.
            if !list
                .split(',')
                .any(|q| q.trim().eq_ignore_ascii_case("auth"))
            {
                return None;
            }
            true
        }
    };
    Some(Answer::Digest {
        qop_auth,
        algorithm,
    })
}
