//! Pull-relays (`rtsp-server --pull NAME=URL`) with real peers: a chain of
//! two relays in front of an origin rtsp-server played by ffmpeg, scan data
//! byte-exact against the origin's clip; an origin killed and restarted on
//! its port while a viewer stays connected; the on-demand pull torn down
//! after the last viewer; bad URLs, refusing, unreachable and
//! password-protected origins.

mod server_util;

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use rtsp_e2e::{bin, ecs, ffmpeg_copy_pull, free_tcp_port, split_jpegs, Scratch, DEADLINE};
use server_util::{Client, Server};

/// The clip the origin serves (rtsp-server's built-in clip).
const CLIP: &str = "host-server/media/movie.Mjpeg";

/// Scan data (the entropy-coded segment, what RTP/JPEG carries) of every
/// frame of the origin's clip → its index.
fn clip_scans() -> HashMap<Vec<u8>, usize> {
    let bytes = std::fs::read(rtsp_e2e::workspace_root().join(CLIP)).expect("built-in clip");
    split_jpegs(&bytes)
        .iter()
        .enumerate()
        .map(|(i, f)| (ecs(f), i))
        .collect()
}

/// A relay pulling `url` at `name` (on demand unless `extra` says otherwise).
fn relay(name: &str, url: &str, extra: &[&str]) -> Server {
    let pull = format!("{name}={url}");
    let mut args = vec!["--pull", pull.as_str()];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// A viewer on TCP interleaved: DESCRIBE, SETUP, PLAY; with its session.
fn viewer(port: u16, url: &str) -> (Client, String) {
    let mut c = Client::connect(port, url);
    let session = c.setup_tcp().session();
    let r = c.request("PLAY", url, &[("Session", &session)]);
    assert_eq!(r.status, 200, "PLAY: {r:?}");
    (c, session)
}

/// Frames (RTP marker packets on channel 0) read within `window`.
fn frames_within(c: &mut Client, window: Duration) -> usize {
    c.read_interleaved(window)
        .iter()
        .filter(|(ch, p)| *ch == 0 && p.len() > 12 && p[1] & 0x80 != 0)
        .count()
}

#[test]
fn chain_of_two_relays_plays_byte_exact_in_ffmpeg() {
    // The origin sends the clip's frames as they are (no restart interval
    // added), so what arrives can be checked against the file.
    let origin = Server::start(&["--no-restart"]);
    let first = relay("a", &origin.url("movie.Mjpeg"), &[]);
    let second = relay("b", &first.url("a"), &[]);
    let scratch = Scratch::new("relay-chain");
    let (decoded, received) = ffmpeg_copy_pull(&scratch, "chain", &second.url("b"), "tcp", 4);
    // 4 s at the clip's 25 fps; the relays' live queues may drop a frame
    // on a busy machine, never many.
    assert!(received.len() >= 75, "{} frames in 4 s", received.len());
    // Every frame decodes (the two outputs' `-t` may cut one apart).
    assert!(
        decoded.len().abs_diff(received.len()) <= 1,
        "{} frames decoded of {} received",
        decoded.len(),
        received.len()
    );
    let clip = clip_scans();
    let mut consecutive = 0;
    let mut last = None;
    for (n, f) in received.iter().enumerate() {
        let Some(&i) = clip.get(&ecs(f)) else {
            panic!("frame {n} received through two relays is no frame of the origin's clip");
        };
        if last.is_some_and(|l| (l + 1) % clip.len() == i) {
            consecutive += 1;
        }
        last = Some(i);
    }
    // In the clip's order: each frame the one after the last.
    assert!(
        consecutive * 10 >= (received.len() - 1) * 9,
        "{consecutive} of {} frames follow their predecessor",
        received.len()
    );
    // Each relay pulled its origin once, over TCP.
    origin
        .proc
        .wait_for_line("set up for movie.Mjpeg: RTP/AVP/TCP", DEADLINE);
    first
        .proc
        .wait_for_line("set up for a: RTP/AVP/TCP", DEADLINE);
    // A viewer over UDP on the first relay gets the same scan data.
    let (_, over_udp) = ffmpeg_copy_pull(&scratch, "udp", &first.url("a"), "udp", 2);
    assert!(
        over_udp.len() >= 35,
        "{} frames over UDP in 2 s",
        over_udp.len()
    );
    for (n, f) in over_udp.iter().enumerate() {
        assert!(clip.contains_key(&ecs(f)), "UDP frame {n} is no clip frame");
    }
}

#[test]
fn origin_killed_and_restarted_resumes_the_viewers() {
    let port = free_tcp_port();
    let origin = Server::start_on(port, &[]);
    let url = format!("rtsp://127.0.0.1:{port}/movie.Mjpeg");
    let relay = relay("cam", &url, &[]);
    let (mut v, session) = viewer(relay.port, &relay.url("cam"));
    assert!(
        frames_within(&mut v, Duration::from_secs(2)) >= 25,
        "frames before the kill"
    );

    // Kill the origin by its PID: the relay loses it, the viewer stays.
    drop(origin);
    relay
        .proc
        .wait_for_line("pull cam: rtsp://127.0.0.1", DEADLINE);
    // Frames stop (at most what was in flight).
    let end = Instant::now() + DEADLINE;
    while frames_within(&mut v, Duration::from_millis(500)) > 0 {
        assert!(Instant::now() < end, "frames kept coming without an origin");
    }

    let origin = Server::start_on(port, &[]);
    let back = Instant::now();
    let mut resumed = 0;
    while resumed < 10 {
        resumed += frames_within(&mut v, Duration::from_millis(100));
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "the viewer got {resumed} frames in the 5 s after the origin came back"
        );
    }
    eprintln!(
        "frames again {:.2} s after the origin listened",
        back.elapsed().as_secs_f64()
    );
    origin
        .proc
        .wait_for_line("set up for movie.Mjpeg", DEADLINE);
    // The same viewer connection, the same session: it never reconnected.
    let r = v.request("GET_PARAMETER", &relay.url("cam"), &[("Session", &session)]);
    assert_eq!(r.status, 200, "the viewer's session lives on: {r:?}");
}

