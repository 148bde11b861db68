//! rtsp-server against real peers: ffmpeg/ffprobe over UDP and TCP, a
//! GStreamer `rtspsrc ! rtpjpegdepay ! jpegdec` pipeline, and a tshark
//! capture on loopback decoded by Wireshark's RTP/JPEG dissector.

mod server_util;

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rtsp_e2e::{peer, Proc, Scratch, DEADLINE};
use server_util::Server;

/// The built-in clip: 320×240 at 25 fps.
const FPS: f64 = 25.0;

/// Pulls `secs` seconds with ffmpeg and returns (frames decoded, stderr).
/// `-f framecrc` prints one line per decoded frame with its raw size.
fn ffmpeg_pull(url: &str, transport: &str, secs: u32, extra: &[&str]) -> (Vec<String>, String) {
    let out = Command::new(peer("ffmpeg"))
        .args([
            "-nostdin",
            "-v",
            "error",
            "-rtsp_transport",
            transport,
            "-timeout",
            "10000000",
        ])
        .args(extra)
        .args(["-i", url, "-t", &secs.to_string(), "-f", "framecrc", "-"])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let frames = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    (frames, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn check_pull(server: &Server, transport: &str) {
    let secs = 4;
    let (frames, errors) = ffmpeg_pull(&server.url("movie.Mjpeg"), transport, secs, &[]);
    let want = FPS * f64::from(secs);
    assert!(
        (frames.len() as f64) >= want * 0.9 && (frames.len() as f64) <= want + 3.0,
        "{transport}: {} frames decoded in {secs} s, expected about {want}",
        frames.len()
    );
    // framecrc: "stream, dts, pts, duration, size, crc": a 320x240 yuvj420p
    // picture is 320*240*3/2 bytes.
    for f in &frames {
        let size: usize = f.split(',').nth(4).unwrap().trim().parse().unwrap();
        assert_eq!(
            size,
            320 * 240 * 3 / 2,
            "{transport}: decoded frame size in {f:?}"
        );
    }
    assert!(
        errors.trim().is_empty(),
        "{transport}: decoder errors:\n{errors}"
    );
}

#[test]
fn ffmpeg_decodes_udp_and_tcp_at_full_rate() {
    let server = Server::start(&[]);
    check_pull(&server, "udp");
    check_pull(&server, "tcp");

    let out = Command::new(peer("ffprobe"))
        .args([
            "-v",
            "error",
            "-rtsp_transport",
            "tcp",
            "-timeout",
            "10000000",
        ])
        .args([
            "-show_entries",
            "stream=codec_name,width,height,avg_frame_rate",
            "-of",
            "csv=p=0",
        ])
        .arg(server.url("movie.Mjpeg"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ffprobe: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.trim().starts_with("mjpeg,320,240"),
        "ffprobe saw {text:?}"
    );
    server.proc.wait_for_line("TEARDOWN", DEADLINE);
}

#[test]
fn gstreamer_rtspsrc_decodes() {
    let server = Server::start(&[]);
    for protocols in ["udp", "tcp"] {
        // The caps filter fails negotiation unless the decoded size is right;
        // identity ends the pipeline after 50 decoded frames.
        let pipeline = format!(
            "rtspsrc location={} protocols={protocols} latency=100 ! rtpjpegdepay ! jpegdec ! \
             video/x-raw,width=320,height=240 ! identity eos-after=50 ! fakesink",
            server.url("movie.Mjpeg")
        );
        let mut cmd = Command::new(peer("gst-launch-1.0"));
        cmd.arg("-e").args(pipeline.split_whitespace());
        let mut gst = Proc::spawn("gst-launch-1.0", &mut cmd);
        gst.wait_exit(DEADLINE);
        let out = gst.output();
        if let Err(why) = rtsp_e2e::gst_played(&out) {
            panic!("gst-launch {protocols}: {why}:\n{out}");
        }
    }
}

/// One decoded RTP packet from tshark.
#[derive(Debug)]
struct Captured {
    time: f64,
    seq: u16,
    marker: bool,
    offset: u32,
    width: u32,
    height: u32,
}

fn tshark_fields(
    pcap: &std::path::Path,
    port: u16,
    filter: &str,
    fields: &[&str],
) -> Vec<Vec<String>> {
    let mut cmd = Command::new(peer("tshark"));
    cmd.arg("-r").arg(pcap).args([
        "-d",
        &format!("udp.port=={port},rtp"),
        "-Y",
        filter,
        "-T",
        "fields",
    ]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("tshark -r");
    assert!(
        out.status.success(),
        "tshark -r: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

#[test]
fn tshark_sees_clean_rtp_jpeg_and_rtcp_and_nothing_after_teardown() {
    // A capture on `lo` sees each UDP GSO batch as one oversized datagram
    // (loopback segments on receive), so send datagram by datagram here.
    let server = Server::start(&["--no-gso"]);
    let scratch = Scratch::new("server-tshark");
    let pcap = scratch.path("cap.pcap");
    let port = rtsp_e2e::free_udp_pair();
    let filter = format!("udp and (port {port} or port {})", port + 1);
    let mut cap_cmd = Command::new(peer("tshark"));
    cap_cmd.args(["-i", "lo", "-f", &filter, "-w"]).arg(&pcap);
    let mut tshark = Proc::spawn("tshark", &mut cap_cmd);
    tshark.wait_for_line("Capturing on", DEADLINE);

    // ffmpeg pinned to the pair; it sends TEARDOWN as it exits.
    let ports = [port.to_string(), (port + 1).to_string()];
    let (frames, _) = ffmpeg_pull(
        &server.url("movie.Mjpeg"),
        "udp",
        6,
        &["-min_port", &ports[0], "-max_port", &ports[1]],
    );
    let stopped = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        frames.len() >= 130,
        "ffmpeg decoded only {} frames in 6 s",
        frames.len()
    );
    server.proc.wait_for_line("TEARDOWN", DEADLINE);
    // Anything still in flight after TEARDOWN would show up within this.
    std::thread::sleep(Duration::from_millis(1500));
    tshark.interrupt();
    tshark.wait_exit(DEADLINE);

    let rows = tshark_fields(
        &pcap,
        port,
        &format!("rtp && udp.dstport=={port}"),
        &[
            "frame.time_epoch",
            "rtp.seq",
            "rtp.marker",
            "jpeg.main_hdr.offset",
            "jpeg.main_hdr.width",
            "jpeg.main_hdr.height",
        ],
    );
    let pkts: Vec<Captured> = rows
        .iter()
        .map(|r| Captured {
            time: r[0].parse().unwrap(),
            seq: r[1].parse().unwrap(),
            marker: r[2] == "1" || r[2] == "True",
            offset: r[3]
                .parse()
                .unwrap_or_else(|_| panic!("no RTP/JPEG header decoded in {r:?}")),
            width: r[4].parse().unwrap(),
            height: r[5].parse().unwrap(),
        })
        .collect();
    assert!(
        pkts.len() > 150,
        "only {} RTP/JPEG packets captured",
        pkts.len()
    );
    for w in pkts.windows(2) {
        assert_eq!(
            w[1].seq,
            w[0].seq.wrapping_add(1),
            "sequence gap in capture"
        );
        // A frame starts at offset 0 exactly after a marker (RFC 2435 §3.1.2).
        assert_eq!(
            w[1].offset == 0,
            w[0].marker,
            "marker/offset mismatch at seq {}",
            w[1].seq
        );
    }
    // RFC 2435 §3.1.5/§3.1.6: size in 8-pixel units, shown by Wireshark in pixels.
    assert!(
        pkts.iter().all(|p| p.width == 320 && p.height == 240),
        "wrong JPEG size in capture"
    );
    let markers = pkts.iter().filter(|p| p.marker).count();
    assert!(markers >= 130, "only {markers} frames ended with a marker");
    let last = pkts.last().unwrap().time;
    assert!(
        last <= stopped + 0.2,
        "RTP still sent {:.2} s after TEARDOWN",
        last - stopped
    );

    // RTCP: a sender report (PT 200) from the server, and the BYE (203).
    let rtcp = tshark_fields(
        &pcap,
        port,
        &format!("rtcp && udp.dstport=={}", port + 1),
        &["rtcp.pt"],
    );
    let types: Vec<&str> = rtcp.iter().flat_map(|r| r[0].split(',')).collect();
    assert!(types.contains(&"200"), "no RTCP SR in capture: {types:?}");
    assert!(types.contains(&"202"), "no RTCP SDES in capture: {types:?}");
    assert!(
        types.contains(&"203"),
        "no RTCP BYE after TEARDOWN: {types:?}"
    );
}

/// A child process killed by PID when dropped (for the live pipeline,
/// whose stdin is another process's stdout).
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn live_stdin_source_is_shared_by_clients_at_its_own_rate() {
    use std::process::Stdio;
    // A live camera stand-in: 320x240 MJPEG at 25 fps, in real time.
    let mut src = Command::new(peer("ffmpeg"));
    src.args([
        "-nostdin",
        "-v",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25",
    ])
    .args([
        "-c:v", "mjpeg", "-huffman", "default", "-pix_fmt", "yuvj420p", "-f", "mjpeg", "-",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let mut src = Killed(src.spawn().expect("start ffmpeg"));
    let port = rtsp_e2e::free_tcp_port();
    let mut srv = Command::new(rtsp_e2e::bin("rtsp-server"));
    srv.args([
        "--bind",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--live",
        "cam=-",
    ])
    .stdin(src.0.stdout.take().unwrap())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let _srv = Killed(srv.spawn().expect("start rtsp-server"));
    rtsp_e2e::wait_for_tcp(port, DEADLINE);
    let url = format!("rtsp://127.0.0.1:{port}/cam");
    // Two clients at once, UDP and TCP, on the one live source.
    let u = url.clone();
    let udp = std::thread::spawn(move || ffmpeg_pull(&u, "udp", 3, &[]));
    let (tcp_frames, tcp_err) = ffmpeg_pull(&url, "tcp", 3, &[]);
    let (udp_frames, udp_err) = udp.join().unwrap();
    for (what, frames, err) in [("udp", udp_frames, udp_err), ("tcp", tcp_frames, tcp_err)] {
        assert!(
            frames.len() >= 60 && frames.len() <= 80,
            "{what}: {} live frames in 3 s",
            frames.len()
        );
        assert!(
            frames.iter().all(|f| f.contains(" 115200,")),
            "{what}: 320x240 frames"
        );
        assert!(err.trim().is_empty(), "{what}: decoder errors: {err}");
    }
}

#[test]
fn digest_authentication_with_ffmpeg_and_gstreamer() {
    let server = Server::start(&["--user", "alice", "--password", "s3cret"]);
    let url = server.url("movie.Mjpeg");
    let with = url.replace("rtsp://", "rtsp://alice:s3cret@");
    let (frames, errors) = ffmpeg_pull(&with, "tcp", 2, &[]);
    assert!(
        frames.len() >= 45,
        "ffmpeg with Digest credentials decoded {} frames",
        frames.len()
    );
    assert!(errors.trim().is_empty(), "{errors}");

    let wrong = Command::new(peer("ffmpeg"))
        .args(["-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i"])
        .arg(url.replace("rtsp://", "rtsp://alice:nope@"))
        .args(["-t", "1", "-f", "null", "-"])
        .output()
        .unwrap();
    assert!(!wrong.status.success(), "wrong password must not play");
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("401"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );

    let pipeline = format!(
        "rtspsrc location={url} user-id=alice user-pw=s3cret protocols=tcp ! rtpjpegdepay ! jpegdec ! \
         identity eos-after=25 ! fakesink"
    );
    let mut cmd = Command::new(peer("gst-launch-1.0"));
    cmd.arg("-e").args(pipeline.split_whitespace());
    let mut gst = Proc::spawn("gst-launch-1.0", &mut cmd);
    gst.wait_exit(DEADLINE);
    if let Err(why) = rtsp_e2e::gst_played(&gst.output()) {
        panic!("gst-launch with Digest: {why}:\n{}", gst.output());
    }

    // On the wire: OPTIONS is open; DESCRIBE is challenged with Digest only.
    let mut c = server_util::Client::connect(server.port, &url);
    assert_eq!(c.request("OPTIONS", &url, &[]).status, 200);
    let r = c.request("DESCRIBE", &url, &[]);
    assert_eq!(r.status, 401);
    let challenges: Vec<_> = r
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("WWW-Authenticate"))
        .map(|(_, v)| v.clone())
        .collect();
    assert_eq!(challenges.len(), 1, "{challenges:?}");
    assert!(challenges[0].starts_with("Digest realm="), "{challenges:?}");
    let basic = c.request(
        "DESCRIBE",
        &url,
        &[("Authorization", "Basic YWxpY2U6czNjcmV0")],
    );
    assert_eq!(basic.status, 401, "Basic is refused unless --basic");
}
