//! Pieces of the HTTP end-to-end tests: the built-in clip's frames as the
//! source, a raw HTTP GET, and a raw reader of `multipart/x-mixed-replace`
//! MJPEG (independent of the server's code, so it checks the wire format).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;

use rtsp_e2e::{workspace_root, DEADLINE};

/// The JPEG frames of the built-in clip (the lab's `movie.Mjpeg` format:
/// five ASCII digits of length before each frame). The server sends them
/// as they are only with `--no-restart`; by default it re-codes each with a
/// restart interval (same pixels, other scan bytes), so tests that compare
/// scan data byte for byte start it with `--no-restart`.
pub fn clip_jpegs() -> Vec<Vec<u8>> {
    let data = std::fs::read(workspace_root().join("host-server/media/movie.Mjpeg")).unwrap();
    let mut out = Vec::new();
    let mut at = 0;
    while at + 5 <= data.len() {
        let len: usize = std::str::from_utf8(&data[at..at + 5])
            .unwrap()
            .parse()
            .unwrap();
        out.push(data[at + 5..at + 5 + len].to_vec());
        at += 5 + len;
    }
    assert_eq!(out.len(), 100, "the built-in clip has 100 frames");
    out
}

/// The entropy-coded scan data of a baseline JPEG: after the SOS segment,
/// up to the final EOI.
pub fn scan_data(jpeg: &[u8]) -> &[u8] {
    let sos = find(jpeg, &[0xff, 0xda]).expect("an SOS marker");
    let len = usize::from(u16::from_be_bytes([jpeg[sos + 2], jpeg[sos + 3]]));
    let end = jpeg.len() - 2;
    assert_eq!(&jpeg[end..], &[0xff, 0xd9], "ends with EOI");
    &jpeg[sos + 2 + len..end]
}

/// The built-in clip decoded by ffmpeg: one RGB24 picture per frame.
pub fn clip_rgb(dir: &Path) -> Vec<Vec<u8>> {
    let all = dir.join("clip.mjpeg");
    std::fs::write(&all, clip_jpegs().concat()).unwrap();
    let raw = decode_rgb(&all, &["-f", "mjpeg"]);
    let size = 320 * 240 * 3;
    assert_eq!(
        raw.len(),
        100 * size,
        "ffmpeg decoded 100 frames of 320x240"
    );
    raw.chunks(size).map(<[u8]>::to_vec).collect()
}

/// Any picture file decoded to RGB24 by ffmpeg (`input_args` before `-i`).
pub fn decode_rgb(file: &Path, input_args: &[&str]) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin"])
        .args(input_args)
        .arg("-i")
        .arg(file)
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .expect("ffmpeg runs (the test command installs it)");
    assert!(
        out.status.success(),
        "ffmpeg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A GET of `path` (with an `Authorization` value if given): status, head
/// and body, read until the server closes.
pub fn get(port: u16, path: &str, auth: Option<&str>) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("answered, then closed");
    let end = find(&out, b"\r\n\r\n").expect("a whole head");
    let head = String::from_utf8_lossy(&out[..end]).into_owned();
    (status_of(&head), head, out[end + 4..].to_vec())
}

