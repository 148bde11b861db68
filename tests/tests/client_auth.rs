//! rtsp-client against servers that require a password (RFC 2326 §12.5,
//! §12.44): our `rtsp-server --user --password` (Digest, and with `--basic`
//! Digest plus Basic) and GStreamer's RTSP server with Digest only and with
//! Basic only. Credentials come from the URL (percent-encoded) or from
//! `--user`/`--password`. The client plays (frames ≈ fps × seconds, the
//! stream's size); a wrong or missing password ends with one line naming
//! the 401 and a non-zero exit, never printing the password; and a scripted
//! server checks the bytes: no userinfo in request URIs, the exact Basic
//! token.

mod client_common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use client_common::{f, report, run_client, start_with, u, Running, Server};
use rtsp_e2e::{wait_until, Scratch, DEADLINE};

const SECONDS: f64 = 2.0;
const USER: &str = "viewer";
/// Needs percent-encoding in a URL (RFC 3986 §3.2.1): `@`, space, `:`.
const PASSWORD: &str = "p@ss w:rd";
const PASSWORD_IN_URL: &str = "p%40ss%20w%3Ard";

/// Plays `url` (plus `extra` options) for SECONDS and checks the frames.
fn plays(srv: &Running, url: &str, extra: &[&str]) {
    let dir = Scratch::new("client-auth");
    let rep = dir.path("report.json");
    let secs = SECONDS.to_string();
    let mut args = vec![
        url,
        "--headless",
        "--play",
        "--duration",
        &secs,
        "--report",
        rep.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (ok, out) = run_client(&args, Duration::from_secs(60));
    assert!(ok, "client failed:\n{out}");
    assert!(!out.contains(PASSWORD), "the password was printed:\n{out}");
    assert!(
        !out.contains(PASSWORD_IN_URL),
        "the password was printed:\n{out}"
    );
    let r = report(&rep);
    let n = u(&r, "frames_received");
    let want = srv.fps * f(&r, "duration_s");
    assert!(
        (n as f64) > want * 0.85 && (n as f64) < want * 1.1 + 2.0,
        "{n} frames in {:.2} s: {r}",
        f(&r, "duration_s")
    );
    assert_eq!(
        (u(&r, "width") as u32, u(&r, "height") as u32),
        srv.size,
        "{r}"
    );
    assert_eq!(u(&r, "frames_dropped"), 0, "{r}");
}

/// `rtsp://USER:PASSWORD@127.0.0.1:port/path` for a server's plain URL.
fn with_userinfo(url: &str, userinfo: &str) -> String {
    url.replacen("rtsp://", &format!("rtsp://{userinfo}@"), 1)
}

fn ours(extra: &[&str]) -> Running {
    let mut args = vec!["--user", USER, "--password", PASSWORD];
    args.extend_from_slice(extra);
    start_with(Server::Ours, &args)
}

#[test]
fn ours_digest_with_credentials_in_the_url() {
    let srv = ours(&[]);
    let url = with_userinfo(&srv.url, &format!("{USER}:{PASSWORD_IN_URL}"));
    plays(&srv, &url, &[]);
}

#[test]
fn ours_digest_and_basic_offered_with_options_over_tcp() {
    let srv = ours(&["--basic"]);
    // The lab's form with the options; the URL's wrong password loses to
    // --password in the other form.
    let port = srv.port.to_string();
    let dir = Scratch::new("client-auth-lab");
    let rep = dir.path("report.json");
    let (ok, out) = run_client(
        &[
            "127.0.0.1",
            &port,
            "movie.Mjpeg",
            "--user",
            USER,
            "--password",
            PASSWORD,
            "--headless",
            "--play",
            "--tcp",
            "--frames",
            "20",
            "--report",
            rep.to_str().unwrap(),
        ],
        Duration::from_secs(60),
    );
    assert!(ok, "client failed:\n{out}");
    assert_eq!(u(&report(&rep), "frames_received"), 20);
    let url = with_userinfo(&srv.url, &format!("{USER}:wrong"));
    plays(&srv, &url, &["--password", PASSWORD, "--tcp"]);
}

#[test]
fn gstreamer_digest_only() {
    let srv = start_with(Server::Gst, &["--digest", &format!("{USER}:{PASSWORD}")]);
    let url = with_userinfo(&srv.url, &format!("{USER}:{PASSWORD_IN_URL}"));
    plays(&srv, &url, &[]);
    plays(
        &srv,
        &srv.url,
        &["--user", USER, "--password", PASSWORD, "--tcp"],
    );
}

#[test]
fn gstreamer_basic_only() {
    let srv = start_with(Server::Gst, &["--basic", &format!("{USER}:{PASSWORD}")]);
    plays(&srv, &srv.url, &["--user", USER, "--password", PASSWORD]);
}

/// Runs the client expecting it to fail; returns its output.
fn refused(args: &[&str]) -> String {
    let started = std::time::Instant::now();
    let (ok, out) = run_client(args, Duration::from_secs(60));
    assert!(!ok, "the client should exit non-zero:\n{out}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    out
}

#[test]
fn wrong_or_missing_password_is_one_line_and_non_zero() {
    for srv in [
        ours(&[]),
        start_with(Server::Gst, &["--digest", &format!("{USER}:{PASSWORD}")]),
    ] {
        let wrong = "n0t-the-Pa55word";
        let out = refused(&[
            &srv.url,
            "--headless",
            "--play",
            "--user",
            USER,
            "--password",
            wrong,
        ]);
        let want = format!(
            "rtsp-client: 401 Unauthorized from {}: wrong user/password \
             (give them in the URL or with --user/--password)",
            srv.url
        );
        assert!(out.lines().any(|l| l == want), "want {want:?} in:\n{out}");
        assert!(!out.contains(wrong), "the password was printed:\n{out}");

        let url = with_userinfo(&srv.url, &format!("{USER}:{wrong}"));
        let out = refused(&[&url, "--headless", "--play"]);
        assert!(out.lines().any(|l| l == want), "want {want:?} in:\n{out}");
        assert!(!out.contains(wrong), "the password was printed:\n{out}");

        let out = refused(&[&srv.url, "--headless", "--play"]);
        let want = want.replace("wrong user/password", "missing user/password");
        assert!(out.lines().any(|l| l == want), "want {want:?} in:\n{out}");
    }
}

/// One RTSP request read from `r` (headers only: the client sends no body).
fn read_request(r: &mut impl BufRead) -> String {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        assert!(r.read_line(&mut line).unwrap() > 0, "closed after {text:?}");
        text += &line;
        if line == "\r\n" {
            return text;
        }
    }
}

fn field<'a>(request: &'a str, name: &str) -> &'a str {
    request
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
        .unwrap_or_else(|| panic!("no {name} in {request:?}"))
}

