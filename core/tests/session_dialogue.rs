//! A server session and a client session driven against each other on a
//! virtual clock (RFC 2326 §A, RFC 3550 §6), no sockets: the whole
//! SETUP→PLAY→PAUSE→PLAY→TEARDOWN dialogue over TCP and UDP, RTP-Info
//! against the first packet after each PLAY, sequence and timestamp
//! continuity across PAUSE, keep-alives, RTCP and expiry.

mod session_common;

use rtsp_core::rtcp;
use rtsp_core::rtp::Ssrc;
use rtsp_core::session::client::{self, ClientSession, TransportRequest};
use rtsp_core::session::server::{self, ServerSession, State};
use rtsp_core::session::{Destination, MediaTransport};
use rtsp_core::Duration;
use session_common::*;

#[test]
fn session_types_fit_512_bytes() {
    let s = std::mem::size_of::<ServerSession>();
    let c = std::mem::size_of::<ClientSession>();
    println!("size_of ServerSession = {s}, ClientSession = {c}");
    assert!(s <= 512, "ServerSession is {s} bytes");
    assert!(c <= 512, "ClientSession is {c} bytes");
}

fn playing_event(
    p: &Pair,
) -> (
    Option<rtsp_core::rtp::SeqNo>,
    Option<rtsp_core::rtp::RtpTimestamp>,
) {
    match p
        .wire
        .client_events
        .iter()
        .rev()
        .find(|e| matches!(e, client::Event::Playing { .. }))
    {
        Some(client::Event::Playing { seq, rtptime }) => (*seq, *rtptime),
        _ => panic!("no Playing event: {:?}", p.wire.client_events),
    }
}

/// Plays 1 s of 25 fps video (3 packets a frame) from media time `from`;
/// returns the RTP headers of the frames' first packets.
fn play_second(p: &mut Pair, from: Duration) -> Vec<rtsp_core::rtp::Repr> {
    let mut firsts = Vec::new();
    for i in 0..25u64 {
        let media = from + Duration::from_millis(i * 40);
        firsts.push(p.send_frame(media, 3, 3000).expect("playing"));
        p.advance(Duration::from_millis(40));
    }
    firsts
}

