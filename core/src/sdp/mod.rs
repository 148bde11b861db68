//! SDP (RFC 4566) for one MJPEG stream: a writer for what our server
//! answers to DESCRIBE, and a tolerant, zero-copy reader for what real
//! servers send.
//!
//! * [`MjpegDescription`] writes `m=video 0 RTP/AVP 26`, `a=rtpmap:26
//!   JPEG/90000`, `a=control`, `a=framerate`, and `a=x-dimensions` for
//!   frames above 2040 px (the GStreamer convention; the RTP/JPEG header then
//!   carries 0, RFC 2435 §3.1.5), into `&mut [u8]` or an
//!   `embedded_io::Write`.
//! * [`SessionDescription::parse`] accepts CRLF or LF, ignores lines it does
//!   not know, and stores nothing but the input slice: every accessor scans
//!   lines on demand, so no attribute is ever dropped for lack of room.
//!   [`SessionDescription::jpeg_video`] finds the JPEG video stream (static
//!   payload type 26, or a dynamic one with `a=rtpmap:<pt> JPEG/90000`) with
//!   its control URL, frame rate and size.

mod parse;
mod value;
mod write;

pub use parse::{Attribute, JpegVideo, Media, Origin, RtpMap, SessionDescription};
pub use value::{Control, Framerate, NptRange};
pub use write::MjpegDescription;

use core::fmt;

/// Why SDP could not be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// No `v=` line: not a session description (RFC 4566 §5.1).
    NotSdp,
    /// The output buffer is too small.
    BufferTooSmall {
        /// Bytes needed.
        required: usize,
    },
    /// The `embedded_io::Write` sink failed.
    Write,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::NotSdp => f.write_str("not a session description: no v= line"),
            Error::BufferTooSmall { required } => {
                write!(f, "buffer too small for SDP: {required} bytes needed")
            }
            Error::Write => f.write_str("SDP sink failed"),
        }
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests;
