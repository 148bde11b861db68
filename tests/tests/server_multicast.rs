//! rtsp-server `--multicast` against ffmpeg (`-rtsp_transport
//! udp_multicast`, RFC 2326 §12.39): each member decodes the clip at its
//! frame rate and size, and two members at once share one stream, sent once
//! (RFC 2326 §10.4).
//!
//! Multicast never leaves this machine: the server and the peers run in a
//! network namespace the test creates (only `lo`, with a route for
//! 224.0.0.0/4) and deletes on drop, even when the test fails.

use std::process::Command;
use std::thread;
use std::time::{SystemTime, UNIX_EPOCH};

use rtsp_e2e::{bin, peer, Proc, DEADLINE};

/// The built-in clip: 320×240 at 25 fps.
const FPS: f64 = 25.0;
const GROUP: &str = "239.255.77.1";

/// A network namespace with `lo` up and multicast routed to it; deleted on
/// drop.
struct Netns(String);

impl Netns {
    fn new() -> Netns {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("rtspmc{}_{nanos}", std::process::id());
        run(Command::new("ip").args(["netns", "add", &name]));
        let ns = Netns(name);
        run(ns.exec("ip").args(["link", "set", "lo", "up"]));
        run(ns
            .exec("ip")
            .args(["route", "add", "224.0.0.0/4", "dev", "lo"]));
        ns
    }

    /// `program` run inside the namespace (`ip netns exec` execs it, so the
    /// child's PID is the program's own).
    fn exec(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.0]).arg(program);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.0])
            .status();
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run ip");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts the server in `ns` with `--multicast`; returns it and its URL.
fn server(ns: &Netns) -> (Proc, String) {
    let mut cmd = ns.exec(bin("rtsp-server"));
    cmd.args(["--bind", "127.0.0.1", "--port", "8554"])
        .args(["--multicast", &format!("{GROUP}:6000")]);
    let proc = Proc::spawn("rtsp-server", &mut cmd);
    proc.wait_for_line("rtsp://127.0.0.1:8554/", DEADLINE);
    (proc, "rtsp://127.0.0.1:8554/movie.Mjpeg".into())
}

/// Decoded frame sizes from ffmpeg pulling `secs` seconds over multicast
/// (`-f framecrc`: one line per decoded frame).
fn ffmpeg_multicast(ns: &Netns, url: &str, secs: u32) -> Vec<usize> {
    let out = ns
        .exec(peer("ffmpeg"))
        .args([
            "-nostdin",
            "-v",
            "error",
            "-rtsp_transport",
            "udp_multicast",
        ])
        .args(["-timeout", "10000000", "-i", url, "-t", &secs.to_string()])
        .args(["-f", "framecrc", "-"])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split(',').nth(4).unwrap().trim().parse().unwrap())
        .collect()
}

fn check_frames(frames: &[usize], secs: u32) {
    let want = FPS * f64::from(secs);
    let n = frames.len() as f64;
    assert!(
        n >= want * 0.9 && n <= want + 3.0,
        "{n} frames decoded in {secs} s, expected about {want}"
    );
    // A 320x240 yuvj420p picture is 320*240*3/2 bytes.
    assert!(frames.iter().all(|&s| s == 320 * 240 * 3 / 2), "{frames:?}");
}

/// Frames the server sent for ended sessions, from its summary lines
/// ("… ended (TEARDOWN): N frames and P packets sent …").
fn frames_sent(log: &str) -> Vec<u64> {
    log.lines()
        .filter(|l| l.contains(" ended ("))
        .filter_map(|l| {
            let (_, rest) = l.split_once("): ")?;
            rest.split(' ').next()?.parse().ok()
        })
        .collect()
}

#[test]
fn ffmpeg_decodes_the_multicast_stream() {
    let ns = Netns::new();
    let (srv, url) = server(&ns);
    let secs = 4;
    check_frames(&ffmpeg_multicast(&ns, &url, secs), secs);
    let log = srv.wait_for_line(" ended (", DEADLINE);
    let out = srv.output();
    assert!(
        out.contains(&format!(
            "RTP/AVP over UDP multicast to {GROUP} ports 6000-6001"
        )),
        "{out}"
    );
    assert!(log.contains("TEARDOWN"), "{log}");
}

#[test]
fn two_members_share_one_stream_sent_once() {
    let ns = Netns::new();
    let (srv, url) = server(&ns);
    let secs = 4;
    let (a, b) = thread::scope(|s| {
        let a = s.spawn(|| ffmpeg_multicast(&ns, &url, secs));
        let b = s.spawn(|| ffmpeg_multicast(&ns, &url, secs));
        (a.join().unwrap(), b.join().unwrap())
    });
    check_frames(&a, secs);
    check_frames(&b, secs);
    assert!(rtsp_e2e::wait_until(DEADLINE, || frames_sent(
        &srv.output()
    )
    .len()
        == 2));
    let out = srv.output();
    assert!(out.contains("joins the multicast stream"), "{out}");
    // One copy for the group: the server sent the frames of the union of
    // the two members' time (the overlap once), not a copy per member. Two
    // unicast-style copies would add up to at least what both decoded.
    let total: u64 = frames_sent(&out).iter().sum();
    let (na, nb) = (a.len() as u64, b.len() as u64);
    assert!(
        total >= na.max(nb) && total + 20 <= na + nb,
        "server sent {total} frames for members that decoded {na} and {nb}:\n{out}"
    );
}

#[test]
fn gstreamer_rtspsrc_decodes_the_multicast_stream() {
    let ns = Netns::new();
    let (srv, url) = server(&ns);
    // `num-buffers=50`: the pipeline ends (exit 0) only after 50 decoded
    // frames; the caps filter fails negotiation on any other size.
    let mut gst = Proc::spawn(
        "gst-launch-1.0",
        ns.exec(peer("gst-launch-1.0")).args([
            "-q",
            "rtspsrc",
            &format!("location={url}"),
            "protocols=udp-mcast",
            "!",
            "rtpjpegdepay",
            "!",
            "jpegdec",
            "!",
            "video/x-raw,width=320,height=240",
            "!",
            "fakesink",
            "num-buffers=50",
        ]),
    );
    let status = gst.wait_exit(DEADLINE);
    assert!(status.success(), "gst-launch: {}", gst.output());
    let log = srv.wait_for_line(" ended (", DEADLINE);
    let frames = frames_sent(&log);
    assert!(frames.first().is_some_and(|&f| f >= 50), "{log}");
    assert!(
        srv.output()
            .contains(&format!("UDP multicast to {GROUP} ports 6000-6001")),
        "{}",
        srv.output()
    );
}
