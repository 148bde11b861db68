//! HTTP/1.x requests on the RTSP port: a server that also answers browsers
//! and RTSP-over-HTTP tunnels (one TCP port for every viewer) decides what
//! a connection speaks from its first request line, then reads HTTP
//! requests with the RTSP text parser. The grammar is the same (RFC 2326
//! §4 borrows HTTP/1.1's; RFC 9112 §2–§5): a token method, a URI, the
//! version token, header lines, an empty line. The limits are the RTSP
//! ones ([`RTSP_MAX_LINE`], [`RTSP_MAX_HEADERS`],
//! [`RTSP_MAX_MESSAGE`](crate::limits::RTSP_MAX_MESSAGE)).
//!
//! Only the head is read: a request body is the caller's. A server that
//! answers browsers reads none (GET has none), and the body of a tunnel's
//! POST (QuickTime's RTSP-over-HTTP) is an endless base64 stream whose
//! `Content-Length` (often 32767) is a formality.
//!
//! ```
//! use rtsp_core::rtsp::{http, Header, Protocol, Status, Version};
//! let bytes = b"GET /movie.Mjpeg HTTP/1.1\r\nHost: h\r\n\r\n";
//! assert_eq!(http::protocol_of(bytes), Status::Complete(Protocol::Http));
//! let mut headers = [Header::EMPTY; rtsp_core::limits::RTSP_MAX_HEADERS];
//! let Ok(Status::Complete((req, used))) = http::parse_request(bytes, &mut headers) else {
//!     panic!("not a request")
//! };
//! assert_eq!((req.method.as_str(), req.uri, req.version), ("GET", "/movie.Mjpeg", Version::HTTP_1_1));
//! assert_eq!(used, bytes.len());
//! ```

use super::message::{Header, Message, Protocol, Request, Status};
use super::text::parse_text;
use super::Error;
use crate::limits::RTSP_MAX_LINE;

/// Methods that only HTTP has (RFC 9110 §9, RFC 5789): a request line with
/// one of them and an HTTP version is HTTP. An RTSP method with an HTTP
/// version (`DESCRIBE rtsp://… HTTP/1.1`) stays RTSP's, which answers 505
/// (RFC 2326 §11.3.14), as does OPTIONS, which both protocols have.
pub const HTTP_METHODS: [&[u8]; 8] = [
    b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"PATCH", b"CONNECT", b"TRACE",
];

/// What the connection whose input starts with `buf` speaks, from its
/// first request line (empty lines before it are skipped, RFC 9112 §2.2):
/// [`Protocol::Http`] when the line starts with one of [`HTTP_METHODS`]
/// and ends with an `HTTP/d.d` version token, [`Protocol::Rtsp`] for
/// anything else (an RTSP request, `$`-interleaved data, garbage or a line
/// over [`RTSP_MAX_LINE`]: the RTSP session answers those as it always
/// has). [`Status::Partial`] until the line is whole.
pub fn protocol_of(buf: &[u8]) -> Status<Protocol> {
    let skip = buf
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    let rest = buf.get(skip..).unwrap_or_default();
    if rest.first() == Some(&b'$') {
        return Status::Complete(Protocol::Rtsp);
    }
    let window = rest.get(..RTSP_MAX_LINE + 2).unwrap_or(rest);
    let Some(lf) = super::scan::find_lf(window) else {
        return if window.len() > RTSP_MAX_LINE + 1 {
            Status::Complete(Protocol::Rtsp)
        } else {
            Status::Partial
        };
    };
    let line = window.get(..lf).unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let version = match line.len().checked_sub(9).and_then(|i| line.get(i..)) {
        Some([b' ', b'H', b'T', b'T', b'P', b'/', major, b'.', minor]) => {
            major.is_ascii_digit() && minor.is_ascii_digit()
        }
        _ => false,
    };
    let method = line.split(|&b| b == b' ').next().unwrap_or_default();
    let http = version && HTTP_METHODS.contains(&method);
    Status::Complete(if http { Protocol::Http } else { Protocol::Rtsp })
}

