//! Malformed-input injection (str0m's policy: a panic is a bug, never a
//! reaction to input): garbage, truncations and huge lengths fed to every
//! entry point of `rtsp` and `session`.

mod session_common;

use proptest::prelude::*;
use rtsp_core::limits::{RTSP_MAX_HEADERS, RTSP_MAX_LINE};
use rtsp_core::rtsp::{self, header, Header, Status};
use rtsp_core::session::client::{ClientSession, Config, TransportRequest};
use rtsp_core::session::server::{self, ServerSession};
use rtsp_core::session::Input;
use rtsp_core::{Duration, Instant};
use session_common::*;

const VALID: &[&[u8]] = &[
    include_bytes!("../src/rtsp/testdata/ffmpeg_udp.txt"),
    include_bytes!("../src/rtsp/testdata/gst_tcp.txt"),
    include_bytes!("../src/rtsp/testdata/vlc_udp.txt"),
    include_bytes!("../src/rtsp/testdata/gst_server_tcp.txt"),
    include_bytes!("../src/rtsp/testdata/gst_server_udp.txt"),
];

const HUGE: &[&[u8]] = &[
    b"RTSP/1.0 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n",
    b"RTSP/1.0 200 OK\r\nContent-Length: 4097\r\n\r\n",
    b"DESCRIBE rtsp://h/x RTSP/1.0\r\nCSeq: 99999999999999999999999\r\n\r\n",
    b"$\x00\xff\xff",
    b"$\x01\xff\xffshort",
    b"SETUP rtsp://h/live/stream=0 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP;client_port=99999-100000\r\n\r\n",
    b"PLAY rtsp://h/live RTSP/1.0\r\nCSeq: 1\r\nRange: npt=99999999999999999999-\r\n\r\n",
    b"PLAY rtsp://h/live RTSP/1.0\r\nCSeq: 1\r\nSession: 1;timeout=99999999999\r\n\r\n",
    b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nRTP-Info: url=x;seq=70000;rtptime=99999999999\r\n\r\n",
];

/// Everything a server session exposes, fed `bytes`; returns whether it
/// stayed usable (a later valid OPTIONS is answered).
fn hammer_server(bytes: &[u8]) {
    let mut host = TestHost::default();
    let config = server::Config {
        server_ports: Some(header::PortPair::new(6970, 6971)),
        ..server::Config::default()
    };
    let mut s = ServerSession::new(config, PEER);
    let mut now = Instant::from_micros(1);
    let mut buf = vec![0u8; rtsp_core::limits::RTSP_MAX_MESSAGE];
    let mut small = [0u8; 16];
    let mut rest = bytes;
    for _ in 0..64 {
        match s.handle_input(now, rest, &mut host) {
            Ok(Input::Consumed(n)) => rest = rest.get(n..).unwrap_or_default(),
            Ok(_) => break,
            Err(_) => break,
        }
        // A too-small buffer is an error, and the item stays queued.
        let _ = s.poll_transmit(now, &mut small);
        while let Ok(Some(_)) = s.poll_transmit(now, &mut buf) {}
        while s.poll_event().is_some() {}
        if rest.is_empty() {
            break;
        }
    }
    while let Ok(Some(_)) = s.poll_transmit(now, &mut buf) {}
    s.handle_rtcp(now, bytes);
    let _ = s.frame_header(Duration::from_micros(u64::MAX));
    s.on_rtp_sent(now, u16::MAX, usize::MAX);
    now = now + Duration::from_secs(3600);
    s.handle_timeout(now);
    while let Ok(Some(_)) = s.poll_transmit(now, &mut buf) {}
    let reply = ask(
        &mut s,
        &mut host,
        now,
        "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n",
    );
    assert_eq!(status(&reply), 200);
}

fn hammer_client(bytes: &[u8]) {
    for transport in [
        TransportRequest::Tcp,
        TransportRequest::Udp { rtp_port: 5000 },
    ] {
        let mut c = ClientSession::new(
            Config {
                transport,
                ..Config::default()
            },
            "rtsp://h/x",
        )
        .unwrap();
        let now = Instant::from_micros(1);
        let mut buf = [0u8; 2048];
        c.play(now);
        let _ = c.poll_transmit(now, &mut buf, &mut ());
        let mut rest = bytes;
        for _ in 0..64 {
            match c.handle_input(now, rest) {
                Ok(r) => match r.consumed() {
                    Some(n) => rest = rest.get(n..).unwrap_or_default(),
                    None => break,
                },
                Err(_) => break,
            }
            while let Ok(Some(_)) = c.poll_transmit(now, &mut buf, &mut ()) {}
            while c.poll_event().is_some() {}
            if rest.is_empty() {
                break;
            }
        }
        c.handle_rtcp(now, bytes);
        c.handle_timeout(now + Duration::from_secs(1_000_000));
        while let Ok(Some(_)) = c.poll_transmit(now, &mut buf, &mut ()) {}
    }
}

