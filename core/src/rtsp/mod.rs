//! RTSP messages and headers (RFC 2326, with RFC 7826 where it clarifies).
//!
//! * [`parse`] is an incremental, zero-copy parser in the httparse style:
//!   hand it the bytes received so far and an array of [`Header`]s to fill;
//!   it answers [`Status::Partial`] until one whole message is there, then
//!   [`Status::Complete`] with the [`Message`] and the number of bytes it
//!   used. RTSP requests, responses and `$`-interleaved binary frames
//!   (RFC 2326 §10.12) all come out of this one entry point, because they
//!   share one TCP stream.
//! * [`header`] holds typed views of the headers this stack needs (CSeq,
//!   Session, Transport, Range, RTP-Info, Public, …), each with `parse` and a
//!   `Display` that writes the wire form.
//! * [`http`] reads HTTP/1.x requests with the same parser, for a host that
//!   serves HTTP on the RTSP port (the first request line decides).
//! * [`MessageWriter`] writes requests and responses into a `&mut [u8]`
//!   (reporting the size it needs) or an `embedded_io::Write`.
//!
//! Every limit is a named constant in [`crate::limits`] and a typed
//! [`Error`] variant; no input makes this module panic.
//!
//! ```
//! use rtsp_core::rtsp::{self, Header, Message, Method, Status};
//! let bytes = b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n";
//! let mut headers = [Header::EMPTY; rtsp_core::limits::RTSP_MAX_HEADERS];
//! let Ok(Status::Complete((Message::Request(req), used))) = rtsp::parse(bytes, &mut headers) else {
//!     panic!("not a request")
//! };
//! assert_eq!(req.method, Method::Options);
//! assert_eq!(req.cseq(), Some(1));
//! assert_eq!(used, bytes.len());
//! ```

pub mod header;
pub mod http;
mod message;
mod method;
mod parse;
mod scan;
mod status;
mod text;
mod write;

use core::fmt;

pub use message::{Header, Interleaved, Message, Protocol, Request, Response, Status, Version};
pub use method::Method;
pub use parse::parse;
pub use status::StatusCode;
pub use write::{
    interleaved_header, MessageWriter, Sink, SliceSink, WriteSink, INTERLEAVED_HEADER_LEN,
};

/// Errors of the RTSP message layer (RFC 2326 §4, §6, §7, §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// A start or header line is longer than `limit`
    /// ([`RTSP_MAX_LINE`](crate::limits::RTSP_MAX_LINE)).
    LineTooLong {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// More headers than the caller's array (at most
    /// [`RTSP_MAX_HEADERS`](crate::limits::RTSP_MAX_HEADERS) is usual).
    TooManyHeaders {
        /// Length of the caller's header array.
        limit: usize,
    },
    /// `Content-Length` exceeds [`RTSP_MAX_BODY`](crate::limits::RTSP_MAX_BODY).
    BodyTooLarge {
        /// The announced body length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The start line and headers exceed
    /// [`RTSP_MAX_MESSAGE`](crate::limits::RTSP_MAX_MESSAGE).
    MessageTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The request line or status line is malformed (RFC 2326 §6.1, §7.1).
    StartLine,
    /// The version token is not `RTSP/<digit>.<digit>` (RFC 2326 §3.1).
    Version,
    /// A header line has no colon or its name is not a token (RFC 2326 §4.2).
    HeaderName,
    /// A header value holds a control character.
    HeaderValue,
    /// `Content-Length` is not a decimal number, or two disagree (RFC 2326 §12.14).
    ContentLength,
    /// A typed header could not be read.
    InvalidHeader {
        /// The header's name.
        name: &'static str,
    },
    /// The output buffer is too small; `required` bytes would fit.
    BufferTooSmall {
        /// Bytes the whole message needs.
        required: usize,
    },
    /// The `embedded_io::Write` sink failed.
    Io,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LineTooLong { limit } => write!(f, "RTSP line longer than {limit} bytes"),
            Error::TooManyHeaders { limit } => write!(f, "more than {limit} RTSP headers"),
            Error::BodyTooLarge { len, limit } => {
                write!(f, "RTSP body of {len} bytes exceeds the {limit}-byte limit")
            }
            Error::MessageTooLarge { limit } => write!(f, "RTSP message exceeds {limit} bytes"),
            Error::StartLine => f.write_str("malformed RTSP request or status line"),
            Error::Version => f.write_str("unsupported RTSP version token"),
            Error::HeaderName => f.write_str("malformed RTSP header name"),
            Error::HeaderValue => f.write_str("control character in RTSP header value"),
            Error::ContentLength => f.write_str("invalid Content-Length"),
            Error::InvalidHeader { name } => write!(f, "invalid {name} header"),
            Error::BufferTooSmall { required } => {
                write!(f, "output buffer too small: {required} bytes needed")
            }
            Error::Io => f.write_str("output sink failed"),
        }
    }
}

impl core::error::Error for Error {}
