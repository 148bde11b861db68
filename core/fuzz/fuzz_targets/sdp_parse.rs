//! Tolerant SDP reading (RFC 4566): no input may panic through any accessor.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rtsp_core::sdp::SessionDescription;

fuzz_target!(|data: &[u8]| {
    let Ok(sdp) = SessionDescription::parse(data) else {
        return;
    };
    let _ = (
        sdp.version(),
        sdp.origin(),
        sdp.session_name(),
        sdp.connection(),
    );
    let _ = (
        sdp.control(),
        sdp.range(),
        sdp.bandwidth("AS"),
        sdp.attributes().count(),
    );
    for m in sdp.media() {
        let _ = (
            m.payload_types().count(),
            m.attributes().count(),
            m.control(),
        );
        let _ = (
            m.framerate(),
            m.dimensions(),
            m.rtpmap(26),
            m.rtpmap(96),
            m.connection(),
        );
    }
    let _ = sdp.jpeg_video();
});
