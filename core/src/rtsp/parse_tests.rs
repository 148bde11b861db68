use super::*;
use crate::limits::RTSP_MAX_HEADERS;
use crate::rtsp::header::{self, Range, Transports};

const FFMPEG_UDP: &[u8] = include_bytes!("testdata/ffmpeg_udp.txt");
const GST_TCP: &[u8] = include_bytes!("testdata/gst_tcp.txt");

fn headers() -> [Header<'static>; RTSP_MAX_HEADERS] {
    [Header::EMPTY; RTSP_MAX_HEADERS]
}

/// Splits a transcript into its messages with the parser itself, checking
/// that each is a complete request.
fn requests(mut bytes: &[u8], mut check: impl FnMut(&Request<'_, '_>)) -> usize {
    let mut n = 0;
    while !bytes.is_empty() {
        let mut h = headers();
        let Ok(Status::Complete((Message::Request(req), used))) = parse(bytes, &mut h) else {
            panic!("not a request: {:?}", core::str::from_utf8(bytes));
        };
        check(&req);
        bytes = &bytes[used..];
        n += 1;
    }
    n
}

#[test]
fn ffmpeg_udp_transcript() {
    let mut methods = std::vec::Vec::new();
    let n = requests(FFMPEG_UDP, |req| {
        methods.push(std::string::String::from(req.method.as_str()));
        assert_eq!(req.version, Version::RTSP_1_0);
        assert_eq!(req.header_str("user-agent"), Some("Lavf59.27.100"));
        if req.method == Method::Setup {
            assert_eq!(req.uri, "rtsp://127.0.0.1:18554/cam/stream=0");
            assert_eq!(req.cseq(), Some(3));
            let t = Transports::parse(req.header_str("Transport").unwrap()).unwrap();
            let t = t.0[0];
            assert_eq!(t.lower, Some(header::LowerTransport::Udp));
            assert_eq!(t.client_port, Some(header::PortPair::new(34082, 34083)));
        }
        if req.method == Method::Play {
            assert_eq!(req.session().unwrap().id, "12345678");
            let range = Range::parse(req.header_str("Range").unwrap()).unwrap();
            assert_eq!(
                range,
                Range::Npt {
                    start: Some(header::NptTime::At(crate::Duration::ZERO)),
                    end: None
                }
            );
        }
    });
    assert_eq!(n, 4);
    assert_eq!(methods, ["OPTIONS", "DESCRIBE", "SETUP", "PLAY"]);
}

#[test]
fn gstreamer_tcp_transcript() {
    let n = requests(GST_TCP, |req| {
        assert!(req.header_str("Date").is_some());
        if req.method == Method::Setup {
            let t = Transports::parse(req.header_str("transport").unwrap())
                .unwrap()
                .0[0];
            assert!(t.is_tcp());
            assert_eq!(t.interleaved, Some(header::ChannelPair::new(0, 1)));
        }
    });
    assert_eq!(n, 4);
}

#[test]
fn every_prefix_is_partial_then_complete() {
    let msg = b"RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: 10\r\n\r\nv=0\r\ns=x\r\n";
    for cut in 0..msg.len() {
        let mut h = headers();
        assert_eq!(
            parse(&msg[..cut], &mut h),
            Ok(Status::Partial),
            "cut at {cut}"
        );
    }
    let mut h = headers();
    let Ok(Status::Complete((Message::Response(r), used))) = parse(msg, &mut h) else {
        panic!()
    };
    assert_eq!(used, msg.len());
    assert_eq!(r.status, StatusCode::Ok);
    assert_eq!(r.reason, "OK");
    assert_eq!(r.body, b"v=0\r\ns=x\r\n");
    assert_eq!(r.cseq(), Some(2));
}

#[test]
fn interleaved_frames_between_messages() {
    let mut bytes = std::vec::Vec::new();
    bytes.extend_from_slice(b"$\x01\x00\x03abc");
    bytes.extend_from_slice(b"GET_PARAMETER rtsp://h/a RTSP/1.0\r\nCSeq: 9\r\nSession: 1\r\n\r\n");
    let mut h = headers();
    let Ok(Status::Complete((Message::Interleaved(f), used))) = parse(&bytes, &mut h) else {
        panic!()
    };
    assert_eq!((f.channel, f.payload, used), (1, &b"abc"[..], 7));
    let mut h = headers();
    let Ok(Status::Complete((Message::Request(r), _))) = parse(&bytes[used..], &mut h) else {
        panic!()
    };
    assert_eq!(r.method, Method::GetParameter);
    let mut h = headers();
    assert_eq!(parse(b"$\x00\x05\xdcxx", &mut h), Ok(Status::Partial));
}

