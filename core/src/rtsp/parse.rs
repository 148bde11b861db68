//! Incremental, zero-copy parsing of RTSP messages and `$`-interleaved
//! frames (RFC 2326 §4, §6, §7, §10.12), in the httparse style.

use super::message::{Header, Interleaved, Message, Protocol, Status};
use super::text::parse_text;
use super::Error;
#[cfg(test)]
use super::{
    message::{Request, Version},
    Method, StatusCode,
};

/// Parses one message from the start of `buf`.
///
/// Returns [`Status::Partial`] while `buf` ends inside a message and
/// `Complete((message, consumed))` once one is whole; the caller then drops
/// `consumed` bytes (which include any empty lines before the message,
/// tolerated as RFC 2326 §4 inherits from HTTP/1.1). Headers go into
/// `headers`, which bounds their number. Folded (multi-line) header values
/// are refused as [`Error::HeaderName`]: no current peer sends them.
pub fn parse<'b, 'h>(
    buf: &'b [u8],
    headers: &'h mut [Header<'b>],
) -> Result<Status<(Message<'b, 'h>, usize)>, Error> {
    // Almost every message starts right away: test one byte before counting.
    let skip = match buf.first() {
        Some(b'\r' | b'\n') => buf
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count(),
        _ => 0,
    };
    let rest = buf.get(skip..).unwrap_or_default();
    match rest.first() {
        None => Ok(Status::Partial),
        Some(b'$') => Ok(match parse_interleaved(rest) {
            Some((frame, used)) => Status::Complete((Message::Interleaved(frame), skip + used)),
            None => Status::Partial,
        }),
        // The text parser adds `skip` itself so the (large) result is
        // built once, not re-wrapped here.
        Some(_) => parse_text(rest, headers, skip, Protocol::Rtsp),
    }
}

fn parse_interleaved(buf: &[u8]) -> Option<(Interleaved<'_>, usize)> {
    let [_, channel, hi, lo, ..] = *buf else {
        return None;
    };
    let end = 4 + usize::from(u16::from_be_bytes([hi, lo]));
    let payload = buf.get(4..end)?;
    Some((Interleaved { channel, payload }, end))
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
