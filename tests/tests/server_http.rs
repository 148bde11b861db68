//! HTTP on rtsp-server's RTSP port (one port for every viewer): browsers'
//! MJPEG, the status page, `/metrics`, credentials, and bad input, checked
//! with real peers (headless Chromium, curl, Python's prometheus_client,
//! ffmpeg) beside RTSP clients on the same port.

mod http_util;
mod server_util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use http_util::{clip_jpegs, get, scan_data, MjpegReader};
use rtsp_e2e::DEADLINE;
use server_util::{frames, Client, Rtp, Server};

/// The built-in clip's frames reach a plain HTTP reader as
/// `multipart/x-mixed-replace` parts, scan data byte for byte (the headers
/// are the RFC 2435 Appendix B ones every RTSP receiver rebuilds), at the
/// clip's rate, in clip order.
#[test]
fn mjpeg_parts_are_the_clip_frames_at_its_rate() {
    let server = Server::start(&[]);
    let clip: Vec<Vec<u8>> = clip_jpegs().iter().map(|j| scan_data(j).to_vec()).collect();
    let mut r = MjpegReader::open(server.port, "/movie.Mjpeg", None);
    assert_eq!(r.status, 200, "{:?}", r.head);
    assert!(
        r.head
            .to_ascii_lowercase()
            .contains("content-type: multipart/x-mixed-replace; boundary="),
        "{}",
        r.head
    );
    let start = Instant::now();
    let mut got = Vec::new();
    while start.elapsed() < Duration::from_secs(3) {
        got.push(r.next_part());
    }
    let secs = start.elapsed().as_secs_f64();
    // Each part is one clip frame, whole, and they follow in clip order.
    let idx: Vec<usize> = got
        .iter()
        .map(|j| {
            clip.iter()
                .position(|f| f == scan_data(j))
                .expect("every part's scan data is a clip frame's, byte for byte")
        })
        .collect();
    for w in idx.windows(2) {
        assert_eq!((w[0] + 1) % clip.len(), w[1], "clip order: {idx:?}");
    }
    let rate = got.len() as f64 / secs;
    assert!((20.0..=30.0).contains(&rate), "{rate} frames/s, clip is 25");
}

/// Bad HTTP gets a 4xx and a close, unknown paths 404, other methods 405;
/// an RTSP client playing meanwhile is undisturbed; `--http off` hands
/// HTTP to RTSP, which answers 505 as before.
#[test]
fn bad_http_gets_4xx_and_rtsp_plays_on() {
    let server = Server::start(&[]);
    let (_c, pair, _) = Client::playing_udp(server.port, &server.url("movie.Mjpeg"));
    let rtsp = std::thread::spawn(move || pair.recv_for(Duration::from_secs(3)));

    let port = server.port;
    assert_eq!(get(port, "/no/such/stream", None).0, 404);
    assert_eq!(get(port, "/../etc/passwd", None).0, 404);
    let raw = |bytes: &[u8]| -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(DEADLINE)).unwrap();
        s.write_all(bytes).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).expect("answered, then closed");
        String::from_utf8_lossy(&out).into_owned()
    };
    let post = raw(b"POST /movie.Mjpeg HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
    assert!(post.starts_with("HTTP/1.1 405 "), "{post}");
    assert!(post.contains("Allow: GET"), "{post}");
    let garbage = raw(b"GET / HTTP/1.1\r\n\x01\x02 not a header\r\n\r\n");
    assert!(garbage.starts_with("HTTP/1.1 400 "), "{garbage}");
    let mut huge = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 20_000));
    huge.extend_from_slice(b"\r\n\r\n");
    let huge = raw(&huge);
    assert!(huge.starts_with("HTTP/1.1 431 "), "{huge}");
    let version = raw(b"GET / HTTP/2.0\r\n\r\n");
    assert!(version.starts_with("HTTP/1.1 505 "), "{version}");

    let pkts: Vec<Rtp> = rtsp
        .join()
        .unwrap()
        .iter()
        .map(|(_, p, _)| Rtp::parse(p).unwrap())
        .collect();
    let n = frames(&pkts);
    assert!(n >= 60, "RTSP client got {n} frames in 3 s, clip is 25 fps");

    let off = Server::start(&["--http", "off"]);
    let answer = {
        let mut s = TcpStream::connect(("127.0.0.1", off.port)).unwrap();
        s.set_read_timeout(Some(DEADLINE)).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nCSeq: 5\r\n\r\n").unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        String::from_utf8_lossy(&out).into_owned()
    };
    assert!(answer.starts_with("RTSP/1.0 505 "), "{answer}");
}
