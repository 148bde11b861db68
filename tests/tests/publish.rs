//! Publishing (RFC 2326 §10.3 ANNOUNCE, §10.11 RECORD) with real peers,
//! scan data byte-exact against the published clip everywhere:
//! * rtsp-server takes ffmpeg over UDP and TCP and GStreamer's
//!   rtspclientsink, ffmpeg and rtsp-client play the path; a second
//!   publisher on a busy path is refused and the first carries on; players
//!   get RTCP BYE when the publisher leaves or times out and the path is
//!   free again; bad publishers get their 4xx while other sessions carry
//!   on; RTP from another port is ignored;
//! * `rtsp-client publish` sends a clip or standard input to rtsp-server,
//!   to GStreamer's RTSP server in RECORD mode and to ffmpeg
//!   `-rtsp_flags listen`; a refusal is one line and a non-zero exit.

mod server_util;

use std::collections::HashMap;
use std::net::UdpSocket;
use std::process::Command;
use std::time::Duration;

use rtsp_core::jpeg::Packetizer;
use rtsp_core::rtp;
use rtsp_e2e::{bin, free_tcp_port, peer, wait_until, Proc, Scratch, DEADLINE};
use server_util::{Client, Server};

/// The published clip: rtsp-server's built-in clip (100 frames, 320x240),
/// as raw concatenated JPEG for ffmpeg and GStreamer.
const CLIP: &str = "host-server/media/movie.Mjpeg";

fn clip_frames() -> Vec<Vec<u8>> {
    let bytes = std::fs::read(rtsp_e2e::workspace_root().join(CLIP)).expect("built-in clip");
    rtsp_core::mjpeg::Frames::new(&bytes)
        .map(|f| f.expect("clip frame").to_vec())
        .collect()
}

fn raw_clip(scratch: &Scratch) -> std::path::PathBuf {
    let path = scratch.path("clip.mjpeg");
    std::fs::write(&path, clip_frames().concat()).unwrap();
    path
}

fn scan_data(jpeg: &[u8]) -> Vec<u8> {
    rtsp_core::jpeg::Frame::parse(jpeg)
        .expect("a frame RFC 2435 carries")
        .scan_data()
        .to_vec()
}

/// Asserts every received frame is a frame of the clip (scan data
/// byte-exact) and nearly all follow their predecessor in the clip.
fn assert_clip_frames(received: &[Vec<u8>], at_least: usize, what: &str) {
    let clip: HashMap<Vec<u8>, usize> = clip_frames()
        .iter()
        .enumerate()
        .map(|(i, f)| (scan_data(f), i))
        .collect();
    assert!(
        received.len() >= at_least,
        "{what}: {} frames",
        received.len()
    );
    let mut consecutive = 0;
    let mut last = None;
    for (n, f) in received.iter().enumerate() {
        let Some(&i) = clip.get(&scan_data(f)) else {
            panic!("{what}: frame {n} is no frame of the published clip");
        };
        if last.is_some_and(|l| (l + 1) % clip.len() == i) {
            consecutive += 1;
        }
        last = Some(i);
    }
    assert!(
        consecutive * 10 >= (received.len() - 1) * 9,
        "{what}: {consecutive} of {} frames follow their predecessor",
        received.len()
    );
}

/// ffmpeg publishing the clip in a loop at its rate to `url`.
fn ffmpeg_publisher(clip: &std::path::Path, url: &str, tcp: bool) -> Proc {
    let mut cmd = Command::new(peer("ffmpeg"));
    cmd.args([
        "-nostdin",
        "-v",
        "warning",
        "-re",
        "-stream_loop",
        "-1",
        "-framerate",
        "25",
    ])
    .arg("-i")
    .arg(clip)
    .args(["-c", "copy", "-f", "rtsp"]);
    if tcp {
        cmd.args(["-rtsp_transport", "tcp"]);
    }
    cmd.arg(url);
    Proc::spawn("ffmpeg publisher", &mut cmd)
}

