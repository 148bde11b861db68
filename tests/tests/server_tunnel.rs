//! RTSP over HTTP tunnelling on the RTSP port (QuickTime's GET/POST pair
//! joined by `x-sessioncookie`), against real peers:
//! * ffmpeg (`-rtsp_transport http`) and GStreamer (`rtspsrc
//!   location=rtsph://…`) play the built-in clip through the tunnel, and
//!   the scan data they receive is byte for byte the clip's (served with
//!   `--no-restart`, so the scans are the clip's own; restart intervals
//!   are the same bytes through any interleaved transport, checked in
//!   server_restart);
//! * with `--user/--password`, a tunnel GET without credentials gets 401,
//!   and both peers play with them;
//! * bad input: a POST with invalid base64 gets 400 and the tunnel ends, a
//!   POST whose cookie matches no GET gets 404, a GET with a cookie in use
//!   gets 409, a tunnel GET without a cookie gets 400; an RTSP client
//!   playing meanwhile keeps its frame rate;
//! * open tunnels and the sessions in them count toward `--max-sessions`,
//!   and closing the POST ends the tunnel and frees its place, as does a
//!   GET whose POST never comes.

mod http_util;
mod server_util;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::thread;
use std::time::Instant;

use rtsp_e2e::{ecs, ffmpeg_copy_pull, gst_played, peer, Proc, Scratch, DEADLINE};
use server_util::Server;

const FPS: f64 = 25.0;

/// The scan data of the built-in clip's frames.
fn clip_scans() -> BTreeSet<Vec<u8>> {
    http_util::clip_jpegs().iter().map(|j| ecs(j)).collect()
}

/// Checks that every received JPEG carries one of the clip's scans, and
/// that `at_least` of the clip's frames came.
fn assert_scans_exact(what: &str, received: &[Vec<u8>], at_least: usize) {
    let clip = clip_scans();
    let got: BTreeSet<Vec<u8>> = received.iter().map(|j| ecs(j)).collect();
    let foreign = got.difference(&clip).count();
    assert_eq!(
        foreign, 0,
        "{what}: {foreign} received scans are not the clip's"
    );
    assert!(
        got.len() >= at_least,
        "{what}: {} distinct clip frames received, want at least {at_least}",
        got.len()
    );
}

/// Pulls `url` through the tunnel with ffmpeg for `secs`: the number of
/// frames decoded (each 320x240 4:2:0) and the JPEGs received.
fn ffmpeg_tunnel(scratch: &Scratch, tag: &str, url: &str, secs: u32) -> (usize, Vec<Vec<u8>>) {
    let (decoded, received) = ffmpeg_copy_pull(scratch, tag, url, "http", secs);
    for f in &decoded {
        assert!(f.contains(" 115200,"), "{tag}: a 320x240 frame: {f}");
    }
    (decoded.len(), received)
}

/// Plays `location` with `rtspsrc` (extra properties in `props`) for 50
/// frames; returns the JPEGs `rtpjpegdepay` put out.
fn gst_tunnel(scratch: &Scratch, tag: &str, location: &str, props: &str) -> Vec<Vec<u8>> {
    let dir = scratch.path(tag);
    std::fs::create_dir_all(&dir).unwrap();
    let pipeline = format!(
        "rtspsrc location={location} {props} latency=100 ! rtpjpegdepay ! \
         identity eos-after=50 ! multifilesink location={}/f%05d.jpg",
        dir.display()
    );
    let mut cmd = Command::new(peer("gst-launch-1.0"));
    cmd.arg("-e").args(pipeline.split_whitespace());
    let mut gst = Proc::spawn("gst-launch-1.0", &mut cmd);
    gst.wait_exit(DEADLINE);
    if let Err(why) = gst_played(&gst.output()) {
        panic!("{tag}: {why}:\n{}", gst.output());
    }
    rtsp_e2e::read_sorted(&dir)
}

