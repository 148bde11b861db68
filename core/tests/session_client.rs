//! The client session against real servers' responses: GStreamer's
//! rtsp-server (captured, TCP and UDP) and a live555-style server, plus
//! error answers and interleaved data (RFC 2326 §10, §12, C.1.1).

mod session_common;

use rtsp_core::limits::RTSP_MAX_HEADERS;
use rtsp_core::rtp::{RtpTimestamp, SeqNo, Ssrc};
use rtsp_core::rtsp::{self, header::PortPair, Header, Method, Status, StatusCode};
use rtsp_core::session::client::{
    AuthError, ClientSession, Config, Event, Received, Request, State, TransportRequest,
};
use rtsp_core::session::{Destination, Framerate, MediaTransport};
use rtsp_core::Duration;
use session_common::{header, Scripted};

/// Splits a transcript of responses into messages.
fn messages(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let mut h = [Header::EMPTY; RTSP_MAX_HEADERS];
        let Ok(Status::Complete((_, used))) = rtsp::parse(bytes, &mut h) else {
            panic!()
        };
        out.push(bytes[..used].to_vec());
        bytes = &bytes[used..];
    }
    out
}

/// A plain client (no credentials) over `transport` against `replies`.
fn scripted(url: &str, transport: TransportRequest, replies: Vec<Vec<u8>>) -> Scripted<0> {
    let config = Config {
        transport,
        user_agent: "test-client",
        ..Config::default()
    };
    Scripted::new(ClientSession::new(config, url).unwrap(), replies)
}

#[test]
fn gstreamer_server_over_tcp() {
    let replies = messages(include_bytes!("../src/rtsp/testdata/gst_server_tcp.txt"));
    let mut s = scripted(
        "rtsp://127.0.0.1:18600/test",
        TransportRequest::Tcp,
        replies,
    );
    s.client.play(s.now);
    s.run();
    assert_eq!(
        s.request_line(0),
        "OPTIONS rtsp://127.0.0.1:18600/test RTSP/1.0"
    );
    assert_eq!(
        s.request_line(1),
        "DESCRIBE rtsp://127.0.0.1:18600/test RTSP/1.0"
    );
    // Content-Base + a=control:stream=0.
    assert_eq!(
        s.request_line(2),
        "SETUP rtsp://127.0.0.1:18600/test/stream=0 RTSP/1.0"
    );
    assert_eq!(
        header(&s.requests[2], "Transport"),
        Some("RTP/AVP/TCP;unicast;interleaved=0-1")
    );
    assert_eq!(
        s.request_line(3),
        "PLAY rtsp://127.0.0.1:18600/test/ RTSP/1.0"
    );
    assert_eq!(header(&s.requests[3], "Session"), Some("MEw2fpcYX1aLu+_V"));
    assert_eq!(header(&s.requests[3], "CSeq"), Some("4"));
    assert_eq!(s.client.state(), State::Playing);
    let d = s.client.described().unwrap();
    assert_eq!(
        (d.payload_type, d.clock_rate, d.framerate),
        (26, 90_000, Some(Framerate::fps(25)))
    );
    assert_eq!(d.duration, None, "npt=now- is live");
    assert_eq!(s.client.server_ssrc(), Some(Ssrc(0xBC36_AFA5)));
    assert!(s.events.contains(&Event::Described));
    assert!(s.events.contains(&Event::SetUp {
        transport: MediaTransport::Interleaved {
            channels: rtsp::header::ChannelPair::new(0, 1)
        },
        timeout_secs: 60
    }));
    assert!(s.events.contains(&Event::Playing {
        seq: Some(SeqNo(23344)),
        rtptime: Some(RtpTimestamp(1_603_815_793))
    }));

    // Public lists GET_PARAMETER: that is the keep-alive, at timeout/2.
    assert_eq!(s.client.keepalive_method(), Method::GetParameter);
    let t0 = s.now;
    s.advance(Duration::from_secs(29));
    assert_eq!(s.requests.len(), 4);
    s.advance(Duration::from_secs(1));
    assert_eq!(
        s.request_line(4),
        "GET_PARAMETER rtsp://127.0.0.1:18600/test/ RTSP/1.0"
    );
    assert_eq!(s.now - t0, Duration::from_secs(30));
    // An RR went out on channel 1 after 5 s of playing.
    assert!(s
        .rtcp
        .iter()
        .all(|(d, b)| *d == Destination::Interleaved { channel: 1 } && b[0] == b'$'));
    assert_eq!(s.rtcp.len(), 6);

    s.client.pause(s.now).unwrap();
    s.run();
    assert_eq!(
        s.request_line(5),
        "PAUSE rtsp://127.0.0.1:18600/test/ RTSP/1.0"
    );
    assert_eq!(s.client.state(), State::Ready);
    s.client.teardown(s.now);
    s.run();
    assert_eq!(
        s.request_line(6),
        "TEARDOWN rtsp://127.0.0.1:18600/test/ RTSP/1.0"
    );
    assert_eq!(s.events.last(), Some(&Event::TornDown));
    assert_eq!(s.client.session_id(), None);
    assert_eq!(s.client.poll_timeout(), None);
}

