//! rtsp-server's RTSP behaviour checked on the wire with a small raw client:
//! many concurrent clients, PAUSE/PLAY continuity and RTP-Info, session
//! expiry, error status codes (RFC 2326 §7.1.1, §11) while another client
//! keeps playing, path traversal, and UDP to a foreign host.

mod server_util;

use std::time::{Duration, Instant};

use rtsp_e2e::{Scratch, DEADLINE};
use server_util::{assert_no_gaps, frames, param, Client, Rtp, Server, UdpPair};

const FPS: f64 = 25.0;

/// RTP headers of UDP packets, in arrival order.
fn rtp_of(pkts: &[(Instant, Vec<u8>, std::net::SocketAddr)]) -> Vec<Rtp> {
    pkts.iter()
        .map(|(_, p, _)| Rtp::parse(p).expect("RTP version 2 packet"))
        .collect()
}

/// RTP headers of interleaved frames on channel `ch`.
fn rtp_of_tcp(frames: &[(u8, Vec<u8>)], ch: u8) -> Vec<Rtp> {
    frames
        .iter()
        .filter(|(c, _)| *c == ch)
        .map(|(_, p)| Rtp::parse(p).expect("RTP packet"))
        .collect()
}

#[test]
fn twenty_mixed_clients_each_get_the_full_frame_rate() {
    let server = Server::start(&[]);
    let url = server.url("movie.Mjpeg");
    let secs = 4.0;
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let url = url.clone();
            let port = server.port;
            std::thread::spawn(move || {
                let mut c = Client::connect(port, &url);
                let tcp = i % 2 == 1;
                let pair = UdpPair::bind();
                let s = if tcp {
                    c.setup_tcp()
                } else {
                    c.setup_udp(&pair)
                };
                let session = s.session();
                let p = c.request("PLAY", &url, &[("Session", &session), ("Range", "npt=0-")]);
                assert_eq!(p.status, 200, "PLAY: {p:?}");
                let pkts = if tcp {
                    rtp_of_tcp(&c.read_interleaved(Duration::from_secs_f64(secs)), 0)
                } else {
                    rtp_of(&pair.recv_for(Duration::from_secs_f64(secs)))
                };
                let t = c.request("TEARDOWN", &url, &[("Session", &session)]);
                assert_eq!(t.status, 200);
                (tcp, pkts)
            })
        })
        .collect();
    for h in handles {
        let (tcp, pkts) = h.join().unwrap();
        let what = if tcp { "TCP client" } else { "UDP client" };
        assert!(
            pkts.iter().all(|p| p.pt == 26),
            "{what}: payload type must be 26 (JPEG)"
        );
        assert_no_gaps(&pkts, what);
        let n = frames(&pkts) as f64;
        assert!(
            n >= FPS * secs * 0.85,
            "{what}: {n} frames in {secs} s, expected about {}",
            FPS * secs
        );
    }
}

#[test]
fn pause_then_play_continues_sequence_and_rtp_info_matches() {
    let server = Server::start(&[]);
    let url = server.url("movie.Mjpeg");
    let mut c = Client::connect(server.port, &url);
    let pair = UdpPair::bind();
    let s = c.setup_udp(&pair);
    let session = s.session();
    assert!(
        s.header("Session").unwrap().contains("timeout=60"),
        "Session: {:?}",
        s.header("Session")
    );
    let tr = s.header("Transport").unwrap();
    assert!(
        tr.contains(&format!("client_port={}-{}", pair.port, pair.port + 1)),
        "Transport echo: {tr}"
    );
    assert!(param(tr, "server_port").is_some(), "no server_port in {tr}");

    let mut last: Option<Rtp> = None;
    for round in 0..2 {
        let p = c.request("PLAY", &url, &[("Session", &session)]);
        assert_eq!(p.status, 200, "PLAY {round}: {p:?}");
        let info = p.header("RTP-Info").expect("RTP-Info on PLAY");
        let seq: u16 = param(info, "seq").unwrap().parse().unwrap();
        let rtptime: u32 = param(info, "rtptime").unwrap().parse().unwrap();
        let pkts = rtp_of(&pair.recv_for(Duration::from_millis(1500)));
        assert!(
            frames(&pkts) >= 25,
            "round {round}: {} frames in 1.5 s",
            frames(&pkts)
        );
        let first = pkts[0];
        assert_eq!(
            (first.seq, first.ts),
            (seq, rtptime),
            "round {round}: RTP-Info {info} vs first packet"
        );
        assert_no_gaps(&pkts, "playing");
        if let Some(l) = last {
            assert_eq!(
                first.seq,
                l.seq.wrapping_add(1),
                "sequence continues after PAUSE"
            );
            assert_eq!(first.ssrc, l.ssrc, "same SSRC after PAUSE");
            // Timestamps move on by at least the paused second (90 kHz).
            let advanced = first.ts.wrapping_sub(l.ts);
            assert!(
                (90_000..10 * 90_000).contains(&advanced),
                "RTP time advanced by {advanced}"
            );
        }
        let p = c.request("PAUSE", &url, &[("Session", &session)]);
        assert_eq!(p.status, 200, "PAUSE: {p:?}");
        // Packets in flight when PAUSE was answered may still arrive.
        let tail = rtp_of(&pair.recv_for(Duration::from_millis(300)));
        let mut all = pkts.clone();
        all.extend(tail);
        assert_no_gaps(&all, "around PAUSE");
        last = all.last().copied();
        let quiet = pair.recv_for(Duration::from_millis(1000));
        assert!(
            quiet.is_empty(),
            "{} RTP packets sent while paused",
            quiet.len()
        );
    }
    let t = c.request("TEARDOWN", &url, &[("Session", &session)]);
    assert_eq!(t.status, 200);
}

