//! Typed RTSP headers (RFC 2326 §12, RFC 7826 §18).
//!
//! Each type borrows from the header value it was parsed from, has a
//! `parse(&str)` that refuses malformed input with
//! [`Error::InvalidHeader`], and a `Display` impl that writes the value in
//! its canonical wire form, so `parse(&x.to_string()) == x`.

mod auth;
mod range;
mod transport;

use core::fmt;

use super::{Error, Method};

pub use auth::{AuthParams, Authorization, Challenge, Scheme};
pub use range::{NptTime, Range, RtpInfo, RtpInfoList};
pub use transport::{
    Cast, ChannelPair, LowerTransport, Mode, PortPair, Profile, Transport, Transports,
};

/// Header names this crate reads or writes (RFC 2326 §12).
pub mod names {
    /// RFC 2326 §12.4.
    pub const ALLOW: &str = "Allow";
    /// RFC 2326 §12.5.
    pub const AUTHORIZATION: &str = "Authorization";
    /// RFC 2326 §12.11.
    pub const CONTENT_BASE: &str = "Content-Base";
    /// RFC 2326 §12.14.
    pub const CONTENT_LENGTH: &str = "Content-Length";
    /// RFC 2326 §12.16.
    pub const CONTENT_TYPE: &str = "Content-Type";
    /// RFC 2326 §12.17.
    pub const CSEQ: &str = "CSeq";
    /// RFC 2326 §12.18.
    pub const DATE: &str = "Date";
    /// RFC 2326 §12.28.
    pub const PUBLIC: &str = "Public";
    /// RFC 2326 §12.29.
    pub const RANGE: &str = "Range";
    /// RFC 2326 §12.32.
    pub const REQUIRE: &str = "Require";
    /// RFC 2326 §12.33.
    pub const RTP_INFO: &str = "RTP-Info";
    /// RFC 2326 §12.34.
    pub const SCALE: &str = "Scale";
    /// RFC 2326 §12.36.
    pub const SERVER: &str = "Server";
    /// RFC 2326 §12.37.
    pub const SESSION: &str = "Session";
    /// RFC 2326 §12.39.
    pub const TRANSPORT: &str = "Transport";
    /// RFC 2326 §12.41.
    pub const UNSUPPORTED: &str = "Unsupported";
    /// RFC 2326 §12.42.
    pub const USER_AGENT: &str = "User-Agent";
    /// RFC 2326 §12.44.
    pub const WWW_AUTHENTICATE: &str = "WWW-Authenticate";
}

pub(crate) fn invalid(name: &'static str) -> Error {
    Error::InvalidHeader { name }
}

pub(crate) fn trim_str(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

/// Splits `s` at `sep` outside double quotes (RFC 2326 §15.1 quoted-string).
pub(crate) fn split_unquoted(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    core::iter::from_fn(move || {
        let s = rest?;
        let mut quoted = false;
        for (i, b) in s.bytes().enumerate() {
            match b {
                b'"' => quoted = !quoted,
                b if b == sep && !quoted => {
                    rest = s.get(i + 1..);
                    return s.get(..i);
                }
                _ => {}
            }
        }
        rest = None;
        Some(s)
    })
}

/// Removes one pair of surrounding double quotes, if present.
pub(crate) fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// Parses ASCII decimal digits only (no sign, no spaces), without overflow.
pub(crate) fn parse_decimal<T: TryFrom<u64>>(s: &[u8]) -> Option<T> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    T::try_from(v).ok()
}

/// `CSeq` (RFC 2326 §12.17): the request's sequence number, echoed by the
/// response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CSeq(pub u32);