#[test]
fn rtsp_2_0_and_bare_lf_accepted() {
    let mut h = headers();
    let Ok(Status::Complete((Message::Request(r), _))) =
        parse(b"OPTIONS * RTSP/2.0\nCSeq: 1\n\n", &mut h)
    else {
        panic!()
    };
    assert_eq!(r.version, Version::RTSP_2_0);
    assert_eq!(r.uri, "*");
}

#[test]
fn limits_are_typed_errors() {
    let mut h = headers();
    let long = [b'A'; crate::limits::RTSP_MAX_LINE + 10];
    assert_eq!(
        parse(&long, &mut h),
        Err(Error::LineTooLong {
            limit: crate::limits::RTSP_MAX_LINE
        })
    );
    let mut few = [Header::EMPTY; 2];
    assert_eq!(
        parse(
            b"OPTIONS * RTSP/1.0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
            &mut few
        ),
        Err(Error::TooManyHeaders { limit: 2 })
    );
    assert_eq!(
        parse(
            b"RTSP/1.0 200 OK\r\nContent-Length: 99999999\r\n\r\n",
            &mut h
        ),
        Err(Error::BodyTooLarge {
            len: 99_999_999,
            limit: crate::limits::RTSP_MAX_BODY
        })
    );
    assert_eq!(
        parse(b"RTSP/1.0 200 OK\r\nContent-Length: 1x\r\n\r\n", &mut h),
        Err(Error::ContentLength)
    );
    assert_eq!(
        parse(b"GET / HTTP/1.1\r\n\r\n", &mut h),
        Err(Error::Version)
    );
    assert_eq!(parse(b"OPTIONS *\r\n\r\n", &mut h), Err(Error::StartLine));
    assert_eq!(
        parse(b"OPTIONS * RTSP/1.0\r\nBad Name: x\r\n\r\n", &mut h),
        Err(Error::HeaderName)
    );
    assert_eq!(
        parse(b"OPTIONS * RTSP/1.0\r\n folded\r\n\r\n", &mut h),
        Err(Error::HeaderName)
    );
    assert_eq!(
        parse(b"OPTIONS * RTSP/1.0\r\nA: x\x01y\r\n\r\n", &mut h),
        Err(Error::HeaderValue)
    );
    assert_eq!(
        parse(b"RTSP/1.0 2x0 OK\r\n\r\n", &mut h),
        Err(Error::StartLine)
    );
}

#[test]
fn message_larger_than_limit_is_refused() {
    let mut bytes = std::vec::Vec::from(&b"OPTIONS * RTSP/1.0\r\n"[..]);
    let mut h = [Header::EMPTY; 64];
    while bytes.len() <= crate::limits::RTSP_MAX_MESSAGE {
        bytes.extend_from_slice(b"X-Pad: ");
        bytes.extend_from_slice(&[b'p'; 500]);
        bytes.extend_from_slice(b"\r\n");
    }
    assert_eq!(
        parse(&bytes, &mut h),
        Err(Error::MessageTooLarge {
            limit: crate::limits::RTSP_MAX_MESSAGE
        })
    );
}