#[test]
fn silent_session_expires_and_is_reclaimed() {
    let server = Server::start(&["--session-timeout", "2"]);
    let url = server.url("movie.Mjpeg");
    let mut c = Client::connect(server.port, &url);
    let pair = UdpPair::bind();
    let s = c.setup_udp(&pair);
    let session = s.session();
    assert!(s.header("Session").unwrap().contains("timeout=2"));
    assert_eq!(
        c.request("PLAY", &url, &[("Session", &session)]).status,
        200
    );
    // No keep-alive and no RTCP receiver report: after 2 s (plus slack)
    // the server must stop sending.
    let started = Instant::now();
    server.proc.wait_for_line("expired", DEADLINE);
    let pkts = pair.recv_for(Duration::from_millis(300)); // in flight
    drop(pkts);
    let after = pair.recv_for(Duration::from_millis(1000));
    assert!(after.is_empty(), "{} packets after expiry", after.len());
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "expired too early"
    );
    let r = c.request("GET_PARAMETER", &url, &[("Session", &session)]);
    assert_eq!(r.status, 454, "request on an expired session: {r:?}");
}

#[test]
fn keepalives_and_receiver_reports_keep_a_session_alive() {
    let server = Server::start(&["--session-timeout", "2"]);
    let url = server.url("movie.Mjpeg");
    let mut c = Client::connect(server.port, &url);
    let pair = UdpPair::bind();
    let session = c.setup_udp(&pair).session();
    assert_eq!(
        c.request("PLAY", &url, &[("Session", &session)]).status,
        200
    );
    for _ in 0..4 {
        let pkts = pair.recv_for(Duration::from_secs(1));
        assert!(
            !pkts.is_empty(),
            "stream stopped although keep-alives were sent"
        );
        let r = c.request("GET_PARAMETER", &url, &[("Session", &session)]);
        assert_eq!(r.status, 200, "GET_PARAMETER keep-alive: {r:?}");
    }
    let r = c.request("SET_PARAMETER", &url, &[("Session", &session)]);
    assert_eq!(r.status, 200, "SET_PARAMETER keep-alive: {r:?}");
    let o = c.request("OPTIONS", &url, &[]);
    let public = o.header("Public").expect("Public");
    for m in [
        "DESCRIBE",
        "SETUP",
        "PLAY",
        "PAUSE",
        "TEARDOWN",
        "GET_PARAMETER",
        "SET_PARAMETER",
    ] {
        assert!(public.contains(m), "Public lacks {m}: {public}");
    }
}

