//! The window shows the video: under Xvfb, screenshots of the screen while
//! the client plays GStreamer's moving test pattern are not uniform and
//! change from one shot to the next; without a display the client still
//! plays (headless).

mod client_common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use client_common::{start, Server};
use rtsp_e2e::{bin, peer, wait_until, Proc, Scratch, DEADLINE};

/// Starts Xvfb on a display number nobody uses; returns it with its number.
fn xvfb() -> (Proc, u32) {
    let xvfb = peer("Xvfb");
    for n in 90..200u32 {
        if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            || Path::new(&format!("/tmp/.X{n}-lock")).exists()
        {
            continue;
        }
        let mut cmd = Command::new(&xvfb);
        cmd.args([
            format!(":{n}"),
            "-screen".into(),
            "0".into(),
            "800x600x24".into(),
            "-nolisten".into(),
            "tcp".into(),
        ]);
        let mut p = Proc::spawn("Xvfb", &mut cmd);
        let up = wait_until(Duration::from_secs(20), || {
            Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                || p.child.try_wait().ok().flatten().is_some()
        });
        if up && p.child.try_wait().ok().flatten().is_none() {
            return (p, n);
        }
    }
    panic!("no free X display number for Xvfb");
}

/// The whole screen as packed RGB, via ImageMagick's `import`.
fn screenshot(display: u32) -> Vec<u8> {
    let out = Command::new(peer("import"))
        .args([
            "-display",
            &format!(":{display}"),
            "-window",
            "root",
            "-depth",
            "8",
            "rgb:-",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout.len(),
        800 * 600 * 3,
        "unexpected screenshot size"
    );
    out.stdout
}

fn distinct_colours(rgb: &[u8]) -> usize {
    let mut set = std::collections::HashSet::new();
    for p in rgb.chunks(3) {
        set.insert((p[0], p[1], p[2]));
    }
    set.len()
}

#[test]
fn client_window_shows_the_moving_video_under_xvfb() {
    let (_x, display) = xvfb();
    let srv = start(Server::Gst);
    let mut cmd = Command::new(bin("rtsp-client"));
    cmd.env("DISPLAY", format!(":{display}"))
        .args([&srv.url, "--play", "--duration", "20"]);
    let client = Proc::spawn("rtsp-client", &mut cmd);
    // Two status lines: frames have been arriving and shown for a second.
    client.wait_for_line("kbit/s  loss", DEADLINE);
    assert!(
        wait_until(DEADLINE, || client
            .output()
            .lines()
            .filter(|l| l.contains("kbit/s  loss"))
            .count()
            >= 2),
        "no status lines:\n{}",
        client.output()
    );
    let first = screenshot(display);
    let colours = distinct_colours(&first);
    assert!(
        colours > 20,
        "the screen is nearly uniform ({colours} colours): no video shown"
    );
    // The pattern moves: a later shot differs.
    let mut changed = 0usize;
    assert!(
        wait_until(Duration::from_secs(10), || {
            let next = screenshot(display);
            changed = first.iter().zip(&next).filter(|(a, b)| a != b).count();
            changed > 300
        }),
        "the picture did not change between shots ({changed} bytes differ)"
    );
    client.interrupt();
    let mut client = client;
    let st = client.wait_exit(DEADLINE);
    assert!(
        st.success(),
        "client failed after Ctrl-C:\n{}",
        client.output()
    );
    assert!(
        client.output().contains("200 OK to TEARDOWN"),
        "Ctrl-C did not tear down:\n{}",
        client.output()
    );
}

/// With a DISPLAY that does not exist, the client says so and plays headless.
#[test]
fn client_without_display_plays_headless() {
    let srv = start(Server::Gst);
    let dir = Scratch::new("client-nodisplay");
    let rep = dir.path("r.json");
    let mut cmd = Command::new(bin("rtsp-client"));
    cmd.env("DISPLAY", ":4321").args([
        &srv.url,
        "--play",
        "--duration",
        "1",
        "--report",
        rep.to_str().unwrap(),
    ]);
    let mut client = Proc::spawn("rtsp-client", &mut cmd);
    assert!(client.wait_exit(DEADLINE).success(), "{}", client.output());
    let r = client_common::report(&rep);
    assert!(client_common::u(&r, "frames_received") >= 15, "{r}");
}