#[test]
fn the_on_demand_pull_stops_after_the_last_viewer_leaves() {
    let origin = Server::start(&[]);
    let relay = relay("cam", &origin.url("movie.Mjpeg"), &[]);
    // Nobody watches: nothing is pulled.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !origin.proc.output().contains("set up for"),
        "pulled with no viewer:\n{}",
        origin.proc.output()
    );
    let (mut v, session) = viewer(relay.port, &relay.url("cam"));
    assert!(frames_within(&mut v, Duration::from_secs(2)) >= 25);
    origin
        .proc
        .wait_for_line("set up for movie.Mjpeg", DEADLINE);
    let r = v.request("TEARDOWN", &relay.url("cam"), &[("Session", &session)]);
    assert_eq!(r.status, 200);
    relay
        .proc
        .wait_for_line("pull cam: no viewer for 5 s", DEADLINE);
    // The origin's session ends with the relay's TEARDOWN.
    origin
        .proc
        .wait_for_line("for movie.Mjpeg ended (TEARDOWN)", DEADLINE);
}

#[test]
fn pull_always_opens_the_origin_with_no_viewer() {
    let origin = Server::start(&[]);
    let relay = relay("cam", &origin.url("movie.Mjpeg"), &["--pull-always"]);
    origin
        .proc
        .wait_for_line("set up for movie.Mjpeg", DEADLINE);
    relay
        .proc
        .wait_for_line("live cam: first frame, 320x240", DEADLINE);
}

#[test]
fn a_bad_pull_url_is_a_one_line_error() {
    for bad in [
        "cam=http://127.0.0.1/x",
        "cam=rtsp://127.0.0.1:99999/x",
        "cam",
        "../up=rtsp://127.0.0.1/x",
    ] {
        let out = Command::new(bin("rtsp-server"))
            .args(["--port", "0", "--pull", bad])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad}: accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = err
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("For more information"))
            .collect();
        assert_eq!(lines.len(), 1, "{bad}: {err}");
        assert!(lines[0].contains("--pull"), "{bad}: {err}");
    }
}

#[test]
fn refusing_and_unreachable_origins_get_clear_statuses() {
    let origin = Server::start(&["--user", "alice", "--password", "secret"]);
    let nobody = free_tcp_port();
    let good = origin.url("movie.Mjpeg").replace("://", "://alice:secret@");
    let wrong = origin.url("movie.Mjpeg").replace("://", "://alice:nope@");
    let missing = origin.url("nosuch").replace("://", "://alice:secret@");
    let relay = Server::start(&[
        "--pull",
        &format!("good={good}"),
        "--pull",
        &format!("wrong={wrong}"),
        "--pull",
        &format!("missing={missing}"),
        "--pull",
        &format!("down=rtsp://127.0.0.1:{nobody}/x"),
    ]);
    let describe = |path: &str| {
        let mut c = Client::connect(relay.port, &relay.url(path));
        c.request("DESCRIBE", &relay.url(path), &[]).status
    };
    // Credentials from the URL's userinfo: Digest to the origin.
    assert_eq!(describe("good"), 200);
    let (mut v, _) = viewer(relay.port, &relay.url("good"));
    assert!(frames_within(&mut v, Duration::from_secs(2)) >= 25);
    assert_eq!(describe("wrong"), 502);
    relay
        .proc
        .wait_for_line("pull wrong: rtsp://127.0.0.1", DEADLINE);
    assert!(relay.proc.output().contains("401 Unauthorized"));
    assert_eq!(describe("missing"), 502);
    relay.proc.wait_for_line("404 Not Found", DEADLINE);
    assert_eq!(describe("down"), 504);
    // The password never reaches the log.
    assert!(!relay.proc.output().contains("secret"));
}
