//! HTTP on rtsp-server's RTSP port (one port for every viewer): browsers'
//! MJPEG (of clips, live and published paths), the status page, `/metrics`
//! (publishers too), credentials, and bad input, checked
//! with real peers (headless Chromium, curl, Python's prometheus_client,
//! ffmpeg) beside RTSP clients on the same port.

mod http_util;
mod server_util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use http_util::{
    clip_jpegs, clip_rgb, get, sample, scan_data, scrape, screenshot, shown_frame, MjpegReader,
};
use rtsp_e2e::{Scratch, DEADLINE};
use server_util::{frames, Client, Rtp, Server};

/// The built-in clip's frames reach a plain HTTP reader as
/// `multipart/x-mixed-replace` parts, scan data byte for byte (the headers
/// are the RFC 2435 Appendix B ones every RTSP receiver rebuilds), at the
/// clip's rate, in clip order.
#[test]
fn mjpeg_parts_are_the_clip_frames_at_its_rate() {
    let server = Server::start(&["--no-restart"]);
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

/// Headless Chromium plays the stream URL and the status page's preview:
/// each screenshot shows a frame of the clip (the picture region matches a
/// frame decoded by ffmpeg, PSNR ≥ 25 dB and 5 dB above any other frame:
/// not blank, not a broken-image icon), and screenshots taken apart show
/// different frames, as the clip moves on.
#[test]
fn chromium_plays_the_stream_and_the_status_page_preview() {
    let server = Server::start(&[]);
    let dir = Scratch::new("http-chromium");
    let clip = clip_rgb(&dir.0);
    let (w, h) = (800, 600);
    for (what, path) in [("stream", "/movie.Mjpeg"), ("status page", "/")] {
        let url = format!("http://127.0.0.1:{}{path}", server.port);
        let mut seen = Vec::new();
        for shot in 0..5 {
            let rgb = screenshot(&url, w, h, &dir.0, &format!("{}-{shot}", path.len()));
            let (frame, psnr, second) = shown_frame(&rgb, w, &clip);
            eprintln!(
                "{what}: screenshot shows clip frame {frame} ({psnr:.1} dB, next best {second:.1})"
            );
            // Same pictures, two JPEG decoders and Chrome's colour path:
            // about 27 dB here; other frames of the clip score under 20.
            assert!(
                psnr >= second + 5.0,
                "{what}: frame {frame} ({psnr:.1} dB) hardly beats another ({second:.1} dB)"
            );
            assert!(
                psnr >= 25.0,
                "{what}: best match frame {frame} at only {psnr:.1} dB"
            );
            seen.push(frame);
            let distinct: std::collections::BTreeSet<_> = seen.iter().collect();
            if distinct.len() >= 2 {
                break;
            }
        }
        let distinct: std::collections::BTreeSet<_> = seen.iter().collect();
        assert!(
            distinct.len() >= 2,
            "{what}: always frame {seen:?}: not playing"
        );
    }
    let (_, _, page) = get(server.port, "/", None);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("<img src=\"/movie.Mjpeg\""), "{page}");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external assets"
    );
}

/// ffmpeg playing `url` for up to 30 s over `transport`, decoding nothing.
fn ffmpeg_playing(url: &str, transport: &str) -> rtsp_e2e::Proc {
    rtsp_e2e::Proc::spawn(
        &format!("ffmpeg-{transport}"),
        std::process::Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-nostdin",
                "-rtsp_transport",
                transport,
                "-i",
                url,
            ])
            .args(["-t", "30", "-c", "copy", "-f", "null", "-"]),
    )
}

