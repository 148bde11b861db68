//! What the client needs from the DESCRIBE answer's SDP (RFC 4566): the
//! first video media's payload type and encoding, its `a=control`
//! (RFC 2326 §C.1.1), frame rate, and `a=x-dimensions` (frames above 2040
//! px, the GStreamer convention). Tolerant of what real servers write.

/// The video stream a DESCRIBE announced.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    /// RTP payload type of the first video format.
    pub payload_type: u8,
    /// Encoding name from `a=rtpmap` (or "JPEG" for static type 26).
    pub encoding: String,
    /// Whether it is RTP/JPEG (RFC 2435).
    pub is_jpeg: bool,
    /// The media's `a=control`, if any.
    pub control: Option<String>,
    /// `a=framerate`, if any.
    pub framerate: Option<f64>,
    /// `a=x-dimensions:W,H`, if any.
    pub dimensions: Option<(u16, u16)>,
}

impl Described {
    /// One line for the prompt.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "stream: {} (payload type {})",
            self.encoding, self.payload_type
        );
        if let Some(f) = self.framerate {
            s += &format!(", {f} fps");
        }
        if let Some((w, h)) = self.dimensions {
            s += &format!(", {w}x{h}");
        }
        s
    }
}

/// Reads the first `m=video` section of an SDP body.
pub fn describe(body: &[u8]) -> Result<Described, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the SDP is not text".to_string())?;
    let mut in_video = false;
    let mut found: Option<Described> = None;
    for line in text.lines().map(str::trim) {
        if let Some(m) = line.strip_prefix("m=") {
            if found.is_some() {
                break;
            }
            let mut f = m.split_whitespace();
            in_video = f.next() == Some("video");
            if in_video {
                let pt = f
                    .nth(2)
                    .and_then(|p| p.parse::<u8>().ok())
                    .ok_or("the SDP video line has no payload type")?;
                found = Some(Described {
                    payload_type: pt,
                    encoding: if pt == 26 {
                        "JPEG".into()
                    } else {
                        format!("payload type {pt}")
                    },
                    is_jpeg: pt == 26,
                    control: None,
                    framerate: None,
                    dimensions: None,
                });
            }
            continue;
        }
        let (Some(d), true) = (found.as_mut(), in_video) else {
            continue;
        };
        let Some(attr) = line.strip_prefix("a=") else {
            continue;
        };
        let (name, value) = attr.split_once(':').unwrap_or((attr, ""));
        match name {
            "rtpmap" => {
                let mut f = value.split_whitespace();
                if f.next().and_then(|p| p.parse::<u8>().ok()) == Some(d.payload_type) {
                    let enc = f.next().unwrap_or("").split('/').next().unwrap_or("");
                    d.encoding = enc.to_string();
                    d.is_jpeg = enc.eq_ignore_ascii_case("JPEG");
                }
            }
            "control" => d.control = Some(value.trim().to_string()),
            "framerate" => d.framerate = value.trim().parse().ok(),
            "x-dimensions" => {
                let mut f = value.split(',').map(|v| v.trim().parse::<u16>().ok());
                if let (Some(Some(w)), Some(Some(h))) = (f.next(), f.next()) {
                    d.dimensions = Some((w, h));
                }
            }
            _ => {}
        }
    }
    found.ok_or_else(|| "the SDP has no video stream".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gstreamer_sdp() {
        let sdp = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=Session streamed with GStreamer\r\nt=0 0\r\na=control:*\r\nm=video 0 RTP/AVP 26\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:26 JPEG/90000\r\na=framerate:25\r\na=x-dimensions:2560,1440\r\na=control:stream=0\r\n";
        let d = describe(sdp).unwrap();
        assert!(d.is_jpeg);
        assert_eq!(d.control.as_deref(), Some("stream=0"));
        assert_eq!(d.dimensions, Some((2560, 1440)));
        assert_eq!(d.framerate, Some(25.0));
    }

    #[test]
    fn h264_is_not_jpeg() {
        let d = describe(b"v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n").unwrap();
        assert!(!d.is_jpeg);
        assert_eq!(d.encoding, "H264");
    }
}