#[test]
fn ffmpeg_and_gstreamer_play_through_the_tunnel_byte_exact() {
    let scratch = Scratch::new("tunnel-peers");
    let server = Server::start(&["--no-restart"]);
    let (decoded, received) = ffmpeg_tunnel(&scratch, "ffmpeg", &server.url("movie.Mjpeg"), 4);
    let want = FPS * 4.0;
    assert!(
        decoded as f64 >= want * 0.9 && decoded as f64 <= want + 3.0,
        "ffmpeg decoded {decoded} frames in 4 s through the tunnel, want about {want}"
    );
    assert!(
        received.len() >= 90,
        "ffmpeg: {} frames received",
        received.len()
    );
    assert_scans_exact("ffmpeg", &received, 90);
    server
        .proc
        .wait_for_line("RTSP-over-HTTP tunnel opened", DEADLINE);
    server
        .proc
        .wait_for_line("RTP/AVP/TCP interleaved", DEADLINE);

    let url = server.url("movie.Mjpeg").replace("rtsp://", "rtsph://");
    let received = gst_tunnel(&scratch, "gst", &url, "");
    assert!(received.len() >= 45, "GStreamer: {} frames", received.len());
    assert_scans_exact("GStreamer", &received, 45);
}

/// Reads an HTTP response head (through the empty line) from `s`.
fn read_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            other => panic!(
                "connection ended inside a response head ({other:?}): {:?}",
                String::from_utf8_lossy(&head)
            ),
        }
    }
    String::from_utf8(head).unwrap()
}

/// Sends an HTTP request head and returns the connection.
fn send_head(port: u16, head: &str) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s
}

fn tunnel_get(port: u16, cookie: &str, extra: &str) -> TcpStream {
    send_head(
        port,
        &format!(
            "GET /movie.Mjpeg HTTP/1.0\r\nx-sessioncookie: {cookie}\r\n\
             Accept: application/x-rtsp-tunnelled\r\nPragma: no-cache\r\n\
             Cache-Control: no-cache\r\n{extra}\r\n"
        ),
    )
}

fn tunnel_post(port: u16, cookie: &str, body: &[u8]) -> TcpStream {
    let mut s = send_head(
        port,
        &format!(
            "POST /movie.Mjpeg HTTP/1.0\r\nx-sessioncookie: {cookie}\r\n\
             Content-Type: application/x-rtsp-tunnelled\r\nPragma: no-cache\r\n\
             Cache-Control: no-cache\r\nContent-Length: 32767\r\n\
             Expires: Sun, 9 Jan 1972 00:00:00 GMT\r\n\r\n"
        ),
    );
    s.write_all(body).unwrap();
    s
}

/// Reads until the server closes `s` (or the deadline), returning what came.
fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let start = Instant::now();
    let mut chunk = [0u8; 65536];
    while start.elapsed() < DEADLINE {
        match s.read(&mut chunk) {
            Ok(0) => return all,
            Ok(n) => all.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return all,
            Err(e) => panic!("waiting for the server to close: {e}"),
        }
    }
    panic!("the server did not close the connection");
}