fn hammer_parsers(bytes: &[u8]) {
    let mut headers = [Header::EMPTY; RTSP_MAX_HEADERS];
    if let Ok(Status::Complete((msg, used))) = rtsp::parse(bytes, &mut headers) {
        assert!(used <= bytes.len());
        let mut out = vec![0u8; bytes.len() + 64];
        let _ = msg.write(&mut out);
    }
    let text = String::from_utf8_lossy(bytes);
    let _ = header::Transports::parse(&text);
    let _ = header::Range::parse(&text);
    let _ = header::RtpInfoList::parse(&text).map(|l| l.iter().count());
    let _ = header::Session::parse(&text);
    let _ = header::Challenge::parse(&text).map(|c| c.params.realm());
    let _ = header::Authorization::parse(&text).map(|a| a.digest().map(|d| d.response()));
    let _ = header::MethodSet::parse(&text);
    let _ = header::CSeq::parse(&text);
    // The RTSP-over-HTTP tunnel's entry points (core/src/tunnel).
    let _ = rtsp_core::tunnel::Cookie::parse(bytes);
    let _ = rtsp_core::tunnel::classify("GET", [("x-sessioncookie", bytes), ("Accept", bytes)]);
    let _ = rtsp_core::tunnel::read_response_head(bytes);
    let mut decoded = [0u8; 16];
    let mut decoder = rtsp_core::tunnel::Base64Decoder::new();
    let mut rest = bytes;
    while let Ok(d) = decoder.decode(rest, &mut decoded) {
        if d.consumed == 0 {
            break;
        }
        rest = &rest[d.consumed..];
    }
}

fn hammer(bytes: &[u8]) {
    hammer_parsers(bytes);
    hammer_server(bytes);
    hammer_client(bytes);
}

#[test]
fn every_truncation_of_real_transcripts() {
    for t in VALID {
        for cut in 0..=t.len() {
            hammer(&t[..cut]);
            hammer(&t[cut..]);
        }
    }
}

#[test]
fn huge_lengths_are_refused_or_wait() {
    for h in HUGE {
        hammer(h);
    }
    let mut headers = [Header::EMPTY; RTSP_MAX_HEADERS];
    assert!(rtsp::parse(HUGE[0], &mut headers).is_err());
    assert!(rtsp::parse(HUGE[1], &mut headers).is_err());
    assert_eq!(rtsp::parse(HUGE[3], &mut headers), Ok(Status::Partial));
    // A megabyte without a newline is refused after one line's worth.
    let flood = vec![b'A'; 1 << 20];
    assert_eq!(
        rtsp::parse(&flood, &mut headers),
        Err(rtsp::Error::LineTooLong {
            limit: RTSP_MAX_LINE
        })
    );
    hammer(&flood);
    let mut many = b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n".to_vec();
    for i in 0..100 {
        many.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    assert_eq!(
        rtsp::parse(&many, &mut headers),
        Err(rtsp::Error::TooManyHeaders {
            limit: RTSP_MAX_HEADERS
        })
    );
    hammer(&many);
}

#[test]
fn byte_flips_of_real_transcripts() {
    for t in VALID {
        for i in 0..t.len() {
            for flip in [
                0x00u8, 0xff, b'\n', b'$', b':', b';', b',', b'"', b'-', b'=',
            ] {
                let mut b = t.to_vec();
                b[i] = flip;
                hammer_parsers(&b);
                if i % 7 == 0 {
                    hammer_server(&b);
                    hammer_client(&b);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        hammer(&bytes);
    }

    #[test]
    fn random_rtsp_like_text(text in "([A-Z_]{1,10} [ -~]{0,30} RTSP/[0-9]\\.[0-9]\r\n)?([A-Za-z-]{1,12}:[ -~]{0,60}\r\n){0,8}(\r\n)?[ -~]{0,40}") {
        hammer(text.as_bytes());
    }
}