#[test]
fn gstreamer_server_over_udp() {
    let replies = messages(include_bytes!("../src/rtsp/testdata/gst_server_udp.txt"));
    let mut s = scripted(
        "rtsp://127.0.0.1:18600/test",
        TransportRequest::Udp { rtp_port: 45000 },
        replies,
    );
    s.client.play(s.now);
    s.run();
    assert_eq!(
        header(&s.requests[2], "Transport"),
        Some("RTP/AVP;unicast;client_port=45000-45001")
    );
    assert_eq!(
        s.client.media_transport(),
        Some(MediaTransport::Udp {
            client: PortPair::new(45000, 45001),
            server: PortPair::new(47064, 47065)
        })
    );
    s.advance(Duration::from_secs(5));
    assert_eq!(s.rtcp.len(), 1);
    assert_eq!(s.rtcp[0].0, Destination::Rtcp { port: 47065 });
}

fn reply(cseq: u32, extra: &str, body: &str) -> Vec<u8> {
    let mut r = format!(
        "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nDate: Wed, 25 Nov 2026 17:00:00 GMT\r\n{extra}"
    );
    if !body.is_empty() {
        r += &format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n",
            body.len()
        );
    }
    r += "\r\n";
    r += body;
    r.into_bytes()
}

/// live555's style: `track1` controls, a file range, `Session: id;timeout=`,
/// and a Public list without GET_PARAMETER.
fn live555_replies() -> Vec<Vec<u8>> {
    let sdp = "v=0\r\no=- 1700000000 1 IN IP4 10.0.0.5\r\ns=Session streamed by \"testOnDemandRTSPServer\"\r\n\
i=cam\r\nt=0 0\r\na=tool:LIVE555 Streaming Media v2023.05.10\r\na=type:broadcast\r\na=control:*\r\n\
a=range:npt=0-12.500\r\nm=video 0 RTP/AVP 26\r\nc=IN IP4 0.0.0.0\r\nb=AS:2000\r\na=framesize:26 1280-720\r\na=control:track1\r\n";
    vec![
        reply(1, "Public: OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE\r\n", ""),
        reply(2, "Content-Base: rtsp://10.0.0.5:8554/cam/\r\n", sdp),
        reply(
            3,
            "Transport: RTP/AVP/TCP;unicast;destination=10.0.0.9;source=10.0.0.5;interleaved=2-3\r\nSession: 0A1B2C3D;timeout=20\r\n",
            "",
        ),
        reply(4, "Range: npt=0.000-\r\nSession: 0A1B2C3D\r\nRTP-Info: url=rtsp://10.0.0.5:8554/cam/track1;seq=7;rtptime=99\r\n", ""),
        reply(5, "Session: 0A1B2C3D\r\n", ""),
        reply(6, "Session: 0A1B2C3D\r\n", ""),
    ]
}

