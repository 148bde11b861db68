//! qemu-demo end to end: the Cortex-M3 firmware under QEMU serves its clip
//! from flash over RTSP/RTP (RFC 2326, RFC 3550, RFC 2435) to real clients —
//! ffmpeg and our `rtsp-client` — over UDP and TCP interleaved, and follows
//! the RTSP dialogue (PAUSE/PLAY, TEARDOWN, session timeout, bad requests).
//!
//! Every test boots its own guest on a free port; QEMU is stopped by PID when
//! the guest is dropped. A firmware panic or fault exits QEMU with a failure
//! code, which `Guest::assert_alive` turns into a test failure.

mod qemu_support;

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use qemu_support::*;
use rtsp_e2e::{bin, peer, Proc, Scratch, DEADLINE};

/// ffmpeg's decoded frames (framemd5 lines: stream, dts, pts, duration,
/// size, md5), errors on stderr with `-v error`.
fn ffmpeg_framemd5(input_args: &[&str], input: &str, seconds: &str) -> (Vec<String>, String, f64) {
    let started = Instant::now();
    let out = Command::new(peer("ffmpeg"))
        .args(["-nostdin", "-v", "error"])
        .args(input_args)
        .args(["-i", input, "-t", seconds, "-an", "-f", "framemd5", "-"])
        .output()
        .expect("ffmpeg runs");
    let wall = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "ffmpeg failed: {stderr}");
    let md5s = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit(',').next().map(|s| s.trim().to_string()))
        .collect();
    (md5s, stderr, wall)
}

#[test]
fn ffmpeg_decodes_the_clip_pixel_exact_over_udp_and_tcp() {
    let mut guest = Guest::boot("");
    // Pixels of every clip frame as ffmpeg decodes the file itself: RTP/JPEG
    // with in-band tables (Q=255) and standard Huffman tables must rebuild
    // frames that decode to exactly the same pixels.
    let clip = demo_dir().join("clip.mjpeg");
    let (clip_md5, _, _) = ffmpeg_framemd5(
        &["-f", "mjpeg", "-framerate", "10"],
        clip.to_str().unwrap(),
        "100",
    );
    assert_eq!(clip_md5.len(), clip_frames().len());

    for transport in ["udp", "tcp"] {
        let (md5s, stderr, wall) = ffmpeg_framemd5(
            &["-rtsp_transport", transport, "-timeout", "20000000"],
            &guest.url(),
            "3",
        );
        assert!(
            stderr.trim().is_empty(),
            "{transport}: ffmpeg reported errors:\n{stderr}"
        );
        // 3 s of stream time at 10 frames/s; pacing makes it take about 3 s.
        assert!(
            (28..=31).contains(&md5s.len()),
            "{transport}: {} frames in 3 s of stream",
            md5s.len()
        );
        assert!(
            wall >= 2.5,
            "{transport}: 3 s of stream arrived in {wall:.2} s: not paced"
        );
        for (i, md5) in md5s.iter().enumerate() {
            assert!(
                clip_md5.contains(md5),
                "{transport}: frame {i} decodes to pixels that are in no clip frame"
            );
        }
        // Consecutive frames are consecutive clip frames (looping).
        let first = clip_md5.iter().position(|m| m == &md5s[0]).unwrap();
        for (i, md5) in md5s.iter().enumerate() {
            assert_eq!(
                md5,
                &clip_md5[(first + i) % clip_md5.len()],
                "{transport}: frame {i} out of order"
            );
        }
    }
    let probe = Command::new(peer("ffprobe"))
        .args([
            "-v",
            "error",
            "-rtsp_transport",
            "tcp",
            "-select_streams",
            "v:0",
        ])
        .args([
            "-show_entries",
            "stream=codec_name,width,height",
            "-of",
            "csv=p=0",
            &guest.url(),
        ])
        .output()
        .expect("ffprobe runs");
    assert_eq!(
        String::from_utf8_lossy(&probe.stdout).trim(),
        "mjpeg,320,240"
    );
    guest.assert_alive();
}

