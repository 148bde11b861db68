//! `--start SECS` against rtsp-server: the client sends `Range: npt=SECS-`
//! (RFC 2326 §12.29) and the first frame it saves is the clip's frame at
//! SECS, byte-exact (its scan data, RFC 2435 §3.1.9), then the frames after
//! it in order. The prompt's `seek` is tested in client_prompt.rs.

mod client_common;

use std::time::Duration;

use client_common::{
    builtin_clip_scans, report, run_client, saved_clip_indices, start_with, u, Server,
};
use rtsp_e2e::Scratch;

fn start_at_two_seconds(tcp: bool) {
    let clip = builtin_clip_scans();
    // Frames are told apart by their scan data byte for byte: the clip as
    // it is, without the default restart re-coding.
    let srv = start_with(Server::Ours, &["--no-restart"]);
    let dir = Scratch::new("client-start");
    let frames = dir.path("frames");
    let rep = dir.path("report.json");
    let mut args = vec![
        srv.url.as_str(),
        "--headless",
        "--play",
        "--start",
        "2",
        "--frames",
        "5",
        "--save-frames",
        frames.to_str().unwrap(),
        "--report",
        rep.to_str().unwrap(),
    ];
    if tcp {
        args.push("--tcp");
    }
    let (ok, out) = run_client(&args, Duration::from_secs(60));
    assert!(ok, "client failed:\n{out}");
    assert_eq!(u(&report(&rep), "frames_dropped"), 0);
    // 2 s at 25 fps is frame 50 of the clip.
    let shown = saved_clip_indices(&frames, &clip);
    assert_eq!(
        shown,
        [Some(50), Some(51), Some(52), Some(53), Some(54)],
        "clip frames saved after --start 2:\n{out}"
    );
}

#[test]
fn start_plays_from_the_position_over_udp() {
    start_at_two_seconds(false);
}

#[test]
fn start_plays_from_the_position_over_tcp() {
    start_at_two_seconds(true);
}
