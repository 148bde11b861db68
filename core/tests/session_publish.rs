//! A publishing client session (with its `Publisher`) and a server session
//! driven against each other on a virtual clock (RFC 2326 §10.3, §10.11,
//! §14.6): ANNOUNCE → SETUP(record) → RECORD → frames → TEARDOWN over TCP
//! and UDP, Digest authentication, the busy path, the RFC's own examples
//! and bad publishers.

mod session_common;

use rtsp_core::rtcp;
use rtsp_core::rtp::{Packet, RtpTimestamp, SeqNo, Ssrc};
use rtsp_core::rtsp::StatusCode;
use rtsp_core::sdp::{Framerate, SessionDescription};
use rtsp_core::session::client::{self, Described, Publisher, PublisherConfig, TransportRequest};
use rtsp_core::session::server::{self, ServerSession, State};
use rtsp_core::session::{Destination, MediaTransport};
use rtsp_core::{Duration, Instant};
use session_common::*;

const URL: &str = "rtsp://127.0.0.1:8554/cam";

fn publisher_config(frames: Option<u32>, looping: bool) -> PublisherConfig {
    PublisherConfig {
        framerate: Framerate::fps(25),
        frames,
        looping,
        ssrc: Ssrc(0xabcd_0001),
        first_seq: SeqNo(65_530),
        first_ts: RtpTimestamp(1_000),
        report_interval: Duration::from_secs(5),
        cname: "publisher@test",
        unix_time_at_zero_us: 0,
    }
}

fn publishing_pair(transport: TransportRequest) -> Pair {
    let mut p = Pair::new(transport, URL);
    p.host.publishers = true;
    p.client
        .record(p.now, Described::jpeg(320, 240, Framerate::fps(25)))
        .unwrap();
    p.pump();
    p
}

