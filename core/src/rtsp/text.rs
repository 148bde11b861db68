//! The text form of a request or response (RFC 2326 §4, §6, §7): start
//! line, header lines, empty line, body.
//!
//! Speed matters here (DESIGN.md benchmark 4: within 1.2x of httparse), so
//! the head is scanned as bytes and recorded as byte spans, then checked
//! as UTF-8 in one pass; names and the URI are cut from that `&str` in O(1)
//! instead of one `from_utf8` call per field.

use core::ops::Range;

use super::message::{Header, Message, Protocol, Request, Response, Status, Version};
use super::scan::is_token;
use super::{header, Error, Method, StatusCode};
use crate::limits::{RTSP_MAX_BODY, RTSP_MAX_HEADERS, RTSP_MAX_LINE, RTSP_MAX_MESSAGE};

/// A byte range of the head, turned into `&str` once the head is checked.
#[derive(Clone, Copy)]
struct Span {
    start: u16,
    end: u16,
}

// Spans index the head: a line starts at most RTSP_MAX_MESSAGE bytes in
// and is at most RTSP_MAX_LINE long; 16 bits halve the span table.
const _: () = assert!(RTSP_MAX_MESSAGE + RTSP_MAX_LINE + 2 <= u16::MAX as usize);

impl Span {
    const EMPTY: Span = Span { start: 0, end: 0 };

    fn new(r: Range<usize>) -> Span {
        // Spans lie in the head (bounded as asserted above), so the casts
        // keep every value.
        Span {
            start: r.start as u16,
            end: r.end as u16,
        }
    }

    fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// The start line, as spans (RFC 2326 §6.1, §7.1).
enum Start {
    Request {
        method: Span,
        uri: Span,
        version: Version,
    },
    Response {
        version: Version,
        status: StatusCode,
        reason: Span,
    },
}

/// Text of `span`: cut from the checked head, or checked on its own when
/// the head as a whole is not UTF-8 (obs-text in some header value).
fn text<'b>(buf: &'b [u8], head: Option<&'b str>, span: Span) -> Option<&'b str> {
    match head {
        Some(h) => h.get(span.range()),
        None => core::str::from_utf8(buf.get(span.range())?).ok(),
    }
}

/// Parses the message at the start of `buf`; `skip` (bytes the caller
/// already dropped before `buf`) is added to the length consumed. For
/// [`Protocol::Http`] the message ends with its head: the body (if any) is
/// the caller's to read, and `Content-Length` is not checked against
/// [`RTSP_MAX_BODY`].
#[inline]
pub(super) fn parse_text<'b, 'h>(
    buf: &'b [u8],
    headers: &'h mut [Header<'b>],
    skip: usize,
    protocol: Protocol,
) -> Result<Status<(Message<'b, 'h>, usize)>, Error> {
    let (start, mut pos) = match request_line_fast(buf, protocol) {
        Some(fast) => fast,
        None => {
            let Some((first, pos)) = next_line(buf, 0)? else {
                return Ok(Status::Partial);
            };
            (parse_start(buf, first, protocol)?, pos)
        }
    };
    let mut names = [Span::EMPTY; RTSP_MAX_HEADERS];
    let mut count = 0;
    let mut content_length: Option<usize> = None;
    loop {
        if pos > RTSP_MAX_MESSAGE {
            return Err(Error::MessageTooLarge {
                limit: RTSP_MAX_MESSAGE,
            });
        }
        let rest = buf.get(pos..).unwrap_or_default();
        // The empty line ends the headers (RFC 2326 §4, HTTP/1.1 §4.1).
        match rest {
            [b'\r', b'\n', ..] => {
                pos += 2;
                break;
            }
            [b'\n', ..] => {
                pos += 1;
                break;
            }
            [] | [b'\r'] => return Ok(Status::Partial),
            _ => {}
        }
        let (name, value, next) = match header_fast(rest) {
            Some((name_len, value, next)) => (Span::new(pos..pos + name_len), value, pos + next),
            None => match parse_header(buf, pos)? {
                Some(line) => line,
                None => {
                    return if buf.len() > RTSP_MAX_MESSAGE {
                        Err(Error::MessageTooLarge {
                            limit: RTSP_MAX_MESSAGE,
                        })
                    } else {
                        Ok(Status::Partial)
                    };
                }
            },
        };
        pos = next;
        if name.end - name.start == 14 && protocol == Protocol::Rtsp {
            let n = buf.get(name.range()).unwrap_or_default();
            if n.eq_ignore_ascii_case(header::names::CONTENT_LENGTH.as_bytes()) {
                let len = header::ContentLength::parse_bytes(value)
                    .ok_or(Error::ContentLength)?
                    .0;
                if content_length.is_some_and(|old| old != len) {
                    return Err(Error::ContentLength);
                }
                if len > RTSP_MAX_BODY {
                    return Err(Error::BodyTooLarge {
                        len,
                        limit: RTSP_MAX_BODY,
                    });
                }
                content_length = Some(len);
            }
        }
        let limit = headers.len();
        let slot = headers
            .get_mut(count)
            .ok_or(Error::TooManyHeaders { limit })?;
        slot.value = value;
        match names.get_mut(count) {
            Some(n) => *n = name,
            // Beyond our span table (a caller array longer than
            // RTSP_MAX_HEADERS): check this name on its own.
            None => slot.name = text(buf, None, name).ok_or(Error::HeaderName)?,
        }
        count += 1;
    }
    if pos > RTSP_MAX_MESSAGE {
        return Err(Error::MessageTooLarge {
            limit: RTSP_MAX_MESSAGE,
        });
    }
    let end = pos.saturating_add(content_length.unwrap_or(0));
    let Some(body) = buf.get(pos..end) else {
        return Ok(Status::Partial);
    };
    let head = buf.get(..pos).and_then(|h| core::str::from_utf8(h).ok());
    // Names past our span table were set in the loop above.
    let names = names.get(..count.min(RTSP_MAX_HEADERS)).unwrap_or_default();
    let slots = headers.iter_mut().zip(names);
    // One test of `head` per message, not per header.
    match head {
        Some(h) => {
            for (slot, name) in slots {
                slot.name = h.get(name.range()).ok_or(Error::HeaderName)?;
            }
        }
        None => {
            for (slot, name) in slots {
                slot.name = text(buf, None, *name).ok_or(Error::HeaderName)?;
            }
        }
    }
    let headers: &'h [Header<'b>] = headers;
    let headers = headers.get(..count).unwrap_or_default();
    let message = match start {
        Start::Request {
            method,
            uri,
            version,
        } => {
            let method = Method::from_token(text(buf, head, method).ok_or(Error::StartLine)?);
            let uri = text(buf, head, uri).ok_or(Error::StartLine)?;
            Message::Request(Request {
                method,
                uri,
                version,
                headers,
                body,
            })
        }
        Start::Response {
            version,
            status,
            reason,
        } => {
            let reason = text(buf, head, reason).ok_or(Error::StartLine)?;
            Message::Response(Response {
                version,
                status,
                reason,
                headers,
                body,
            })
        }
    };
    Ok(Status::Complete((message, skip + end)))
}

/// The usual request line in one pass (RFC 2326 §6.1): a token method, one
/// SP, a URI without blanks or controls, one SP, `RTSP/d.d` and CRLF. The
/// start and the offset after the line; `None` sends anything else
/// (partial input, bare LF, errors, responses) to the exact path
/// ([`next_line`] and [`parse_start`]), which agrees wherever this succeeds.
#[inline]
fn request_line_fast(buf: &[u8], protocol: Protocol) -> Option<(Start, usize)> {
    let window = buf.get(..RTSP_MAX_LINE + 2).unwrap_or(buf);
    let method_len = window.iter().position(|&b| !is_token(b))?;
    let uri_start = method_len + 1;
    let tail = match window.get(method_len..)? {
        [b' ', tail @ ..] if method_len > 0 => tail,
        _ => return None,
    };
    let uri_len = super::scan::find_space_or_ctl(tail)?;
    let uri_end = uri_start + uri_len;
    let version = match tail.get(uri_len..)? {
        [b' ', v @ .., b'\r', b'\n'] if uri_len > 0 && v.len() == 8 => v,
        [b' ', v @ ..] if uri_len > 0 && v.len() > 10 => match v.get(..10)? {
            [v @ .., b'\r', b'\n'] => v,
            _ => return None,
        },
        _ => return None,
    };
    // `uri_end + 9` is the line length without CRLF.
    if uri_end + 9 > RTSP_MAX_LINE {
        return None;
    }
    let version = Version::parse(protocol, version).ok()?;
    Some((
        Start::Request {
            method: Span::new(0..method_len),
            uri: Span::new(uri_start..uri_end),
            version,
        },
        uri_end + 11,
    ))
}

