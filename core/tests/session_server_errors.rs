//! Every error status of the server session (RFC 2326 §11, DESIGN.md),
//! CSeq echoed on each, and real clients' requests answered with 200.

mod session_common;

use rtsp_core::session::server::{self, Admission, ServerSession, State};
use rtsp_core::session::{Error, MediaDestination, MediaTransport};
use rtsp_core::Instant;
use session_common::*;

fn server() -> (ServerSession, TestHost, Instant) {
    let config = server::Config {
        server_ports: Some(rtsp_core::rtsp::header::PortPair::new(6970, 6971)),
        ..server::Config::default()
    };
    (
        ServerSession::new(config, PEER),
        TestHost::default(),
        Instant::from_micros(5_000_000),
    )
}

const SETUP_TCP: &str =
    "SETUP rtsp://127.0.0.1/live/stream=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n";

/// A server with a session set up; returns its id.
fn set_up() -> (ServerSession, TestHost, Instant, String) {
    let (mut s, mut h, now) = server();
    let reply = ask(&mut s, &mut h, now, SETUP_TCP);
    assert_eq!(status(&reply), 200, "{reply}");
    let id = session_of(&reply);
    (s, h, now, id)
}

fn expect(reply: &str, code: u16, cseq: &str) {
    assert_eq!(status(reply), code, "{reply}");
    assert_eq!(header(reply, "CSeq"), Some(cseq), "CSeq echoed: {reply}");
}

#[test]
fn options_lists_get_parameter_for_keepalives() {
    let (mut s, mut h, now) = server();
    let reply = ask(&mut s, &mut h, now, "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n");
    expect(&reply, 200, "1");
    assert_eq!(
        header(&reply, "Public"),
        Some("OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER")
    );
}