/// Runs `rtsp-client --headless --play` for `seconds`, saving frames.
fn rtsp_client(guest: &Guest, tcp: bool, seconds: u32, scratch: &Scratch, tag: &str) -> Proc {
    let mut cmd = Command::new(bin("rtsp-client"));
    cmd.arg(guest.url())
        .args(["--headless", "--play", "--duration", &seconds.to_string()])
        .arg("--report")
        .arg(scratch.path(&format!("{tag}.json")))
        .arg("--save-frames")
        .arg(scratch.path(tag));
    if tcp {
        cmd.arg("--tcp");
    }
    Proc::spawn(tag, &mut cmd)
}

/// Checks one client's report and saved frames against the clip.
fn check_client(scratch: &Scratch, tag: &str, seconds: f64, clip_scans: &[Vec<u8>]) {
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(scratch.path(&format!("{tag}.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(
        report["packets_lost"].as_i64(),
        Some(0),
        "{tag}: loss: {report}"
    );
    assert_eq!(
        report["frames_dropped"].as_u64(),
        Some(0),
        "{tag}: dropped frames: {report}"
    );
    assert_eq!(
        report["width"].as_u64(),
        Some(u64::from(CLIP_WIDTH)),
        "{tag}: {report}"
    );
    assert_eq!(
        report["height"].as_u64(),
        Some(u64::from(CLIP_HEIGHT)),
        "{tag}: {report}"
    );
    let frames = report["frames_received"].as_u64().unwrap() as f64;
    let expected = CLIP_FPS * seconds;
    assert!(
        (frames - expected).abs() <= expected * 0.2,
        "{tag}: {frames} frames in {seconds} s, expected ~{expected}"
    );

    let mut files: Vec<_> = std::fs::read_dir(scratch.path(tag))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(
        files.len() as f64,
        frames,
        "{tag}: one saved file per received frame"
    );
    let index: HashMap<&[u8], usize> = clip_scans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_slice(), i))
        .collect();
    let mut previous: Option<usize> = None;
    for (n, file) in files.iter().enumerate() {
        let scan = scan_data(&std::fs::read(file).unwrap());
        let Some(&i) = index.get(scan.as_slice()) else {
            panic!(
                "{tag}: frame {n} ({}): scan data matches no clip frame",
                file.display()
            );
        };
        if let Some(p) = previous {
            assert_eq!(
                i,
                (p + 1) % clip_scans.len(),
                "{tag}: frame {n} is not the clip frame after the previous one"
            );
        }
        previous = Some(i);
    }
}

#[test]
fn two_rtsp_clients_at_once_udp_and_tcp_get_the_clip_byte_exact() {
    let mut guest = Guest::boot("");
    let scratch = Scratch::new("qemu-clients");
    let clip_scans: Vec<Vec<u8>> = clip_frames().iter().map(|f| scan_data(f)).collect();
    let seconds = 4;
    let mut udp = rtsp_client(&guest, false, seconds, &scratch, "udp");
    let mut tcp = rtsp_client(&guest, true, seconds, &scratch, "tcp");
    for client in [&mut udp, &mut tcp] {
        let status = client.wait_exit(DEADLINE);
        assert!(
            status.success(),
            "{} failed:\n{}",
            client.name,
            client.output()
        );
    }
    check_client(&scratch, "udp", f64::from(seconds), &clip_scans);
    check_client(&scratch, "tcp", f64::from(seconds), &clip_scans);
    guest.assert_alive();
}