/// `/metrics` parses with prometheus_client while a UDP client (ffmpeg,
/// which sends RTCP receiver reports), a TCP client, ffmpeg through an
/// RTSP-over-HTTP tunnel and an MJPEG reader play: one session of each
/// transport, packet and frame counters that
/// grow, the receivers' reports per path, refusals by code; the status page
/// lists the sessions.
#[test]
fn metrics_count_udp_tcp_and_browser_viewers() {
    let server = Server::start(&[]);
    let port = server.port;
    let url = server.url("movie.Mjpeg");
    let mut udp = ffmpeg_playing(&url, "udp");
    // And one through an RTSP-over-HTTP tunnel.
    let mut tunnelled = ffmpeg_playing(&url, "http");
    let mut tcp = Client::connect(port, &url);
    let session = tcp.setup_tcp().session();
    assert_eq!(
        tcp.request("PLAY", &url, &[("Session", &session)]).status,
        200
    );
    let tcp_reader = std::thread::spawn(move || {
        tcp.read_interleaved(Duration::from_secs(8));
    });
    let mut browser = MjpegReader::open(port, "/movie.Mjpeg", None);
    let browser_reader = std::thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(8) {
            browser.next_part();
        }
    });
    assert_eq!(get(port, "/nothing-here", None).0, 404);

    let mut first = Vec::new();
    assert!(
        rtsp_e2e::wait_until(DEADLINE, || {
            first = scrape(port, None);
            ["udp", "tcp", "http_mjpeg"]
                .iter()
                .all(|t| sample(&first, "rtsp_server_sessions", ("transport", t)) == Some(1.0))
        }),
        "one session of each transport: {first:?}"
    );
    let page = String::from_utf8(get(port, "/", None).2).unwrap();
    for t in [
        "<td>udp</td>",
        "<td>tcp</td>",
        "<td>http_tunnel</td>",
        "<td>http_mjpeg</td>",
    ] {
        assert!(page.contains(t), "status page lists a {t} session: {page}");
    }
    // ffmpeg sends a receiver report about every 5 s.
    let mut later = Vec::new();
    assert!(
        rtsp_e2e::wait_until(DEADLINE, || {
            later = scrape(port, None);
            sample(
                &later,
                "rtsp_server_receiver_jitter_seconds",
                ("path", "movie.Mjpeg"),
            )
            .is_some_and(|j| j > 0.0)
        }),
        "a receiver report's jitter: {later:?}"
    );
    for (name, t) in [
        ("rtsp_server_rtp_packets_sent_total", "udp"),
        ("rtsp_server_rtp_packets_sent_total", "tcp"),
        ("rtsp_server_frames_sent_total", "http_mjpeg"),
        ("rtsp_server_sent_bytes_total", "http_mjpeg"),
    ] {
        let (a, b) = (
            sample(&first, name, ("transport", t)).unwrap(),
            sample(&later, name, ("transport", t)).unwrap(),
        );
        assert!(b > a, "{name}{{transport={t}}} grows: {a} then {b}");
    }
    assert_eq!(
        sample(
            &later,
            "rtsp_server_refused_requests_total",
            ("code", "404")
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&later, "rtsp_server_players", ("path", "movie.Mjpeg")),
        Some(4.0)
    );
    assert!(later
        .iter()
        .any(|(n, _, v)| n == "rtsp_server_uptime_seconds" && *v > 0.0));
    tcp_reader.join().unwrap();
    browser_reader.join().unwrap();
    udp.interrupt();
    udp.wait_exit(DEADLINE);
    tunnelled.interrupt();
    tunnelled.wait_exit(DEADLINE);
}

/// With `--user`, `/`, `/metrics` and the stream answer 401 with the
/// challenges (Digest, and Basic with `--basic`) without credentials or
/// with wrong ones, and 200 with them: Basic from a raw client, Digest
/// from curl.
#[test]
fn credentials_guard_every_http_resource() {
    let server = Server::start(&["--user", "alice", "--password", "secret", "--basic"]);
    let port = server.port;
    let good = "Basic YWxpY2U6c2VjcmV0"; // alice:secret
    let wrong = "Basic YWxpY2U6d3Jvbmc="; // alice:wrong
    for path in ["/", "/metrics", "/movie.Mjpeg"] {
        for auth in [None, Some(wrong)] {
            let r = MjpegReader::open(port, path, auth);
            assert_eq!(r.status, 401, "{path} with {auth:?}: {}", r.head);
            assert!(
                r.head.contains("WWW-Authenticate: Digest realm="),
                "{}",
                r.head
            );
            assert!(
                r.head.contains("WWW-Authenticate: Basic realm="),
                "{}",
                r.head
            );
        }
        let r = MjpegReader::open(port, path, Some(good));
        assert_eq!(r.status, 200, "{path}: {}", r.head);
        let out = std::process::Command::new("curl")
            .args([
                "-s",
                "--max-time",
                "2",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
            ])
            .args(["--digest", "-u", "alice:secret"])
            .arg(format!("http://127.0.0.1:{port}{path}"))
            .output()
            .expect("curl runs");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "200",
            "{path} with Digest"
        );
    }
    assert_eq!(
        sample(
            &scrape(port, Some(good)),
            "rtsp_server_refused_requests_total",
            ("code", "401")
        ),
        Some(9.0),
        "6 refusals above (3 paths, none and wrong), and the 401 challenge of each curl Digest login"
    );
}