impl CSeq {
    /// Reads a decimal CSeq.
    pub fn parse(value: &str) -> Result<Self, Error> {
        parse_decimal(trim_str(value).as_bytes())
            .map(CSeq)
            .ok_or(invalid(names::CSEQ))
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `Session` (RFC 2326 §12.37): `session-id [ ";" "timeout" "=" delta-seconds ]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Session<'a> {
    /// The opaque session identifier (RFC 2326 §3.4: 8+ chars of
    /// `ALPHA | DIGIT | safe`).
    pub id: &'a str,
    /// The server's idle timeout, in seconds.
    pub timeout: Option<u32>,
}

impl<'a> Session<'a> {
    /// Reads a Session value; unknown parameters are ignored.
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let mut parts = value.split(';');
        let id = trim_str(parts.next().unwrap_or_default());
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b',' && b != b';')
        {
            return Err(invalid(names::SESSION));
        }
        let mut timeout = None;
        for part in parts {
            if let Some((k, v)) = part.split_once('=') {
                if trim_str(k).eq_ignore_ascii_case("timeout") {
                    let v = parse_decimal(trim_str(v).as_bytes()).ok_or(invalid(names::SESSION))?;
                    timeout = Some(v);
                }
            }
        }
        Ok(Session { id, timeout })
    }
}

impl fmt::Display for Session<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)?;
        if let Some(t) = self.timeout {
            write!(f, ";timeout={t}")?;
        }
        Ok(())
    }
}

/// `Content-Length` (RFC 2326 §12.14): body length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ContentLength(pub usize);

impl ContentLength {
    /// Reads a decimal length.
    pub fn parse(value: &str) -> Result<Self, Error> {
        Self::parse_bytes(value.as_bytes()).ok_or(invalid(names::CONTENT_LENGTH))
    }

    pub(crate) fn parse_bytes(value: &[u8]) -> Option<Self> {
        parse_decimal(super::scan::trim(value)).map(ContentLength)
    }
}

impl fmt::Display for ContentLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `Content-Type` (RFC 2326 §12.16): a media type such as `application/sdp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ContentType<'a> {
    /// `type/subtype`, without parameters.
    pub media_type: &'a str,
}

impl<'a> ContentType<'a> {
    /// The SDP media type (RFC 4566 §8.2.1).
    pub const SDP: ContentType<'static> = ContentType {
        media_type: "application/sdp",
    };

    /// Reads a media type, dropping parameters (`; charset=..`).
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let media_type = trim_str(value.split(';').next().unwrap_or_default());
        match media_type.split_once('/') {
            Some((t, s)) if !t.is_empty() && !s.is_empty() => Ok(ContentType { media_type }),
            _ => Err(invalid(names::CONTENT_TYPE)),
        }
    }

    /// True for `application/sdp` (case-insensitive).
    pub fn is_sdp(&self) -> bool {
        self.media_type.eq_ignore_ascii_case(Self::SDP.media_type)
    }
}

impl fmt::Display for ContentType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.media_type)
    }
}

/// `Content-Base` (RFC 2326 §12.11): the URL relative `a=control:` values
/// resolve against (RFC 2326 C.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ContentBase<'a>(pub &'a str);

impl<'a> ContentBase<'a> {
    /// Reads an absolute URL.
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let url = trim_str(value);
        if url.contains("://") && !url.contains(' ') {
            Ok(ContentBase(url))
        } else {
            Err(invalid(names::CONTENT_BASE))
        }
    }
}

impl fmt::Display for ContentBase<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A set of known methods, as listed by `Public:` (RFC 2326 §12.28) and
/// `Allow:` (§12.4). Unknown tokens are skipped, so a client can ask
/// [`MethodSet::contains`] about what it cares for (e.g. GET_PARAMETER for
/// its keep-alive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MethodSet(u16);

impl MethodSet {
    /// No methods.
    pub const EMPTY: MethodSet = MethodSet(0);

    /// A set of the given methods (unknown ones are ignored).
    pub fn of(methods: &[Method<'_>]) -> Self {
        methods.iter().fold(Self::EMPTY, |s, m| s.with(*m))
    }

    /// This set plus `method`.
    pub fn with(self, method: Method<'_>) -> Self {
        MethodSet(self.0 | method.bit().unwrap_or(0))
    }

    /// Whether `method` is in the set.
    pub fn contains(&self, method: Method<'_>) -> bool {
        method.bit().is_some_and(|b| self.0 & b != 0)
    }

    /// Reads a comma-separated method list (whitespace tolerated).
    pub fn parse(value: &str) -> Result<Self, Error> {
        let mut set = Self::EMPTY;
        for token in value.split(',').map(trim_str).filter(|t| !t.is_empty()) {
            if !token.bytes().all(super::scan::is_token) {
                return Err(invalid(names::PUBLIC));
            }
            set = set.with(Method::from_token(token));
        }
        Ok(set)
    }
}

impl fmt::Display for MethodSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for m in super::method::KNOWN.iter().filter(|m| self.contains(**m)) {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            f.write_str(m.as_str())?;
        }
        Ok(())
    }
}

/// Option tags of `Require:`, `Proxy-Require:` and `Unsupported:`
/// (RFC 2326 §3.8, §12.32, §12.41): a comma-separated list of tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct OptionTags<'a>(&'a str);

impl<'a> OptionTags<'a> {
    /// Checks a tag list.
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let tags = OptionTags(trim_str(value));
        if tags
            .iter()
            .all(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic() && b != b','))
        {
            Ok(tags)
        } else {
            Err(invalid(names::REQUIRE))
        }
    }

    /// The tags, trimmed.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> {
        self.0.split(',').map(trim_str)
    }
}

impl fmt::Display for OptionTags<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, tag) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(tag)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