fn full_dialogue(transport: TransportRequest) -> Pair {
    let mut p = Pair::new(transport, "rtsp://127.0.0.1:8554/live");
    p.client.play(p.now);
    p.pump();
    assert_eq!(methods(&p), ["OPTIONS", "DESCRIBE", "SETUP", "PLAY"]);
    assert!(
        p.wire.responses.iter().all(|r| status(r) == 200),
        "{:#?}",
        p.wire.responses
    );
    assert_eq!(
        (p.server.state(), p.client.state()),
        (State::Playing, client::State::Playing)
    );
    assert_eq!(p.client.described().unwrap().payload_type, 26);
    assert_eq!(p.client.server_ssrc(), Some(p.server.sender().ssrc()));

    // RTP-Info equals the first packet after PLAY.
    let (seq, rtptime) = playing_event(&p);
    let first = play_second(&mut p, Duration::from_secs(100));
    assert_eq!(
        (Some(first[0].sequence), Some(first[0].timestamp)),
        (seq, rtptime)
    );
    // 90 kHz clock: 40 ms = 3600 ticks; 3 packets a frame.
    for w in first.windows(2) {
        assert_eq!(w[1].timestamp.0.wrapping_sub(w[0].timestamp.0), 3600);
        assert_eq!(w[1].sequence.0.wrapping_sub(w[0].sequence.0), 3);
    }
    let last = *first.last().unwrap();

    // PAUSE for 2 s, then PLAY again.
    p.client.pause(p.now).unwrap();
    p.pump();
    assert_eq!(
        (p.server.state(), p.client.state()),
        (State::Ready, client::State::Ready)
    );
    assert_eq!(
        p.server.frame_header(Duration::from_secs(101)),
        None,
        "no frames while paused"
    );
    let paused_at = p.now;
    p.advance(Duration::from_secs(2));
    p.client.play(p.now);
    p.pump();
    assert_eq!(p.server.state(), State::Playing);
    let (seq, rtptime) = playing_event(&p);
    let resumed = play_second(&mut p, Duration::from_secs(101));
    assert_eq!(
        (Some(resumed[0].sequence), Some(resumed[0].timestamp)),
        (seq, rtptime)
    );
    // Sequence numbers continue; the timestamp moves on by the time since
    // the last frame (paused time included).
    assert_eq!(resumed[0].sequence, last.sequence.wrapping_add(3));
    let gap = (p.now - paused_at).as_micros(); // upper bound
    let moved = resumed[0].timestamp.0.wrapping_sub(last.timestamp.0) as u64;
    assert!(
        moved >= 2 * 90_000 && moved <= gap * 9 / 100 + 3600,
        "moved {moved} ticks"
    );
    assert_eq!(resumed[0].ssrc, last.ssrc);

    // TEARDOWN: BYE goes out, the session ends on both sides.
    p.client.teardown(p.now);
    p.pump();
    assert_eq!(methods(&p).last(), Some(&"TEARDOWN"));
    assert_eq!(p.server.state(), State::Init);
    assert_eq!(p.server.session_id(), None);
    assert!(p.wire.client_events.contains(&client::Event::TornDown));
    assert!(p.wire.server_events.contains(&server::Event::TornDown));
    assert_eq!(p.host.sessions, 0, "capacity released");
    let (_, last_rtcp) = p.wire.server_rtcp.last().unwrap();
    let body = if last_rtcp[0] == b'$' {
        &last_rtcp[4..]
    } else {
        &last_rtcp[..]
    };
    let kinds: Vec<_> = rtcp::Compound::new(body)
        .map(|p| p.unwrap().packet_type())
        .collect();
    assert_eq!(
        kinds,
        [
            rtcp::PacketType::SenderReport,
            rtcp::PacketType::Sdes,
            rtcp::PacketType::Bye
        ]
    );
    assert_eq!(p.server.frame_header(Duration::from_secs(200)), None);
    p
}

#[test]
fn tcp_dialogue_setup_play_pause_play_teardown() {
    let p = full_dialogue(TransportRequest::Tcp);
    // 2 × 25 frames × 3 packets arrived interleaved on channel 0.
    assert_eq!(p.rtp_received.len(), 150);
    let setup_reply = &p.wire.responses[2];
    let transport = header(setup_reply, "Transport").unwrap();
    assert!(
        transport.starts_with("RTP/AVP/TCP;unicast;interleaved=0-1;ssrc="),
        "{transport}"
    );
    assert!(p
        .wire
        .server_rtcp
        .iter()
        .all(|(d, _)| *d == Destination::Interleaved { channel: 1 }));
    assert!(p
        .wire
        .client_rtcp
        .iter()
        .all(|(d, _)| *d == Destination::Interleaved { channel: 1 }));
}

#[test]
fn udp_dialogue_setup_play_pause_play_teardown() {
    let p = full_dialogue(TransportRequest::Udp { rtp_port: 50000 });
    let setup = &p.wire.requests[2];
    assert_eq!(
        header(setup, "Transport"),
        Some("RTP/AVP;unicast;client_port=50000-50001")
    );
    let transport = header(&p.wire.responses[2], "Transport").unwrap();
    assert!(transport
        .starts_with("RTP/AVP;unicast;client_port=50000-50001;server_port=6970-6971;ssrc="));
    assert!(matches!(
        p.wire
            .client_events
            .iter()
            .find(|e| matches!(e, client::Event::SetUp { .. })),
        Some(client::Event::SetUp {
            transport: MediaTransport::Udp { .. },
            timeout_secs: 60
        })
    ));
    // Server RTCP goes to the client's RTCP port, client RTCP to the server's.
    assert!(p
        .wire
        .server_rtcp
        .iter()
        .all(|(d, _)| *d == Destination::Rtcp { port: 50001 }));
    assert!(p
        .wire
        .client_rtcp
        .iter()
        .all(|(d, _)| *d == Destination::Rtcp { port: 6971 }));
}

