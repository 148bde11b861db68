#![no_main]
//! Arbitrary bytes as an MJPEG container: the slice iterator and the
//! incremental reader must agree, and never panic.
use libfuzzer_sys::fuzz_target;
use rtsp_core::mjpeg::{Format, Frames, Reader};

fuzz_target!(|data: &[u8]| {
    let _ = Format::detect(data);
    let mut reader = Reader::new(data, [0u8; 8192]);
    for item in Frames::new(data) {
        let Ok(frame) = item else {
            break;
        };
        assert!(frame.starts_with(&[0xff, 0xd8]));
        // The reader sees the same frames while they fit its buffer.
        match reader.next_frame() {
            Ok(Some(f)) => assert_eq!(f, frame),
            _ => break,
        }
        let _ = rtsp_core::jpeg::Frame::parse(frame);
    }
});
