//! Writing RTSP messages (RFC 2326 §6, §7) and interleaved frames (§10.12)
//! into caller-owned buffers or `embedded_io::Write` sinks.

use core::fmt::{self, Write as _};

use super::{
    header::names, Error, Interleaved, Message, Method, Request, Response, StatusCode, Version,
};

/// Where a [`MessageWriter`] puts bytes. Writes never fail midway: a sink
/// records the first failure (or, for a slice, the size it would have
/// needed) and reports it from [`Sink::finish`].
pub trait Sink {
    /// Appends bytes.
    fn put(&mut self, bytes: &[u8]);
    /// Total bytes written (or that would have been), or the first error.
    fn finish(self) -> Result<usize, Error>;
}

/// A sink over a caller's `&mut [u8]` (the rustls unbuffered-API shape):
/// on overflow it keeps counting, so the error says how much room to give.
#[derive(Debug)]
pub struct SliceSink<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SliceSink<'a> {
    /// A sink writing from the start of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        SliceSink { buf, len: 0 }
    }
}

impl Sink for SliceSink<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len.saturating_add(bytes.len());
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
        }
        self.len = end;
    }

    fn finish(self) -> Result<usize, Error> {
        if self.len > self.buf.len() {
            Err(Error::BufferTooSmall { required: self.len })
        } else {
            Ok(self.len)
        }
    }
}

/// A sink over any `embedded_io::Write` (a TCP socket, a heapless `Vec`).
#[derive(Debug)]
pub struct WriteSink<'w, W: embedded_io::Write> {
    writer: &'w mut W,
    len: usize,
    failed: bool,
}

impl<'w, W: embedded_io::Write> WriteSink<'w, W> {
    /// A sink writing to `writer`.
    pub fn new(writer: &'w mut W) -> Self {
        WriteSink {
            writer,
            len: 0,
            failed: false,
        }
    }
}

impl<W: embedded_io::Write> Sink for WriteSink<'_, W> {
    fn put(&mut self, bytes: &[u8]) {
        if !self.failed {
            self.failed = self.writer.write_all(bytes).is_err();
            self.len = self.len.saturating_add(bytes.len());
        }
    }

    fn finish(self) -> Result<usize, Error> {
        if self.failed {
            Err(Error::Io)
        } else {
            Ok(self.len)
        }
    }
}

struct FmtAdapter<'s, S: Sink>(&'s mut S);

impl<S: Sink> fmt::Write for FmtAdapter<'_, S> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.put(s.as_bytes());
        Ok(())
    }
}

/// Builds one request or response (RFC 2326 §6, §7): start line, headers
/// in call order, then the body with its `Content-Length`.
///
/// ```
/// use rtsp_core::rtsp::{MessageWriter, SliceSink, StatusCode};
/// let mut buf = [0u8; 128];
/// let mut w = MessageWriter::response(SliceSink::new(&mut buf), StatusCode::Ok);
/// w.header("CSeq", 2);
/// let n = w.finish(b"").unwrap();
/// assert_eq!(&buf[..n], b"RTSP/1.0 200 OK\r\nCSeq: 2\r\n\r\n");
/// ```
#[derive(Debug)]
pub struct MessageWriter<S: Sink> {
    sink: S,
}

impl<S: Sink> MessageWriter<S> {
    /// Starts an RTSP/1.0 request line (RFC 2326 §6.1).
    pub fn request(sink: S, method: Method<'_>, uri: &str) -> Self {
        Self::start_request(sink, method, uri, Version::RTSP_1_0)
    }

    /// Starts a request line with an explicit version.
    pub fn start_request(mut sink: S, method: Method<'_>, uri: &str, version: Version) -> Self {
        sink.put(method.as_str().as_bytes());
        sink.put(b" ");
        sink.put(uri.as_bytes());
        sink.put(b" ");
        let mut w = MessageWriter { sink };
        w.version(version);
        w.sink.put(b"\r\n");
        w
    }

    /// Starts an RTSP/1.0 status line with the standard reason phrase
    /// (RFC 2326 §7.1).
    pub fn response(sink: S, status: StatusCode) -> Self {
        Self::start_response(sink, Version::RTSP_1_0, status, status.reason())
    }

    /// Starts a status line with an explicit version and reason.
    pub fn start_response(sink: S, version: Version, status: StatusCode, reason: &str) -> Self {
        let mut w = MessageWriter { sink };
        w.version(version);
        let code = status.as_u16().min(999);
        let digits = [
            b'0' + (code / 100) as u8,
            b'0' + (code / 10 % 10) as u8,
            b'0' + (code % 10) as u8,
        ];
        w.sink.put(b" ");
        w.sink.put(&digits);
        w.sink.put(b" ");
        w.sink.put(reason.as_bytes());
        w.sink.put(b"\r\n");
        w
    }

    fn version(&mut self, v: Version) {
        self.sink.put(&[
            b'R',
            b'T',
            b'S',
            b'P',
            b'/',
            b'0' + v.major % 10,
            b'.',
            b'0' + v.minor % 10,
        ]);
    }

    /// Adds `name: value` (any `Display`, e.g. a typed header).
    pub fn header(&mut self, name: &str, value: impl fmt::Display) -> &mut Self {
        self.sink.put(name.as_bytes());
        self.sink.put(b": ");
        // FmtAdapter never returns an error; a full slice is reported by finish.
        let _ = write!(FmtAdapter(&mut self.sink), "{value}");
        self.sink.put(b"\r\n");
        self
    }