#[test]
fn pause_play_and_teardown_control_the_packets() {
    let mut guest = Guest::boot("");
    let rx = RtpReceiver::bind();
    let mut rtsp = Rtsp::connect(&guest);
    let url = guest.url();
    assert_eq!(rtsp.request("OPTIONS", &url, &[]).code, 200);
    let describe = rtsp.request("DESCRIBE", &url, &[("Accept", "application/sdp")]);
    assert_eq!(describe.code, 200);
    let sdp = String::from_utf8_lossy(&describe.body).into_owned();
    assert!(sdp.contains("m=video 0 RTP/AVP 26"), "SDP: {sdp}");
    let setup = rtsp.setup_udp(rx.port);
    assert_eq!(setup.code, 200, "{}", setup.head);
    let transport = setup.header("Transport").unwrap();
    assert!(
        transport.contains(&format!("client_port={}-{}", rx.port, rx.port + 1)),
        "{transport}"
    );
    assert!(transport.contains("server_port="), "{transport}");
    let session = setup.session();
    let s = [("Session", session.as_str())];

    let play = rtsp.request("PLAY", &url, &s);
    assert_eq!(play.code, 200, "{}", play.head);
    assert!(
        eventually(DEADLINE, || rx.count() >= 20),
        "no RTP after PLAY"
    );
    let first = rx.packets()[0];
    // RTCP sender report (RFC 3550 §6.4.1) to the client's RTCP port.
    assert!(
        eventually(DEADLINE, || rx.got_rtcp(200)),
        "no RTCP SR while playing"
    );
    assert_eq!(first.payload_type, 26);
    let rtp_info = play.header("RTP-Info").expect("RTP-Info on PLAY");
    assert!(
        rtp_info.contains(&format!("seq={}", first.seq)),
        "RTP-Info {rtp_info} vs first seq {}",
        first.seq
    );
    assert!(
        rtp_info.contains(&format!("rtptime={}", first.timestamp)),
        "RTP-Info {rtp_info} vs {}",
        first.timestamp
    );

    let pause = rtsp.request("PAUSE", &url, &s);
    assert_eq!(pause.code, 200, "{}", pause.head);
    let paused_at = rx.count();
    std::thread::sleep(Duration::from_millis(300)); // in-flight packets land
    let settled = rx.count();
    assert!(
        settled - paused_at <= 10,
        "{} packets after PAUSE",
        settled - paused_at
    );
    assert!(
        !eventually(Duration::from_secs(1), || rx.count() > settled),
        "RTP kept flowing while paused"
    );

    let resume = rtsp.request("PLAY", &url, &s);
    assert_eq!(resume.code, 200);
    assert!(
        eventually(DEADLINE, || rx.count() >= settled + 20),
        "no RTP after resuming"
    );
    let packets = rx.packets();
    let (before, after) = (packets[settled - 1], packets[settled]);
    assert_eq!(
        after.seq,
        before.seq.wrapping_add(1),
        "sequence numbers continue across PAUSE"
    );
    assert!(
        after.timestamp > before.timestamp,
        "RTP time moves forward across PAUSE"
    );

    assert_eq!(rtsp.request("TEARDOWN", &url, &s).code, 200);
    assert!(
        eventually(DEADLINE, || rx.got_rtcp(203)),
        "no RTCP BYE after TEARDOWN (RFC 3550 §6.6)"
    );
    std::thread::sleep(Duration::from_millis(300));
    let stopped = rx.count();
    assert!(
        !eventually(Duration::from_secs(1), || rx.count() > stopped),
        "RTP kept flowing after TEARDOWN"
    );
    assert_eq!(
        rtsp.request("PLAY", &url, &s).code,
        454,
        "the session is gone after TEARDOWN"
    );
    guest.assert_alive();
}

#[test]
fn keepalives_hold_a_session_and_a_silent_one_times_out() {
    let mut guest = Guest::boot("timeout=3");
    let rx = RtpReceiver::bind();
    let mut rtsp = Rtsp::connect(&guest);
    let url = guest.url();
    let setup = rtsp.setup_udp(rx.port);
    assert_eq!(setup.code, 200);
    assert!(
        setup.header("Session").unwrap().contains("timeout=3"),
        "{}",
        setup.head
    );
    let session = setup.session();
    assert_eq!(
        rtsp.request("PLAY", &url, &[("Session", &session)]).code,
        200
    );
    assert!(eventually(DEADLINE, || rx.count() > 0), "no RTP after PLAY");
    // GET_PARAMETER keep-alives (RFC 2326 §10.8) every second hold the
    // session well past its 3 s timeout.
    for _ in 0..5 {
        std::thread::sleep(Duration::from_secs(1));
        let keepalive = rtsp.request("GET_PARAMETER", &url, &[("Session", &session)]);
        assert_eq!(keepalive.code, 200, "{}", keepalive.head);
    }
    let started = Instant::now();
    let recent = rx.packets().last().unwrap().at.elapsed();
    assert!(
        recent < Duration::from_millis(500),
        "RTP stopped despite keep-alives ({recent:?} ago)"
    );
    // No request and no RTCP RR from now on: the server must stop sending
    // after about 3 s and forget the session.
    assert!(
        eventually(Duration::from_secs(20), || {
            let p = rx.packets();
            p.last()
                .is_some_and(|l| l.at.elapsed() > Duration::from_secs(1))
        }),
        "RTP still flowing {:.1} s after the last request",
        secs_since(started)
    );
    let last = rx
        .packets()
        .last()
        .unwrap()
        .at
        .duration_since(started)
        .as_secs_f64();
    assert!(
        (2.5..10.0).contains(&last),
        "stream stopped {last:.1} s after the last request, timeout is 3 s"
    );
    assert_eq!(
        rtsp.request("PLAY", &url, &[("Session", &session)]).code,
        454,
        "expired session reclaimed"
    );
    guest.assert_alive();
}

