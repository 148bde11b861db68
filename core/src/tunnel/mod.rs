//! RTSP over HTTP tunnelling, the QuickTime way (Apple, "Tunneling RTSP
//! and RTP over HTTP", 1999), as ffmpeg (`-rtsp_transport http`), VLC
//! (live555) and GStreamer (`rtsph://`) speak it. Sans-IO: the host owns
//! both sockets; this module recognises the two requests, holds the
//! response the GET gets, and decodes the POST body.
//!
//! ```text
//!  client                                               server
//!    | GET /path HTTP/1.0                                  |
//!    | x-sessioncookie: C                                  |  GET: server -> client
//!    | Accept: application/x-rtsp-tunnelled                |
//!    |<------------------ HTTP/1.0 200 OK (GET_OK) --------|
//!    | POST /path HTTP/1.0                                 |
//!    | x-sessioncookie: C                                  |  POST: client -> server
//!    | Content-Type: application/x-rtsp-tunnelled          |  (no response, ever)
//!    | Content-Length: 32767                               |
//!    | base64(OPTIONS ...) base64(DESCRIBE ...) ...  ----->|  Base64Decoder
//!    |<---- RTSP responses, $-framed RTP/RTCP, plain ------|  on the GET
//! ```
//!
//! The pair is one RTSP connection (RFC 2326 §10.12 interleaving applies
//! inside the GET): the host feeds what [`Base64Decoder`] yields from the
//! POST to the same server session input as a plain RTSP connection's
//! bytes, and writes that session's output, unencoded, on the GET.
//!
//! A client opens a tunnel with [`write_get`], reads the answer with
//! [`read_response_head`], then sends [`write_post`] and each message
//! through [`base64_encode`].
//!
//! Decisions (as live555 and QTSS):
//! * The `x-sessioncookie` header makes a GET or POST a tunnel request
//!   ([`classify`]). `Accept` and `Content-Type` are not required (QuickTime
//!   clients have omitted them), but a GET or POST that names
//!   `application/x-rtsp-tunnelled` without a cookie is a broken tunnel
//!   request ([`TunnelError::MissingCookie`]), not a plain HTTP one.
//! * The POST's `Content-Length` (32767 from every peer) is no bound: the
//!   body runs until the client closes the POST.
//! * The POST is never answered: peers do not read from it (ffmpeg's HTTP
//!   layer does not even wait for a response header).

mod base64;
mod client;

use core::fmt;

pub use base64::{Base64Decoder, Base64Error, Decoded};
pub(crate) use client::base64_quantum;
pub use client::{
    base64_encode, encoded_len, read_response_head, write_get, write_post, POST_CONTENT_LENGTH,
};

use crate::limits::TUNNEL_COOKIE_MAX;

/// The media type both halves of a tunnel name.
pub const CONTENT_TYPE: &str = "application/x-rtsp-tunnelled";
/// The header that pairs a GET with its POST.
pub const COOKIE_HEADER: &str = "x-sessioncookie";

/// The whole response to a tunnel GET; RTSP responses and `$`-framed
/// media follow it on the same connection with no HTTP framing, so it
/// says `Connection: close` and has no `Content-Length`. `no-cache` (both
/// headers, for HTTP/1.0 and 1.1 proxies) keeps proxies from buffering or
/// caching the stream; GStreamer and ffmpeg only check the 200.
pub const GET_OK: &[u8] = b"HTTP/1.0 200 OK\r\n\
Connection: close\r\n\
Cache-Control: no-cache\r\n\
Pragma: no-cache\r\n\
Content-Type: application/x-rtsp-tunnelled\r\n\
\r\n";

/// Why a request is a broken tunnel request (the host answers 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TunnelError {
    /// `application/x-rtsp-tunnelled` without `x-sessioncookie`.
    MissingCookie,
    /// An `x-sessioncookie` that is empty, longer than
    /// [`TUNNEL_COOKIE_MAX`], or holds other than visible ASCII.
    InvalidCookie,
    /// The answer to a tunnel GET is no HTTP response head (within
    /// [`RTSP_MAX_MESSAGE`](crate::limits::RTSP_MAX_MESSAGE) bytes).
    NotHttp,
}