/// RFC 4648 base64, written here so the test does not use the server's
/// own decoder's counterpart.
fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= c.len() {
                char::from(A[(n >> (18 - 6 * i) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

#[test]
fn credentials_are_required_on_the_tunnel() {
    let scratch = Scratch::new("tunnel-auth");
    let server = Server::start(&["--user", "alice", "--password", "s3cret", "--no-restart"]);

    let mut get = tunnel_get(server.port, "authcookie1", "");
    let head = read_head(&mut get);
    assert!(head.starts_with("HTTP/1.1 401 "), "{head}");
    assert!(head.contains("WWW-Authenticate: Digest realm="), "{head}");

    let url = server
        .url("movie.Mjpeg")
        .replace("rtsp://", "rtsp://alice:s3cret@");
    let (decoded, received) = ffmpeg_tunnel(&scratch, "ffmpeg-auth", &url, 2);
    assert!(decoded >= 45, "ffmpeg with credentials: {decoded} frames");
    assert_scans_exact("ffmpeg with credentials", &received, 45);

    let wrong = Command::new(peer("ffmpeg"))
        .args(["-nostdin", "-v", "error", "-rtsp_transport", "http", "-i"])
        .arg(url.replace("s3cret", "nope"))
        .args(["-t", "1", "-f", "null", "-"])
        .output()
        .unwrap();
    assert!(!wrong.status.success(), "a wrong password must not play");
    server
        .proc
        .wait_for_line("HTTP refused: wrong credentials", DEADLINE);

    let location = server.url("movie.Mjpeg").replace("rtsp://", "rtsph://");
    let received = gst_tunnel(
        &scratch,
        "gst-auth",
        &location,
        "user-id=alice user-pw=s3cret",
    );
    assert_scans_exact("GStreamer with credentials", &received, 45);
}

#[test]
fn bad_tunnel_input_is_refused_and_rtsp_clients_carry_on() {
    let server = Server::start(&[]);
    let port = server.port;
    let url = server.url("movie.Mjpeg");
    // An RTSP/TCP client plays all along: 6 s of frames, counted.
    let watcher = {
        let url = url.clone();
        thread::spawn(move || {
            let out = Command::new(peer("ffmpeg"))
                .args(["-nostdin", "-v", "error", "-rtsp_transport", "tcp"])
                .args(["-timeout", "10000000", "-i", &url])
                .args(["-t", "6", "-f", "framecrc", "-"])
                .output()
                .expect("run ffmpeg");
            let frames = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .count();
            (out.status.success(), frames, out.stderr)
        })
    };
    server.proc.wait_for_line("PLAY rtsp://", DEADLINE);

    // A tunnel that works at first: OPTIONS through the POST is answered on
    // the GET, unencoded.
    let mut get = tunnel_get(port, "good-then-bad", "");
    let head = read_head(&mut get);
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "{head}");
    assert!(
        head.contains("Content-Type: application/x-rtsp-tunnelled"),
        "{head}"
    );
    let options = format!("OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\n\r\n");
    let mut post = tunnel_post(port, "good-then-bad", base64(options.as_bytes()).as_bytes());
    let answer = read_head(&mut get);
    assert!(answer.starts_with("RTSP/1.0 200 OK\r\n"), "{answer}");
    assert!(answer.contains("CSeq: 1\r\n"), "{answer}");

    // A second GET with the same cookie: 409, while the first stays open.
    let mut dup = tunnel_get(port, "good-then-bad", "");
    let head = read_head(&mut dup);
    assert!(head.starts_with("HTTP/1.1 409 "), "{head}");
    read_to_close(&mut dup);

    // Then a POST body that is not base64: 400 on the POST, both closed.
    post.write_all(b"T1BUSU9O*garbage*").unwrap();
    let refused = String::from_utf8_lossy(&read_to_close(&mut post)).into_owned();
    assert!(refused.starts_with("HTTP/1.1 400 "), "{refused}");
    assert!(refused.contains("not base64"), "{refused}");
    read_to_close(&mut get);

    // A POST whose cookie matches no GET: 404, closed.
    let mut orphan = tunnel_post(port, "no-such-get", base64(options.as_bytes()).as_bytes());
    let refused = String::from_utf8_lossy(&read_to_close(&mut orphan)).into_owned();
    assert!(refused.starts_with("HTTP/1.1 404 "), "{refused}");

    // A tunnel GET without its cookie: 400.
    let mut broken = send_head(
        port,
        "GET /movie.Mjpeg HTTP/1.0\r\nAccept: application/x-rtsp-tunnelled\r\n\r\n",
    );
    let refused = String::from_utf8_lossy(&read_to_close(&mut broken)).into_owned();
    assert!(refused.starts_with("HTTP/1.1 400 "), "{refused}");

    let (ok, frames, stderr) = watcher.join().unwrap();
    assert!(
        ok,
        "the RTSP client failed: {}",
        String::from_utf8_lossy(&stderr)
    );
    let want = FPS * 6.0;
    assert!(
        frames as f64 >= want * 0.9,
        "the RTSP client decoded {frames} frames in 6 s, want about {want}"
    );
}

#[test]
fn tunnels_count_toward_max_sessions() {
    let server = Server::start(&["--max-sessions", "1"]);
    let port = server.port;
    let url = server.url("movie.Mjpeg");

    // One tunnel is open: a second one is over capacity.
    let mut get = tunnel_get(port, "first", "");
    assert!(read_head(&mut get).starts_with("HTTP/1.0 200 OK\r\n"));
    let mut second = tunnel_get(port, "second", "");
    let head = read_head(&mut second);
    assert!(head.starts_with("HTTP/1.1 503 "), "{head}");

    // A session set up through the tunnel takes the one place: an RTSP
    // client's SETUP is refused.
    let setup = format!(
        "SETUP {url}/stream=0 RTSP/1.0\r\nCSeq: 1\r\n\
         Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n"
    );
    let post = tunnel_post(port, "first", base64(setup.as_bytes()).as_bytes());
    let answer = read_head(&mut get);
    assert!(answer.starts_with("RTSP/1.0 200 OK\r\n"), "{answer}");
    let mut rtsp = server_util::Client::connect(port, &url);
    let r = rtsp.request(
        "SETUP",
        &format!("{url}/stream=0"),
        &[("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")],
    );
    assert_eq!(r.status, 453, "SETUP beyond --max-sessions 1: {r:?}");

    // Closing the POST ends the tunnel and its session: the place is free.
    drop(post.shutdown(std::net::Shutdown::Both));
    read_to_close(&mut get);
    server
        .proc
        .wait_for_line("ended (its tunnel POST closed)", DEADLINE);
    let r = rtsp.request(
        "SETUP",
        &format!("{url}/stream=0"),
        &[("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")],
    );
    assert_eq!(r.status, 200, "SETUP once the tunnel closed: {r:?}");
    let mut third = tunnel_get(port, "second", "");
    let head = read_head(&mut third);
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "{head}");

    // A GET whose POST never comes is given up (after 10 s), freeing its
    // place for the next tunnel.
    read_to_close(&mut third);
    server
        .proc
        .wait_for_line("tunnel GET got no POST in time", DEADLINE);
    let mut fourth = tunnel_get(port, "fourth", "");
    let head = read_head(&mut fourth);
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "{head}");
}

/// Runs rtsp-client on `url` for 2 s with `extra` arguments, saving frames
/// into `dir`; returns (exit success, stderr, report JSON if written).
fn client_tunnel(
    dir: &std::path::Path,
    url: &str,
    extra: &[&str],
) -> (bool, String, Option<serde_json::Value>) {
    let report = dir.join("report.json");
    let out = Command::new(rtsp_e2e::bin("rtsp-client"))
        .arg(url)
        .args(["--headless", "--play", "--duration", "2", "--report"])
        .arg(&report)
        .arg("--save-frames")
        .arg(dir.join("frames"))
        .args(extra)
        .output()
        .expect("run rtsp-client");
    let json = std::fs::read(&report)
        .ok()
        .map(|b| serde_json::from_slice(&b).expect("report JSON"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        json,
    )
}

#[test]
fn rtsp_client_plays_through_the_tunnel() {
    let scratch = Scratch::new("tunnel-client");
    let server = Server::start(&["--user", "alice", "--password", "s3cret", "--no-restart"]);
    let url = server
        .url("movie.Mjpeg")
        .replace("rtsp://", "rtsph://alice:s3cret@");
    let dir = scratch.path("with");
    let (ok, err, report) = client_tunnel(&dir, &url, &[]);
    assert!(ok, "rtsp-client through the tunnel failed: {err}");
    let report = report.unwrap();
    assert_eq!(report["transport"], "tcp", "{report}");
    let frames = report["frames_complete"].as_u64().unwrap();
    assert!(frames >= 45, "{frames} frames in 2 s through the tunnel");
    assert_eq!(report["packets_lost"], 0, "{report}");
    let saved: Vec<Vec<u8>> = std::fs::read_dir(dir.join("frames"))
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(saved.len() as u64, frames);
    assert_scans_exact("rtsp-client", &saved, 45);
    server
        .proc
        .wait_for_line("RTSP-over-HTTP tunnel opened", DEADLINE);

    // `--tunnel` on an rtsp:// URL is the same; without credentials the
    // tunnel GET is refused with 401, and the client says so.
    let plain = server.url("movie.Mjpeg");
    let (ok, err, _) = client_tunnel(&scratch.path("without"), &plain, &["--tunnel"]);
    assert!(!ok, "played without credentials");
    assert!(
        err.contains("did not open the RTSP-over-HTTP tunnel") && err.contains("401"),
        "{err}"
    );
}
