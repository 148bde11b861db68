//! parse → write → parse must agree (RFC 2326 §4, §6, §7, §10.12): every
//! field of a message read back from our own writing equals the original,
//! and writing it again gives the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rtsp_core::limits::RTSP_MAX_HEADERS;
use rtsp_core::rtsp::{self, Header, Status};

fuzz_target!(|data: &[u8]| {
    let mut h1 = [Header::EMPTY; RTSP_MAX_HEADERS];
    let Ok(Status::Complete((first, _))) = rtsp::parse(data, &mut h1) else {
        return;
    };
    let mut out = vec![0u8; data.len() * 2 + 64];
    let n = first
        .write(&mut out)
        .expect("a parsed message can be written");
    let mut h2 = [Header::EMPTY; RTSP_MAX_HEADERS];
    let second = match rtsp::parse(&out[..n], &mut h2) {
        Ok(Status::Complete((m, used))) => {
            assert_eq!(used, n, "the written message is read whole");
            m
        }
        other => panic!("written message does not parse: {other:?}"),
    };
    assert_eq!(first, second);
    let mut again = vec![0u8; n];
    assert_eq!(second.write(&mut again), Ok(n));
    assert_eq!(&again[..], &out[..n]);
});