fn status_of(head: &str) -> u16 {
    head.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A browser-like reader of an MJPEG stream on its own connection.
pub struct MjpegReader {
    pub stream: TcpStream,
    pub status: u16,
    pub head: String,
    boundary: Vec<u8>,
    buf: Vec<u8>,
}

impl MjpegReader {
    /// GETs `path` and reads the response head.
    pub fn open(port: u16, path: &str, auth: Option<&str>) -> MjpegReader {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        MjpegReader::start(stream, path, auth)
    }

    /// As [`MjpegReader::open`], from a socket whose receive buffer is
    /// `bytes` (set before connecting, so the window stays small).
    pub fn open_with_rcvbuf(port: u16, path: &str, bytes: usize) -> MjpegReader {
        use nix::sys::socket::{
            connect, setsockopt, socket, sockopt, AddressFamily, SockFlag, SockType, SockaddrIn,
        };
        let fd = socket(
            AddressFamily::Inet,
            SockType::Stream,
            SockFlag::empty(),
            None,
        )
        .unwrap();
        setsockopt(&fd, sockopt::RcvBuf, &bytes).unwrap();
        let addr = SockaddrIn::new(127, 0, 0, 1, port);
        connect(std::os::fd::AsRawFd::as_raw_fd(&fd), &addr).unwrap();
        MjpegReader::start(TcpStream::from(fd), path, None)
    }

    fn start(mut stream: TcpStream, path: &str, auth: Option<&str>) -> MjpegReader {
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        let auth = auth
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: h\r\n{auth}\r\n").unwrap();
        let mut r = MjpegReader {
            stream,
            status: 0,
            head: String::new(),
            boundary: Vec::new(),
            buf: Vec::new(),
        };
        let end = loop {
            if let Some(e) = find(&r.buf, b"\r\n\r\n") {
                break e;
            }
            assert!(r.fill(), "closed before the head: {:?}", r.buf);
        };
        r.head = String::from_utf8_lossy(&r.buf[..end]).into_owned();
        r.buf.drain(..end + 4);
        r.status = status_of(&r.head);
        if let Some(b) = r.head.split("boundary=").nth(1) {
            let b = b.split(['\r', ';']).next().unwrap().trim_matches('"');
            r.boundary = format!("--{b}").into_bytes();
        }
        r
    }

    fn fill(&mut self) -> bool {
        crate::server_util::read_more(&mut self.stream, &mut self.buf)
    }

    /// The next part's body (RFC 2046 §5.1.1: boundary line, headers,
    /// blank line, body of `Content-Length` bytes).
    pub fn next_part(&mut self) -> Vec<u8> {
        loop {
            if let Some(at) = find(&self.buf, &self.boundary) {
                if let Some(h) = find(&self.buf[at..], b"\r\n\r\n") {
                    let headers = String::from_utf8_lossy(&self.buf[at..at + h]).to_lowercase();
                    assert!(headers.contains("content-type: image/jpeg"), "{headers}");
                    let len: usize = headers
                        .split("content-length:")
                        .nth(1)
                        .and_then(|v| v.split("\r\n").next())
                        .and_then(|v| v.trim().parse().ok())
                        .expect("each part has a Content-Length");
                    let start = at + h + 4;
                    if self.buf.len() >= start + len {
                        let body = self.buf[start..start + len].to_vec();
                        self.buf.drain(..start + len);
                        return body;
                    }
                }
            }
            assert!(self.fill(), "stream ended");
        }
    }
}

/// A screenshot of `url` by headless Chromium (Debian's `chromium`) in a
/// `w`×`h` window, decoded to RGB24 by ffmpeg.
pub fn screenshot(url: &str, w: usize, h: usize, dir: &Path, tag: &str) -> Vec<u8> {
    let png = dir.join(format!("{tag}.png"));
    let profile = dir.join(format!("{tag}-profile"));
    let out = Command::new("chromium")
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size={w},{h}"))
        .arg("--timeout=3000")
        .arg(url)
        .output()
        .expect("chromium runs (the test command installs Debian's chromium)");
    assert!(
        png.exists(),
        "chromium wrote no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rgb = decode_rgb(&png, &[]);
    assert_eq!(rgb.len(), w * h * 3, "screenshot of {w}x{h}");
    rgb
}

/// Where a frame of the built-in clip (320×240) lies in a `w`-wide RGB
/// picture: its red bar (testsrc2's leftmost) gives the left edge and the
/// bottom. `None` if no red bar is shown.
pub fn locate_clip(rgb: &[u8], w: usize) -> Option<(usize, usize)> {
    let h = rgb.len() / 3 / w;
    let red = |x: usize, y: usize| {
        let p = &rgb[(y * w + x) * 3..][..3];
        p[0] > 200 && p[1] < 60 && p[2] < 60
    };
    // The bar is 53 px wide and most of the frame high: demand a run.
    let mut left = usize::MAX;
    let mut bottom = 0;
    for y in 0..h {
        for x in 0..w.saturating_sub(40) {
            if red(x, y) && red(x + 20, y) && red(x + 40, y) {
                left = left.min(x);
                bottom = bottom.max(y);
            }
        }
    }
    (left != usize::MAX && bottom >= 239).then(|| (left, bottom - 239))
}

/// PSNR in dB of the 320×240 region at `at` of a `w`-wide picture against
/// one decoded clip frame.
pub fn psnr_at(rgb: &[u8], w: usize, at: (usize, usize), frame: &[u8]) -> f64 {
    let (x0, y0) = at;
    let mut se = 0f64;
    for y in 0..240 {
        let row = &rgb[((y0 + y) * w + x0) * 3..][..320 * 3];
        let src = &frame[y * 320 * 3..][..320 * 3];
        for (a, b) in row.iter().zip(src) {
            let d = f64::from(*a) - f64::from(*b);
            se += d * d;
        }
    }
    let mse = se / (320.0 * 240.0 * 3.0);
    if mse == 0.0 {
        99.0
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}

/// The clip frame a screenshot shows: the best match's index and PSNR,
/// and the PSNR of the second best (how clearly the frame is told apart).
pub fn shown_frame(rgb: &[u8], w: usize, clip: &[Vec<u8>]) -> (usize, f64, f64) {
    let at = locate_clip(rgb, w).expect("the clip's picture is on the screen (red bar found)");
    let mut scores: Vec<(usize, f64)> = clip
        .iter()
        .enumerate()
        .map(|(i, f)| (i, psnr_at(rgb, w, at, f)))
        .collect();
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    (scores[0].0, scores[0].1, scores[1].1)
}

/// `/metrics` parsed by Python's prometheus_client text parser: every
/// sample as (name, labels, value).
pub fn scrape(
    port: u16,
    auth: Option<&str>,
) -> Vec<(String, std::collections::BTreeMap<String, String>, f64)> {
    let (status, _, body) = get(port, "/metrics", auth);
    assert_eq!(status, 200);
    let script = "import sys, json\n\
        from prometheus_client.parser import text_string_to_metric_families\n\
        out = []\n\
        for fam in text_string_to_metric_families(sys.stdin.read()):\n\
        \x20   for s in fam.samples:\n\
        \x20       out.append([s.name, s.labels, s.value])\n\
        print(json.dumps(out))\n";
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(&body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "prometheus_client refused /metrics: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&body)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let labels = s[1]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            (
                s[0].as_str().unwrap().to_string(),
                labels,
                s[2].as_f64().unwrap(),
            )
        })
        .collect()
}

/// The value of sample `name` whose labels include `label`.
pub fn sample(
    samples: &[(String, std::collections::BTreeMap<String, String>, f64)],
    name: &str,
    label: (&str, &str),
) -> Option<f64> {
    samples
        .iter()
        .find(|(n, l, _)| n == name && l.get(label.0).map(String::as_str) == Some(label.1))
        .map(|s| s.2)
}