/// The usual header line in one pass (RFC 2326 §4.2): token name, colon,
/// blanks, a value free of controls, CRLF. The name's length, the trimmed
/// value and the offset after the line; `None` sends anything else
/// (partial input, TAB, bare LF, errors) to [`parse_header`], which agrees
/// wherever this succeeds.
#[inline]
fn header_fast(rest: &[u8]) -> Option<(usize, &[u8], usize)> {
    let window = rest.get(..RTSP_MAX_LINE + 2).unwrap_or(rest);
    let name_len = window.iter().position(|&b| !is_token(b))?;
    let mut value = match window.get(name_len..)? {
        [b':', value @ ..] if name_len > 0 => value,
        _ => return None,
    };
    // One SP is usual; other leading blanks go the exact path.
    if let [b' ', v @ ..] = value {
        value = v;
    }
    if let [b' ', ..] = value {
        return None;
    }
    let value_start = window.len() - value.len();
    let value_len = super::scan::find_ctl(value)?;
    let end = value_start + value_len;
    let (value, after) = value.split_at_checked(value_len)?;
    if end > RTSP_MAX_LINE || !after.starts_with(b"\r\n") {
        return None;
    }
    let mut value = value;
    while let [v @ .., b' '] = value {
        value = v;
    }
    if canonical_header_len(name_len, value) > RTSP_MAX_LINE {
        return None;
    }
    Some((name_len, value, end + 2))
}

/// The line starting at `from`: its range without CRLF (a bare LF is
/// tolerated, as live555 and GStreamer do) and the offset after it; `None`
/// if the line is not complete yet.
fn next_line(buf: &[u8], from: usize) -> Result<Option<(Range<usize>, usize)>, Error> {
    let rest = buf.get(from..).unwrap_or_default();
    // Look no further than one maximal line so a stream of garbage without
    // newlines is refused early rather than buffered.
    let window = rest.get(..RTSP_MAX_LINE + 2).unwrap_or(rest);
    match super::scan::find_lf(window) {
        Some(lf) => {
            let cr = usize::from(lf > 0 && window.get(lf - 1) == Some(&b'\r'));
            if lf - cr > RTSP_MAX_LINE {
                return Err(Error::LineTooLong {
                    limit: RTSP_MAX_LINE,
                });
            }
            Ok(Some((from..from + lf - cr, from + lf + 1)))
        }
        None if window.len() > RTSP_MAX_LINE + 1 => Err(Error::LineTooLong {
            limit: RTSP_MAX_LINE,
        }),
        None => Ok(None),
    }
}

/// True if any byte is a control character other than HTAB (RFC 2326
/// §15.1 TEXT excludes CTLs). Branch-free so it vectorises.
fn has_ctl(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |acc, &b| {
        acc | ((b < b' ') & (b != b'\t')) | (b == 0x7f)
    })
}