/// ffmpeg plays `url` for `frames` frames; the JPEG frames it received.
fn ffmpeg_play(url: &str, frames: usize, scratch: &Scratch, name: &str) -> Vec<Vec<u8>> {
    let copy = scratch.path(name);
    let out = Command::new(peer("ffmpeg"))
        .args(["-nostdin", "-v", "error", "-rtsp_transport", "tcp"])
        .args(["-timeout", "30000000", "-i", url])
        .args([
            "-frames:v",
            &frames.to_string(),
            "-c",
            "copy",
            "-f",
            "mjpeg",
            "-y",
        ])
        .arg(&copy)
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg failed to play {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    rtsp_core::mjpeg::Frames::new(&std::fs::read(&copy).unwrap())
        .map(|f| f.expect("ffmpeg wrote whole JPEG frames").to_vec())
        .collect()
}

fn ffmpeg_publishes(tcp: bool) {
    let server = Server::start(&[]);
    let scratch = Scratch::new(if tcp {
        "publish-ff-tcp"
    } else {
        "publish-ff-udp"
    });
    let clip = raw_clip(&scratch);
    let _publisher = ffmpeg_publisher(&clip, &server.url("cam"), tcp);
    server.proc.wait_for_line("records cam", DEADLINE);
    let how = if tcp {
        "set up to publish: Interleaved"
    } else {
        "set up to publish: Udp"
    };
    assert!(
        server.proc.output().contains(how),
        "{}",
        server.proc.output()
    );
    let received = ffmpeg_play(&server.url("cam"), 60, &scratch, "played.mjpeg");
    assert_clip_frames(&received, 60, "ffmpeg playing what ffmpeg published");
    let received = client_play(&server.url("cam"), "2", &scratch);
    assert_clip_frames(&received, 40, "rtsp-client playing what ffmpeg published");
}

#[test]
fn ffmpeg_publishes_over_udp_and_ffmpeg_and_rtsp_client_play_byte_exact() {
    ffmpeg_publishes(false);
}

#[test]
fn ffmpeg_publishes_over_tcp_and_ffmpeg_and_rtsp_client_play_byte_exact() {
    ffmpeg_publishes(true);
}

#[test]
fn gstreamer_rtspclientsink_publishes() {
    let server = Server::start(&[]);
    let scratch = Scratch::new("publish-gst");
    let mut cmd = Command::new(peer("gst-launch-1.0"));
    cmd.args([
        "-q",
        "fdsrc",
        "fd=0",
        "!",
        "image/jpeg,framerate=25/1",
        "!",
        "jpegparse",
    ])
    .args(["!", "rtspclientsink", "protocols=tcp"])
    .arg(format!("location={}", server.url("gst")));
    let (publisher, mut stdin) = Proc::spawn_with_stdin("gst-launch rtspclientsink", &mut cmd);
    // The clip at its rate on GStreamer's standard input, as a camera
    // would give it (rtspclientsink sends frames as they come).
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        for f in clip_frames().iter().cycle().take(2500) {
            if stdin.write_all(f).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(40));
        }
    });
    server.proc.wait_for_line("records gst", DEADLINE);
    let received = ffmpeg_play(&server.url("gst"), 40, &scratch, "played.mjpeg");
    assert_clip_frames(&received, 40, "ffmpeg playing what GStreamer published");
    drop(publisher);
    let _ = feeder.join();
}

/// A publisher of our own over TCP interleaved, by hand: ANNOUNCE, SETUP
/// record, RECORD; then it sends the clip's frames packetized by the core.
struct RawPublisher {
    c: Client,
    seq: u16,
    ts: u32,
}

const JPEG_SDP: &str = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=raw\r\nt=0 0\r\n\
                        m=video 0 RTP/AVP 26\r\na=control:track1\r\n";