/// 500 idle HTTP connections (an incomplete head each) cost an RTSP client
/// nothing: it gets the clip's frame rate meanwhile; each of them then gets
/// 408 and a close.
#[test]
fn idle_http_connections_get_408_and_rtsp_plays_on() {
    let server = Server::start(&[]);
    let (_c, pair, _) = Client::playing_udp(server.port, &server.url("movie.Mjpeg"));
    let idle: Vec<TcpStream> = (0..500)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
            s.write_all(b"GET /movie.Mjpeg HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    let pkts: Vec<Rtp> = pair
        .recv_for(Duration::from_secs(4))
        .iter()
        .map(|(_, p, _)| Rtp::parse(p).unwrap())
        .collect();
    let n = frames(&pkts);
    assert!(
        n >= 85,
        "RTSP client got {n} frames in 4 s beside 500 idle connections (clip: 100)"
    );
    for mut s in idle {
        s.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).expect("answered, then closed");
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
    }
}

/// Connections with no session that go quiet (nothing at all, half a first
/// line, or an RTSP OPTIONS answered and then silence) are closed without
/// an answer once the session timeout passes, and counted in `/metrics`;
/// an RTSP client that keeps its session alive plays on meanwhile.
#[test]
fn idle_connections_without_a_session_are_closed_after_the_session_timeout() {
    let server = Server::start(&["--session-timeout", "4"]);
    let opened = Instant::now();
    let silent = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let mut half = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    half.write_all(b"OPTIONS rtsp://").unwrap();
    let mut options = Client::connect(server.port, &server.url("movie.Mjpeg"));
    let answered = options.request("OPTIONS", &server.url("movie.Mjpeg"), &[]);
    assert_eq!(answered.status, 200);
    let closers: Vec<_> = [silent, half, options.stream]
        .into_iter()
        .map(|mut s| {
            std::thread::spawn(move || {
                s.set_read_timeout(Some(DEADLINE)).unwrap();
                let mut out = Vec::new();
                s.read_to_end(&mut out).expect("closed by the server");
                (opened.elapsed(), out)
            })
        })
        .collect();
    let url = server.url("movie.Mjpeg");
    let (mut client, pair, session) = Client::playing_udp(server.port, &url);
    let mut pkts = Vec::new();
    // 6 s of play, past the silent ones' deadline, with keep-alives well
    // within the session's own timeout.
    for _ in 0..4 {
        pkts.extend(
            pair.recv_for(Duration::from_millis(1500))
                .iter()
                .filter_map(|(_, p, _)| Rtp::parse(p)),
        );
        let alive = client.request("GET_PARAMETER", &url, &[("Session", &session)]);
        assert_eq!(alive.status, 200, "the RTSP session is alive");
    }
    let n = frames(&pkts);
    assert!(
        n >= 120,
        "the RTSP client got {n} frames in 6 s (clip: 25/s)"
    );
    for c in closers {
        let (after, out) = c.join().unwrap();
        assert!(out.is_empty(), "no answer: {out:?}");
        assert!(
            after >= Duration::from_secs(2),
            "closed after {after:?}, before the 4 s timeout"
        );
    }
    let m = scrape(server.port, None);
    assert_eq!(
        sample_any(&m, "rtsp_server_idle_connections_closed_total"),
        Some(3.0)
    );
}