#[test]
fn malformed_requests_get_the_right_4xx_while_another_client_plays() {
    let server = Server::start(&[]);
    let url = server.url("movie.Mjpeg");
    let (mut player, pair, session) = Client::playing_udp(server.port, &url);
    let start = Instant::now();

    // (request bytes, accepted status codes, expected CSeq echo)
    let long = "x".repeat(3000);
    let corpus: Vec<(String, &[u16], Option<&str>)> = vec![
        ("GARBAGE\r\n\r\n".into(), &[400], None),
        (format!("DESCRIBE {url} RTSP/1.0\r\n\r\n"), &[400], None),
        (
            format!("DESCRIBE {url} RTSP/1.0\r\nCSeq: 5\r\nBad Header Line\r\n\r\n"),
            &[400],
            Some("5"),
        ),
        (
            format!("FROBNICATE {url} RTSP/1.0\r\nCSeq: 6\r\n\r\n"),
            &[405, 501],
            Some("6"),
        ),
        (
            format!("PLAY {url} RTSP/1.0\r\nCSeq: 7\r\nSession: 00000bogus\r\n\r\n"),
            &[454],
            Some("7"),
        ),
        (
            format!("PAUSE {url} RTSP/1.0\r\nCSeq: 8\r\n\r\n"),
            &[454, 455],
            Some("8"),
        ),
        // Well-formed transports we do not serve: SRTP, and multicast.
        (
            format!("SETUP {url} RTSP/1.0\r\nCSeq: 9\r\nTransport: RTP/SAVP;unicast;client_port=5000-5001\r\n\r\n"),
            &[461],
            Some("9"),
        ),
        (
            format!("SETUP {url} RTSP/1.0\r\nCSeq: 16\r\nTransport: RTP/AVP;multicast;port=5000-5001\r\n\r\n"),
            &[461],
            Some("16"),
        ),
        (
            format!("SETUP {url} RTSP/1.0\r\nCSeq: 10\r\n\r\n"),
            &[400, 461],
            Some("10"),
        ),
        (
            format!(
                "DESCRIBE rtsp://127.0.0.1:{}/nope.mjpeg RTSP/1.0\r\nCSeq: 11\r\n\r\n",
                server.port
            ),
            &[404],
            Some("11"),
        ),
        (
            format!("DESCRIBE {url}?{long} RTSP/1.0\r\nCSeq: 12\r\n\r\n"),
            &[400, 414],
            None,
        ),
        (
            format!("DESCRIBE {url} RTSP/1.0\r\nCSeq: 13\r\nContent-Length: 999999\r\n\r\n"),
            &[400, 413],
            Some("13"),
        ),
    ];
    for (req, codes, cseq) in &corpus {
        let mut c = Client::connect(server.port, &url);
        c.send_raw(req.as_bytes());
        let r = c.read_response();
        assert!(
            codes.contains(&r.status),
            "{:?}\n  got {} (want {codes:?})",
            &req[..req.len().min(80)],
            r.status
        );
        if let Some(cs) = cseq {
            assert_eq!(
                r.header("CSeq"),
                Some(*cs),
                "CSeq echoed on error {}",
                r.status
            );
        }
    }
    // The player kept its full rate through all of that.
    let pkts = rtp_of(&pair.recv_for(Duration::from_millis(1000)));
    let elapsed = start.elapsed().as_secs_f64();
    assert_no_gaps(&pkts, "player during malformed corpus");
    let all_frames = frames(&pkts) as f64;
    assert!(
        all_frames >= 20.0,
        "player got {all_frames} frames in the last second ({elapsed:.1} s total)"
    );
    assert_eq!(
        player
            .request("TEARDOWN", &url, &[("Session", &session)])
            .status,
        200
    );
}

#[test]
fn path_traversal_and_symlinks_out_get_404() {
    let dir = Scratch::new("server-media");
    let media = dir.path("media");
    std::fs::create_dir_all(media.join("sub")).unwrap();
    std::fs::write(
        media.join("sub/clip.Mjpeg"),
        include_bytes!("../../host-server/media/movie.Mjpeg"),
    )
    .unwrap();
    std::fs::write(
        dir.path("secret.Mjpeg"),
        include_bytes!("../../host-server/media/movie.Mjpeg"),
    )
    .unwrap();
    std::os::unix::fs::symlink(dir.path("secret.Mjpeg"), media.join("link.Mjpeg")).unwrap();
    let server = Server::start(&["--media", media.to_str().unwrap()]);
    let mut c = Client::connect(server.port, &server.url("sub/clip.Mjpeg"));
    let ok = c.request("DESCRIBE", &server.url("sub/clip.Mjpeg"), &[]);
    assert_eq!(ok.status, 200, "a clip inside --media plays: {ok:?}");
    assert!(String::from_utf8_lossy(&ok.body).contains("JPEG/90000"));
    for path in [
        "../secret.Mjpeg",
        "sub/../../secret.Mjpeg",
        "sub/%2e%2e/%2e%2e/secret.Mjpeg",
        "link.Mjpeg",
        "sub/clip.Mjpeg/../../../secret.Mjpeg",
        "/etc/passwd",
    ] {
        let u = format!("rtsp://127.0.0.1:{}/{path}", server.port);
        let r = c.request("DESCRIBE", &u, &[]);
        assert_eq!(r.status, 404, "DESCRIBE {u}");
    }
}

