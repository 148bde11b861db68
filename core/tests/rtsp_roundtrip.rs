//! Property tests: parse(write(x)) == x for whole RTSP messages
//! (RFC 2326 §6, §7, §10.12), and write(parse(bytes)) == bytes for real
//! client transcripts.

use proptest::prelude::*;
use rtsp_core::limits::RTSP_MAX_HEADERS;
use rtsp_core::rtsp::{
    self, Header, Interleaved, Message, MessageWriter, Method, SliceSink, Status, StatusCode,
};

fn method() -> impl Strategy<Value = Method<'static>> {
    prop_oneof![
        Just(Method::Options),
        Just(Method::Describe),
        Just(Method::Setup),
        Just(Method::Play),
        Just(Method::Pause),
        Just(Method::Teardown),
        Just(Method::GetParameter),
        Just(Method::SetParameter),
        Just(Method::Unknown("X_FLY")),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec(("[A-Za-z][A-Za-z0-9-]{0,15}", "[ -~]{0,40}"), 0..12).prop_map(|v| {
        v.into_iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("content-length"))
            .map(|(n, v)| (n, v.trim_matches([' ', '\t']).to_string()))
            .collect()
    })
}

fn parse_one(bytes: &[u8]) -> (Message<'static, 'static>, usize) {
    // Leak the header array so the message can outlive this helper.
    let h: &'static mut [Header<'static>] = Box::leak(Box::new([Header::EMPTY; RTSP_MAX_HEADERS]));
    // SAFETY-free lifetime juggling: parse into a leaked copy of the bytes.
    let bytes: &'static [u8] = Box::leak(bytes.to_vec().into_boxed_slice());
    match rtsp::parse(bytes, h) {
        Ok(Status::Complete(x)) => x,
        other => panic!("{other:?}"),
    }
}

proptest! {
    #[test]
    fn request_round_trips(m in method(), uri in "rtsp://[a-z0-9.:]{1,20}/[ -~&&[^ ]]{0,40}",
                           cseq in any::<u32>(), hs in headers(), body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut buf = vec![0u8; 4096];
        let mut w = MessageWriter::request(SliceSink::new(&mut buf), m, &uri);
        w.header("CSeq", cseq);
        for (n, v) in &hs {
            w.header(n, v);
        }
        let len = w.finish(&body).unwrap();
        let (msg, used) = parse_one(&buf[..len]);
        prop_assert_eq!(used, len);
        let Message::Request(req) = msg else { panic!("{msg:?}") };
        prop_assert_eq!(req.method, m);
        prop_assert_eq!(req.uri, uri.as_str());
        prop_assert_eq!(req.cseq(), Some(cseq));
        prop_assert_eq!(req.body, &body[..]);
        for (i, (n, v)) in hs.iter().enumerate() {
            prop_assert_eq!(req.headers[i + 1].name, n.as_str());
            prop_assert_eq!(req.headers[i + 1].value, v.as_bytes());
        }
        // Writing the parsed message gives the same bytes again.
        let mut again = vec![0u8; 4096];
        let n = msg.write(&mut again).unwrap();
        prop_assert_eq!(&again[..n], &buf[..len]);
    }

    #[test]
    fn response_round_trips(code in 100u16..600, cseq in any::<u32>(), hs in headers(),
                            body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let status = StatusCode::from_u16(code);
        let mut buf = vec![0u8; 4096];
        let mut w = MessageWriter::response(SliceSink::new(&mut buf), status);
        w.header("CSeq", cseq);
        for (n, v) in &hs {
            w.header(n, v);
        }
        let len = w.finish(&body).unwrap();
        let (msg, used) = parse_one(&buf[..len]);
        prop_assert_eq!(used, len);
        let Message::Response(resp) = msg else { panic!("{msg:?}") };
        prop_assert_eq!(resp.status, status);
        prop_assert_eq!(resp.reason, status.reason());
        prop_assert_eq!(resp.cseq(), Some(cseq));
        prop_assert_eq!(resp.body, &body[..]);
    }

    #[test]
    fn interleaved_round_trips(channel in any::<u8>(), payload in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let frame = Interleaved { channel, payload: &payload };
        let mut buf = vec![0u8; 4 + payload.len()];
        let n = Message::Interleaved(frame).write(&mut buf).unwrap();
        let (msg, used) = parse_one(&buf[..n]);
        prop_assert_eq!(used, n);
        prop_assert_eq!(msg, Message::Interleaved(frame));
    }
}