/// Sends the frames the publisher's clock hands out within `d` (3 packets
/// of 1000 bytes each) the way a host does; returns their RTP headers.
fn publish_for(p: &mut Pair, publisher: &mut Publisher, d: Duration) -> Vec<rtsp_core::rtp::Repr> {
    let end = p.now + d;
    let mut sent = Vec::new();
    let mut buf = vec![0u8; 2048];
    loop {
        while let Some(frame) = publisher.poll_frame(p.now) {
            let transport = p.client.media_transport().unwrap();
            for i in 0..3u16 {
                let mut r = frame.header;
                r.sequence = r.sequence.wrapping_add(i);
                r.marker = i == 2;
                let mut pkt = vec![0u8; 12 + 1000];
                r.emit(&mut pkt).unwrap();
                pkt[12] = frame.index as u8;
                match transport {
                    MediaTransport::Interleaved { channels } => {
                        let mut framed =
                            rtsp_core::rtsp::interleaved_header(channels.rtp, pkt.len())
                                .unwrap()
                                .to_vec();
                        framed.extend_from_slice(&pkt);
                        p.server_input(&framed);
                    }
                    MediaTransport::Udp { .. } => {
                        // The host checks the source, then tells the session.
                        assert!(p.server.publisher_source().is_some());
                        p.server.on_rtp_received(p.now);
                        p.rtp_published.push(pkt);
                    }
                }
            }
            publisher.on_rtp_sent(p.now, 3, 3000);
            sent.push(frame.header);
        }
        let transport = p.client.media_transport().unwrap();
        while let Some(tx) = publisher.poll_transmit(p.now, transport, &mut buf).unwrap() {
            let bytes = buf[..tx.len].to_vec();
            p.wire.client_rtcp.push((tx.destination, bytes.clone()));
            match tx.destination {
                Destination::Interleaved { .. } => p.server_input(&bytes),
                _ => p.server.handle_rtcp(p.now, &bytes),
            }
        }
        let next = [
            publisher.poll_timeout(),
            p.server.poll_timeout(),
            p.client.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        match next {
            Some(t) if t <= end => {
                p.now = t.max(p.now);
                p.server.handle_timeout(p.now);
                p.client.handle_timeout(p.now);
                p.pump();
            }
            _ => break,
        }
    }
    p.now = end;
    p.pump();
    sent
}

fn whole_dialogue(transport: TransportRequest) {
    let mut p = publishing_pair(transport);
    assert_eq!(methods(&p), ["OPTIONS", "ANNOUNCE", "SETUP", "RECORD"]);
    // OPTIONS lists the publisher's methods when the host takes them.
    let public = header(&p.wire.responses[0], "Public").unwrap();
    assert!(
        public.contains("ANNOUNCE") && public.contains("RECORD"),
        "{public}"
    );
    // ANNOUNCE carries the core's SDP, and its Content-Length is right.
    let announce = &p.wire.requests[1];
    assert!(announce.starts_with("ANNOUNCE rtsp://127.0.0.1:8554/cam RTSP/1.0\r\n"));
    assert_eq!(header(announce, "Content-Type"), Some("application/sdp"));
    let body = announce.split("\r\n\r\n").nth(1).unwrap();
    assert_eq!(
        header(announce, "Content-Length")
            .unwrap()
            .parse::<usize>()
            .unwrap(),
        body.len()
    );
    let sdp = SessionDescription::parse(body.as_bytes()).unwrap();
    let video = sdp.jpeg_video().expect("a JPEG stream");
    assert_eq!((video.payload_type, video.clock_rate), (26, 90_000));
    assert!(body.contains("a=control:stream=0\r\n"), "{body}");
    assert!(body.contains("a=framerate:25"), "{body}");
    // SETUP of the stream in record mode.
    let setup = &p.wire.requests[2];
    assert!(setup.starts_with("SETUP rtsp://127.0.0.1:8554/cam/stream=0 RTSP/1.0"));
    let t = header(setup, "Transport").unwrap();
    // The bare form (RFC 2326 §12.39), which ffmpeg's recorder reads.
    assert!(t.ends_with(";mode=record"), "{t}");
    let reply = header(&p.wire.responses[2], "Transport").unwrap();
    assert!(reply.ends_with(";mode=record"), "{reply}");
    assert!(
        !reply.contains("ssrc="),
        "the stream's SSRC is the publisher's: {reply}"
    );
    for r in &p.wire.responses {
        assert_eq!(status(r), 200, "{r}");
    }
    assert_eq!(p.server.state(), State::Recording);
    assert_eq!(p.client.state(), client::State::Recording);
    assert!(p
        .wire
        .server_events
        .contains(&server::Event::PublishStarted));
    assert!(p.wire.client_events.contains(&client::Event::Recording));

    // Frames paced by the frame clock: 25 in one second, each 3 packets,
    // sequence numbers continuous across the wrap, timestamps 3600 apart.
    let mut publisher = Publisher::new(publisher_config(Some(10), true));
    publisher.start(p.now);
    let sent = publish_for(&mut p, &mut publisher, Duration::from_millis(999));
    assert_eq!(sent.len(), 25);
    for w in sent.windows(2) {
        assert_eq!(w[1].sequence, w[0].sequence.wrapping_add(3));
        assert_eq!(w[1].timestamp.0.wrapping_sub(w[0].timestamp.0), 3600);
    }
    assert_eq!(p.rtp_published.len(), 75);
    let seqs: Vec<u16> = p
        .rtp_published
        .iter()
        .map(|b| Packet::new_checked(&b[..]).unwrap().sequence_number().0)
        .collect();
    assert_eq!(seqs[0], 65_530);
    for w in seqs.windows(2) {
        assert_eq!(w[1], w[0].wrapping_add(1));
    }
    // The clip of 10 frames loops: frame indices 0..9, 0..9, 0..4.
    let indices: Vec<u8> = p.rtp_published.iter().step_by(3).map(|b| b[12]).collect();
    assert_eq!(indices[..12], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);

    // Keep-alives and sender reports for a minute: the server session
    // stays alive, and the SRs count what was sent.
    publish_for(&mut p, &mut publisher, Duration::from_secs(60));
    assert_eq!(p.server.state(), State::Recording);
    assert!(p
        .wire
        .requests
        .iter()
        .any(|r| r.starts_with("GET_PARAMETER")));
    let srs: Vec<rtcp::SenderReport> = p
        .wire
        .client_rtcp
        .iter()
        .filter_map(|(_, b)| {
            let b = if b[0] == b'$' { &b[4..] } else { &b[..] };
            rtcp::Compound::new(b).find_map(|p| match p {
                Ok(rtcp::Packet::Sr(sr)) => Some(sr),
                _ => None,
            })
        })
        .collect();
    assert!(srs.len() >= 12, "{} sender reports in 61 s", srs.len());
    let last = srs.last().unwrap();
    assert_eq!(last.ssrc, Ssrc(0xabcd_0001));
    // The last report went out at 56 s (every 5 s from 1 s).
    assert!(last.packet_count >= 3 * 25 * 55, "{}", last.packet_count);

    // The server's receiver report about the stream reaches the
    // publisher's figures (RFC 3550 §6.4.2).
    let block = rtcp::ReportBlock {
        ssrc: Ssrc(0xabcd_0001),
        fraction_lost: 64,
        cumulative_lost: 3,
        highest_seq: 70_000,
        jitter: 90,
        last_sr: 0,
        delay_since_last_sr: 0,
    };
    let mut buf = vec![0u8; 512];
    let rr = p
        .server
        .publisher_report(Some(block), &mut buf)
        .unwrap()
        .expect("a report while recording");
    let bytes = &buf[..rr.len];
    let bytes = if bytes[0] == b'$' { &bytes[4..] } else { bytes };
    let seen = publisher
        .handle_rtcp(bytes)
        .expect("a block about our SSRC");
    assert_eq!(
        (seen.fraction_lost, seen.cumulative_lost, seen.jitter),
        (64, 3, 90)
    );

    // TEARDOWN: BYE from the publisher, the server reports the end.
    publisher.stop();
    let transport = p.client.media_transport().unwrap();
    let mut buf = vec![0u8; 512];
    let bye = publisher
        .poll_transmit(p.now, transport, &mut buf)
        .unwrap()
        .unwrap();
    let bytes = &buf[..bye.len];
    let bytes = if bytes[0] == b'$' { &bytes[4..] } else { bytes };
    assert!(rtcp::Compound::new(bytes).any(|p| matches!(p, Ok(rtcp::Packet::Bye(_)))));
    p.client.teardown(p.now);
    p.pump();
    assert_eq!(methods(&p).last(), Some(&"TEARDOWN"));
    assert!(p
        .wire
        .server_events
        .contains(&server::Event::PublishStopped));
    assert!(p.wire.server_events.contains(&server::Event::TornDown));
    assert!(p.host.claimed.is_empty());
    assert!(!p.server.is_publisher());
    assert_eq!(p.client.state(), client::State::Init);
    // The server sent the publisher no RTCP of its own (no stream to it).
    assert!(p.wire.server_rtcp.is_empty(), "{:?}", p.wire.server_rtcp);
}

#[test]
fn publishes_over_tcp() {
    whole_dialogue(TransportRequest::Tcp);
}

#[test]
fn publishes_over_udp() {
    whole_dialogue(TransportRequest::Udp { rtp_port: 5000 });
}

#[test]
fn publisher_source_is_the_client_port_pair() {
    let p = publishing_pair(TransportRequest::Udp { rtp_port: 5000 });
    match p.server.publisher_source() {
        Some(rtsp_core::session::MediaDestination::Udp { rtp, rtcp }) => {
            assert_eq!((rtp.ip(), rtp.port()), (PEER, 5000));
            assert_eq!(rtcp.port(), 5001);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_silent_publisher_expires_and_frees_the_path() {
    let mut p = publishing_pair(TransportRequest::Tcp);
    assert_eq!(p.host.claimed, ["cam"]);
    // The client stops its keep-alives (a publisher that vanished).
    p.client = idle_client();
    let before = p.now;
    p.advance(Duration::from_secs(61));
    assert!(p.now - before >= Duration::from_secs(60));
    assert!(p.wire.server_events.contains(&server::Event::Expired));
    assert!(p
        .wire
        .server_events
        .contains(&server::Event::PublishStopped));
    assert!(p.host.claimed.is_empty());
}

/// A real client session with no goal: it sends nothing.
fn idle_client() -> client::ClientSession {
    client::ClientSession::new(client::Config::default(), URL).unwrap()
}

/// A pair whose server wants user `cam`, password `secret` (Digest).
fn guarded_pair() -> Pair {
    let mut p = Pair::new(TransportRequest::Tcp, URL);
    p.host.publishers = true;
    p.host.auth = Some((
        "cam".into(),
        "secret".into(),
        false,
        server::Nonce::generate(|| 0x0123_4567),
    ));
    p
}

#[test]
fn digest_authentication_guards_publishing() {
    let mut p = guarded_pair();
    p.client
        .record(p.now, Described::jpeg(320, 240, Framerate::fps(25)))
        .unwrap();
    p.pump();
    // Without credentials the ANNOUNCE is refused and nothing is claimed.
    assert_eq!(methods(&p), ["OPTIONS", "ANNOUNCE"]);
    assert_eq!(status(&p.wire.responses[1]), 401);
    assert!(p.host.claimed.is_empty());
    assert!(p.wire.client_events.iter().any(|e| matches!(
        e,
        client::Event::Error {
            request: client::Request::Announce,
            status: StatusCode::Unauthorized,
            ..
        }
    )));

    let mut p = guarded_pair();
    let mut c = client::AuthClientSession::with_auth(client::Config::default(), URL).unwrap();
    c.set_credentials("cam", "secret").unwrap();
    let mut server = ServerSession::new(server::Config::default(), PEER);
    let mut requests = Vec::new();
    let mut buf = vec![0u8; 4096];
    c.record(p.now, Described::jpeg(320, 240, Framerate::fps(25)))
        .unwrap();
    for _ in 0..10 {
        let Some(tx) = c.poll_transmit(p.now, &mut buf, &mut ()).unwrap() else {
            break;
        };
        let req = String::from_utf8(buf[..tx.len].to_vec()).unwrap();
        let reply = ask(&mut server, &mut p.host, p.now, &req);
        requests.push((req, status(&reply)));
        assert!(matches!(
            c.handle_input(p.now, reply.as_bytes()).unwrap(),
            client::Received::Consumed(_)
        ));
    }
    let line = |r: &(String, u16)| (r.0.split(' ').next().unwrap().to_string(), r.1);
    let seen: Vec<_> = requests.iter().map(line).collect();
    assert_eq!(
        seen,
        [
            ("OPTIONS".to_string(), 200),
            ("ANNOUNCE".to_string(), 401),
            ("ANNOUNCE".to_string(), 200),
            ("SETUP".to_string(), 200),
            ("RECORD".to_string(), 200),
        ]
    );
    assert!(header(&requests[2].0, "Authorization")
        .unwrap()
        .starts_with("Digest "));
    assert_eq!(server.state(), State::Recording);
    assert_eq!(c.state(), client::State::Recording);
}

#[test]
fn a_second_publisher_on_a_busy_path_gets_455_and_the_first_carries_on() {
    let mut first = publishing_pair(TransportRequest::Tcp);
    assert_eq!(first.server.state(), State::Recording);
    // The second connection shares the host (the claim).
    let mut second = Pair::new(TransportRequest::Tcp, URL);
    std::mem::swap(&mut second.host, &mut first.host);
    second
        .client
        .record(second.now, Described::jpeg(320, 240, Framerate::fps(25)))
        .unwrap();
    second.pump();
    assert_eq!(methods(&second), ["OPTIONS", "ANNOUNCE"]);
    assert_eq!(status(&second.wire.responses[1]), 455);
    assert!(second.wire.client_events.iter().any(|e| matches!(
        e,
        client::Event::Error {
            request: client::Request::Announce,
            status: StatusCode::MethodNotValidInThisState,
            ..
        }
    )));
    assert_eq!(second.host.claimed, ["cam"]);
    std::mem::swap(&mut second.host, &mut first.host);
    // The first publisher is untouched and keeps sending.
    let mut publisher = Publisher::new(publisher_config(None, false));
    publisher.start(first.now);
    let sent = publish_for(&mut first, &mut publisher, Duration::from_millis(399));
    assert_eq!(sent.len(), 10);
    assert_eq!(first.server.state(), State::Recording);
    // Another path is free; a path the host refuses is 403.
    let mut other = Pair::new(TransportRequest::Tcp, "rtsp://127.0.0.1:8554/pub/b");
    other.host.publishers = true;
    other.host.claimed = first.host.claimed.clone();
    other
        .client
        .record(other.now, Described::jpeg(64, 64, Framerate::fps(5)))
        .unwrap();
    other.pump();
    assert_eq!(other.server.state(), State::Recording);
    let mut refused = Pair::new(TransportRequest::Tcp, "rtsp://127.0.0.1:8554/live");
    refused.host.publishers = true;
    refused
        .client
        .record(refused.now, Described::jpeg(64, 64, Framerate::fps(5)))
        .unwrap();
    refused.pump();
    assert_eq!(status(&refused.wire.responses[1]), 403);
}

#[test]
fn an_endless_source_never_finishes_and_a_clip_without_looping_does() {
    let mut p = publishing_pair(TransportRequest::Tcp);
    let mut clip = Publisher::new(publisher_config(Some(5), false));
    clip.start(p.now);
    let sent = publish_for(&mut p, &mut clip, Duration::from_secs(1));
    assert_eq!(sent.len(), 5);
    assert!(clip.is_finished());
    let mut endless = Publisher::new(publisher_config(None, false));
    endless.start(p.now);
    let sent = publish_for(&mut p, &mut endless, Duration::from_millis(1999));
    assert_eq!(sent.len(), 50);
    assert!(!endless.is_finished());
}

fn publishing_host() -> TestHost {
    TestHost {
        publishers: true,
        ..TestHost::default()
    }
}

fn udp_server() -> ServerSession {
    ServerSession::new(
        server::Config {
            server_ports: Some(rtsp_core::rtsp::header::PortPair::new(6970, 6971)),
            ..server::Config::default()
        },
        PEER,
    )
}

fn announce(path: &str, content_type: Option<&str>, body: &str) -> String {
    let mut r = format!("ANNOUNCE rtsp://h/{path} RTSP/1.0\r\nCSeq: 2\r\n");
    if let Some(t) = content_type {
        r += &format!("Content-Type: {t}\r\n");
    }
    r += &format!("Content-Length: {}\r\n\r\n{body}", body.len());
    r
}

const JPEG_SDP: &str = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 26\r\na=control:streamid=0\r\n";

/// RFC 2326 §14.6 (Recording), as printed there (its Content-Length of 121
/// does not match its body; ours does).
const RFC_14_6_SDP: &str = "v=0\r\n\
o=camera1 3080117314 3080118787 IN IP4 195.27.192.36\r\n\
s=IETF Meeting, Munich - 1\r\n\
i=The thirty-ninth IETF meeting will be held in Munich, Germany\r\n\
u=http://www.ietf.org/meetings/Munich.html\r\n\
e=IETF Channel 1 <ietf39-mbone@uni-koeln.de>\r\n\
p=IETF Channel 1 +49-172-2312 451\r\n\
c=IN IP4 224.0.1.11/127\r\n\
t=3080271600 3080703600\r\n\
a=tool:sdr v2.4a6\r\n\
a=type:test\r\n\
m=audio 21010 RTP/AVP 5\r\n\
c=IN IP4 224.0.1.11/127\r\n\
a=ptime:40\r\n\
m=video 61010 RTP/AVP 31\r\n\
c=IN IP4 224.0.1.12/127\r\n";

#[test]
fn rfc_2326_recording_examples_are_read() {
    // §14.6: the ANNOUNCE parses, its SDP has the audio and the H.261
    // video; we record JPEG only, so it is 415.
    let req =
        announce("meeting", Some("application/sdp"), RFC_14_6_SDP).replace("CSeq: 2", "CSeq: 90");
    let mut headers = [rtsp_core::rtsp::Header::EMPTY; 16];
    let Ok(rtsp_core::rtsp::Status::Complete((rtsp_core::rtsp::Message::Request(r), used))) =
        rtsp_core::rtsp::parse(req.as_bytes(), &mut headers)
    else {
        panic!("the §14.6 ANNOUNCE does not parse");
    };
    assert_eq!(used, req.len());
    assert_eq!(r.method, rtsp_core::rtsp::Method::Announce);
    let sdp = SessionDescription::parse(r.body).unwrap();
    let kinds: Vec<&str> = sdp.media().map(|m| m.kind).collect();
    assert_eq!(kinds, ["audio", "video"]);
    let mut host = publishing_host();
    let mut s = udp_server();
    let now = Instant::from_micros(1);
    let reply = ask(&mut s, &mut host, now, &req);
    assert_eq!(status(&reply), 415, "{reply}");
    assert_eq!(header(&reply, "CSeq"), Some("90"));
    assert!(host.claimed.is_empty());

    // The same meeting sent as JPEG is taken; the example's multicast
    // record SETUP is 461 (we record unicast), its RECORD (§10.11, with
    // another session id) 454.
    let jpeg = RFC_14_6_SDP.replace("RTP/AVP 31", "RTP/AVP 26");
    let reply = ask(
        &mut s,
        &mut host,
        now,
        &announce("pub/meeting", Some("application/sdp"), &jpeg),
    );
    assert_eq!(status(&reply), 200, "{reply}");
    assert_eq!(host.claimed, ["pub/meeting"]);
    let setup = "SETUP rtsp://h/pub/meeting/audiotrack RTSP/1.0\r\nCSeq: 91\r\n\
                 Transport: RTP/AVP;multicast;destination=224.0.1.11;port=21010-21011;mode=record;ttl=127\r\n\r\n";
    assert_eq!(status(&ask(&mut s, &mut host, now, setup)), 461);
    let record = "RECORD rtsp://h/pub/meeting/audio.en RTSP/1.0\r\nCSeq: 954\r\n\
                  Session: 12345678\r\nConference: 128.16.64.19/32492374\r\n\r\n";
    let reply = ask(&mut s, &mut host, now, record);
    assert_eq!(status(&reply), 454, "{reply}");
    assert_eq!(header(&reply, "CSeq"), Some("954"));
    // Unicast record SETUP, then the §10.11 RECORD on our session: 200.
    let setup = "SETUP rtsp://h/pub/meeting/videotrack RTSP/1.0\r\nCSeq: 92\r\n\
                 Transport: RTP/AVP;unicast;client_port=5000-5001;mode=record\r\n\r\n";
    let reply = ask(&mut s, &mut host, now, setup);
    assert_eq!(status(&reply), 200, "{reply}");
    let id = session_of(&reply);
    let record = record.replace("12345678", &id);
    assert_eq!(status(&ask(&mut s, &mut host, now, &record)), 200);
    assert_eq!(s.state(), State::Recording);
}

#[test]
fn bad_publishers_get_the_right_4xx() {
    let now = Instant::from_micros(1);
    let cases: [(&str, String, u16); 6] = [
        ("no SDP", announce("cam", Some("application/sdp"), ""), 400),
        (
            "not SDP",
            announce("cam", Some("text/plain"), JPEG_SDP),
            415,
        ),
        ("no Content-Type", announce("cam", None, JPEG_SDP), 415),
        (
            "not JPEG",
            announce(
                "cam",
                Some("application/sdp"),
                &JPEG_SDP.replace(" 26\r\n", " 96\r\na=rtpmap:96 H264/90000\r\n"),
            ),
            415,
        ),
        (
            "JPEG at another clock",
            announce(
                "cam",
                Some("application/sdp"),
                &JPEG_SDP.replace(" 26\r\n", " 96\r\na=rtpmap:96 JPEG/8000\r\n"),
            ),
            415,
        ),
        (
            "garbage SDP",
            announce("cam", Some("application/sdp"), "hello"),
            400,
        ),
    ];
    for (what, req, want) in cases {
        let mut host = publishing_host();
        let mut s = udp_server();
        let reply = ask(&mut s, &mut host, now, &req);
        assert_eq!(status(&reply), want, "{what}: {reply}");
        assert!(host.claimed.is_empty(), "{what}");
    }

    // A huge SDP: 413 and the connection closes (the session says so).
    let mut host = publishing_host();
    let mut s = udp_server();
    let huge = announce("cam", Some("application/sdp"), &"a=x\r\n".repeat(2000));
    let step = s.read_input(now, huge.as_bytes(), &mut host);
    assert!(matches!(step, server::Step::Close(_)), "{step:?}");
    let mut buf = vec![0u8; 2048];
    let tx = s.poll_transmit(now, &mut buf).unwrap().unwrap();
    assert_eq!(status(std::str::from_utf8(&buf[..tx.len]).unwrap()), 413);

    // A Content-Length shorter than the SDP: the rest is not a request.
    let mut host = publishing_host();
    let mut s = udp_server();
    let short = announce("cam", Some("application/sdp"), JPEG_SDP).replace(
        &format!("Content-Length: {}", JPEG_SDP.len()),
        "Content-Length: 30",
    );
    let replies = exchange(&mut s, &mut host, now, short.as_bytes());
    assert!(replies.iter().any(|r| status(r) == 400), "{replies:?}");

    // RECORD before SETUP, SETUP record without ANNOUNCE: 455.
    let mut host = publishing_host();
    let mut s = udp_server();
    let record = "RECORD rtsp://h/cam RTSP/1.0\r\nCSeq: 3\r\n\r\n";
    assert_eq!(status(&ask(&mut s, &mut host, now, record)), 455);
    let setup = "SETUP rtsp://h/cam/stream=0 RTSP/1.0\r\nCSeq: 4\r\n\
                 Transport: RTP/AVP;unicast;client_port=5000-5001;mode=record\r\n\r\n";
    assert_eq!(status(&ask(&mut s, &mut host, now, setup)), 455);
    // After ANNOUNCE, RECORD before SETUP is still 455, and PLAY-mode
    // SETUP on a publisher's connection too; SETUP elsewhere is 404.
    let ok = ask(
        &mut s,
        &mut host,
        now,
        &announce("cam", Some("application/sdp"), JPEG_SDP),
    );
    assert_eq!(status(&ok), 200);
    assert_eq!(status(&ask(&mut s, &mut host, now, record)), 455);
    let play_setup = "SETUP rtsp://h/cam/stream=0 RTSP/1.0\r\nCSeq: 5\r\n\
                      Transport: RTP/AVP;unicast;client_port=5000-5001\r\n\r\n";
    assert_eq!(status(&ask(&mut s, &mut host, now, play_setup)), 455);
    let elsewhere = setup.replace("/cam/", "/live/");
    assert_eq!(status(&ask(&mut s, &mut host, now, &elsewhere)), 404);
    assert_eq!(status(&ask(&mut s, &mut host, now, setup)), 200);
    // TEARDOWN without a Session frees the path too... with one, surely.
    let play = "PLAY rtsp://h/cam RTSP/1.0\r\nCSeq: 7\r\n\r\n";
    assert_eq!(status(&ask(&mut s, &mut host, now, play)), 455);

    // A host that takes no publishers: 405 as before, 461 for mode=record.
    let mut host = TestHost::default();
    let mut s = udp_server();
    let reply = ask(
        &mut s,
        &mut host,
        now,
        &announce("cam", Some("application/sdp"), JPEG_SDP),
    );
    assert_eq!(status(&reply), 405);
    assert!(!header(&reply, "Allow").unwrap().contains("ANNOUNCE"));
    assert_eq!(status(&ask(&mut s, &mut host, now, setup)), 461);
    assert_eq!(status(&ask(&mut s, &mut host, now, record)), 405);
}

#[test]
fn publisher_entry_points_take_garbage() {
    // A panic is a bug, never a reaction to input (session module docs).
    let mut p = publishing_pair(TransportRequest::Tcp);
    let mut publisher = Publisher::new(publisher_config(Some(3), true));
    publisher.start(p.now);
    let mut x: u32 = 0x9e37_79b9;
    let mut buf = vec![0u8; 512];
    for len in 0..400usize {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        assert_eq!(publisher.handle_rtcp(&bytes), None);
        p.server.handle_rtcp(p.now, &bytes);
        p.server.on_rtp_received(p.now);
        // Garbage on the publisher's RTP channel is still its RTP (the
        // depacketizer judges it), never a crash.
        let mut framed = vec![b'$', 0, (len >> 8) as u8, len as u8];
        framed.extend_from_slice(&bytes);
        p.server_input(&framed);
        let _ = p.server.publisher_report(None, &mut buf).unwrap();
    }
    assert_eq!(p.rtp_published.len(), 400);
    assert_eq!(p.server.state(), State::Recording);
}
