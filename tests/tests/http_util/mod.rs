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
/// five ASCII digits of length before each frame).
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
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
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