#[test]
fn malformed_request_is_400_with_sniffed_cseq_and_an_error() {
    let (mut s, mut h, now) = server();
    let bytes = b"PLAY rtsp://127.0.0.1/live RTSP/9\r\nCSeq: 77\r\n\r\n";
    assert!(matches!(
        s.handle_input(now, bytes, &mut h),
        Err(Error::Rtsp(_))
    ));
    let mut buf = [0u8; 1024];
    let tx = s.poll_transmit(now, &mut buf).unwrap().unwrap();
    let reply = std::str::from_utf8(&buf[..tx.len]).unwrap();
    expect(reply, 400, "77");
    // Input while a response waits is refused until drained.
    assert!(matches!(
        s.handle_input(now, bytes, &mut h),
        Err(Error::Rtsp(_))
    ));
    assert_eq!(
        s.handle_input(now, b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n", &mut h),
        Err(Error::TransmitPending)
    );
}

#[test]
fn missing_cseq_is_400() {
    let (mut s, mut h, now) = server();
    let reply = ask(&mut s, &mut h, now, "OPTIONS * RTSP/1.0\r\n\r\n");
    assert_eq!(status(&reply), 400);
    assert_eq!(header(&reply, "CSeq"), None);
}

#[test]
fn unknown_path_is_404() {
    let (mut s, mut h, now) = server();
    expect(
        &ask(
            &mut s,
            &mut h,
            now,
            "DESCRIBE rtsp://127.0.0.1/nope RTSP/1.0\r\nCSeq: 2\r\n\r\n",
        ),
        404,
        "2",
    );
    let setup = SETUP_TCP.replace("/live/", "/nope/");
    expect(&ask(&mut s, &mut h, now, &setup), 404, "3");
    assert_eq!(s.state(), State::Init);
}

/// A path the host has but cannot send (e.g. a progressive JPEG clip) gets
/// the host's status, 415 (RFC 2326 §11.3.8), on DESCRIBE and SETUP.
#[test]
fn unsupported_media_is_the_hosts_status() {
    let (mut s, mut h, now) = server();
    let describe = "DESCRIBE rtsp://127.0.0.1/progressive.mjpeg RTSP/1.0\r\nCSeq: 2\r\n\r\n";
    expect(&ask(&mut s, &mut h, now, describe), 415, "2");
    let setup = SETUP_TCP.replace("/live/", "/progressive.mjpeg/");
    expect(&ask(&mut s, &mut h, now, &setup), 415, "3");
    assert_eq!(s.state(), State::Init);
}

#[test]
fn unsupported_methods_are_405_and_unknown_ones_501() {
    let (mut s, mut h, now) = server();
    for m in ["ANNOUNCE", "RECORD", "REDIRECT"] {
        let reply = ask(
            &mut s,
            &mut h,
            now,
            &format!("{m} rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 4\r\n\r\n"),
        );
        expect(&reply, 405, "4");
        assert!(header(&reply, "Allow").unwrap().contains("GET_PARAMETER"));
    }
    expect(
        &ask(
            &mut s,
            &mut h,
            now,
            "FLY rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 5\r\n\r\n",
        ),
        501,
        "5",
    );
}

#[test]
fn over_capacity_is_453_or_503_as_the_host_decides() {
    let (mut s, mut h, now) = server();
    h.capacity = 0;
    expect(&ask(&mut s, &mut h, now, SETUP_TCP), 453, "3");
    h.refusal = Admission::Unavailable;
    expect(&ask(&mut s, &mut h, now, SETUP_TCP), 503, "3");
    assert_eq!(s.session_id(), None);
}

#[test]
fn wrong_session_is_454() {
    let (mut s, mut h, now, id) = set_up();
    let play =
        "PLAY rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 6\r\nSession: 0000000000000BAD\r\n\r\n";
    expect(&ask(&mut s, &mut h, now, play), 454, "6");
    let teardown = "TEARDOWN rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 7\r\nSession: nope\r\n\r\n";
    expect(&ask(&mut s, &mut h, now, teardown), 454, "7");
    assert_eq!(s.state(), State::Ready, "still set up");
    let keepalive =
        format!("GET_PARAMETER rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 8\r\nSession: {id}\r\n\r\n");
    let reply = ask(&mut s, &mut h, now, &keepalive);
    expect(&reply, 200, "8");
    assert_eq!(
        header(&reply, "Session"),
        Some(format!("{id};timeout=60").as_str())
    );
}

#[test]
fn methods_out_of_state_are_455() {
    let (mut s, mut h, now) = server();
    expect(
        &ask(
            &mut s,
            &mut h,
            now,
            "PLAY rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 2\r\n\r\n",
        ),
        455,
        "2",
    );
    expect(
        &ask(
            &mut s,
            &mut h,
            now,
            "PAUSE rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 3\r\n\r\n",
        ),
        455,
        "3",
    );
    let (mut s, mut h, now, id) = set_up();
    let play = format!("PLAY rtsp://127.0.0.1/live/ RTSP/1.0\r\nCSeq: 4\r\nSession: {id}\r\n\r\n");
    expect(&ask(&mut s, &mut h, now, &play), 200, "4");
    // Changing the transport while playing is not supported.
    let setup = SETUP_TCP.replace("CSeq: 3", &format!("CSeq: 5\r\nSession: {id}"));
    expect(&ask(&mut s, &mut h, now, &setup), 455, "5");
}

#[test]
fn setup_on_the_aggregate_url_is_459_unless_allowed() {
    let (mut s, mut h, now) = server();
    let aggregate = SETUP_TCP.replace("/live/stream=0", "/live");
    expect(&ask(&mut s, &mut h, now, &aggregate), 459, "3");
    let config = server::Config {
        allow_aggregate_setup: true,
        ..server::Config::default()
    };
    let mut s = ServerSession::new(config, PEER);
    expect(&ask(&mut s, &mut h, now, &aggregate), 200, "3");
}

#[test]
fn unusable_transports_are_461() {
    let (mut s, mut h, now) = server();
    for transport in [
        "RTP/AVP;multicast;destination=224.2.0.1;ttl=16",
        "RTP/SAVP;unicast;client_port=4000-4001",
        "RTP/AVP;unicast;client_port=4000-4001;mode=RECORD",
        "RAW/RAW/UDP;unicast;client_port=4000",
        "RTP/AVP;unicast",
    ] {
        let req = format!("SETUP rtsp://127.0.0.1/live/stream=0 RTSP/1.0\r\nCSeq: 9\r\nTransport: {transport}\r\n\r\n");
        expect(&ask(&mut s, &mut h, now, &req), 461, "9");
    }
    let no_transport = "SETUP rtsp://127.0.0.1/live/stream=0 RTSP/1.0\r\nCSeq: 9\r\n\r\n";
    expect(&ask(&mut s, &mut h, now, no_transport), 461, "9");
    // A server without UDP ports offers TCP only.
    let mut tcp_only = ServerSession::new(server::Config::default(), PEER);
    let udp = "SETUP rtsp://127.0.0.1/live/stream=0 RTSP/1.0\r\nCSeq: 9\r\nTransport: RTP/AVP;unicast;client_port=4000-4001\r\n\r\n";
    expect(&ask(&mut tcp_only, &mut h, now, udp), 461, "9");
    assert_eq!(s.state(), State::Init);
}

#[test]
fn udp_to_another_host_is_403_and_to_the_peer_is_accepted() {
    let (mut s, mut h, now) = server();
    let elsewhere = "SETUP rtsp://127.0.0.1/live/stream=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP;unicast;destination=10.1.2.3;client_port=4000-4001\r\n\r\n";
    expect(&ask(&mut s, &mut h, now, elsewhere), 403, "3");
    let peer = elsewhere.replace("10.1.2.3", "127.0.0.1");
    let reply = ask(&mut s, &mut h, now, &peer);
    expect(&reply, 200, "3");
    assert!(
        matches!(s.media_transport(), Some(MediaTransport::Udp { client, .. }) if client.rtp == 4000)
    );
}

#[test]
fn first_acceptable_alternative_wins_and_tcp_channels_are_assigned() {
    let (mut s, mut h, now) = server();
    let req = "SETUP rtsp://127.0.0.1/live/stream=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP;multicast,RTP/AVP/TCP;unicast,RTP/AVP;unicast;client_port=4000-4001\r\n\r\n";
    let reply = ask(&mut s, &mut h, now, req);
    expect(&reply, 200, "3");
    let t = header(&reply, "Transport").unwrap();
    assert!(
        t.starts_with("RTP/AVP/TCP;unicast;interleaved=0-1;ssrc="),
        "{t}"
    );
    assert!(t.ends_with(";mode=\"PLAY\""));
    // The one destination type: channels, and the core's `$` framing.
    let dest = s.media_destination().unwrap();
    assert_eq!(dest, MediaDestination::Interleaved { rtp: 0, rtcp: 1 });
    let mut buf = [0xAAu8; 4 + 300];
    assert_eq!(dest.framing_len(), 4);
    assert_eq!(dest.frame_rtp(&mut buf, 300), Some(304));
    assert_eq!(&buf[..5], &[b'$', 0, 1, 44, 0xAA]);
    assert_eq!(dest.frame_rtp(&mut buf, 301), None, "buffer too short");

    let (mut s, mut h, now) = server();
    let req = "SETUP rtsp://127.0.0.1/live/stream=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP;unicast;client_port=4000-4001\r\n\r\n";
    expect(&ask(&mut s, &mut h, now, req), 200, "3");
    let dest = s.media_destination().unwrap();
    assert_eq!(
        dest,
        MediaDestination::Udp {
            rtp: (PEER, 4000).into(),
            rtcp: (PEER, 4001).into()
        },
        "UDP to the RTSP peer only"
    );
    assert_eq!(dest.framing_len(), 0);
    assert_eq!(dest.frame_rtp(&mut buf, 300), Some(300));
}

#[test]
fn require_is_551_with_unsupported() {
    let (mut s, mut h, now) = server();
    let reply = ask(
        &mut s,
        &mut h,
        now,
        "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nRequire: implicit-play\r\n\r\n",
    );
    expect(&reply, 551, "1");
    assert_eq!(header(&reply, "Unsupported"), Some("implicit-play"));
}

#[test]
fn long_url_is_414_and_parameters_451() {
    let (mut s, mut h, now) = server();
    let long = format!(
        "DESCRIBE rtsp://127.0.0.1/live?{} RTSP/1.0\r\nCSeq: 2\r\n\r\n",
        "x".repeat(200)
    );
    expect(&ask(&mut s, &mut h, now, &long), 414, "2");
    let get = "GET_PARAMETER rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 3\r\nContent-Length: 10\r\n\r\nposition\r\n";
    expect(&ask(&mut s, &mut h, now, get), 451, "3");
}

/// RFC 2326 §7.1, §11.3.14: only RTSP/1.0 is spoken. A readable request
/// of another version gets 505 and the connection stays usable; a version
/// token that is no RTSP version at all (`HTTP/1.1`) gets 505 and an
/// error, so the host closes.
#[test]
fn other_versions_are_505_with_cseq() {
    let (mut s, mut h, now) = server();
    for version in ["RTSP/2.0", "RTSP/9.9", "RTSP/1.1", "RTSP/0.9"] {
        let req = format!("OPTIONS * {version}\r\nCSeq: 4\r\n\r\n");
        expect(&ask(&mut s, &mut h, now, &req), 505, "4");
    }
    let reply = ask(&mut s, &mut h, now, "OPTIONS * RTSP/1.0\r\nCSeq: 5\r\n\r\n");
    expect(&reply, 200, "5");
    // No state change from a refused version.
    let setup = SETUP_TCP.replace("RTSP/1.0", "RTSP/2.0");
    expect(&ask(&mut s, &mut h, now, &setup), 505, "3");
    assert_eq!(s.state(), State::Init);

    let bytes = b"OPTIONS * HTTP/1.1\r\nCSeq: 6\r\n\r\n";
    assert!(matches!(
        s.handle_input(now, bytes, &mut h),
        Err(Error::Rtsp(rtsp_core::rtsp::Error::Version))
    ));
    let mut buf = [0u8; 1024];
    let tx = s.poll_transmit(now, &mut buf).unwrap().unwrap();
    expect(std::str::from_utf8(&buf[..tx.len]).unwrap(), 505, "6");
}

/// RFC 2326 §12.34: we play at scale 1 only, and say so when asked for
/// another (or the same) scale; without `Scale:` none is sent.
#[test]
fn play_with_scale_is_answered_with_scale_1() {
    let (mut s, mut h, now, id) = set_up();
    for (scale, want) in [("2.0", Some("1")), ("-1", Some("1")), ("1", Some("1"))] {
        let play = format!(
            "PLAY rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 5\r\nSession: {id}\r\nScale: {scale}\r\n\r\n"
        );
        let reply = ask(&mut s, &mut h, now, &play);
        expect(&reply, 200, "5");
        assert_eq!(header(&reply, "Scale"), want, "{reply}");
        let pause =
            format!("PAUSE rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 6\r\nSession: {id}\r\n\r\n");
        expect(&ask(&mut s, &mut h, now, &pause), 200, "6");
    }
    let play = format!("PLAY rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 7\r\nSession: {id}\r\n\r\n");
    let reply = ask(&mut s, &mut h, now, &play);
    expect(&reply, 200, "7");
    assert_eq!(header(&reply, "Scale"), None);
}

/// RFC 2326 §11.4.12: a request over the limits, or one that fills the
/// host's receive buffer without ending, is 413 with CSeq when readable,
/// and an error so the host closes; one decision for every host.
#[test]
fn oversized_requests_are_413() {
    let (mut s, mut h, now) = server();
    let big_body =
        "DESCRIBE rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 13\r\nContent-Length: 999999\r\n\r\n";
    assert!(matches!(
        s.handle_input(now, big_body.as_bytes(), &mut h),
        Err(Error::Rtsp(_))
    ));
    let mut buf = [0u8; 1024];
    let tx = s.poll_transmit(now, &mut buf).unwrap().unwrap();
    expect(std::str::from_utf8(&buf[..tx.len]).unwrap(), 413, "13");

    // A host with a 256-byte buffer, full of a request that has not ended.
    let config = server::Config {
        input_capacity: 256,
        ..server::Config::default()
    };
    let mut s = ServerSession::new(config, PEER);
    let mut partial = String::from("SETUP rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 21\r\n");
    assert_eq!(
        s.handle_input(now, partial.as_bytes(), &mut h),
        Ok(rtsp_core::session::Input::Partial)
    );
    while partial.len() < 256 {
        partial.push_str("X-Pad: aaaaaaaaaaaaaaaa\r\n");
    }
    assert!(matches!(
        s.handle_input(now, partial.as_bytes(), &mut h),
        Err(Error::Rtsp(rtsp_core::rtsp::Error::MessageTooLarge {
            limit: 256
        }))
    ));
    let tx = s.poll_transmit(now, &mut buf).unwrap().unwrap();
    expect(std::str::from_utf8(&buf[..tx.len]).unwrap(), 413, "21");
}

/// The captured requests of ffmpeg, GStreamer and VLC (live555), replayed
/// with the session id this server issued: every answer is 200.
#[test]
fn real_clients_requests_are_answered() {
    for transcript in [
        &include_bytes!("../src/rtsp/testdata/ffmpeg_udp.txt")[..],
        include_bytes!("../src/rtsp/testdata/ffmpeg_tcp.txt"),
        include_bytes!("../src/rtsp/testdata/gst.txt"),
        include_bytes!("../src/rtsp/testdata/gst_tcp.txt"),
        include_bytes!("../src/rtsp/testdata/vlc_udp.txt"),
    ] {
        let (mut s, mut h, now) = server();
        let text = std::str::from_utf8(transcript)
            .unwrap()
            .replace(":18554", "")
            .replace(":18555", "");
        let mut replies = Vec::new();
        for request in text.split_inclusive("\r\n\r\n") {
            let request = match s.session_id() {
                Some(id) => request
                    .replace("12345678", &id.to_string())
                    .replace("5C4A1B2D3E4F5061", &id.to_string()),
                None => request.to_string(),
            };
            replies.push(ask(&mut s, &mut h, now, &request));
        }
        assert!(replies.iter().all(|r| status(r) == 200), "{replies:#?}");
        assert!(replies.iter().any(|r| header(r, "RTP-Info").is_some()));
    }
}

/// The one input loop of every host: `read_input` says what to do with
/// the buffer — read more, drop a message, or answer and close.
#[test]
fn read_input_steps_for_the_hosts_loop() {
    use rtsp_core::session::server::Step;
    let (mut s, mut h, now) = server();
    let two =
        b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\nOPTIONS * RTSP/1.0\r\nCSeq: 2\r\n\r\nOPTIONS * RTSP";
    let mut buf = [0u8; 1024];
    let Step::Used(n) = s.read_input(now, two, &mut h) else {
        panic!("first message")
    };
    assert_eq!(
        s.read_input(now, &two[n..], &mut h),
        Step::Drain,
        "answer not drained yet"
    );
    assert!(s.poll_transmit(now, &mut buf).unwrap().is_some());
    let Step::Used(m) = s.read_input(now, &two[n..], &mut h) else {
        panic!("second message")
    };
    assert!(s.poll_transmit(now, &mut buf).unwrap().is_some());
    assert_eq!(s.read_input(now, &two[n + m..], &mut h), Step::NeedMore);
    assert_eq!(
        s.read_input(now, b"OPTIONS * HTTP/1.1\r\nCSeq: 3\r\n\r\n", &mut h),
        Step::Close(rtsp_core::rtsp::Error::Version)
    );
    let tx = s.poll_transmit(now, &mut buf).unwrap().unwrap();
    expect(std::str::from_utf8(&buf[..tx.len]).unwrap(), 505, "3");
}

/// RFC 2326 §10.12: interleaved RTCP from the client on the session's
/// channel is read by the session and handed to the host as an input
/// event; a frame on another channel is only consumed.
#[test]
fn interleaved_rtcp_is_an_input_event() {
    use rtsp_core::session::Input;
    let (mut s, mut h, now, _) = set_up();
    // An empty receiver report (RFC 3550 §6.4.2), SSRC 9.
    let rr = [0x80, 201, 0, 1, 0, 0, 0, 9];
    let mut framed = vec![b'$', 1, 0, 8];
    framed.extend_from_slice(&rr);
    assert_eq!(
        s.handle_input(now, &framed, &mut h),
        Ok(Input::Rtcp {
            consumed: 12,
            packet: &rr
        })
    );
    framed[1] = 5;
    assert_eq!(
        s.handle_input(now, &framed, &mut h),
        Ok(Input::Consumed(12))
    );
}
