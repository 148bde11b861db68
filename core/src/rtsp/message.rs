//! The messages an RTSP connection carries (RFC 2326 §4, §6, §7, §10.12),
//! borrowed from the input: what [`parse`](super::parse) returns and the
//! writers read.

use super::{header, Error, Method, StatusCode};

/// One header line, borrowed from the input (RFC 2326 §4.2): the name as
/// sent (compare it case-insensitively) and the value with surrounding
/// whitespace removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Header<'b> {
    /// Header name, a token (RFC 2326 §15.1).
    pub name: &'b str,
    /// Header value, trimmed; not necessarily UTF-8.
    pub value: &'b [u8],
}

impl<'b> Header<'b> {
    /// An empty header, to initialise the caller's array.
    pub const EMPTY: Header<'static> = Header {
        name: "",
        value: b"",
    };

    /// The value as text, if it is UTF-8.
    pub fn value_str(&self) -> Option<&'b str> {
        core::str::from_utf8(self.value).ok()
    }
}

/// Outcome of [`parse`]: either one whole message, or more bytes needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Status<T> {
    /// A whole message was parsed.
    Complete(T),
    /// The input ends inside a message: read more and call again with the
    /// same (extended) buffer.
    Partial,
}

/// The protocol a text message is read as: RTSP (RFC 2326 §3.1) or, for a
/// host that serves HTTP on the same port, HTTP/1.x (RFC 9112 §2.3). The
/// grammar of the start line and headers is the same; only the version
/// token's name differs (and HTTP request bodies are left to the caller,
/// [`http::parse_request`](super::http::parse_request)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Protocol {
    /// `RTSP/d.d`.
    Rtsp,
    /// `HTTP/d.d`.
    Http,
}

impl Protocol {
    /// The name before the `/` of the version token.
    pub const fn name(self) -> &'static [u8; 4] {
        match self {
            Protocol::Rtsp => b"RTSP",
            Protocol::Http => b"HTTP",
        }
    }
}

/// The protocol version of a message (RFC 2326 §3.1, RFC 7826 §4.1): both
/// `RTSP/1.0` and `RTSP/2.0` are read (and `HTTP/1.x` when reading HTTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Version {
    /// Major version digit.
    pub major: u8,
    /// Minor version digit.
    pub minor: u8,
}

impl Version {
    /// RTSP/1.0 (RFC 2326).
    pub const RTSP_1_0: Version = Version { major: 1, minor: 0 };
    /// RTSP/2.0 (RFC 7826).
    pub const RTSP_2_0: Version = Version { major: 2, minor: 0 };

    /// HTTP/1.0 (RFC 1945).
    pub const HTTP_1_0: Version = Version { major: 1, minor: 0 };
    /// HTTP/1.1 (RFC 9112).
    pub const HTTP_1_1: Version = Version { major: 1, minor: 1 };

    /// Reads `NAME/d.d` where NAME is `protocol`'s.
    pub(crate) fn parse(protocol: Protocol, token: &[u8]) -> Result<Version, Error> {
        match token {
            [a, b, c, d, b'/', major, b'.', minor]
                if [*a, *b, *c, *d] == *protocol.name()
                    && major.is_ascii_digit()
                    && minor.is_ascii_digit() =>
            {
                Ok(Version {
                    major: major - b'0',
                    minor: minor - b'0',
                })
            }
            _ => Err(Error::Version),
        }
    }
}

/// A request (RFC 2326 §6), borrowing from the input buffer (`'b`) and the
/// caller's header array (`'h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Request<'b, 'h> {
    /// The method (RFC 2326 §6.1).
    pub method: Method<'b>,
    /// The Request-URI: an absolute `rtsp://` URL, a path, or `*`.
    pub uri: &'b str,
    /// The version token.
    pub version: Version,
    /// The headers, in order.
    pub headers: &'h [Header<'b>],
    /// The body (`Content-Length` bytes, RFC 2326 §4.3).
    pub body: &'b [u8],
}

/// A response (RFC 2326 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Response<'b, 'h> {
    /// The version token.
    pub version: Version,
    /// The status code (RFC 2326 §7.1.1).
    pub status: StatusCode,
    /// The reason phrase as sent (may be empty).
    pub reason: &'b str,
    /// The headers, in order.
    pub headers: &'h [Header<'b>],
    /// The body (`Content-Length` bytes).
    pub body: &'b [u8],
}

/// A `$`-framed binary packet on the RTSP connection (RFC 2326 §10.12):
/// `'$'`, a one-byte channel, a 16-bit big-endian length, then the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Interleaved<'b> {
    /// The channel, as negotiated by `Transport: interleaved=` (RFC 2326 §12.39).
    pub channel: u8,
    /// The RTP or RTCP packet.
    pub payload: &'b [u8],
}

/// Anything that can arrive on an RTSP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Message<'b, 'h> {
    /// A request (RFC 2326 §6).
    Request(Request<'b, 'h>),
    /// A response (RFC 2326 §7).
    Response(Response<'b, 'h>),
    /// An interleaved binary frame (RFC 2326 §10.12).
    Interleaved(Interleaved<'b>),
}

fn find_header<'b>(headers: &[Header<'b>], name: &str) -> Option<&'b [u8]> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value)
}

fn find_str<'b>(headers: &[Header<'b>], name: &str) -> Option<&'b str> {
    find_header(headers, name).and_then(|v| core::str::from_utf8(v).ok())
}

macro_rules! accessors {
    () => {
        /// The first header named `name` (case-insensitive, RFC 2326 §4.2).
        pub fn header(&self, name: &str) -> Option<&'b [u8]> {
            find_header(self.headers, name)
        }

        /// The first header named `name`, as text.
        pub fn header_str(&self, name: &str) -> Option<&'b str> {
            find_str(self.headers, name)
        }

        /// The `CSeq` (RFC 2326 §12.17), if present and valid.
        pub fn cseq(&self) -> Option<u32> {
            header::CSeq::parse(self.header_str(header::names::CSEQ)?)
                .ok()
                .map(|c| c.0)
        }

        /// The `Session` header (RFC 2326 §12.37), if present and valid.
        pub fn session(&self) -> Option<header::Session<'b>> {
            header::Session::parse(self.header_str(header::names::SESSION)?).ok()
        }
    };
}

impl<'b> Request<'b, '_> {
    accessors!();
}

impl<'b> Response<'b, '_> {
    accessors!();
}