fn parse_start(buf: &[u8], line: Range<usize>, protocol: Protocol) -> Result<Start, Error> {
    let base = line.start;
    let bytes = buf.get(line).unwrap_or_default();
    let name = protocol.name();
    let response = bytes
        .strip_prefix(name.as_slice())
        .and_then(|r| r.strip_prefix(b"/"));
    if let Some(rest) = response {
        // Status-Line = RTSP-Version SP Status-Code SP Reason-Phrase (§7.1)
        let (version, code, reason) = match rest {
            [major, b'.', minor, b' ', a, b, c, tail @ ..] => {
                ([*major, *minor], [*a, *b, *c], tail)
            }
            _ => return Err(Error::StartLine),
        };
        let [a, b, c, d] = *name;
        let version = Version::parse(protocol, &[a, b, c, d, b'/', version[0], b'.', version[1]])?;
        if !code.iter().all(u8::is_ascii_digit) {
            return Err(Error::StartLine);
        }
        let [a, b, c] = code.map(|d| u16::from(d - b'0'));
        let reason = match reason {
            [] => &[][..],
            [b' ', r @ ..] => r,
            _ => return Err(Error::StartLine),
        };
        if has_ctl(reason) {
            return Err(Error::StartLine);
        }
        let from = base + bytes.len() - reason.len();
        return Ok(Start::Response {
            version,
            status: StatusCode::from_u16(a * 100 + b * 10 + c),
            reason: Span::new(from..from + reason.len()),
        });
    }
    // Request-Line = Method SP Request-URI SP RTSP-Version (§6.1). The
    // version is the last 8 bytes; the method a token up to the first SP.
    let split = bytes.len().checked_sub(9).ok_or(Error::StartLine)?;
    let (head, version) = bytes.split_at(split);
    let version = match version {
        [b' ', v @ ..] => Version::parse(protocol, v)?,
        _ => return Err(Error::StartLine),
    };
    let method_len = head
        .iter()
        .position(|&b| !is_token(b))
        .ok_or(Error::StartLine)?;
    let uri = match head.get(method_len..) {
        Some([b' ', uri @ ..]) if !uri.is_empty() => uri,
        _ => return Err(Error::StartLine),
    };
    if method_len == 0
        || uri
            .iter()
            .fold(false, |acc, &b| acc | (b <= b' ') | (b == 0x7f))
    {
        return Err(Error::StartLine);
    }
    Ok(Start::Request {
        method: Span::new(base..base + method_len),
        uri: Span::new(base + method_len + 1..base + split),
        version,
    })
}

/// A header line: name span, trimmed value, offset after the line.
type HeaderLine<'b> = (Span, &'b [u8], usize);

/// The header line at `pos` (RFC 2326 §4.2: `name ":" value CRLF`): the
/// name's span, the trimmed value, and the offset after the line; `None` if
/// the line is not complete yet. One pass over the value finds its end and
/// any control character in it.
fn parse_header(buf: &[u8], pos: usize) -> Result<Option<HeaderLine<'_>>, Error> {
    let rest = buf.get(pos..).unwrap_or_default();
    let window = rest.get(..RTSP_MAX_LINE + 2).unwrap_or(rest);
    let name_len = window
        .iter()
        .position(|&b| !is_token(b))
        .unwrap_or(window.len());
    match window.get(name_len) {
        Some(b':') if name_len > 0 => {}
        // A folded continuation line starts with whitespace: name_len 0.
        Some(_) => return Err(Error::HeaderName),
        None if window.len() > RTSP_MAX_LINE => {
            return Err(Error::LineTooLong {
                limit: RTSP_MAX_LINE,
            })
        }
        None => return Ok(None),
    }
    let mut at = name_len + 1;
    while matches!(window.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    let value_start = at;
    // The first control character ends the value: CR LF or LF end the line,
    // a TAB is allowed inside, anything else is refused.
    let end = loop {
        let tail = window.get(at..).unwrap_or_default();
        match super::scan::find_ctl(tail).map(|i| (at + i, tail.get(i))) {
            Some((i, Some(b'\n'))) => break i,
            Some((i, Some(b'\r'))) => match window.get(i + 1) {
                Some(b'\n') => break i,
                Some(_) => return Err(Error::HeaderValue),
                None if window.len() > RTSP_MAX_LINE => {
                    return Err(Error::LineTooLong {
                        limit: RTSP_MAX_LINE,
                    })
                }
                None => return Ok(None),
            },
            Some((i, Some(b'\t'))) => at = i + 1,
            Some(_) => return Err(Error::HeaderValue),
            None if window.len() > RTSP_MAX_LINE => {
                return Err(Error::LineTooLong {
                    limit: RTSP_MAX_LINE,
                })
            }
            None => return Ok(None),
        }
    };
    let next = if window.get(end) == Some(&b'\r') {
        end + 2
    } else {
        end + 1
    };
    if end > RTSP_MAX_LINE {
        return Err(Error::LineTooLong {
            limit: RTSP_MAX_LINE,
        });
    }
    // Leading blanks were skipped above; only trailing ones remain.
    let mut value = window.get(value_start..end).unwrap_or_default();
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    if canonical_header_len(name_len, value) > RTSP_MAX_LINE {
        return Err(Error::LineTooLong {
            limit: RTSP_MAX_LINE,
        });
    }
    Ok(Some((Span::new(pos..pos + name_len), value, pos + next)))
}