#[test]
fn malformed_and_oversized_requests_get_errors_and_serving_goes_on() {
    let mut guest = Guest::boot("");
    let url = guest.url();
    // Garbage that is no RTSP request line.
    let mut rtsp = Rtsp::connect(&guest);
    rtsp.send_raw(b"\x16\x03\x01 HELLO?? \x00\xff\r\n\r\n");
    let r = rtsp.read_response();
    assert_eq!(r.code, 400, "{}", r.head);
    // A request line far over any limit, with no end in sight.
    let mut rtsp = Rtsp::connect(&guest);
    let huge = format!(
        "DESCRIBE {url}/{} RTSP/1.0\r\nCSeq: 7\r\n\r\n",
        "a".repeat(9000)
    );
    rtsp.send_raw(huge.as_bytes());
    let r = rtsp.read_response();
    assert!(
        r.code == 400 || r.code == 413 || r.code == 414,
        "oversized request: {}",
        r.head
    );
    drop(rtsp);
    // Both client slots taken: a third client is turned away with 503
    // (RFC 2326 §11.5.3, over capacity), its CSeq echoed.
    let mut rtsp = Rtsp::connect_ready(&guest);
    let other = Rtsp::connect_ready(&guest);
    let mut third = Rtsp::connect(&guest);
    assert_eq!(third.request("OPTIONS", &url, &[]).code, 503);
    drop((other, third));
    // Unknown method, unknown path, SETUP without a usable transport.
    assert!(matches!(rtsp.request("FROB", &url, &[]).code, 405 | 501));
    assert_eq!(
        rtsp.request("DESCRIBE", "rtsp://127.0.0.1/nope", &[]).code,
        404
    );
    assert_eq!(
        rtsp.request("SETUP", &url, &[("Transport", "RAW/RAW/UDP;unicast")])
            .code,
        461
    );
    assert_eq!(
        rtsp.request("PLAY", &url, &[("Session", "nosuchsession")])
            .code,
        454
    );
    // And the firmware still serves a whole dialogue.
    let describe = rtsp.request("DESCRIBE", &url, &[]);
    assert_eq!(describe.code, 200);
    assert!(String::from_utf8_lossy(&describe.body).contains("a=rtpmap:26 JPEG/90000"));
    let rx = RtpReceiver::bind();
    let session = rtsp.setup_udp(rx.port).session();
    assert_eq!(
        rtsp.request("PLAY", &url, &[("Session", &session)]).code,
        200
    );
    assert!(
        eventually(DEADLINE, || rx.count() > 10),
        "no RTP after the bad requests"
    );
    guest.assert_alive();
}

#[test]
fn a_panic_or_a_fault_ends_qemu_with_a_failure_code() {
    // The firmware never hangs on a failure: a panic or a HardFault logs its
    // cause and exits QEMU through semihosting with status 1.
    for (crash, log) in [("panic", "self-test panic"), ("fault", "HardFault at pc=")] {
        let elf = firmware();
        let mut cmd = Command::new("bash");
        cmd.arg(demo_dir().join("run.sh"))
            .arg(&elf)
            .env("QEMU_DEMO_PORT", rtsp_e2e::free_tcp_port().to_string())
            .env("QEMU_DEMO_ARGS", format!("crash={crash}"));
        let mut qemu = Proc::spawn("qemu-demo", &mut cmd);
        let status = qemu.wait_exit(DEADLINE);
        assert_eq!(status.code(), Some(1), "crash={crash}: {}", qemu.output());
        assert!(
            qemu.output().contains(log),
            "crash={crash}: log lacks {log:?}:\n{}",
            qemu.output()
        );
    }
}