    /// Adds a header whose value is raw bytes.
    pub fn header_bytes(&mut self, name: &str, value: &[u8]) -> &mut Self {
        self.sink.put(name.as_bytes());
        self.sink.put(b": ");
        self.sink.put(value);
        self.sink.put(b"\r\n");
        self
    }

    /// Ends the headers and writes `body`, adding `Content-Length` first if
    /// the body is not empty (RFC 2326 §12.14). Returns the message length.
    pub fn finish(mut self, body: &[u8]) -> Result<usize, Error> {
        if !body.is_empty() {
            self.header(names::CONTENT_LENGTH, body.len());
        }
        self.finish_raw(body)
    }

    /// Ends the headers and writes a body whose `Content-Length` header the
    /// caller already added (or an empty body).
    pub fn finish_raw(mut self, body: &[u8]) -> Result<usize, Error> {
        self.sink.put(b"\r\n");
        self.sink.put(body);
        self.sink.finish()
    }

    /// Ends the headers and writes a `Display` body (e.g. an SDP writer),
    /// measuring it first to add `Content-Length`.
    pub fn finish_display(
        mut self,
        content_type: &str,
        body: impl fmt::Display,
    ) -> Result<usize, Error> {
        let mut counter = Counter(0);
        let _ = write!(counter, "{body}");
        self.header(names::CONTENT_TYPE, content_type);
        self.header(names::CONTENT_LENGTH, counter.0);
        self.sink.put(b"\r\n");
        let _ = write!(FmtAdapter(&mut self.sink), "{body}");
        self.sink.finish()
    }
}

impl MessageWriter<SliceSink<'_>> {
    /// Ends the headers with `Content-Type` and `Content-Length: len`, then
    /// lets `body` write its `len` bytes straight into the buffer (for
    /// writers such as [`MjpegDescription::write`](crate::sdp::MjpegDescription::write)
    /// that emit into a slice). `body` returns `false` on failure.
    pub fn finish_in_place(
        mut self,
        content_type: &str,
        len: usize,
        body: impl FnOnce(&mut [u8]) -> bool,
    ) -> Result<usize, Error> {
        self.header(names::CONTENT_TYPE, content_type);
        self.header(names::CONTENT_LENGTH, len);
        self.sink.put(b"\r\n");
        let start = self.sink.len;
        let end = start.saturating_add(len);
        match self.sink.buf.get_mut(start..end) {
            Some(dst) => {
                if !body(dst) {
                    return Err(Error::Io);
                }
                self.sink.len = end;
                self.sink.finish()
            }
            None => Err(Error::BufferTooSmall { required: end }),
        }
    }
}

struct Counter(usize);

impl fmt::Write for Counter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.saturating_add(s.len());
        Ok(())
    }
}

/// Bytes of an interleaved frame's header (RFC 2326 §10.12).
pub const INTERLEAVED_HEADER_LEN: usize = 4;

/// The 4-byte header of an interleaved frame (RFC 2326 §10.12): `'$'`,
/// channel, 16-bit length. `None` if `len` does not fit 16 bits.
pub fn interleaved_header(channel: u8, len: usize) -> Option<[u8; INTERLEAVED_HEADER_LEN]> {
    let [hi, lo] = u16::try_from(len).ok()?.to_be_bytes();
    Some([b'$', channel, hi, lo])
}

fn write_headers<S: Sink>(w: &mut MessageWriter<S>, headers: &[super::Header<'_>]) {
    for h in headers {
        w.header_bytes(h.name, h.value);
    }
}

impl Request<'_, '_> {
    /// Writes the request as parsed: same start line, headers (including
    /// its `Content-Length`) and body.
    pub fn write_to<S: Sink>(&self, sink: S) -> Result<usize, Error> {
        let mut w = MessageWriter::start_request(sink, self.method, self.uri, self.version);
        write_headers(&mut w, self.headers);
        w.finish_raw(self.body)
    }
}

impl Response<'_, '_> {
    /// Writes the response as parsed.
    pub fn write_to<S: Sink>(&self, sink: S) -> Result<usize, Error> {
        let mut w = MessageWriter::start_response(sink, self.version, self.status, self.reason);
        write_headers(&mut w, self.headers);
        w.finish_raw(self.body)
    }
}

impl Interleaved<'_> {
    /// Writes the `$` header and the payload; fails with
    /// [`Error::BodyTooLarge`] above 65535 bytes.
    pub fn write_to<S: Sink>(&self, mut sink: S) -> Result<usize, Error> {
        let header =
            interleaved_header(self.channel, self.payload.len()).ok_or(Error::BodyTooLarge {
                len: self.payload.len(),
                limit: usize::from(u16::MAX),
            })?;
        sink.put(&header);
        sink.put(self.payload);
        sink.finish()
    }
}

impl Message<'_, '_> {
    /// Writes the message back to wire form.
    pub fn write_to<S: Sink>(&self, sink: S) -> Result<usize, Error> {
        match self {
            Message::Request(r) => r.write_to(sink),
            Message::Response(r) => r.write_to(sink),
            Message::Interleaved(i) => i.write_to(sink),
        }
    }

    /// Writes the message into `buf`, reporting the size needed if it is
    /// too small.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, Error> {
        self.write_to(SliceSink::new(buf))
    }
}