#[test]
fn live555_style_server_options_keepalive_and_interleaved_channels() {
    let mut s = scripted(
        "rtsp://10.0.0.5:8554/cam",
        TransportRequest::Tcp,
        live555_replies(),
    );
    s.client.play(s.now);
    s.run();
    assert_eq!(
        s.request_line(2),
        "SETUP rtsp://10.0.0.5:8554/cam/track1 RTSP/1.0"
    );
    let d = s.client.described().unwrap();
    assert_eq!(d.size, Some((1280, 720)));
    assert_eq!(d.duration, Some(Duration::from_millis(12_500)));
    assert!(s.events.contains(&Event::Playing {
        seq: Some(SeqNo(7)),
        rtptime: Some(RtpTimestamp(99))
    }));
    // The first PLAY of a file asks for the start.
    assert_eq!(header(&s.requests[3], "Range"), Some("npt=0.000-"));
    // No GET_PARAMETER in Public: OPTIONS keeps alive, at timeout/2 = 10 s.
    assert_eq!(s.client.keepalive_method(), Method::Options);
    s.advance(Duration::from_secs(10));
    assert_eq!(
        s.request_line(4),
        "OPTIONS rtsp://10.0.0.5:8554/cam/ RTSP/1.0"
    );
    assert_eq!(header(&s.requests[4], "Session"), Some("0A1B2C3D"));

    // Interleaved data on the channels the server chose (2-3).
    let rtp = b"$\x02\x00\x0c\x80\x1a\x00\x07\x00\x00\x00\x63\x00\x00\x00\x01";
    assert_eq!(
        s.client.handle_input(s.now, rtp).unwrap(),
        Received::Rtp {
            consumed: 16,
            packet: &rtp[4..]
        }
    );
    // Interleaved RTCP is read by the session and handed back for a capture.
    let mut bye = vec![b'$', 3, 0, 8];
    bye.extend_from_slice(&[0x81, 203, 0, 1, 0, 0, 0, 1]);
    assert_eq!(
        s.client.handle_input(s.now, &bye).unwrap(),
        Received::Rtcp {
            consumed: 12,
            packet: &bye[4..]
        }
    );
    assert_eq!(s.client.poll_event(), Some(Event::ServerBye));
    // Another channel is skipped, not misread.
    assert_eq!(
        s.client.handle_input(s.now, b"$\x09\x00\x01x").unwrap(),
        Received::Consumed(5)
    );

    s.client.teardown(s.now);
    s.run();
    assert_eq!(
        s.request_line(5),
        "TEARDOWN rtsp://10.0.0.5:8554/cam/ RTSP/1.0"
    );
    assert_eq!(s.client.state(), State::Described);
}

#[test]
fn absolute_control_urls_and_missing_content_base_resolve() {
    let sdp = "v=0\r\no=- 1 1 IN IP4 h\r\ns=x\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\na=control:rtsp://h/a/audio\r\n\
m=video 0 RTP/AVP 96\r\na=rtpmap:96 JPEG/90000\r\na=control:rtsp://h/a/video\r\na=x-dimensions:4096,2160\r\n";
    let replies = vec![reply(1, "", ""), reply(2, "", sdp)];
    let mut s = scripted("rtsp://h/a", TransportRequest::Tcp, replies);
    s.client.describe(s.now);
    s.run();
    let d = s.client.described().unwrap();
    assert_eq!((d.payload_type, d.size), (96, Some((4096, 2160))));
    assert_eq!(s.client.state(), State::Described);
    assert_eq!(s.requests.len(), 2, "describe stops before SETUP");
    // SETUP would go to the video stream's absolute URL.
    let mut buf = [0u8; 512];
    s.replies.push_back(reply(
        3,
        "Session: 1\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n",
        "",
    ));
    s.client.play(s.now);
    let tx = s
        .client
        .poll_transmit(s.now, &mut buf, &mut ())
        .unwrap()
        .unwrap();
    assert!(buf[..tx.len].starts_with(b"SETUP rtsp://h/a/video RTSP/1.0\r\n"));

    // Relative control without Content-Base: appended to the request URL.
    let sdp = "v=0\r\ns=x\nm=video 0 RTP/AVP 26\na=control:trackID=0\n";
    let mut s = scripted(
        "rtsp://h:554/live/cam",
        TransportRequest::Tcp,
        vec![reply(1, "", ""), reply(2, "", sdp)],
    );
    s.client.play(s.now);
    s.run();
    let tx = s.client.poll_transmit(s.now, &mut buf, &mut ()).unwrap();
    assert!(
        tx.is_none(),
        "no reply for SETUP was scripted, so the request is already out"
    );
    assert_eq!(
        s.request_line(2),
        "SETUP rtsp://h:554/live/cam/trackID=0 RTSP/1.0"
    );
}