#[test]
fn udp_to_another_host_is_refused() {
    let server = Server::start(&[]);
    let url = server.url("movie.Mjpeg");
    let mut c = Client::connect(server.port, &url);
    let pair = UdpPair::bind();
    let t = format!(
        "RTP/AVP;unicast;destination=127.0.0.2;client_port={}-{}",
        pair.port,
        pair.port + 1
    );
    let r = c.request("SETUP", &url, &[("Transport", &t)]);
    assert!(
        matches!(r.status, 403 | 461),
        "SETUP with a foreign destination: {r:?}"
    );
    // And nothing was set up: PLAY has no session to play.
    let p = c.request("PLAY", &url, &[("Session", "1")]);
    assert_eq!(p.status, 454);
}

#[test]
fn clip_needing_a_lossy_conversion_is_refused_under_strict_with_the_fix() {
    let dir = Scratch::new("server-refused");
    // 4:4:4 (ffmpeg's choice for RGB sources): RFC 2435 carries only 4:2:0
    // and 4:2:2, so only a lossy conversion could serve it, which --strict
    // forbids. (Without --strict it is converted; optimized Huffman tables
    // and progressive frames are re-coded losslessly either way: see
    // server_any_jpeg.rs.)
    let bad = dir.path("yuv444.mjpeg");
    let st = std::process::Command::new(rtsp_e2e::peer("ffmpeg"))
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=160x120:rate=5",
            "-t",
            "1",
            "-c:v",
            "mjpeg",
        ])
        .args(["-pix_fmt", "yuvj444p", "-f", "mjpeg"])
        .arg(&bad)
        .status()
        .unwrap();
    assert!(st.success());
    let server = Server::start(&["--strict", "--media", dir.0.to_str().unwrap()]);
    let line = server.proc.wait_for_line("yuv444.mjpeg", DEADLINE);
    assert!(
        line.contains("4:4:4") && line.contains("-pix_fmt yuvj420p"),
        "start line names the reason and the fix: {line}"
    );
    let url = server.url("yuv444.mjpeg");
    let mut c = Client::connect(server.port, &url);
    let started = Instant::now();
    let r = c.request("DESCRIBE", &url, &[]);
    // RFC 2326 §11.3.8: the file exists, its media type cannot be served.
    assert_eq!(r.status, 415, "DESCRIBE of a refused clip: {r:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered promptly"
    );
}

#[test]
fn no_loop_plays_each_frame_once_at_90khz_pacing_and_seeks() {
    let server = Server::start(&["--no-loop", "--fps", "50"]);
    let url = server.url("movie.Mjpeg");
    let mut c = Client::connect(server.port, &url);
    let pair = UdpPair::bind();
    let session = c.setup_udp(&pair).session();
    let p = c.request("PLAY", &url, &[("Session", &session), ("Range", "npt=0-")]);
    assert_eq!(p.status, 200);
    assert_eq!(
        p.header("Range"),
        Some("npt=0.000-2.000"),
        "100 frames at 50 fps last 2 s"
    );
    let started = Instant::now();
    let pkts = rtp_of(&pair.recv_for(Duration::from_secs(4)));
    assert_no_gaps(&pkts, "--no-loop");
    // The built-in clip has 100 frames: each is sent exactly once.
    assert_eq!(frames(&pkts), 100, "frames sent with --no-loop");
    // One RTP timestamp per frame, 90 kHz / 50 fps = 1800 apart (RFC 2435 §3).
    let mut stamps: Vec<u32> = pkts.iter().filter(|p| p.marker).map(|p| p.ts).collect();
    stamps.dedup();
    for w in stamps.windows(2) {
        assert_eq!(
            w[1].wrapping_sub(w[0]),
            1800,
            "timestamp step between frames"
        );
    }
    assert!(
        started.elapsed() >= Duration::from_millis(1900),
        "paced, not sent at once"
    );
    // PLAY from a position: npt=1 is frame 50 of 100.
    let p = c.request("PLAY", &url, &[("Session", &session), ("Range", "npt=1-")]);
    assert_eq!(p.status, 200);
    let pkts = rtp_of(&pair.recv_for(Duration::from_secs(2)));
    assert_eq!(
        frames(&pkts),
        50,
        "frames after seeking to npt=1 with --no-loop"
    );
}