/// The length of a header line as the writer puts it (`name: value`,
/// without CRLF). The limit applies to this form, not to the bytes received,
/// so that whatever the parser accepts can be written and read back: a line
/// with no blank after the colon is one byte longer once written.
fn canonical_header_len(name_len: usize, value: &[u8]) -> usize {
    name_len + 2 + value.len()
}

#[cfg(test)]
mod fast_path_tests {
    use super::*;

    /// Every line start of `buf`.
    fn line_starts(buf: &[u8]) -> impl Iterator<Item = usize> + '_ {
        core::iter::once(0).chain(
            buf.iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        )
    }

    const TRANSCRIPTS: [&[u8]; 7] = [
        include_bytes!("testdata/vlc_udp.txt"),
        include_bytes!("testdata/ffmpeg_udp.txt"),
        include_bytes!("testdata/ffmpeg_tcp.txt"),
        include_bytes!("testdata/gst.txt"),
        include_bytes!("testdata/gst_tcp.txt"),
        include_bytes!("testdata/gst_server_tcp.txt"),
        include_bytes!("testdata/gst_server_udp.txt"),
    ];

    /// Unusual lines the fast paths must hand over (or agree on).
    const ODD: [&[u8]; 12] = [
        b"CSeq:\t4\r\n",
        b"CSeq:  4 \r\n",
        b"CSeq: 4\n",
        b"CSeq: 4\r",
        b"CSeq: a\tb \t\r\n",
        b"CSeq: \x01\r\n",
        b"CSeq: \x7f\r\n",
        b"CSeq:\r\n",
        b"C Seq: 4\r\n",
        b"PLAY rtsp://h/ RTSP/1.0\n",
        b"PLAY  rtsp://h/ RTSP/1.0\r\n",
        b"PLAY rtsp://h/\xc3\xa9 RTSP/1.0\r\nRange: npt=0-\r\n",
    ];

    #[test]
    fn header_fast_agrees_with_the_exact_path() {
        let mut fast_hits = 0;
        for buf in TRANSCRIPTS.iter().chain(ODD.iter()) {
            for pos in line_starts(buf) {
                let Some((name_len, value, next)) = header_fast(&buf[pos..]) else {
                    continue;
                };
                fast_hits += 1;
                let (name, exact_value, exact_next) = parse_header(buf, pos).unwrap().unwrap();
                assert_eq!(name.range(), pos..pos + name_len, "{pos}");
                assert_eq!(value, exact_value);
                assert_eq!(pos + next, exact_next);
            }
        }
        // Every CRLF header line of the transcripts takes the fast path.
        assert!(fast_hits > 100, "{fast_hits}");
        for odd in &ODD[..6] {
            assert!(header_fast(odd).is_none(), "{odd:?}");
        }
    }

    #[test]
    fn request_line_fast_agrees_with_the_exact_path() {
        let mut fast_hits = 0;
        for buf in TRANSCRIPTS.iter().chain(ODD.iter()) {
            for pos in line_starts(buf) {
                let rest = &buf[pos..];
                let Some((fast, next)) = request_line_fast(rest, Protocol::Rtsp) else {
                    continue;
                };
                fast_hits += 1;
                let (line, exact_next) = next_line(rest, 0).unwrap().unwrap();
                assert_eq!(next, exact_next);
                match (fast, parse_start(rest, line, Protocol::Rtsp).unwrap()) {
                    (
                        Start::Request {
                            method,
                            uri,
                            version,
                        },
                        Start::Request {
                            method: m,
                            uri: u,
                            version: v,
                        },
                    ) => {
                        assert_eq!(method.range(), m.range());
                        assert_eq!(uri.range(), u.range());
                        assert_eq!(version, v);
                    }
                    _ => panic!("fast path read a request the exact path does not"),
                }
            }
        }
        // Requests of the client transcripts; responses never match.
        assert!(fast_hits >= 20, "{fast_hits}");
        assert!(request_line_fast(b"RTSP/1.0 200 OK\r\n", Protocol::Rtsp).is_none());
        assert!(request_line_fast(ODD[9], Protocol::Rtsp).is_none());
        assert!(request_line_fast(ODD[10], Protocol::Rtsp).is_none());
    }
}
