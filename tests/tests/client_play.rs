//! The client plays headless from our server and from GStreamer's RTSP
//! server, over UDP and over TCP: the frame count matches fps × seconds,
//! the frames have the stream's size, and every saved frame decodes with
//! ffmpeg to that size.

mod client_common;

use std::time::Duration;

use client_common::{f, ffmpeg_decodes, ffprobe_size, i, report, run_client, start, u, Server};
use rtsp_e2e::Scratch;

const SECONDS: f64 = 3.0;

fn play(server: Server, tcp: bool) {
    let srv = start(server);
    let dir = Scratch::new("client-play");
    let rep = dir.path("report.json");
    let frames = dir.path("frames");
    let secs = SECONDS.to_string();
    let mut args = vec![
        srv.url.as_str(),
        "--headless",
        "--play",
        "--duration",
        &secs,
        "--report",
        rep.to_str().unwrap(),
        "--save-frames",
        frames.to_str().unwrap(),
    ];
    if tcp {
        args.push("--tcp");
    }
    let (ok, out) = run_client(&args, Duration::from_secs(60));
    assert!(ok, "client failed:\n{out}");
    let r = report(&rep);
    assert_eq!(r["transport"], if tcp { "tcp" } else { "udp" }, "{r}");

    // Frames ≈ fps × seconds (startup and teardown cost a frame or two).
    let n = u(&r, "frames_received");
    let want = srv.fps * f(&r, "duration_s");
    assert!(
        (n as f64) > want * 0.85 && (n as f64) < want * 1.1 + 2.0,
        "{n} frames in {:.2} s: {r}",
        f(&r, "duration_s")
    );
    assert!(f(&r, "duration_s") >= SECONDS - 0.05, "{r}");
    assert_eq!(
        (u(&r, "width") as u32, u(&r, "height") as u32),
        srv.size,
        "{r}"
    );
    assert_eq!(u(&r, "frames_dropped"), 0, "{r}");
    assert_eq!(i(&r, "packets_lost"), 0, "{r}");
    assert_eq!(u(&r, "packets_received"), u(&r, "packets_expected"), "{r}");
    assert!(f(&r, "payload_kbps") > 50.0, "{r}");

    // Every frame was saved, and real decoders open them at the right size.
    let files = rtsp_e2e::sorted_files(&frames);
    assert_eq!(files.len() as u64, n, "saved frames vs report");
    for file in [&files[0], &files[files.len() / 2], &files[files.len() - 1]] {
        assert_eq!(ffprobe_size(file), srv.size, "{}", file.display());
        assert!(
            ffmpeg_decodes(file),
            "ffmpeg cannot decode {}",
            file.display()
        );
    }
    // The stream moves: first and last frames differ.
    assert_ne!(
        std::fs::read(&files[0]).unwrap(),
        std::fs::read(&files[files.len() - 1]).unwrap()
    );
}

#[test]
fn client_plays_gstreamer_over_udp() {
    play(Server::Gst, false);
}

#[test]
fn client_plays_gstreamer_over_tcp() {
    play(Server::Gst, true);
}

#[test]
fn client_plays_our_server_over_udp() {
    play(Server::Ours, false);
}

#[test]
fn client_plays_our_server_over_tcp() {
    play(Server::Ours, true);
}

/// `--frames N` stops after N complete frames and tears down cleanly.
#[test]
fn client_stops_after_n_frames() {
    let srv = start(Server::Gst);
    let dir = Scratch::new("client-frames");
    let rep = dir.path("report.json");
    let (ok, out) = run_client(
        &[
            &srv.url,
            "--headless",
            "--play",
            "--frames",
            "20",
            "--report",
            rep.to_str().unwrap(),
        ],
        Duration::from_secs(60),
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("200 OK to TEARDOWN"),
        "no clean teardown:\n{out}"
    );
    let r = report(&rep);
    // Exactly N: media still in flight after the Nth frame is not counted.
    assert_eq!(u(&r, "frames_received"), 20, "{r}");
}

/// Keep-alive at timeout/2 with the method from `Public:`, and RTCP
/// receiver reports every ~5 s: a 2 s session timeout never expires while
/// the client plays for 5.5 s, and the server counts our reports.
#[test]
fn client_keeps_the_session_alive_and_sends_receiver_reports() {
    let srv = client_common::start_with(Server::Ours, &["--session-timeout", "2"]);
    let dir = Scratch::new("client-keepalive");
    let rep = dir.path("report.json");
    // The lab's form: HOST PORT FILE.
    let port = srv.port.to_string();
    let (ok, out) = run_client(
        &[
            "127.0.0.1",
            &port,
            "movie.Mjpeg",
            "--headless",
            "--play",
            "--duration",
            "5.5",
            "--report",
            rep.to_str().unwrap(),
        ],
        Duration::from_secs(60),
    );
    assert!(ok, "{out}");
    assert!(out.contains("timeout 2 s"), "{out}");
    let r = report(&rep);
    assert!(
        u(&r, "keepalives_sent") >= 4,
        "keep-alives every second expected: {r}"
    );
    assert!(u(&r, "rtcp_rr_sent") >= 1, "{r}");
    assert!(
        u(&r, "frames_received") as f64 >= 25.0 * 5.5 * 0.85,
        "the session expired early? {r}"
    );
    assert!(
        out.contains("200 OK to TEARDOWN"),
        "the session was gone before TEARDOWN:\n{out}"
    );
    let log = srv.proc.output();
    let reports: u64 = log
        .lines()
        .find_map(|l| {
            l.split(" receiver report")
                .next()
                .filter(|_| l.contains(" receiver report"))
        })
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        reports >= 1,
        "the server counted no receiver report:\n{log}"
    );
}