fn announce_request(url: &str, content_type: &str, body: &str, cseq: u32) -> String {
    format!(
        "ANNOUNCE {url} RTSP/1.0\r\nCSeq: {cseq}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

impl RawPublisher {
    /// Announces `url`; returns the client and the ANNOUNCE's status.
    fn announce(port: u16, url: &str) -> (Client, u16) {
        let mut c = Client::connect(port, url);
        c.send_raw(announce_request(url, "application/sdp", JPEG_SDP, 100).as_bytes());
        let r = c.read_response();
        (c, r.status)
    }

    fn start(port: u16, url: &str) -> RawPublisher {
        let (mut c, status) = Self::announce(port, url);
        assert_eq!(status, 200, "ANNOUNCE");
        let s = c.request(
            "SETUP",
            &format!("{url}/track1"),
            &[(
                "Transport",
                "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record",
            )],
        );
        assert_eq!(s.status, 200, "SETUP record: {s:?}");
        assert!(
            s.header("Transport").unwrap().contains("mode=record"),
            "{s:?}"
        );
        let session = s.session();
        let r = c.request("RECORD", url, &[("Session", &session)]);
        assert_eq!(r.status, 200, "RECORD: {r:?}");
        RawPublisher {
            c,
            seq: 1000,
            ts: 0,
        }
    }

    /// The RTP packets of clip frame `i`.
    fn packets(&mut self, frame: &[u8]) -> Vec<Vec<u8>> {
        let f = rtsp_core::jpeg::Frame::parse(frame).unwrap();
        let header = rtp::Repr {
            marker: false,
            payload_type: rtp::PayloadType::JPEG,
            sequence: rtp::SeqNo(self.seq),
            timestamp: rtp::RtpTimestamp(self.ts),
            ssrc: rtp::Ssrc(0x0bad_cafe),
        };
        let mut p = Packetizer::new(&f, 1400, header).unwrap();
        let mut out = Vec::new();
        let mut buf = vec![0u8; 1500];
        while let Some(n) = p.next_packet(&mut buf).unwrap() {
            out.push(buf[..n].to_vec());
        }
        self.seq = self.seq.wrapping_add(out.len() as u16);
        self.ts = self.ts.wrapping_add(3600);
        out
    }

    fn send_frame(&mut self, frame: &[u8]) {
        for p in self.packets(frame) {
            let mut framed = vec![b'$', 0, (p.len() >> 8) as u8, p.len() as u8];
            framed.extend_from_slice(&p);
            self.c.send_raw(&framed);
        }
    }
}

/// A player on TCP: DESCRIBE, SETUP, PLAY.
fn player(port: u16, url: &str) -> Client {
    let mut c = Client::connect(port, url);
    let session = c.setup_tcp().session();
    let r = c.request("PLAY", url, &[("Session", &session)]);
    assert_eq!(r.status, 200, "PLAY: {r:?}");
    c
}

/// Whole frames (marker packets on channel 0) and RTCP BYEs (packet type
/// 203 on channel 1) among interleaved frames.
fn frames_and_byes(frames: &[(u8, Vec<u8>)]) -> (usize, usize) {
    let marks = frames
        .iter()
        .filter(|(ch, p)| *ch == 0 && p.len() > 12 && p[1] & 0x80 != 0)
        .count();
    let byes = frames
        .iter()
        .filter(|(ch, p)| {
            *ch == 1
                && rtsp_core::rtcp::Compound::new(p)
                    .any(|p| matches!(p, Ok(rtsp_core::rtcp::Packet::Bye(_))))
        })
        .count();
    (marks, byes)
}

#[test]
fn busy_path_is_refused_and_players_get_bye_when_the_publisher_leaves() {
    let server = Server::start(&[]);
    let url = server.url("cam");
    let clip = clip_frames();
    let mut publisher = RawPublisher::start(server.port, &url);
    let mut viewer = player(server.port, &url);
    for f in &clip[..10] {
        publisher.send_frame(f);
    }
    // A second publisher on the busy path: 455, and the first carries on.
    let (_second, status) = RawPublisher::announce(server.port, &url);
    assert_eq!(status, 455);
    for f in &clip[10..20] {
        publisher.send_frame(f);
    }
    let mut seen = Vec::new();
    assert!(
        wait_until(DEADLINE, || {
            seen.extend(viewer.read_interleaved(Duration::from_millis(200)));
            frames_and_byes(&seen).0 >= 20
        }),
        "the viewer got {} of 20 frames",
        frames_and_byes(&seen).0
    );
    // The publisher leaves: the viewer gets BYE, the path is free.
    let session = publisher.c.request("OPTIONS", &url, &[]);
    assert_eq!(session.status, 200);
    drop(publisher);
    assert!(
        wait_until(DEADLINE, || {
            seen.extend(viewer.read_interleaved(Duration::from_millis(200)));
            frames_and_byes(&seen).1 >= 1
        }),
        "no RTCP BYE after the publisher left"
    );
    server.proc.wait_for_line("publisher of cam left", DEADLINE);
    let mut probe = Client::connect(server.port, &url);
    let r = probe.request("DESCRIBE", &url, &[]);
    assert_eq!(r.status, 404, "the path is free again: {r:?}");
    let _again = RawPublisher::start(server.port, &url);
}

#[test]
fn a_silent_publisher_times_out_and_players_get_bye() {
    let server = Server::start(&["--session-timeout", "2"]);
    let url = server.url("quiet");
    let mut publisher = RawPublisher::start(server.port, &url);
    let mut viewer = player(server.port, &url);
    publisher.send_frame(&clip_frames()[0]);
    let mut seen = Vec::new();
    assert!(
        wait_until(DEADLINE, || {
            seen.extend(viewer.read_interleaved(Duration::from_millis(200)));
            frames_and_byes(&seen).1 >= 1
        }),
        "no RTCP BYE after the publisher went silent: {:?}",
        frames_and_byes(&seen)
    );
    server
        .proc
        .wait_for_line("publisher of quiet left", DEADLINE);
}

#[test]
fn bad_publishers_get_their_4xx_and_others_carry_on() {
    let server = Server::start(&["--publish-paths", "cam,pub/*"]);
    let clip_url = server.url("movie.Mjpeg");
    let mut watcher = player(server.port, &clip_url);
    let url = server.url("cam");
    let ask = |req: String| {
        let mut c = Client::connect(server.port, &url);
        c.send_raw(req.as_bytes());
        c.read_response().status
    };
    // No SDP, not SDP, not JPEG.
    assert_eq!(ask(announce_request(&url, "application/sdp", "", 1)), 400);
    assert_eq!(ask(announce_request(&url, "text/plain", JPEG_SDP, 1)), 415);
    let h264 = JPEG_SDP.replace("RTP/AVP 26\r\n", "RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n");
    assert_eq!(
        ask(announce_request(&url, "application/sdp", &h264, 1)),
        415
    );
    // A path --publish-paths does not list, a path served otherwise.
    assert_eq!(
        ask(announce_request(
            &server.url("other"),
            "application/sdp",
            JPEG_SDP,
            1
        )),
        403
    );
    assert_eq!(
        ask(announce_request(&clip_url, "application/sdp", JPEG_SDP, 1)),
        403
    );
    // A huge SDP: 413, and the connection is closed.
    let huge = format!("{JPEG_SDP}{}", "a=x-filler:0123456789\r\n".repeat(400));
    assert_eq!(
        ask(announce_request(&url, "application/sdp", &huge, 1)),
        413
    );
    // A Content-Length shorter than the SDP: the rest is no request.
    let short = announce_request(&url, "application/sdp", JPEG_SDP, 1).replace(
        &format!("Content-Length: {}", JPEG_SDP.len()),
        "Content-Length: 20",
    );
    let mut c = Client::connect(server.port, &url);
    c.send_raw(short.as_bytes());
    let first = c.read_response().status;
    assert!(first >= 400, "a cut SDP: {first}");
    // RECORD before SETUP, SETUP record before ANNOUNCE: 455.
    let mut c = Client::connect(server.port, &url);
    assert_eq!(c.request("RECORD", &url, &[]).status, 455);
    let t = [(
        "Transport",
        "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record",
    )];
    assert_eq!(c.request("SETUP", &format!("{url}/track1"), &t).status, 455);
    // The clip's player never noticed.
    let frames = watcher.read_interleaved(Duration::from_secs(1));
    assert!(
        frames_and_byes(&frames).0 >= 15,
        "{:?}",
        frames_and_byes(&frames)
    );
    // A good publisher on an allowed path still gets in.
    let _ok = RawPublisher::start(server.port, &server.url("pub/one"));
}

#[test]
fn publish_paths_none_refuses_publishers_with_405() {
    let server = Server::start(&["--publish-paths", "none"]);
    let url = server.url("cam");
    let (mut c, status) = RawPublisher::announce(server.port, &url);
    assert_eq!(status, 405);
    let options = c.request("OPTIONS", &url, &[]);
    let public = options.header("Public").unwrap_or_default().to_string();
    assert!(
        !public.contains("ANNOUNCE") && !public.contains("RECORD"),
        "{public}"
    );
    // With publishers (the default), OPTIONS lists both.
    let open = Server::start(&[]);
    let mut c = Client::connect(open.port, &open.url("cam"));
    let public = c.request("OPTIONS", &open.url("cam"), &[]);
    let public = public.header("Public").unwrap_or_default();
    assert!(
        public.contains("ANNOUNCE") && public.contains("RECORD"),
        "{public}"
    );
}

#[test]
fn rtp_from_another_port_is_ignored() {
    let server = Server::start(&[]);
    let url = server.url("cam");
    let (mut c, status) = RawPublisher::announce(server.port, &url);
    assert_eq!(status, 200);
    let announced = UdpSocket::bind("127.0.0.1:0").unwrap();
    let stranger = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = announced.local_addr().unwrap().port();
    let t = format!(
        "RTP/AVP;unicast;client_port={port}-{};mode=record",
        port + 1
    );
    let s = c.request("SETUP", &format!("{url}/track1"), &[("Transport", &t)]);
    assert_eq!(s.status, 200, "{s:?}");
    let server_port: u16 = server_util::param(s.header("Transport").unwrap(), "server_port")
        .unwrap()
        .split('-')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let r = c.request("RECORD", &url, &[("Session", &s.session())]);
    assert_eq!(r.status, 200);
    let mut viewer = player(server.port, &url);
    let mut packer = RawPublisher { c, seq: 7, ts: 0 };
    let clip = clip_frames();
    // From another port: ignored, counted, never forwarded.
    for f in &clip[..5] {
        for p in packer.packets(f) {
            stranger.send_to(&p, ("127.0.0.1", server_port)).unwrap();
        }
    }
    server
        .proc
        .wait_for_line("from no publisher's announced source, ignored", DEADLINE);
    let seen = viewer.read_interleaved(Duration::from_millis(500));
    assert_eq!(frames_and_byes(&seen).0, 0, "stranger RTP was forwarded");
    // From the announced port: forwarded.
    let mut seen = Vec::new();
    let mut sent = 5;
    assert!(
        wait_until(DEADLINE, || {
            for p in packer.packets(&clip[sent % clip.len()]) {
                announced.send_to(&p, ("127.0.0.1", server_port)).unwrap();
            }
            sent += 1;
            seen.extend(viewer.read_interleaved(Duration::from_millis(40)));
            frames_and_byes(&seen).0 >= 5
        }),
        "the publisher's own RTP never reached the viewer"
    );
}

/// `rtsp-client publish SOURCE URL ARGS…`, running.
fn client_publisher(source: &str, url: &str, args: &[&str]) -> Proc {
    let mut cmd = Command::new(bin("rtsp-client"));
    cmd.args(["publish", source, url]).args(args);
    Proc::spawn("rtsp-client publish", &mut cmd)
}

/// Frames rtsp-client saved while playing `url` headless for `secs`.
fn client_play(url: &str, secs: &str, scratch: &Scratch) -> Vec<Vec<u8>> {
    let dir = scratch.path("client-frames");
    let mut cmd = Command::new(bin("rtsp-client"));
    cmd.args([
        url,
        "--headless",
        "--play",
        "--tcp",
        "--duration",
        secs,
        "--save-frames",
    ])
    .arg(&dir);
    let mut p = Proc::spawn("rtsp-client play", &mut cmd);
    assert!(p.wait_exit(DEADLINE).success(), "{}", p.output());
    rtsp_e2e::read_sorted(&dir)
}

fn client_publishes_to_rtsp_server(tcp: bool) {
    let server = Server::start(&[]);
    let scratch = Scratch::new(if tcp {
        "client-pub-tcp"
    } else {
        "client-pub-udp"
    });
    let lab_clip = rtsp_e2e::workspace_root().join(CLIP);
    let mut args = vec!["--loop"];
    if tcp {
        args.push("--tcp");
    }
    let publisher = client_publisher(lab_clip.to_str().unwrap(), &server.url("cam"), &args);
    server.proc.wait_for_line("records cam", DEADLINE);
    let received = ffmpeg_play(&server.url("cam"), 50, &scratch, "ffmpeg.mjpeg");
    assert_clip_frames(&received, 50, "ffmpeg playing what rtsp-client published");
    let received = client_play(&server.url("cam"), "2", &scratch);
    assert_clip_frames(
        &received,
        40,
        "rtsp-client playing what rtsp-client published",
    );
    // The figures line: frames per second, bit rate, and the loss from
    // rtsp-server's receiver reports (none on loopback).
    let line = publisher.wait_for_line("receiver: ", DEADLINE);
    assert!(
        line.contains(" fps, ") && line.contains(" kbit/s"),
        "{line}"
    );
    assert!(
        line.contains("receiver: 0.0% lost recently, 0 in all"),
        "{line}"
    );
}

#[test]
fn client_publishes_to_rtsp_server_over_udp_and_both_players_get_the_clip() {
    client_publishes_to_rtsp_server(false);
}

#[test]
fn client_publishes_to_rtsp_server_over_tcp_and_both_players_get_the_clip() {
    client_publishes_to_rtsp_server(true);
}

#[test]
fn client_publishes_standard_input() {
    let server = Server::start(&[]);
    let scratch = Scratch::new("client-pub-stdin");
    let mut cmd = Command::new(bin("rtsp-client"));
    cmd.args(["publish", "-", &server.url("pipe"), "--tcp"]);
    let (publisher, mut stdin) = Proc::spawn_with_stdin("rtsp-client publish -", &mut cmd);
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        for f in clip_frames().iter().cycle().take(2500) {
            if stdin.write_all(f).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(40));
        }
    });
    server.proc.wait_for_line("records pipe", DEADLINE);
    let received = ffmpeg_play(&server.url("pipe"), 40, &scratch, "ffmpeg.mjpeg");
    assert_clip_frames(&received, 40, "ffmpeg playing standard input published");
    drop(publisher);
    let _ = feeder.join();
}