#[test]
fn gstreamer_rtspsrc_decodes_frames_over_udp_and_tcp() {
    let mut guest = Guest::boot("");
    let scratch = Scratch::new("qemu-gst");
    for protocol in ["udp", "tcp"] {
        // At least 20 frames decoded to raw I420 at the clip's size, then EOS.
        let raw = scratch.path(&format!("{protocol}.yuv"));
        let out = Command::new(peer("gst-launch-1.0"))
            .arg("-q")
            .arg("rtspsrc")
            .arg(format!("location={}", guest.url()))
            .arg(format!("protocols={protocol}"))
            .args([
                "!",
                "rtpjpegdepay",
                "!",
                "jpegdec",
                "!",
                "videoconvert",
                "!",
            ])
            .arg(format!(
                "video/x-raw,format=I420,width={CLIP_WIDTH},height={CLIP_HEIGHT}"
            ))
            .args(["!", "identity", "eos-after=21", "!", "filesink"])
            .arg(format!("location={}", raw.display()))
            .output()
            .expect("gst-launch-1.0 runs");
        assert!(
            out.status.success(),
            "{protocol}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let len = std::fs::metadata(&raw).unwrap().len();
        let frame = u64::from(CLIP_WIDTH * CLIP_HEIGHT * 3 / 2);
        assert!(
            len % frame == 0 && len / frame >= 20,
            "{protocol}: {len} bytes: not 20 whole frames"
        );
    }
    guest.assert_alive();
}

#[test]
fn interleaved_rtcp_receiver_reports_keep_a_tcp_session_alive_until_they_stop() {
    let mut guest = Guest::boot("timeout=3");
    let mut rtsp = Rtsp::connect(&guest);
    let url = guest.url();
    let transport = "RTP/AVP/TCP;unicast;interleaved=0-1";
    let setup = rtsp.request("SETUP", &url, &[("Transport", transport)]);
    assert_eq!(setup.code, 200, "{}", setup.head);
    assert!(
        setup
            .header("Transport")
            .unwrap()
            .contains("interleaved=0-1"),
        "{}",
        setup.head
    );
    let session = setup.session();
    assert_eq!(
        rtsp.request("PLAY", &url, &[("Session", &session)]).code,
        200
    );

    // Count `$` frames on channel 0 (RTP) and note when the server closes.
    let mut reader = rtsp.stream.try_clone().unwrap();
    reader
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut pending = std::mem::take(&mut rtsp.buf);
    let rtp_at = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Instant>::new()));
    let seen = rtp_at.clone();
    let closed = std::thread::spawn(move || {
        use std::io::Read;
        let mut chunk = [0u8; 4096];
        loop {
            while pending.len() >= 4 && pending[0] == b'$' {
                let len = 4 + usize::from(u16::from_be_bytes([pending[2], pending[3]]));
                if pending.len() < len {
                    break;
                }
                if pending[1] == 0 {
                    seen.lock().unwrap().push(Instant::now());
                }
                pending.drain(..len);
            }
            match reader.read(&mut chunk) {
                Ok(0) | Err(_) => return Instant::now(),
                Ok(n) => pending.extend_from_slice(&chunk[..n]),
            }
        }
    });
    // An RTCP receiver report with no report blocks (RFC 3550 §6.4.2) on
    // the RTCP channel, once a second: liveness without any RTSP request.
    let rr: [u8; 12] = [b'$', 1, 0, 8, 0x80, 201, 0, 1, 0x12, 0x34, 0x56, 0x78];
    for _ in 0..5 {
        std::thread::sleep(Duration::from_secs(1));
        rtsp.send_raw(&rr);
    }
    let last_rr = Instant::now();
    let recent = rtp_at.lock().unwrap().last().map(|t| t.elapsed());
    assert!(
        recent.is_some_and(|r| r < Duration::from_millis(500)),
        "interleaved RTP stopped despite RTCP RRs (last {recent:?} ago)"
    );
    // Silence: the session expires and the server closes the connection,
    // since interleaved media cannot outlive it.
    let closed_at = closed.join().unwrap();
    let after = closed_at.duration_since(last_rr).as_secs_f64();
    assert!(
        (2.5..10.0).contains(&after),
        "connection closed {after:.1} s after the last RR, timeout is 3 s"
    );
    guest.assert_alive();
}

