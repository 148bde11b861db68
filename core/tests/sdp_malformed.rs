//! Malformed input to the SDP reader: garbage, truncations of a real
//! description, overlong lines and absurd numbers. Nothing may panic.

use proptest::prelude::*;
use rtsp_core::sdp::{Error, Framerate, NptRange, RtpMap, SessionDescription};

fn touch(bytes: &[u8]) {
    let Ok(sdp) = SessionDescription::parse(bytes) else {
        return;
    };
    let _ = (
        sdp.version(),
        sdp.origin(),
        sdp.session_name(),
        sdp.connection(),
        sdp.range(),
    );
    let _ = (sdp.control(), sdp.bandwidth("AS"), sdp.attributes().count());
    for m in sdp.media().take(1000) {
        let _ = (
            m.payload_types().count(),
            m.attributes().count(),
            m.connection(),
        );
        let _ = (
            m.control(),
            m.framerate(),
            m.dimensions(),
            m.bandwidth("AS"),
            m.rtpmap(26),
        );
    }
    let _ = sdp.jpeg_video();
}

const GST: &str = "v=0\r\no=- 1635489283179474800 1 IN IP4 127.0.0.1\r\ns=Session streamed with GStreamer\r\n\
t=0 0\r\na=control:*\r\na=range:npt=now-\r\nm=video 0 RTP/AVP 26\r\nc=IN IP4 0.0.0.0\r\n\
a=rtpmap:26 JPEG/90000\r\na=framerate:25.000000\r\na=control:stream=0\r\na=x-dimensions:4096,2160\r\n";

#[test]
fn truncations_of_a_real_description() {
    for len in 0..GST.len() {
        touch(&GST.as_bytes()[..len]);
    }
    assert_eq!(SessionDescription::parse(b"v"), Err(Error::NotSdp));
}

#[test]
fn absurd_values_are_ignored() {
    let long_line = "a=".to_owned() + &"x".repeat(100_000);
    let text = format!(
        "v=0\nm=video 99999999999 RTP/AVP 26 300 -1 abc\na=x-dimensions:70000,-5\n\
a=framesize:26 99999999-1\na=cliprect:10,10,0,0\na=framerate:99999999999999.5\n\
a=rtpmap:26 JPEG/99999999999\na=range:npt=99999999999999999999-\n{long_line}\n"
    );
    let sdp = SessionDescription::parse(text.as_bytes()).unwrap();
    let m = sdp.media().next().unwrap();
    assert_eq!(m.port, 0, "unparsable port reads as 0");
    assert_eq!(m.payload_types().collect::<Vec<_>>(), [26]);
    assert_eq!(m.dimensions(), None);
    assert_eq!(m.framerate(), None);
    assert_eq!(m.rtpmap(26), None);
    let v = sdp.jpeg_video().unwrap();
    assert_eq!((v.payload_type, v.clock_rate, v.range), (26, 90_000, None));
    touch(text.as_bytes());
    assert_eq!(RtpMap::parse("26"), None);
    assert_eq!(NptRange::parse("npt=1:2:3:4:5:6:7:8:9:10:11:12-"), None);
    assert_eq!(Framerate::parse("4294967296"), None);
}

proptest! {
    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        touch(&bytes);
    }

    #[test]
    fn sdp_shaped_garbage_never_panics(lines in proptest::collection::vec(("[vosctmab]", "[ -~]{0,40}"), 0..30)) {
        let mut text = String::from("v=0\r\n");
        for (k, v) in lines {
            text.push_str(&k);
            text.push('=');
            text.push_str(&v);
            text.push_str("\r\n");
        }
        touch(text.as_bytes());
    }
}