/// Frames GStreamer's RECORD-mode server wrote (rtpjpegdepay ! multifilesink).
fn client_publishes_to_gstreamer(tcp: bool) {
    let scratch = Scratch::new(if tcp {
        "client-gst-tcp"
    } else {
        "client-gst-udp"
    });
    let dir = scratch.path("recorded");
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_tcp_port();
    let script = rtsp_e2e::workspace_root().join("tests/peers/gst_rtsp_server.py");
    let mut cmd = Command::new("/usr/bin/python3");
    cmd.arg(script)
        .arg(port.to_string())
        .args(["--path", "/rec", "--record"])
        .arg(&dir);
    let gst = Proc::spawn("GStreamer RECORD server", &mut cmd);
    gst.wait_for_line("READY", DEADLINE);
    let url = format!("rtsp://127.0.0.1:{port}/rec");
    let lab_clip = rtsp_e2e::workspace_root().join(CLIP);
    // Long enough for GStreamer's first receiver reports: its RTCP interval
    // is randomised around 5 s (RFC 3550 §6.3.1), so a single 4 s pass of
    // the clip may end before any arrives.
    let mut args = vec!["--loop", "--duration", "12"];
    if tcp {
        args.push("--tcp");
    }
    let mut publisher = client_publisher(lab_clip.to_str().unwrap(), &url, &args);
    let status = publisher.wait_exit(DEADLINE);
    assert!(status.success(), "{}", publisher.output());
    // GStreamer sends receiver reports: their loss is in the figures.
    assert!(
        publisher.output().contains("receiver: "),
        "{}",
        publisher.output()
    );
    let recorded = rtsp_e2e::read_sorted(&dir);
    // The clip, looping, in order: at least one whole pass.
    assert_clip_frames(&recorded, 100, "what GStreamer recorded");
}