/// RFC 2326 §14.2 "Streaming of a Container file" (folded lines unfolded).
#[test]
fn rfc2326_14_2_container_file() {
    let describe_reply = b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: 164\r\n\r\n\
v=0\r\no=- 2890844256 2890842807 IN IP4 172.16.2.93\r\ns=RTSP Session\r\ni=An Example of RTSP Session Usage\r\n\
a=control:rtsp://foo/twister\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\na=control:rtsp://foo/twister/audio\r\n\
m=video 0 RTP/AVP 26\r\na=control:rtsp://foo/twister/video\r\n";
    let mut h = headers();
    let Ok(Status::Complete((Message::Response(r), used))) = parse(describe_reply, &mut h) else {
        panic!()
    };
    assert_eq!(r.body.len(), 164);
    assert!(r.body.starts_with(b"v=0\r\n"));
    // The RFC's Content-Length (164) is shorter than its SDP: the parser
    // takes exactly 164 bytes and leaves the rest for the next call.
    let head = describe_reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap()
        + 4;
    assert_eq!(used, head + 164);
    let setup_reply = b"RTSP/1.0 200 OK\r\nCSeq: 2\r\nTransport: RTP/AVP;unicast;client_port=8000-8001;server_port=9000-9001\r\nSession: 12345678\r\n\r\n";
    let mut h = headers();
    let Ok(Status::Complete((Message::Response(r), _))) = parse(setup_reply, &mut h) else {
        panic!()
    };
    let t = Transports::parse(r.header_str("Transport").unwrap())
        .unwrap()
        .0[0];
    assert_eq!(t.server_port, Some(header::PortPair::new(9000, 9001)));
    assert_eq!(r.session().unwrap().id, "12345678");
    let play_reply = b"RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: 12345678\r\nRTP-Info: url=rtsp://foo/twister/video;seq=9810;rtptime=3450012\r\n\r\n";
    let mut h = headers();
    let Ok(Status::Complete((Message::Response(r), _))) = parse(play_reply, &mut h) else {
        panic!()
    };
    let info = header::RtpInfoList::parse(r.header_str("RTP-Info").unwrap())
        .unwrap()
        .find("video")
        .unwrap();
    assert_eq!((info.seq, info.rtptime), (Some(9810), Some(3_450_012)));
    let reply_460 = b"RTSP/1.0 460 Only aggregate operation allowed\r\nCSeq: 5\r\n\r\n";
    let mut h = headers();
    let Ok(Status::Complete((Message::Response(r), _))) = parse(reply_460, &mut h) else {
        panic!()
    };
    assert_eq!(r.status, StatusCode::OnlyAggregateOperationAllowed);
    assert_eq!(r.reason, "Only aggregate operation allowed");
}

/// RFC 2326 §10.1 OPTIONS example.
#[test]
fn rfc2326_10_1_options() {
    let req = b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nRequire: implicit-play\r\nProxy-Require: gzipped-messages\r\n\r\n";
    let mut h = headers();
    let Ok(Status::Complete((Message::Request(r), _))) = parse(req, &mut h) else {
        panic!()
    };
    let tags = header::OptionTags::parse(r.header_str("Require").unwrap()).unwrap();
    assert_eq!(tags.iter().collect::<std::vec::Vec<_>>(), ["implicit-play"]);
    let reply =
        b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE\r\n\r\n";
    let mut h = headers();
    let Ok(Status::Complete((Message::Response(r), _))) = parse(reply, &mut h) else {
        panic!()
    };
    let public = header::MethodSet::parse(r.header_str("Public").unwrap()).unwrap();
    assert!(public.contains(Method::Pause));
    assert!(!public.contains(Method::GetParameter));
}

#[test]
fn written_message_parses_back_identically() {
    let mut h = headers();
    let Ok(Status::Complete((msg, _))) = parse(FFMPEG_UDP, &mut h) else {
        panic!()
    };
    let mut buf = [0u8; 256];
    let n = msg.write(&mut buf).unwrap();
    assert_eq!(&buf[..n], &FFMPEG_UDP[..n]);
    let mut small = [0u8; 10];
    assert_eq!(
        msg.write(&mut small),
        Err(Error::BufferTooSmall { required: n })
    );
}

/// The header-line limit applies to the line as written (`name: value`), so
/// a 1,024-byte line with no blank after the colon (ended by a bare LF) is
/// refused rather than accepted and then unwritable (fuzz finding
/// `rtsp_roundtrip-crash-8f45f9fe`, now a seed of that target).
#[test]
fn header_limit_is_on_the_written_form() {
    use crate::limits::RTSP_MAX_LINE;
    let mut at_limit = b"OPTIONS * RTSP/1.0\r\nX:".to_vec();
    at_limit.resize(at_limit.len() + RTSP_MAX_LINE - 2, b'v');
    at_limit.extend_from_slice(b"\n\r\n");
    let mut h = headers();
    assert_eq!(
        parse(&at_limit, &mut h),
        Err(Error::LineTooLong {
            limit: RTSP_MAX_LINE
        })
    );
    // One byte shorter fits, and writes back to exactly the limit.
    let mut fits = b"OPTIONS * RTSP/1.0\r\nX:".to_vec();
    fits.resize(fits.len() + RTSP_MAX_LINE - 3, b'v');
    fits.extend_from_slice(b"\r\n\r\n");
    let Ok(Status::Complete((m, _))) = parse(&fits, &mut h) else {
        panic!("a line of {} bytes once written parses", RTSP_MAX_LINE);
    };
    let mut out = [0u8; 2 * RTSP_MAX_LINE];
    let n = m.write(&mut out).unwrap();
    let mut h2 = headers();
    assert!(matches!(parse(&out[..n], &mut h2), Ok(Status::Complete(_))));
}