/// A firmware built with `RTSP_USER`/`RTSP_PASSWORD` (qemu-demo/README.md)
/// refuses ffmpeg without credentials (401, RFC 2326 §11.4.2) and plays
/// to it with them (Digest, RFC 2617, checked by the core's session).
#[test]
fn a_password_build_refuses_ffmpeg_without_credentials_and_plays_with_them() {
    let mut guest = Guest::boot_elf(&firmware_with_login(), "");
    let url = guest.url();
    let refused = Command::new(peer("ffmpeg"))
        .args(["-nostdin", "-v", "error", "-rtsp_transport", "tcp"])
        .args([
            "-timeout", "20000000", "-i", &url, "-t", "1", "-f", "null", "-",
        ])
        .output()
        .expect("ffmpeg runs");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "played without credentials");
    assert!(
        stderr.contains("401"),
        "ffmpeg without credentials: {stderr}"
    );
    let wrong = url.replace("rtsp://", &format!("rtsp://{}:nope@", LOGIN.0));
    let out = Command::new(peer("ffmpeg"))
        .args(["-nostdin", "-v", "error", "-rtsp_transport", "tcp"])
        .args([
            "-timeout", "20000000", "-i", &wrong, "-t", "1", "-f", "null", "-",
        ])
        .output()
        .expect("ffmpeg runs");
    assert!(!out.status.success(), "played with a wrong password");

    let with = url.replace("rtsp://", &format!("rtsp://{}:{}@", LOGIN.0, LOGIN.1));
    for transport in ["udp", "tcp"] {
        let (md5s, stderr, _) = ffmpeg_framemd5(
            &["-rtsp_transport", transport, "-timeout", "20000000"],
            &with,
            "2",
        );
        assert!(stderr.trim().is_empty(), "{transport}: {stderr}");
        assert!(
            (18..=21).contains(&md5s.len()),
            "{transport}: {} frames in 2 s of stream with credentials",
            md5s.len()
        );
    }
    // On the wire: OPTIONS is open, DESCRIBE is challenged with Digest.
    let mut rtsp = Rtsp::connect_ready(&guest);
    assert_eq!(rtsp.request("OPTIONS", &url, &[]).code, 200);
    let r = rtsp.request("DESCRIBE", &url, &[]);
    assert_eq!(r.code, 401, "{}", r.head);
    let challenge = r.header("WWW-Authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Digest realm=\"qemu-demo\"") && challenge.contains("qop=\"auth\""),
        "{}",
        r.head
    );
    drop(rtsp);
    guest.assert_alive();
}

/// Seek (RFC 2326 §12.29, the core's frame clock): ffmpeg `-ss 2` asks
/// for `Range: npt=2-`, and the first frame it receives is the clip's
/// frame at 2 s (frame 20 at 10 fps), byte-exact in its scan data.
#[test]
fn ffmpeg_seek_receives_the_clips_frame_at_2_s_first() {
    let mut guest = Guest::boot("");
    let clip = clip_frames();
    let want = scan_data(&clip[20]);
    let scratch = Scratch::new("qemu-seek");
    for transport in ["tcp", "udp"] {
        let out = scratch.path(&format!("first-{transport}.mjpeg"));
        let run = Command::new(peer("ffmpeg"))
            .args([
                "-nostdin",
                "-v",
                "error",
                "-y",
                "-rtsp_transport",
                transport,
            ])
            .args(["-timeout", "20000000", "-ss", "2", "-i", &guest.url()])
            .args(["-frames:v", "1", "-c", "copy", "-f", "mjpeg"])
            .arg(&out)
            .output()
            .expect("ffmpeg runs");
        assert!(
            run.status.success(),
            "{transport}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let got = std::fs::read(&out).expect("ffmpeg wrote the frame");
        let got = scan_data(&got);
        assert!(got == want, "{transport}: the first frame after -ss 2 is not the clip's frame 20 (it is frame {:?})",
            clip.iter().position(|f| scan_data(f) == got));
    }
    guest.assert_alive();
}
