//! The SDP our server answers to DESCRIBE (RFC 4566 §5, RFC 2326 §C,
//! RFC 2435 §3 and DESIGN.md's checklist).

use super::{Error, Framerate};
use crate::limits::JPEG_MAX_HEADER_DIMENSION;
use crate::rtp::PayloadType;
use crate::time::Duration;
use core::fmt;

/// Everything that varies in the description of one MJPEG stream.
///
/// The text written is, with CRLF line ends:
///
/// ```text
/// v=0
/// o=- <session_id> <session_version> IN IP4 <origin>
/// s=<session_name>
/// c=IN IP4 0.0.0.0
/// t=0 0
/// a=control:*
/// a=range:npt=0-<duration>        (files only)
/// m=video 0 RTP/AVP 26
/// a=rtpmap:26 JPEG/90000
/// a=control:<control>
/// a=framerate:<framerate>         (if known)
/// a=x-dimensions:<W>,<H>          (only above 2040 px)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MjpegDescription<'a> {
    /// `o=` session id (RFC 4566 §5.2: an NTP-format timestamp is advised).
    pub session_id: u64,
    /// `o=` session version, bumped when the description changes.
    pub session_version: u64,
    /// `o=` originator address; `IP6` is written if it contains a colon.
    pub origin: &'a str,
    /// `s=` session name (must not be empty: `-` is written instead).
    pub session_name: &'a str,
    /// Frame width in pixels.
    pub width: u16,
    /// Frame height in pixels.
    pub height: u16,
    /// Frame rate, if known.
    pub framerate: Option<Framerate>,
    /// Media-level `a=control`, e.g. `trackID=0` (relative to Content-Base).
    pub control: &'a str,
    /// Length of a file presentation, for `a=range:npt=0-<len>`; `None` for
    /// live sources.
    pub duration: Option<Duration>,
}

impl MjpegDescription<'_> {
    /// Whether `a=x-dimensions` is needed: the RTP/JPEG header can say at
    /// most 2040 px (RFC 2435 §3.1.5), so larger frames carry 0 there.
    pub const fn needs_x_dimensions(&self) -> bool {
        self.width > JPEG_MAX_HEADER_DIMENSION || self.height > JPEG_MAX_HEADER_DIMENSION
    }

    fn render(&self, out: &mut impl fmt::Write) -> fmt::Result {
        let family = if self.origin.contains(':') {
            "IP6"
        } else {
            "IP4"
        };
        let name = if self.session_name.is_empty() {
            "-"
        } else {
            self.session_name
        };
        // Caller text (a file name, a path) must not end a line early.
        let (name, origin) = (OneLine(name), OneLine(self.origin));
        let control = OneLine(self.control);
        let pt = PayloadType::JPEG;
        write!(out, "v=0\r\n")?;
        write!(
            out,
            "o=- {} {} IN {family} {origin}\r\n",
            self.session_id, self.session_version
        )?;
        write!(
            out,
            "s={name}\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\na=control:*\r\n"
        )?;
        if let Some(d) = self.duration {
            let micros = d.as_micros();
            let (secs, milli) = (micros / 1_000_000, (micros % 1_000_000) / 1_000);
            write!(out, "a=range:npt=0-{secs}.{milli:03}\r\n")?;
        }
        write!(
            out,
            "m=video 0 RTP/AVP {pt}\r\na=rtpmap:{pt} JPEG/90000\r\n"
        )?;
        write!(out, "a=control:{control}\r\n")?;
        if let Some(rate) = self.framerate {
            write!(out, "a=framerate:{rate}\r\n")?;
        }
        if self.needs_x_dimensions() {
            write!(out, "a=x-dimensions:{},{}\r\n", self.width, self.height)?;
        }
        Ok(())
    }

    /// Bytes `write` produces.
    pub fn buffer_len(&self) -> usize {
        let mut count = Counter(0);
        // Counting never fails.
        let _ = self.render(&mut count);
        count.0
    }

    /// Writes the description into `buf`; returns its length.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let mut cursor = Cursor { buf, len: 0 };
        match self.render(&mut cursor) {
            Ok(()) => Ok(cursor.len),
            Err(_) => Err(Error::BufferTooSmall {
                required: self.buffer_len(),
            }),
        }
    }

    /// Writes the description to an `embedded_io::Write` sink.
    pub fn write_to<W: embedded_io::Write>(&self, sink: &mut W) -> Result<usize, Error> {
        let mut adapter = IoAdapter { sink, len: 0 };
        self.render(&mut adapter).map_err(|_| Error::Write)?;
        Ok(adapter.len)
    }
}

/// Displays text with CR and LF removed (RFC 4566 §5: a field is one line).
struct OneLine<'a>(&'a str);

impl fmt::Display for OneLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in self.0.split(['\r', '\n']) {
            f.write_str(part)?;
        }
        Ok(())
    }
}

struct Counter(usize);

impl fmt::Write for Counter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.saturating_add(s.len());
        Ok(())
    }
}

struct Cursor<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

struct IoAdapter<'w, W> {
    sink: &'w mut W,
    len: usize,
}

impl<W: embedded_io::Write> fmt::Write for IoAdapter<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.sink.write_all(s.as_bytes()).map_err(|_| fmt::Error)?;
        self.len = self.len.saturating_add(s.len());
        Ok(())
    }
}