#[test]
fn a_stalled_tcp_client_loses_frames_without_slowing_the_others() {
    // A fast stream so a stalled reader fills its socket buffers quickly.
    let server = Server::start(&["--fps", "200"]);
    let url = server.url("movie.Mjpeg");
    // The stalled client: interleaved, and it never reads its socket.
    let mut stalled = Client::connect(server.port, &url);
    let session = stalled.setup_tcp().session();
    assert_eq!(
        stalled
            .request("PLAY", &url, &[("Session", &session)])
            .status,
        200
    );
    // Meanwhile a UDP client plays and must get every frame.
    let mut c = Client::connect(server.port, &url);
    let pair = UdpPair::bind();
    let s2 = c.setup_udp(&pair).session();
    assert_eq!(c.request("PLAY", &url, &[("Session", &s2)]).status, 200);
    let secs = 8.0;
    let pkts = rtp_of(&pair.recv_for(Duration::from_secs_f64(secs)));
    assert_no_gaps(&pkts, "UDP client next to a stalled one");
    let n = frames(&pkts) as f64;
    assert!(
        n >= 200.0 * secs * 0.8,
        "UDP client got {n} frames in {secs} s at 200 fps"
    );
    server.proc.wait_for_line(
        "frame(s) dropped so far: its TCP connection is not keeping up",
        DEADLINE,
    );
    drop(stalled);
}

/// RFC 2326 §7.1, §11.3.14: only RTSP/1.0 is spoken. RTSP/2.0 and 9.9 get
/// 505 with CSeq and the connection stays usable; `HTTP/1.1` on an RTSP
/// request gets 505 and the connection is closed (the boundary is lost).
/// RFC 2326 §12.34: PLAY with `Scale: 2` plays at 1 and says `Scale: 1`.
#[test]
fn other_versions_get_505_and_scale_is_answered_with_1() {
    let server = Server::start(&[]);
    let url = server.url("movie.Mjpeg");
    let mut c = Client::connect(server.port, &url);
    for (version, cseq) in [("RTSP/2.0", "31"), ("RTSP/9.9", "32")] {
        c.send_raw(format!("OPTIONS {url} {version}\r\nCSeq: {cseq}\r\n\r\n").as_bytes());
        let r = c.read_response();
        assert_eq!(r.status, 505, "{version}: {r:?}");
        assert_eq!(r.header("CSeq"), Some(cseq), "CSeq echoed on 505");
    }
    assert_eq!(c.request("OPTIONS", &url, &[]).status, 200, "still usable");

    let mut h = Client::connect(server.port, &url);
    h.send_raw(format!("DESCRIBE {url} HTTP/1.1\r\nCSeq: 33\r\n\r\n").as_bytes());
    let r = h.read_response();
    assert_eq!(r.status, 505, "HTTP/1.1: {r:?}");
    assert_eq!(r.header("CSeq"), Some("33"));
    let mut rest = Vec::new();
    use std::io::Read as _;
    let n = h
        .stream
        .read_to_end(&mut rest)
        .expect("closed by the server");
    assert_eq!(n, 0, "nothing after the 505: {rest:?}");

    let pair = UdpPair::bind();
    let session = c.setup_udp(&pair).session();
    let p = c.request("PLAY", &url, &[("Session", &session), ("Scale", "2.0")]);
    assert_eq!(p.status, 200, "{p:?}");
    assert_eq!(p.header("Scale"), Some("1"), "the scale used: {p:?}");
    let pkts = rtp_of(&pair.recv_for(Duration::from_millis(1000)));
    let got = frames(&pkts) as f64;
    assert!(
        (FPS * 0.6..=FPS * 1.4).contains(&got),
        "played at scale 1: {got} frames in 1 s"
    );
}
