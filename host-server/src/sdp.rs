//! The session description answered to DESCRIBE (RFC 4566, RFC 2435 §5;
//! DESIGN.md). A stop-gap until `rtsp_core::sdp::MjpegDescription` lands:
//! the same lines, written here.

use std::fmt::Write as _;
use std::net::IpAddr;

/// Frames above this size are described with `a=x-dimensions` (the
/// RTP/JPEG header can only say up to 2040 px, RFC 2435 §3.1.5).
const HEADER_MAX: u16 = rtsp_core::limits::JPEG_MAX_HEADER_DIMENSION;

/// SDP for one MJPEG video stream, control URL `trackID=0`.
pub fn describe(width: u16, height: u16, fps: f64, origin: IpAddr) -> String {
    let ip = if origin.is_unspecified() {
        IpAddr::from([127, 0, 0, 1])
    } else {
        origin
    };
    let family = if ip.is_ipv4() { "IP4" } else { "IP6" };
    let id = crate::session::random() >> 1;
    let mut s = String::with_capacity(256);
    let _ = write!(
        s,
        "v=0\r\no=- {id} 1 IN {family} {ip}\r\ns=rtsp-server MJPEG\r\nc=IN {family} 0.0.0.0\r\nt=0 0\r\n\
         a=control:*\r\nm=video 0 RTP/AVP 26\r\na=rtpmap:26 JPEG/90000\r\na=control:trackID=0\r\n"
    );
    let _ = write!(s, "a=framerate:{}\r\n", trim_float(fps));
    if width > HEADER_MAX || height > HEADER_MAX {
        let _ = write!(s, "a=x-dimensions:{width},{height}\r\n");
    }
    s
}

fn trim_float(v: f64) -> String {
    let t = format!("{v:.3}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mjpeg_lines() {
        let s = describe(320, 240, 25.0, IpAddr::from([0, 0, 0, 0]));
        assert!(s.contains("m=video 0 RTP/AVP 26\r\n"));
        assert!(s.contains("a=rtpmap:26 JPEG/90000\r\n"));
        assert!(s.contains("a=framerate:25\r\n"));
        assert!(!s.contains("x-dimensions"));
        assert!(describe(4096, 2160, 29.97, IpAddr::from([10, 0, 0, 1]))
            .contains("a=x-dimensions:4096,2160\r\n"));
    }
}