#[test]
fn real_transcripts_write_back_byte_for_byte() {
    for transcript in [
        &include_bytes!("../src/rtsp/testdata/ffmpeg_udp.txt")[..],
        include_bytes!("../src/rtsp/testdata/ffmpeg_tcp.txt"),
        include_bytes!("../src/rtsp/testdata/gst.txt"),
        include_bytes!("../src/rtsp/testdata/gst_tcp.txt"),
        include_bytes!("../src/rtsp/testdata/vlc_udp.txt"),
    ] {
        let mut rest = transcript;
        let mut count = 0;
        while !rest.is_empty() {
            let (msg, used) = parse_one(rest);
            let mut out = vec![0u8; used];
            assert_eq!(msg.write(&mut out), Ok(used));
            assert_eq!(&out[..], &rest[..used]);
            rest = &rest[used..];
            count += 1;
        }
        assert!(count >= 4);
    }
}

/// A bounded `embedded_io::Write` sink, like a socket with a full buffer.
struct Bounded {
    data: Vec<u8>,
    cap: usize,
}

impl embedded_io::ErrorType for Bounded {
    type Error = embedded_io::ErrorKind;
}

impl embedded_io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        let n = buf.len().min(self.cap - self.data.len());
        if n == 0 && !buf.is_empty() {
            return Err(embedded_io::ErrorKind::OutOfMemory);
        }
        self.data.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

#[test]
fn embedded_io_sink_writes_the_same_bytes() {
    let mut out = Bounded {
        data: Vec::new(),
        cap: 256,
    };
    let mut w = MessageWriter::request(
        rtsp::WriteSink::new(&mut out),
        Method::Teardown,
        "rtsp://h/cam/",
    );
    w.header("CSeq", 7).header("Session", "ABCDEF0123456789");
    let n = w.finish(b"").unwrap();
    assert_eq!(
        &out.data[..],
        b"TEARDOWN rtsp://h/cam/ RTSP/1.0\r\nCSeq: 7\r\nSession: ABCDEF0123456789\r\n\r\n"
    );
    assert_eq!(n, out.data.len());
    let mut tiny = Bounded {
        data: Vec::new(),
        cap: 8,
    };
    let w = MessageWriter::request(
        rtsp::WriteSink::new(&mut tiny),
        Method::Teardown,
        "rtsp://h/cam/",
    );
    assert_eq!(w.finish(b""), Err(rtsp::Error::Io));
}

#[test]
fn bodies_written_by_display_or_in_place_carry_their_length() {
    let sdp = "v=0\r\ns=x\r\n";
    let mut a = [0u8; 256];
    let mut w = MessageWriter::response(SliceSink::new(&mut a), StatusCode::Ok);
    w.header("CSeq", 2);
    let n = w.finish_display("application/sdp", sdp).unwrap();
    let mut b = [0u8; 256];
    let mut w = MessageWriter::response(SliceSink::new(&mut b), StatusCode::Ok);
    w.header("CSeq", 2);
    let m = w
        .finish_in_place("application/sdp", sdp.len(), |dst| {
            dst.copy_from_slice(sdp.as_bytes());
            true
        })
        .unwrap();
    assert_eq!(&a[..n], &b[..m]);
    let (msg, used) = parse_one(&a[..n]);
    let Message::Response(r) = msg else { panic!() };
    assert_eq!((used, r.body), (n, sdp.as_bytes()));
    assert_eq!(r.header_str("Content-Type"), Some("application/sdp"));
    // Too small: the size needed is reported.
    let mut small = [0u8; 40];
    let mut w = MessageWriter::response(SliceSink::new(&mut small), StatusCode::Ok);
    w.header("CSeq", 2);
    assert_eq!(
        w.finish_in_place("application/sdp", sdp.len(), |_| true),
        Err(rtsp::Error::BufferTooSmall { required: n })
    );
}