#[test]
fn the_wire_has_no_userinfo_and_the_exact_basic_token() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let server = std::thread::spawn(move || {
        // Never block for good: a client that does not connect fails the test.
        let mut conn = None;
        assert!(
            wait_until(DEADLINE, || {
                conn = listener.accept().ok();
                conn.is_some()
            }),
            "the client never connected"
        );
        let (conn, _) = conn.unwrap();
        conn.set_nonblocking(false).unwrap();
        conn.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut w = conn.try_clone().unwrap();
        let mut r = BufReader::new(conn);
        let mut requests = Vec::new();
        // OPTIONS, DESCRIBE, DESCRIBE with credentials: refuse them all.
        for answer in [
            "200 OK\r\nPublic: OPTIONS, DESCRIBE",
            "401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"cam\"",
            "401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"cam\"",
        ] {
            let req = read_request(&mut r);
            let cseq = field(&req, "CSeq").to_string();
            write!(w, "RTSP/1.0 {answer}\r\nCSeq: {cseq}\r\n\r\n").unwrap();
            requests.push(req);
        }
        // The client gives up and closes.
        let mut rest = Vec::new();
        let _ = r.read_to_end(&mut rest);
        requests
    });
    let url = format!("rtsp://{USER}:{PASSWORD_IN_URL}@127.0.0.1:{port}/cam");
    let out = refused(&[&url, "--headless", "--play"]);
    let requests = server.join().unwrap();
    let plain = format!("rtsp://127.0.0.1:{port}/cam");
    let lines: Vec<_> = requests.iter().map(|r| r.lines().next().unwrap()).collect();
    assert_eq!(
        lines,
        [
            format!("OPTIONS {plain} RTSP/1.0"),
            format!("DESCRIBE {plain} RTSP/1.0"),
            format!("DESCRIBE {plain} RTSP/1.0"),
        ]
    );
    assert!(!requests[1].contains("Authorization"), "{}", requests[1]);
    // base64("viewer:p@ss w:rd"), RFC 2617 §2.
    assert_eq!(
        field(&requests[2], "Authorization"),
        "Basic dmlld2VyOnBAc3MgdzpyZA=="
    );
    assert!(
        out.contains(&format!(
            "401 Unauthorized from {plain}: wrong user/password"
        )),
        "{out}"
    );
}
