//! The command line: a mistake is one line on standard error and exit
//! status 2; `-v` logs the RTSP dialogue (RFC 2326 §6, §7 start lines) on
//! standard error through `tracing`, `-vv` every RTP packet too, and
//! without them the output has neither.

mod client_common;

use std::process::Command;
use std::time::Duration;

use client_common::{start, Server};
use rtsp_e2e::bin;

#[test]
fn a_command_line_mistake_is_one_line_and_status_2() {
    for (args, says) in [
        (
            &["127.0.0.1", "eighty", "movie.Mjpeg"][..],
            "bad port \"eighty\"",
        ),
        (&["http://127.0.0.1/x"][..], "not an rtsp:// URL"),
        (
            &["rtsp://127.0.0.1/x", "--password", "p"][..],
            "--password needs a user",
        ),
    ] {
        let out = Command::new(bin("rtsp-client"))
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("rtsp-client: ") && err.contains(says),
            "{err}"
        );
    }
    let out = Command::new(bin("rtsp-client"))
        .args(["rtsp://127.0.0.1/x", "--start", "soon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "clap refuses a bad --start");
}

/// Plays 3 frames with `flags`; returns standard error.
fn stderr_of_a_short_play(flags: &[&str]) -> String {
    let srv = start(Server::Ours);
    let mut cmd = Command::new(bin("rtsp-client"));
    cmd.args([srv.url.as_str(), "--headless", "--play", "--frames", "3"])
        .args(flags);
    let mut p = rtsp_e2e::Proc::spawn("rtsp-client", &mut cmd);
    let st = p.wait_exit(Duration::from_secs(60));
    assert!(st.success(), "{}", p.output());
    p.output()
}

#[test]
fn verbose_logs_the_dialogue_and_very_verbose_the_packets() {
    let quiet = stderr_of_a_short_play(&[]);
    assert!(
        !quiet.contains("sent: ") && !quiet.contains("RTP seq"),
        "{quiet}"
    );

    let v = stderr_of_a_short_play(&["-v"]);
    for needle in [
        "sent: OPTIONS rtsp://",
        "sent: SETUP rtsp://",
        "sent: PLAY rtsp://",
        "sent: TEARDOWN rtsp://",
        "received: RTSP/1.0 200 OK",
        "event: Playing",
    ] {
        assert!(v.contains(needle), "no {needle:?} with -v:\n{v}");
    }
    assert!(!v.contains("RTP seq"), "packets only with -vv:\n{v}");

    let vv = stderr_of_a_short_play(&["-vv"]);
    assert!(vv.contains("RTP seq") && vv.contains("sent: PLAY"), "{vv}");
}