#[test]
fn sender_reports_every_five_seconds_map_ntp_to_rtp() {
    let mut p = Pair::with(
        TransportRequest::Udp { rtp_port: 40000 },
        "rtsp://127.0.0.1/live",
        server::Config {
            server_ports: Some(rtsp_core::rtsp::header::PortPair::new(6970, 6971)),
            unix_time_at_zero_us: 1_700_000_000_000_000,
            cname: "cam@test",
            ..server::Config::default()
        },
    );
    p.client.play(p.now);
    p.pump();
    for i in 0..11 {
        play_second(&mut p, Duration::from_secs(i));
    }
    // The client's receiver reports went to the server's RTCP port.
    assert_eq!(p.wire.client_rtcp.len(), 2);
    assert!(p
        .wire
        .client_rtcp
        .iter()
        .all(|(d, _)| *d == Destination::Rtcp { port: 6971 }));
    let srs: Vec<_> = p
        .wire
        .server_rtcp
        .iter()
        .map(|(_, b)| {
            let mut c = rtcp::Compound::new(b);
            let Some(Ok(rtcp::Packet::Sr(sr))) = c.next() else {
                panic!()
            };
            let Some(Ok(rtcp::Packet::Sdes(sdes))) = c.next() else {
                panic!()
            };
            assert_eq!(sdes.first_cname().unwrap().1, b"cam@test");
            (
                sr.ntp_timestamp,
                sr.rtp_timestamp,
                sr.packet_count,
                sr.octet_count,
            )
        })
        .collect();
    // First SR 1 s after PLAY, then every 5 s: 1, 6, 11 s.
    assert_eq!(srs.len(), 3, "{srs:?}");
    for w in srs.windows(2) {
        let dt_us = w[1].0.to_unix_micros().unwrap() - w[0].0.to_unix_micros().unwrap();
        assert!((4_999_000..=5_001_000).contains(&dt_us), "{dt_us}");
        // The RTP clock advances 90 kHz of wall time between reports.
        assert_eq!(w[1].1 .0.wrapping_sub(w[0].1 .0), 450_000);
        // 5 s of 25 fps with 3 packets of 1000 bytes each.
        assert_eq!(w[1].2 - w[0].2, 375);
        assert_eq!(w[1].3 - w[0].3, 375_000);
    }
    // NTP time is the host's Unix time (2023-11-14).
    assert!(srs[0].0.to_unix_micros().unwrap() / 1_000_000 >= 1_700_000_000);
}

/// Report blocks as a host's reception statistics would give them.
struct FixedReception;

impl client::Reception for FixedReception {
    fn report_block(&mut self, ssrc: Ssrc) -> Option<rtcp::ReportBlock> {
        Some(rtcp::ReportBlock {
            ssrc,
            fraction_lost: 25,
            cumulative_lost: 7,
            highest_seq: 70_000,
            jitter: 90,
            ..Default::default()
        })
    }
}

