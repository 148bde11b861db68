//! What the client needs from a server's SDP, read with the tolerant
//! [`sdp::SessionDescription`](crate::sdp::SessionDescription) (RFC 4566):
//! the video stream's encoding, payload type, clock rate, control URL,
//! frame rate, size and duration. The session plays JPEG (RFC 2435) only;
//! another encoding is still read, so that the host can name it.

use crate::limits::CLIENT_ENCODING_NAME_MAX;
use crate::sdp::{Control, Media, SessionDescription};
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
    /// The encoding name of `a=rtpmap` (`JPEG` for payload type 26 without
    /// one); `None` for a static type other than JPEG with no `a=rtpmap`.
    pub encoding: Option<Encoding>,
    /// Frame size from `a=x-dimensions`, `a=framesize` or `a=cliprect`, if
    /// given; otherwise the RTP/JPEG headers will tell.
    pub size: Option<(u16, u16)>,
    /// `a=framerate`, if given.
    pub framerate: Option<Framerate>,
    /// Length of a file presentation (`a=range:npt=0-<end>`); `None` live.
    pub duration: Option<Duration>,
}

impl Described {
    /// Whether the stream is JPEG (RFC 2435), the only encoding played.
    pub fn is_jpeg(&self) -> bool {
        self.encoding
            .is_some_and(|e| e.as_str().eq_ignore_ascii_case("JPEG"))
    }
}

/// An RTP encoding name (RFC 4566 §6 `a=rtpmap:<pt> <name>/<rate>`, the
/// names registered per RFC 3551 §3, e.g. `JPEG`, `H264`, `RAW`), kept by
/// value so that the session needs no borrow of the SDP. A name longer
/// than [`CLIENT_ENCODING_NAME_MAX`] bytes is cut there.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Encoding {
    /// The name, padded with NUL (which no encoding name contains, RFC 4566
    /// §9 `token`), so that no length byte is needed.
    name: [u8; CLIENT_ENCODING_NAME_MAX],
}

impl Encoding {
    /// `name`, cut to [`CLIENT_ENCODING_NAME_MAX`] bytes at a character
    /// boundary, and at its first NUL if it has one.
    pub fn new(name: &str) -> Encoding {
        let name = name.split('\0').next().unwrap_or_default();
        let mut len = name.len().min(CLIENT_ENCODING_NAME_MAX);
        while !name.is_char_boundary(len) {
            len -= 1;
        }
        let mut e = Encoding {
            name: [0; CLIENT_ENCODING_NAME_MAX],
        };
        if let (Some(dst), Some(src)) = (e.name.get_mut(..len), name.as_bytes().get(..len)) {
            dst.copy_from_slice(src);
        }
        e
    }

    /// The name as the SDP wrote it.
    pub fn as_str(&self) -> &str {
        let len = self
            .name
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.name.len());
        let bytes = self.name.get(..len).unwrap_or_default();
        // Built from a &str cut at a character boundary.
        core::str::from_utf8(bytes).unwrap_or_default()
    }
}

impl core::fmt::Debug for Encoding {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl core::fmt::Display for Encoding {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a DESCRIBE answer's body described.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read<'a> {
    /// A JPEG video stream and its control (`*` for aggregate, absolute or
    /// relative URL).
    Jpeg(Described, &'a str),
    /// Video, but not JPEG: its first payload type.
    OtherVideo(Described),
    /// A description without video.
    NoVideo,
    /// Not a session description.
    Invalid,
}

/// Reads the SDP.
pub(crate) fn read(body: &[u8]) -> Read<'_> {
    let Ok(sdp) = SessionDescription::parse(body) else {
        return Read::Invalid;
    };
    let Some(video) = sdp.jpeg_video() else {
        let video = sdp.media().find(|m| m.kind.eq_ignore_ascii_case("video"));
        return match video.and_then(|m| other_video(&m)) {
            Some(d) => Read::OtherVideo(d),
            None => Read::NoVideo,
        };
    };
    let control = match video.control {
        None | Some(Control::Aggregate) => "*",
        Some(Control::Absolute(url)) | Some(Control::Relative(url)) => url,
    };
    let described = Described {
        payload_type: video.payload_type,
        clock_rate: video.clock_rate,
        encoding: Some(Encoding::new("JPEG")),
        size: video.dimensions,
        framerate: video.framerate,
        duration: video.range.and_then(|r| r.end),
    };
    Read::Jpeg(described, control)
}

/// The first payload type of a video stream that is not JPEG.
fn other_video(m: &Media<'_>) -> Option<Described> {
    let pt = m.payload_types().next()?;
    let map = m.rtpmap(pt);
    Some(Described {
        payload_type: pt,
        // RFC 3551 §6: every static video payload type runs at 90 kHz.
        clock_rate: map.map_or(90_000, |map| map.clock_rate),
        encoding: map.map(|map| Encoding::new(map.encoding)),
        size: m.dimensions(),
        framerate: m.framerate(),
        duration: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_names_are_kept_and_cut() {
        assert_eq!(Encoding::new("JPEG").as_str(), "JPEG");
        assert_eq!(Encoding::new("MP4V-ES").as_str(), "MP4V-ES");
        assert_eq!(Encoding::new("H263-2000").as_str(), "H263-200");
        assert_eq!(Encoding::new("ééééé").as_str(), "éééé");
        assert_eq!(Encoding::new("a\0b").as_str(), "a");
        assert_eq!(Encoding::new("").as_str(), "");
    }

    #[test]
    fn other_video_is_named() {
        let sdp = b"v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 RAW/90000\r\n";
        let Read::OtherVideo(d) = read(sdp) else {
            panic!("{:?}", read(sdp))
        };
        assert_eq!((d.payload_type, d.clock_rate), (96, 90_000));
        assert_eq!(d.encoding.map(|e| e.as_str() == "RAW"), Some(true));
        assert!(!d.is_jpeg());
        let static_h261 = b"v=0\r\nm=video 0 RTP/AVP 31\r\n";
        let Read::OtherVideo(d) = read(static_h261) else {
            panic!()
        };
        assert_eq!((d.payload_type, d.encoding), (31, None));
        assert_eq!(read(b"v=0\r\nm=audio 0 RTP/AVP 0\r\n"), Read::NoVideo);
        assert_eq!(read(b"not sdp"), Read::Invalid);
        let jpeg = b"v=0\r\nm=video 0 RTP/AVP 26\r\na=control:trackID=1\r\n";
        let Read::Jpeg(d, control) = read(jpeg) else {
            panic!()
        };
        assert!(d.is_jpeg());
        assert_eq!(control, "trackID=1");
    }
}
