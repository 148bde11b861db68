//! What the client needs from a server's SDP, read with the tolerant
//! [`sdp::SessionDescription`](crate::sdp::SessionDescription) (RFC 4566):
//! the JPEG video stream's payload type, clock rate, control URL, frame
//! rate, size and duration.

use crate::sdp::{Control, SessionDescription};
use crate::session::Framerate;
use crate::Duration;

/// The stream the server described (RFC 4566 §5.14, §6; RFC 2435 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Described {
    /// RTP payload type (26 for JPEG, or a dynamic one mapped to JPEG).
    pub payload_type: u8,
    /// RTP clock rate (90000 for JPEG).
    pub clock_rate: u32,
    /// Frame size from `a=x-dimensions`, `a=framesize` or `a=cliprect`, if
    /// given; otherwise the RTP/JPEG headers will tell.
    pub size: Option<(u16, u16)>,
    /// `a=framerate`, if given.
    pub framerate: Option<Framerate>,
    /// Length of a file presentation (`a=range:npt=0-<end>`); `None` live.
    pub duration: Option<Duration>,
}

/// Reads the SDP; returns the description and the stream's control (`*`
/// for aggregate, absolute or relative URL), or `None` without a JPEG
/// video stream.
pub(crate) fn read(body: &[u8]) -> Option<(Described, &str)> {
    let sdp = SessionDescription::parse(body).ok()?;
    let video = sdp.jpeg_video()?;
    let control = match video.control {
        None | Some(Control::Aggregate) => "*",
        Some(Control::Absolute(url)) | Some(Control::Relative(url)) => url,
    };
    let described = Described {
        payload_type: video.payload_type,
        clock_rate: video.clock_rate,
        size: video.dimensions,
        framerate: video.framerate,
        duration: video.range.and_then(|r| r.end),
    };
    Some((described, control))
}
