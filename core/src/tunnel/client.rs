//! The client's side of the tunnel: the GET and POST that open it, the
//! GET's response head, and the base64 encoding of each message sent on
//! the POST (one message at a time, padded, as ffmpeg and GStreamer send
//! them).

use crate::limits::RTSP_MAX_MESSAGE;
use crate::rtsp::{Error, Sink, SliceSink};

use super::{Cookie, TunnelError, CONTENT_TYPE, COOKIE_HEADER};

/// The `Content-Length` every peer puts on the POST: a formality, the body
/// runs until the connection closes.
pub const POST_CONTENT_LENGTH: u32 = 32_767;

/// Writes the GET that opens a tunnel to `path` on `host` (`host[:port]`),
/// with an `Authorization` value if given. Text with CR or LF in it is
/// [`Error::HeaderValue`].
pub fn write_get(
    buf: &mut [u8],
    path: &str,
    host: &str,
    cookie: &Cookie,
    authorization: Option<&str>,
) -> Result<usize, Error> {
    let mut s = SliceSink::new(buf);
    head(&mut s, "GET", path, host, cookie)?;
    put_all(&mut s, &["Accept: ", CONTENT_TYPE, "\r\n"]);
    if let Some(a) = authorization {
        checked(a)?;
        put_all(&mut s, &["Authorization: ", a, "\r\n"]);
    }
    put_all(&mut s, &["\r\n"]);
    s.finish()
}

/// Writes the POST that carries the client's requests of the tunnel
/// opened by [`write_get`] with `cookie`.
pub fn write_post(buf: &mut [u8], path: &str, host: &str, cookie: &Cookie) -> Result<usize, Error> {
    let mut s = SliceSink::new(buf);
    head(&mut s, "POST", path, host, cookie)?;
    put_all(&mut s, &["Content-Type: ", CONTENT_TYPE, "\r\n"]);
    let mut digits = [0u8; 10];
    put_all(
        &mut s,
        &[
            "Content-Length: ",
            decimal(POST_CONTENT_LENGTH, &mut digits),
            "\r\n",
        ],
    );
    // Old proxies cache by date: a date long past (QuickTime's).
    put_all(&mut s, &["Expires: Sun, 9 Jan 1972 00:00:00 GMT\r\n\r\n"]);
    s.finish()
}

fn head(
    s: &mut SliceSink<'_>,
    method: &str,
    path: &str,
    host: &str,
    cookie: &Cookie,
) -> Result<(), Error> {
    checked(path)?;
    checked(host)?;
    if path.contains(' ') {
        return Err(Error::StartLine);
    }
    put_all(s, &[method, " ", path, " HTTP/1.0\r\nHost: ", host, "\r\n"]);
    put_all(s, &[COOKIE_HEADER, ": ", cookie.as_str(), "\r\n"]);
    put_all(s, &["Pragma: no-cache\r\nCache-Control: no-cache\r\n"]);
    Ok(())
}

fn put_all(s: &mut SliceSink<'_>, parts: &[&str]) {
    for p in parts {
        s.put(p.as_bytes());
    }
}

fn checked(text: &str) -> Result<(), Error> {
    if text.bytes().any(|b| b == b'\r' || b == b'\n') {
        Err(Error::HeaderValue)
    } else {
        Ok(())
    }
}

fn decimal(mut n: u32, digits: &mut [u8; 10]) -> &str {
    let mut i = digits.len();
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    core::str::from_utf8(digits.get(i..).unwrap_or_default()).unwrap_or_default()
}

/// Reads the head of the response to the GET from the start of `buf`:
/// `Ok(None)` until it is whole, then its status code and length (what
/// follows is the server's RTSP output). A head that is not HTTP, or that
/// does not end within [`RTSP_MAX_MESSAGE`] bytes, is an error.
pub fn read_response_head(buf: &[u8]) -> Result<Option<(u16, usize)>, TunnelError> {
    if buf.len() >= 5 && !buf.starts_with(b"HTTP/") {
        return Err(TunnelError::NotHttp);
    }
    let window = buf.get(..RTSP_MAX_MESSAGE).unwrap_or(buf);
    let Some(end) = window.windows(4).position(|w| w == b"\r\n\r\n") else {
        return if buf.len() >= RTSP_MAX_MESSAGE {
            Err(TunnelError::NotHttp)
        } else {
            Ok(None)
        };
    };
    // "HTTP/d.d NNN reason"
    let code = buf
        .get(9..12)
        .filter(|_| buf.get(8) == Some(&b' '))
        .and_then(|d| core::str::from_utf8(d).ok())
        .and_then(|d| d.parse::<u16>().ok())
        .ok_or(TunnelError::NotHttp)?;
    Ok(Some((code, end + 4)))
}

/// Bytes [`base64_encode`] writes for `len` input bytes.
pub const fn encoded_len(len: usize) -> usize {
    len.div_ceil(3) * 4
}

/// Encodes `input` as padded base64 (RFC 4648 §4) into `out`, as the
/// tunnel's POST carries each message.
pub fn base64_encode(input: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let required = encoded_len(input.len());
    let dst = out
        .get_mut(..required)
        .ok_or(Error::BufferTooSmall { required })?;
    for (chunk, quad) in input.chunks(3).zip(dst.chunks_mut(4)) {
        quad.copy_from_slice(&base64_quantum(chunk));
    }
    Ok(required)
}

/// One base64 quantum (RFC 4648 §4): the first one to three bytes of
/// `chunk` as four characters, padded with `=`.
pub(crate) fn base64_quantum(chunk: &[u8]) -> [u8; 4] {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bytes = [0u8; 3];
    for (b, c) in bytes.iter_mut().zip(chunk) {
        *b = *c;
    }
    let [b0, b1, b2] = bytes;
    let n = u32::from_be_bytes([0, b0, b1, b2]);
    let mut quad = [b'='; 4];
    for (i, q) in quad.iter_mut().enumerate().take(chunk.len().min(3) + 1) {
        let sextet = (n >> (18 - 6 * i)) & 63;
        *q = ALPHABET.get(sextet as usize).copied().unwrap_or(b'=');
    }
    quad
}