impl fmt::Display for TunnelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TunnelError::MissingCookie => {
                f.write_str("RTSP-over-HTTP tunnel request without x-sessioncookie")
            }
            TunnelError::InvalidCookie => write!(
                f,
                "x-sessioncookie empty, over {TUNNEL_COOKIE_MAX} bytes, or not visible ASCII"
            ),
            TunnelError::NotHttp => f.write_str("the answer to the tunnel GET is not HTTP"),
        }
    }
}

impl core::error::Error for TunnelError {}

/// The `x-sessioncookie` that pairs a tunnel's GET and POST: at most
/// [`TUNNEL_COOKIE_MAX`] visible ASCII characters (ffmpeg sends 16 hex
/// digits, GStreamer 23 letters, QuickTime 22 base64 characters).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cookie {
    bytes: [u8; TUNNEL_COOKIE_MAX],
    len: u8,
}

// The length is kept in a u8.
const _: () = assert!(TUNNEL_COOKIE_MAX <= u8::MAX as usize);

impl Cookie {
    /// Reads a cookie header value (surrounding whitespace already trimmed).
    pub fn parse(value: &[u8]) -> Result<Cookie, TunnelError> {
        let visible = value.iter().all(|b| (0x21..=0x7e).contains(b));
        let mut bytes = [0u8; TUNNEL_COOKIE_MAX];
        match bytes.get_mut(..value.len()) {
            Some(dst) if visible && !value.is_empty() => {
                dst.copy_from_slice(value);
                Ok(Cookie {
                    bytes,
                    // At most TUNNEL_COOKIE_MAX, asserted to fit.
                    len: value.len() as u8,
                })
            }
            _ => Err(TunnelError::InvalidCookie),
        }
    }

    /// The cookie as sent.
    pub fn as_str(&self) -> &str {
        // Only visible ASCII is ever stored.
        self.bytes
            .get(..usize::from(self.len))
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

impl fmt::Debug for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Cookie {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.as_str())
    }
}

/// Which half of a tunnel an HTTP request opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Role {
    /// The GET: answered [`GET_OK`], then carries the server's output.
    Get(Cookie),
    /// The POST: its body is the client's base64-encoded input.
    Post(Cookie),
}

impl Role {
    /// The cookie that pairs the two halves.
    pub fn cookie(&self) -> &Cookie {
        match self {
            Role::Get(c) | Role::Post(c) => c,
        }
    }
}

/// Tells a tunnel GET or POST from a plain HTTP request by its method and
/// headers (names compared case-insensitively): `Ok(None)` for a request
/// that is no tunnel half (another method, or no tunnel header at all).
pub fn classify<'a>(
    method: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Option<Role>, TunnelError> {
    let (get, post) = (method == "GET", method == "POST");
    if !get && !post {
        return Ok(None);
    }
    let mut cookie = None;
    let mut tunnelled = false;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case(COOKIE_HEADER) {
            cookie = Some(value);
        } else if (get && name.eq_ignore_ascii_case("Accept"))
            || (post && name.eq_ignore_ascii_case("Content-Type"))
        {
            tunnelled |= names_tunnel_type(value);
        }
    }
    match cookie {
        None if tunnelled => Err(TunnelError::MissingCookie),
        None => Ok(None),
        Some(v) => {
            let c = Cookie::parse(v)?;
            Ok(Some(if get { Role::Get(c) } else { Role::Post(c) }))
        }
    }
}

/// Whether an `Accept` or `Content-Type` value names the tunnel type
/// (among others, with parameters).
fn names_tunnel_type(value: &[u8]) -> bool {
    value.split(|&b| b == b',').any(|item| {
        let ty = item.split(|&b| b == b';').next().unwrap_or_default();
        ty.trim_ascii()
            .eq_ignore_ascii_case(CONTENT_TYPE.as_bytes())
    })
}

#[cfg(test)]
mod tests;