/// The value of sample `name` (no labels needed).
fn sample_any(
    samples: &[(String, std::collections::BTreeMap<String, String>, f64)],
    name: &str,
) -> Option<f64> {
    samples.iter().find(|(n, _, _)| n == name).map(|s| s.2)
}

/// A browser that stops reading skips frames (counted in `/metrics`) while
/// its queue stays bounded, and gets whole clip frames again once it reads;
/// browsers count toward `--max-sessions`: past it, 503 for a browser and
/// 453 for an RTSP SETUP.
#[test]
fn slow_browsers_skip_frames_and_count_toward_max_sessions() {
    let server = Server::start(&["--max-sessions", "2", "--no-restart"]);
    let port = server.port;
    let clip: Vec<Vec<u8>> = clip_jpegs().iter().map(|j| scan_data(j).to_vec()).collect();
    // A small receive buffer, so the server's queue fills, not the kernel's.
    let mut slow = MjpegReader::open_with_rcvbuf(port, "/movie.Mjpeg", 4096);
    assert_eq!(slow.status, 200);
    let mut skipped = 0.0;
    assert!(
        rtsp_e2e::wait_until(DEADLINE, || {
            skipped = sample(
                &scrape(port, None),
                "rtsp_server_frames_skipped_total",
                ("transport", "http_mjpeg"),
            )
            .unwrap_or(0.0);
            skipped > 0.0
        }),
        "a browser that does not read skips frames"
    );
    let mut other = MjpegReader::open(port, "/movie.Mjpeg", None);
    assert_eq!(other.status, 200, "second viewer: {}", other.head);
    let third = MjpegReader::open(port, "/movie.Mjpeg", None);
    assert_eq!(third.status, 503, "past --max-sessions: {}", third.head);
    let mut rtsp = Client::connect(port, &server.url("movie.Mjpeg"));
    let url = server.url("movie.Mjpeg");
    let refused = rtsp.request(
        "SETUP",
        &url,
        &[("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")],
    );
    assert_eq!(refused.status, 453, "RTSP past --max-sessions: {refused:?}");
    // Reading again: what was queued, then whole clip frames in order.
    for _ in 0..60 {
        let part = slow.next_part();
        assert!(
            clip.iter().any(|f| f.as_slice() == scan_data(&part)),
            "whole clip frames after the skips"
        );
    }
    other.next_part();
}

/// A live path reaches browsers too: a relay pulling the clip from an
/// origin (`--pull`, on demand: the browser's arrival starts the pull)
/// serves its frames to an MJPEG reader, scan data byte for byte, and its
/// status page names the origin as the stream's publisher.
#[test]
fn live_paths_play_in_browsers() {
    // The clip's frames as they are (no restart interval added by the
    // origin), which the relay forwards byte for byte.
    let origin = Server::start(&["--no-restart"]);
    let relay = Server::start(&[
        "--pull",
        &format!("cam=rtsp://127.0.0.1:{}/movie.Mjpeg", origin.port),
    ]);
    let clip: Vec<Vec<u8>> = clip_jpegs().iter().map(|j| scan_data(j).to_vec()).collect();
    let mut r = MjpegReader::open(relay.port, "/cam", None);
    assert_eq!(r.status, 200, "{}", r.head);
    for _ in 0..25 {
        let part = r.next_part();
        assert!(
            clip.iter().any(|f| f.as_slice() == scan_data(&part)),
            "a relayed part is a clip frame, scan data byte for byte"
        );
    }
    let page = String::from_utf8(get(relay.port, "/", None).2).unwrap();
    assert!(page.contains("relay of rtsp://127.0.0.1:"), "{page}");
    assert!(
        page.contains("<td class=n>1</td><td class=n>1</td></tr>"),
        "one player, one publisher (the origin): {page}"
    );
}