#[test]
fn client_publishes_to_gstreamer_record_server_over_udp() {
    client_publishes_to_gstreamer(false);
}

#[test]
fn client_publishes_to_gstreamer_record_server_over_tcp() {
    client_publishes_to_gstreamer(true);
}

#[test]
fn client_publishes_to_ffmpeg_listening_over_udp() {
    client_publishes_to_ffmpeg(false);
}

#[test]
fn client_publishes_to_ffmpeg_listening_over_tcp() {
    client_publishes_to_ffmpeg(true);
}

fn client_publishes_to_ffmpeg(tcp: bool) {
    let scratch = Scratch::new(if tcp {
        "client-ffmpeg-tcp"
    } else {
        "client-ffmpeg-udp"
    });
    let port = free_tcp_port();
    let url = format!("rtsp://127.0.0.1:{port}/live");
    let copy = scratch.path("recorded.mjpeg");
    let mut cmd = Command::new(peer("ffmpeg"));
    cmd.args([
        "-nostdin",
        "-v",
        "warning",
        "-rtsp_flags",
        "listen",
        "-timeout",
        "60",
    ])
    .args(["-i", &url, "-c", "copy", "-f", "mjpeg", "-y"])
    .arg(&copy);
    let mut ffmpeg = Proc::spawn("ffmpeg -rtsp_flags listen", &mut cmd);
    // Not by connecting: ffmpeg takes the first connection as its publisher.
    assert!(
        wait_until(DEADLINE, || listening(port)),
        "ffmpeg never listened on {port}"
    );
    let lab_clip = rtsp_e2e::workspace_root().join(CLIP);
    let args: &[&str] = if tcp { &["--tcp"] } else { &[] };
    let mut publisher = client_publisher(lab_clip.to_str().unwrap(), &url, args);
    assert!(
        publisher.wait_exit(DEADLINE).success(),
        "{}",
        publisher.output()
    );
    assert!(ffmpeg.wait_exit(DEADLINE).success(), "{}", ffmpeg.output());
    let recorded: Vec<Vec<u8>> = rtsp_core::mjpeg::Frames::new(&std::fs::read(&copy).unwrap())
        .map(|f| f.unwrap().to_vec())
        .collect();
    assert_clip_frames(&recorded, 100, "what ffmpeg recorded");
}

