//! Bad input gets one clear line and a non-zero exit, quickly: a refused
//! port, an unknown path (404 in plain words), a stream that is not JPEG,
//! and a server that goes away mid-stream.

mod client_common;

use std::process::Command;
use std::time::{Duration, Instant};

use client_common::{run_client, start, start_with, Server};
use rtsp_e2e::{bin, free_tcp_port, wait_until, Proc, DEADLINE};

#[test]
fn client_refused_port_fails_fast_with_one_line() {
    let port = free_tcp_port();
    let t = Instant::now();
    let (ok, out) = run_client(
        &[
            "127.0.0.1",
            &port.to_string(),
            "movie.Mjpeg",
            "--headless",
            "--play",
        ],
        Duration::from_secs(30),
    );
    assert!(!ok, "exit status should be non-zero:\n{out}");
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!(out.lines().count(), 1, "one line expected:\n{out}");
    assert!(
        out.contains("refused") && out.contains(&port.to_string()),
        "{out}"
    );
}

#[test]
fn client_unknown_path_shows_404_in_plain_words() {
    let srv = start(Server::Ours);
    let url = format!("rtsp://127.0.0.1:{}/no-such-clip.mjpeg", srv.port);
    let (ok, out) = run_client(&[&url, "--headless", "--play"], Duration::from_secs(30));
    assert!(!ok, "{out}");
    assert!(
        out.contains("404") && out.contains("no such presentation"),
        "{out}"
    );
}

#[test]
fn client_refuses_a_stream_that_is_not_jpeg() {
    let srv = start_with(Server::Gst, &["--raw"]);
    let (ok, out) = run_client(
        &[&srv.url, "--headless", "--play", "--duration", "3"],
        Duration::from_secs(30),
    );
    assert!(!ok, "{out}");
    assert!(out.contains("not MJPEG") && out.contains("RAW"), "{out}");
}

#[test]
fn client_reports_a_server_that_goes_away() {
    let mut srv = start(Server::Gst);
    let mut cmd = Command::new(bin("rtsp-client"));
    cmd.args([&srv.url, "--headless", "--play", "--duration", "60"]);
    let mut client = Proc::spawn("rtsp-client", &mut cmd);
    client.wait_for_line("kbit/s  loss", DEADLINE);
    let _ = srv.proc.child.kill();
    let _ = srv.proc.child.wait();
    let t = Instant::now();
    let st = client.wait_exit(DEADLINE);
    assert!(!st.success(), "{}", client.output());
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?} to notice",
        t.elapsed()
    );
    assert!(
        wait_until(Duration::from_secs(5), || client
            .output()
            .contains("closed the RTSP connection")),
        "{}",
        client.output()
    );
    // The metrics so far are still summarised.
    assert!(client.output().contains("summary:"), "{}", client.output());
}