#[test]
fn receiver_reports_reach_the_server_with_loss_jitter_and_round_trip() {
    let mut p = Pair::new(
        TransportRequest::Udp { rtp_port: 40000 },
        "rtsp://127.0.0.1/live",
    );
    p.client.play(p.now);
    p.pump();
    p.advance(Duration::from_millis(1_500)); // the first SR (at 1 s) reaches the client
    p.advance(Duration::from_secs(4)); // the client's RR is due 5 s after PLAY
    let mut buf = [0u8; 512];
    // Drive the client's RR by hand with real report blocks.
    p.now = p.now + Duration::from_secs(5);
    p.client.handle_timeout(p.now);
    let mut rr = None;
    while let Some(tx) = p
        .client
        .poll_transmit(p.now, &mut buf, &mut FixedReception)
        .unwrap()
    {
        if tx.destination == (Destination::Rtcp { port: 6971 }) {
            rr = Some(buf[..tx.len].to_vec());
        }
    }
    let rr = rr.expect("an RR was due");
    let Some(Ok(rtcp::Packet::Rr(report))) = rtcp::Compound::new(&rr).next() else {
        panic!()
    };
    let block = report.reports.get(0).unwrap();
    assert_eq!(block.ssrc, p.server.sender().ssrc());
    assert_ne!(block.last_sr, 0, "LSR echoes the server's SR");
    p.now = p.now + Duration::from_millis(20);
    p.server.handle_rtcp(p.now, &rr);
    let ev = p.server.poll_event().unwrap();
    let server::Event::ReceiverReport {
        fraction_lost,
        cumulative_lost,
        highest_seq,
        jitter,
        round_trip_us,
    } = ev
    else {
        panic!("{ev:?}")
    };
    assert_eq!(
        (fraction_lost, cumulative_lost, highest_seq, jitter),
        (25, 7, 70_000, 90)
    );
    // The virtual network has no delay: the round trip is the 20 ms we waited.
    let rtt = round_trip_us.unwrap();
    assert!((19_000..=21_000).contains(&rtt), "{rtt}");
}

#[test]
fn keepalives_at_half_timeout_keep_a_paused_session_alive() {
    let mut p = Pair::new(TransportRequest::Tcp, "rtsp://127.0.0.1/live");
    p.client.play(p.now);
    p.pump();
    p.client.pause(p.now).unwrap();
    p.pump();
    let before = p.wire.requests.len();
    // 3 minutes paused: no RTCP flows, only keep-alives.
    p.advance(Duration::from_secs(180));
    let keepalives: Vec<_> = p.wire.requests[before..]
        .iter()
        .map(|r| r.split(' ').next().unwrap())
        .collect();
    // Public lists GET_PARAMETER, so that is the keep-alive; one per 30 s.
    assert_eq!(keepalives, ["GET_PARAMETER"; 6]);
    assert!(p.wire.requests[before].contains("Session: "));
    assert_eq!(p.server.state(), State::Ready);
    assert!(!p.wire.server_events.contains(&server::Event::Expired));
    assert_eq!(
        p.client.keepalive_method(),
        rtsp_core::rtsp::Method::GetParameter
    );
}

#[test]
fn rtcp_receiver_reports_alone_keep_a_playing_session_alive() {
    let mut p = Pair::new(
        TransportRequest::Udp { rtp_port: 40000 },
        "rtsp://127.0.0.1/live",
    );
    p.client.play(p.now);
    p.pump();
    // Drive only the server and feed it the client's RRs: no RTSP requests.
    let mut buf = [0u8; 512];
    for _ in 0..30 {
        p.now = p.now + Duration::from_secs(5);
        p.server.handle_timeout(p.now);
        while p.server.poll_transmit(p.now, &mut buf).unwrap().is_some() {}
        p.client.handle_timeout(p.now);
        while let Some(tx) = p.client.poll_transmit(p.now, &mut buf, &mut ()).unwrap() {
            if matches!(tx.destination, Destination::Rtcp { .. }) {
                p.server.handle_rtcp(p.now, &buf[..tx.len]);
            }
        }
    }
    assert_eq!(p.server.state(), State::Playing, "150 s of RRs only");
    while let Some(ev) = p.server.poll_event() {
        assert_ne!(ev, server::Event::Expired);
    }
}