#[test]
fn error_answers_end_the_goal_with_an_event() {
    for (code, reason) in [
        (404, "Not Found"),
        (401, "Unauthorized"),
        (500, "Internal Server Error"),
    ] {
        let replies = vec![
            reply(1, "", ""),
            format!("RTSP/1.0 {code} {reason}\r\nCSeq: 2\r\n\r\n").into_bytes(),
        ];
        let mut s = scripted("rtsp://h/missing", TransportRequest::Tcp, replies);
        s.client.play(s.now);
        s.run();
        assert_eq!(
            s.events,
            [Event::Error {
                request: Request::Describe,
                status: StatusCode::from_u16(code),
                // No credentials were set, so a 401 cannot be answered.
                auth: (code == 401).then_some(AuthError::NoCredentials),
            }]
        );
        assert_eq!(s.client.state(), State::Init);
        assert!(!s.client.is_busy());
    }
    // 461 on SETUP.
    let sdp = "v=0\r\nm=video 0 RTP/AVP 26\r\na=control:stream=0\r\n";
    let replies = vec![
        reply(1, "", ""),
        reply(2, "", sdp),
        b"RTSP/1.0 461 Unsupported Transport\r\nCSeq: 3\r\n\r\n".to_vec(),
    ];
    let mut s = scripted(
        "rtsp://h/x",
        TransportRequest::Udp { rtp_port: 5000 },
        replies,
    );
    s.client.play(s.now);
    s.run();
    assert_eq!(
        s.events.last(),
        Some(&Event::Error {
            request: Request::Setup,
            status: StatusCode::UnsupportedTransport,
            auth: None,
        })
    );
    assert_eq!(s.client.state(), State::Described);
}

#[test]
fn stale_responses_and_server_requests_are_ignored() {
    let mut s = scripted("rtsp://h/x", TransportRequest::Tcp, vec![]);
    s.client.play(s.now);
    let mut buf = [0u8; 512];
    let _ = s
        .client
        .poll_transmit(s.now, &mut buf, &mut ())
        .unwrap()
        .unwrap();
    // A response with another CSeq does not answer our OPTIONS.
    let stale = b"RTSP/1.0 200 OK\r\nCSeq: 99\r\n\r\n";
    assert_eq!(
        s.client.handle_input(s.now, stale).unwrap(),
        Received::Consumed(stale.len())
    );
    assert!(s.client.is_busy());
    let announce = b"ANNOUNCE rtsp://h/x RTSP/1.0\r\nCSeq: 1\r\n\r\n";
    assert_eq!(
        s.client.handle_input(s.now, announce).unwrap(),
        Received::Consumed(announce.len())
    );
    assert_eq!(
        s.client
            .handle_input(s.now, b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n")
            .unwrap(),
        Received::Partial
    );
    // PAUSE before anything was set up is refused.
    let mut idle = ClientSession::new(Config::default(), "rtsp://h/x").unwrap();
    assert!(idle.pause(s.now).is_err());
    assert!(ClientSession::new(Config::default(), "http://h/x").is_err());
    assert!(
        ClientSession::new(Config::default(), &format!("rtsp://h/{}", "x".repeat(300))).is_err()
    );
}