/// Parses the head of one HTTP/1.x request from the start of `buf`, as
/// [`parse`](super::parse) does an RTSP one: [`Status::Partial`] while it is
/// not whole, then the request (its `body` empty: see the module docs) and
/// the bytes used. A response, or a version token that is not `HTTP/d.d`,
/// is [`Error::StartLine`] or [`Error::Version`].
pub fn parse_request<'b, 'h>(
    buf: &'b [u8],
    headers: &'h mut [Header<'b>],
) -> Result<Status<(Request<'b, 'h>, usize)>, Error> {
    let skip = buf
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    let rest = buf.get(skip..).unwrap_or_default();
    if rest.is_empty() {
        return Ok(Status::Partial);
    }
    match parse_text(rest, headers, skip, Protocol::Http)? {
        Status::Partial => Ok(Status::Partial),
        Status::Complete((Message::Request(req), used)) => Ok(Status::Complete((req, used))),
        Status::Complete(_) => Err(Error::StartLine),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{RTSP_MAX_HEADERS, RTSP_MAX_MESSAGE};
    use crate::rtsp::Version;

    /// What headless Chromium sends for `<img src=...>` (trimmed).
    const CHROMIUM: &[u8] = b"GET /movie.Mjpeg HTTP/1.1\r\n\
Host: 127.0.0.1:8554\r\n\
Connection: keep-alive\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36\r\n\
Accept: image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8\r\n\
Accept-Encoding: gzip, deflate, br\r\n\r\n";

    #[test]
    fn first_line_decides() {
        assert_eq!(protocol_of(CHROMIUM), Status::Complete(Protocol::Http));
        for http in [
            &b"\r\nGET / HTTP/1.0\n"[..],
            b"POST /x HTTP/1.1\r\n",
            b"HEAD / HTTP/1.1\r\n",
        ] {
            assert_eq!(
                protocol_of(http),
                Status::Complete(Protocol::Http),
                "{http:?}"
            );
        }
        for rtsp in [
            &b"OPTIONS * RTSP/1.0\r\n"[..],
            b"GET_PARAMETER rtsp://h/ RTSP/1.0\r\n",
            b"$\x00\x00\x04abcd",
            b"garbage\r\n",
            b"GET / HTTP/x.1\r\n",
            b"DESCRIBE rtsp://h/ HTTP/1.1\r\n",
            b"OPTIONS * HTTP/1.1\r\n",
            b"get / HTTP/1.1\r\n",
            b"HTTP/1.1 200 OK\r\n",
            b"\n",
        ] {
            let want = if rtsp == b"\n" {
                Status::Partial
            } else {
                Status::Complete(Protocol::Rtsp)
            };
            assert_eq!(protocol_of(rtsp), want, "{rtsp:?}");
        }
        assert_eq!(protocol_of(b"GET / HTTP/1."), Status::Partial);
        assert_eq!(protocol_of(b""), Status::Partial);
        let long = [b'a'; RTSP_MAX_LINE + 2];
        assert_eq!(protocol_of(&long), Status::Complete(Protocol::Rtsp));
        assert_eq!(protocol_of(&long[..RTSP_MAX_LINE]), Status::Partial);
    }

    #[test]
    fn parses_a_browser_request() {
        let mut headers = [Header::EMPTY; RTSP_MAX_HEADERS];
        let mut input = CHROMIUM.to_vec();
        input.extend_from_slice(b"GET /next HTTP/1.1\r\n");
        let Ok(Status::Complete((req, used))) = parse_request(&input, &mut headers) else {
            panic!()
        };
        assert_eq!(used, CHROMIUM.len());
        assert_eq!(req.method.as_str(), "GET");
        assert_eq!(req.uri, "/movie.Mjpeg");
        assert_eq!(req.version, Version::HTTP_1_1);
        assert_eq!(req.header_str("host"), Some("127.0.0.1:8554"));
        assert!(req.body.is_empty());
        for cut in 0..CHROMIUM.len() {
            assert_eq!(
                parse_request(&CHROMIUM[..cut], &mut headers),
                Ok(Status::Partial),
                "{cut}"
            );
        }
    }

    #[test]
    fn tunnel_post_head_is_read_without_its_body() {
        let post = b"POST /movie.Mjpeg HTTP/1.0\r\nx-sessioncookie: abc\r\n\
Content-Type: application/x-rtsp-tunnelled\r\nContent-Length: 32767\r\n\r\nT1BUSU9OUw==";
        let mut headers = [Header::EMPTY; RTSP_MAX_HEADERS];
        let Ok(Status::Complete((req, used))) = parse_request(post, &mut headers) else {
            panic!()
        };
        assert_eq!(req.version, Version::HTTP_1_0);
        assert_eq!(req.header_str("X-SessionCookie"), Some("abc"));
        assert_eq!(&post[used..], b"T1BUSU9OUw==");
    }

    #[test]
    fn refuses_what_is_no_http_request() {
        let mut headers = [Header::EMPTY; RTSP_MAX_HEADERS];
        assert_eq!(
            parse_request(b"OPTIONS * RTSP/1.0\r\n\r\n", &mut headers),
            Err(Error::Version)
        );
        assert_eq!(
            parse_request(b"HTTP/1.1 200 OK\r\n\r\n", &mut headers),
            Err(Error::StartLine)
        );
        assert_eq!(
            parse_request(b"GET / HTTP/1.1\r\nbad header\r\n\r\n", &mut headers),
            Err(Error::HeaderName)
        );
        let mut huge = b"GET / HTTP/1.1\r\n".to_vec();
        while huge.len() <= RTSP_MAX_MESSAGE + 100 {
            huge.extend_from_slice(b"X-Filler: 0123456789012345678901234567890123456789\r\n");
        }
        assert!(matches!(
            parse_request(&huge, &mut [Header::EMPTY; 256]),
            Err(Error::MessageTooLarge { .. })
        ));
        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for _ in 0..=RTSP_MAX_HEADERS {
            many.extend_from_slice(b"A: b\r\n");
        }
        many.extend_from_slice(b"\r\n");
        assert!(matches!(
            parse_request(&many, &mut headers),
            Err(Error::TooManyHeaders { .. })
        ));
    }
}