/// Whether a TCP socket listens on `port` of 127.0.0.1 (/proc/net/tcp:
/// local address `0100007F:PORT`, state 0A = LISTEN).
fn listening(port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let local = format!("0100007F:{port:04X}");
    table.lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.get(1) == Some(&local.as_str()) && f.get(3) == Some(&"0A")
    })
}

#[test]
fn client_refused_is_one_line_and_a_failure() {
    let server = Server::start(&["--user", "cam", "--password", "secret"]);
    let lab_clip = rtsp_e2e::workspace_root().join(CLIP);
    let clip = lab_clip.to_str().unwrap();
    // Wrong password: 401, one line, exit 1.
    let wrong = server.url("cam").replace("rtsp://", "rtsp://cam:nope@");
    let mut p = client_publisher(clip, &wrong, &[]);
    assert_eq!(p.wait_exit(DEADLINE).code(), Some(1), "{}", p.output());
    let out = p.output();
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with("rtsp-client publish: ") && out.contains("401"),
        "{out}"
    );
    // The right one gets in; a second publisher on the path gets 455.
    let right = server.url("cam").replace("rtsp://", "rtsp://cam:secret@");
    let _first = client_publisher(clip, &right, &["--loop"]);
    server.proc.wait_for_line("records cam", DEADLINE);
    let mut second = client_publisher(clip, &right, &["--tcp"]);
    assert_eq!(
        second.wait_exit(DEADLINE).code(),
        Some(1),
        "{}",
        second.output()
    );
    let out = second.output();
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("455"), "{out}");
    // A source that is no MJPEG: one line, exit 1, nothing sent.
    let scratch = Scratch::new("client-pub-bad-source");
    let junk = scratch.path("junk.mjpeg");
    std::fs::write(&junk, b"not a jpeg at all").unwrap();
    let mut bad = client_publisher(junk.to_str().unwrap(), &server.url("x"), &[]);
    assert_eq!(bad.wait_exit(DEADLINE).code(), Some(1), "{}", bad.output());
    assert!(bad.output().contains("cannot publish"), "{}", bad.output());
}