#[test]
fn silent_client_expires_after_the_timeout() {
    let mut p = Pair::with(
        TransportRequest::Tcp,
        "rtsp://127.0.0.1/live",
        server::Config {
            timeout_secs: 20,
            ..server::Config::default()
        },
    );
    p.client.play(p.now);
    p.pump();
    let setup_reply = &p.wire.responses[2];
    assert!(header(setup_reply, "Session")
        .unwrap()
        .ends_with(";timeout=20"));
    let played_at = p.now;
    // The client falls silent: only the server's clock runs.
    let mut buf = [0u8; 512];
    let mut bye = false;
    let mut expired_at = None;
    while p.now < played_at + Duration::from_secs(30) {
        let t = p.server.poll_timeout().unwrap();
        p.now = t;
        p.server.handle_timeout(t);
        while let Some(tx) = p.server.poll_transmit(p.now, &mut buf).unwrap() {
            let rtcp = &buf[4..tx.len];
            bye |= rtcp::Compound::new(rtcp).any(|p| matches!(p, Ok(rtcp::Packet::Bye(_))));
        }
        while let Some(ev) = p.server.poll_event() {
            if ev == server::Event::Expired {
                expired_at = Some(p.now);
            }
        }
        if expired_at.is_some() {
            break;
        }
    }
    assert_eq!(expired_at, Some(played_at + Duration::from_secs(20)));
    assert!(bye, "BYE on expiry");
    assert_eq!(p.server.state(), State::Init);
    assert_eq!(p.server.frame_header(Duration::ZERO), None);
    assert_eq!(p.server.poll_timeout(), None);
    // The client's next request names a session that is gone: 454.
    p.client.teardown(p.now);
    p.pump();
    assert_eq!(status(p.wire.responses.last().unwrap()), 454);
    assert!(p.wire.client_events.contains(&client::Event::TornDown));
}

#[test]
fn file_presentation_seeks_and_announces_its_range() {
    let mut p = Pair::new(TransportRequest::Tcp, "rtsp://127.0.0.1/clip.mjpeg");
    p.client.play(p.now);
    p.pump();
    let describe = &p.wire.responses[1];
    assert_eq!(
        header(describe, "Content-Base"),
        Some("rtsp://127.0.0.1/clip.mjpeg/")
    );
    assert!(describe.contains("a=range:npt=0-10.000\r\n"), "{describe}");
    assert!(
        describe.contains("a=x-dimensions:2560,1440\r\n"),
        "{describe}"
    );
    assert!(
        describe.contains("a=framerate:30000/1001\r\n"),
        "{describe}"
    );
    let d = p.client.described().unwrap();
    assert_eq!(d.size, Some((2560, 1440)));
    assert_eq!(d.duration, Some(Duration::from_secs(10)));
    assert_eq!(
        header(&p.wire.responses[3], "Range"),
        Some("npt=0.000-10.000")
    );
    assert!(
        p.wire.server_events.contains(&server::Event::Playing {
            start: Some(Duration::ZERO)
        }),
        "{:?} {:?}",
        p.wire.server_events,
        p.wire.requests
    );
    // A seek beyond the end is 457.
    let id = p.server.session_id().unwrap().to_string();
    let reply = ask(
        &mut p.server,
        &mut p.host,
        p.now,
        &format!("PLAY rtsp://127.0.0.1/clip.mjpeg/ RTSP/1.0\r\nCSeq: 9\r\nSession: {id}\r\nRange: npt=11-\r\n\r\n"),
    );
    assert_eq!(status(&reply), 457);
    let reply = ask(
        &mut p.server,
        &mut p.host,
        p.now,
        &format!("PLAY rtsp://127.0.0.1/clip.mjpeg/ RTSP/1.0\r\nCSeq: 10\r\nSession: {id}\r\nRange: npt=4.5-\r\n\r\n"),
    );
    assert_eq!(status(&reply), 200);
    assert_eq!(header(&reply, "Range"), Some("npt=4.500-10.000"));
    assert_eq!(
        p.server.poll_event(),
        Some(server::Event::Playing {
            start: Some(Duration::from_millis(4500))
        })
    );
}