/// The status page plays at most four previews (a browser opens six
/// connections to a host, and the page's refresh needs one): six clips
/// give four `<img>` previews and two links.
#[test]
fn status_page_previews_four_streams_and_links_the_rest() {
    let dir = Scratch::new("http-previews");
    let clip = clip_jpegs().concat();
    for i in 0..6 {
        std::fs::write(dir.path(&format!("clip{i}.mjpeg")), &clip).unwrap();
    }
    let server = Server::start(&["--media", dir.0.to_str().unwrap()]);
    let page = String::from_utf8(get(server.port, "/", None).2).unwrap();
    assert_eq!(page.matches("<img src=\"/clip").count(), 4, "{page}");
    assert_eq!(page.matches("<a href=\"/clip").count(), 2, "{page}");
    assert_eq!(
        page.matches("<tr><td>clip").count(),
        6,
        "every stream listed: {page}"
    );
}

/// With `--no-loop` a browser gets the clip once, every frame in order from
/// the first, then the end of the stream.
#[test]
fn no_loop_plays_the_clip_once_then_ends_the_stream() {
    let server = Server::start(&["--no-loop", "--no-restart"]);
    let clip: Vec<Vec<u8>> = clip_jpegs().iter().map(|j| scan_data(j).to_vec()).collect();
    let mut r = MjpegReader::open(server.port, "/movie.Mjpeg", None);
    assert_eq!(r.status, 200);
    for (i, frame) in clip.iter().enumerate() {
        assert_eq!(&scan_data(&r.next_part()), frame, "frame {i}");
    }
    let mut rest = Vec::new();
    r.stream.read_to_end(&mut rest).expect("the server closes");
    assert!(rest.len() < 100, "nothing after the last frame: {rest:?}");
}

/// The cells of a status page table row (tags stripped).
fn cells(row: &str) -> Vec<String> {
    row.split("<td")
        .skip(1)
        .map(|cell| {
            let text = &cell[cell.find('>').map_or(0, |i| i + 1)..];
            text.split("</td>").next().unwrap_or("").to_string()
        })
        .collect()
}

/// The cells of the status page's row whose first cell is `first`.
fn status_row(page: &str, first: &str) -> Option<Vec<String>> {
    let at = page.find(&format!("<tr><td>{first}</td>"))?;
    Some(cells(&page[at..at + page[at..].find("</tr>")?]))
}

/// ffmpeg publishes the clip to `cam` (ANNOUNCE/RECORD over `transport`): a browser
/// of `/cam` gets the published frames (scan data byte-exact, in clip
/// order); the status page shows `cam` published by ffmpeg's address with 1
/// publisher and its session Recording with packets received; `/metrics`
/// (prometheus_client) has the publisher, the received counters growing,
/// its session counted; after the publisher leaves, the path is gone and
/// what it sent stays counted.
fn published_path_in_browsers_status_and_metrics(transport: &str) {
    let server = Server::start(&[]);
    let port = server.port;
    let scratch = Scratch::new(&format!("http-published-{transport}"));
    let clip = scratch.path("clip.mjpeg");
    let jpegs = clip_jpegs();
    std::fs::write(&clip, jpegs.concat()).unwrap();
    let mut publisher = rtsp_e2e::Proc::spawn(
        "ffmpeg publisher",
        std::process::Command::new(rtsp_e2e::peer("ffmpeg"))
            .args(["-nostdin", "-v", "warning", "-re", "-stream_loop", "-1"])
            .args(["-framerate", "25", "-i"])
            .arg(&clip)
            .args(["-c", "copy", "-f", "rtsp", "-rtsp_transport", transport])
            .arg(server.url("cam")),
    );
    server.proc.wait_for_line("records cam", DEADLINE);

    // (a) A browser of /cam: every part is a clip frame, byte for byte.
    let scans: Vec<&[u8]> = jpegs.iter().map(|j| scan_data(j)).collect();
    let mut browser = MjpegReader::open(port, "/cam", None);
    assert_eq!(browser.status, 200, "{}", browser.head);
    let idx: Vec<usize> = (0..40)
        .map(|_| {
            let part = browser.next_part();
            scans
                .iter()
                .position(|f| *f == scan_data(&part))
                .expect("every part's scan data is a published clip frame's")
        })
        .collect();
    let consecutive = idx
        .windows(2)
        .filter(|w| (w[0] + 1) % scans.len() == w[1])
        .count();
    assert!(consecutive >= 36, "clip order: {idx:?}");

    // (b) The status page: published by ffmpeg, 1 publisher, 1 player (the
    // browser), and the publisher's session Recording with packets in.
    let page = String::from_utf8(get(port, "/", None).2).unwrap();
    let stream = status_row(&page, "cam").expect("a row for cam");
    assert!(
        stream[3].starts_with("published by 127.0.0.1:")
            && stream[3].contains(&format!("({transport})")),
        "{stream:?}"
    );
    assert_eq!(
        (stream[4].as_str(), stream[5].as_str()),
        ("1", "1"),
        "{stream:?}"
    );
    let session_at = page.find("<table id=sessions>").unwrap();
    let recording: Vec<&str> = page[session_at..]
        .split("<tr>")
        .filter(|r| r.contains("<td>Recording</td>"))
        .collect();
    assert_eq!(recording.len(), 1, "one publisher session: {page}");
    let cells = cells(recording[0]);
    assert!(
        cells[0].starts_with("127.0.0.1:") && stream[3].contains(&cells[0]),
        "the publisher's session is the one the stream names: {cells:?} {stream:?}"
    );
    assert_eq!(
        (cells[1].as_str(), cells[2].as_str()),
        ("cam", transport),
        "{cells:?}"
    );
    let frames: u64 = cells[4].parse().unwrap();
    let packets: u64 = cells[5].parse().unwrap();
    let bytes: u64 = cells[6].parse().unwrap();
    assert!(
        frames >= 40 && packets > frames && bytes > 40 * 1000,
        "{cells:?}"
    );
    assert_eq!(cells[8], "0", "no loss on loopback: {cells:?}");

    // (c) /metrics: the publisher, its session, what it sent growing.
    let first = scrape(port, None);
    assert_eq!(
        sample(&first, "rtsp_server_publishers", ("path", "cam")),
        Some(1.0),
        "{first:?}"
    );
    assert_eq!(
        sample(&first, "rtsp_server_players", ("path", "cam")),
        Some(1.0)
    );
    assert_eq!(
        sample(&first, "rtsp_server_sessions", ("transport", transport)),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &first,
            "rtsp_server_publisher_lost_packets",
            ("path", "cam")
        ),
        Some(0.0)
    );
    let received = |s: &[_], name| sample(s, name, ("transport", transport)).unwrap();
    let packets_before = received(&first, "rtsp_server_rtp_packets_received_total");
    assert!(packets_before >= packets as f64, "{first:?}");
    assert!(received(&first, "rtsp_server_received_bytes_total") >= bytes as f64);
    for _ in 0..10 {
        browser.next_part();
    }
    let later = scrape(port, None);
    let packets_later = received(&later, "rtsp_server_rtp_packets_received_total");
    assert!(
        packets_later > packets_before,
        "{packets_before} then {packets_later}"
    );
    assert!(
        received(&later, "rtsp_server_frames_received_total")
            > received(&first, "rtsp_server_frames_received_total")
    );

    // The publisher leaves (ffmpeg sends TEARDOWN): the browser's stream
    // ends, the path is gone, and what it sent stays counted.
    publisher.interrupt();
    publisher.wait_exit(DEADLINE);
    browser.stream.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut rest = Vec::new();
    browser
        .stream
        .read_to_end(&mut rest)
        .expect("the browser's stream ends with its publisher");
    let mut gone = Vec::new();
    assert!(
        rtsp_e2e::wait_until(DEADLINE, || {
            gone = scrape(port, None);
            sample(&gone, "rtsp_server_publishers", ("path", "cam")).is_none()
                && sample(&gone, "rtsp_server_sessions", ("transport", transport)) == Some(0.0)
        }),
        "{gone:?}"
    );
    assert!(received(&gone, "rtsp_server_rtp_packets_received_total") >= packets_later);
    assert!(status_row(&String::from_utf8(get(port, "/", None).2).unwrap(), "cam").is_none());
}

#[test]
fn a_path_published_over_udp_plays_in_browsers_and_shows_its_publisher() {
    published_path_in_browsers_status_and_metrics("udp");
}

#[test]
fn a_path_published_over_tcp_plays_in_browsers_and_shows_its_publisher() {
    published_path_in_browsers_status_and_metrics("tcp");
}
