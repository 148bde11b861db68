//! Frames made by real tools at test time (ffmpeg, cjpeg): what RFC 2435 can
//! carry round-trips; what it cannot is refused with an error naming why.
//! The tools are part of the test environment: a missing tool fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use rtsp_core::jpeg::{Depacketizer, Error, Frame, Packetizer, Type};
use rtsp_core::limits::JPEG_MAX_HEADER;
use rtsp_core::rtp::{self, RtpTimestamp, SeqNo, Ssrc};
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::JpegDecoder;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("rtsp-core-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{:?} must be installed: {e}", cmd.get_program()));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ffmpeg(dir: &Path, name: &str, extra: &[&str]) -> Vec<u8> {
    let out = dir.join(name);
    let mut c = Command::new("ffmpeg");
    c.args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .args(["-i", "testsrc=size=320x240:rate=1", "-frames:v", "1"])
        .args(extra)
        .arg(&out);
    run(&mut c);
    std::fs::read(out).unwrap()
}

/// A PPM test card for cjpeg.
fn ppm(dir: &Path) -> PathBuf {
    let (w, h) = (160usize, 120usize);
    let mut v = format!("P6\n{w} {h}\n255\n").into_bytes();
    for y in 0..h {
        for x in 0..w {
            v.extend_from_slice(&[
                (x * 255 / w) as u8,
                (y * 255 / h) as u8,
                ((x ^ y) & 0xff) as u8,
            ]);
        }
    }
    let p = dir.join("card.ppm");
    std::fs::write(&p, v).unwrap();
    p
}

fn cjpeg(dir: &Path, name: &str, args: &[&str]) -> Vec<u8> {
    let src = ppm(dir);
    let out = dir.join(name);
    run(Command::new("cjpeg")
        .args(args)
        .arg("-outfile")
        .arg(&out)
        .arg(src));
    std::fs::read(out).unwrap()
}

fn decode(jpeg: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut d = JpegDecoder::new(ZCursor::new(jpeg));
    let px = d.decode().expect("decodes");
    let (w, h) = d.dimensions().unwrap();
    (w, h, px)
}

fn roundtrip(jpeg: &[u8]) -> Vec<u8> {
    let frame = Frame::parse(jpeg).unwrap();
    let repr = rtp::Repr {
        marker: false,
        payload_type: 26,
        sequence: SeqNo(1),
        timestamp: RtpTimestamp(90_000),
        ssrc: Ssrc(7),
    };
    let mut p = Packetizer::new(&frame, 1400, repr).unwrap();
    let mut d = Depacketizer::new(vec![0u8; JPEG_MAX_HEADER + jpeg.len()]);
    let mut buf = [0u8; 1400];
    let mut got = None;
    while let Some(n) = p.next_packet(&mut buf).unwrap() {
        let pkt = rtp::Packet::new_checked(&buf[..n]).unwrap();
        if let Some(f) = d.push(&pkt).unwrap() {
            got = Some(f.to_vec());
        }
    }
    got.expect("one complete frame")
}

#[test]
fn ffmpeg_default_huffman_round_trips() {
    let dir = TempDir::new("ff-default-huffman");
    let jpeg = ffmpeg(
        &dir.0,
        "a.jpg",
        &["-pix_fmt", "yuvj420p", "-huffman", "default"],
    );
    let frame = Frame::parse(&jpeg).unwrap();
    assert_eq!(
        (frame.kind(), frame.width(), frame.height()),
        (Type::Yuv420, 320, 240)
    );
    let rebuilt = roundtrip(&jpeg);
    assert_eq!(decode(&rebuilt), decode(&jpeg));
}

#[test]
fn ffmpeg_optimized_huffman_is_refused_naming_the_fix() {
    let dir = TempDir::new("ff-optimal");
    let jpeg = ffmpeg(&dir.0, "b.jpg", &["-pix_fmt", "yuvj420p"]);
    let err = Frame::parse(&jpeg).unwrap_err();
    assert_eq!(err, Error::NonStandardHuffman);
    assert!(err.to_string().contains("-huffman default"), "{err}");
}

#[test]
fn cjpeg_2x1_is_type_0_and_round_trips() {
    let dir = TempDir::new("cjpeg-422");
    let jpeg = cjpeg(&dir.0, "c.jpg", &["-sample", "2x1", "-quality", "80"]);
    let frame = Frame::parse(&jpeg).unwrap();
    assert_eq!(frame.kind(), Type::Yuv422);
    assert_eq!(frame.wire_type(), 0);
    assert_eq!(decode(&roundtrip(&jpeg)), decode(&jpeg));
    // With restart markers: type 64.
    let jpeg = cjpeg(&dir.0, "d.jpg", &["-sample", "2x1", "-restart", "2"]);
    let frame = Frame::parse(&jpeg).unwrap();
    assert_eq!(frame.wire_type(), 64);
    assert_eq!(decode(&roundtrip(&jpeg)), decode(&jpeg));
}

#[test]
fn progressive_grayscale_and_444_are_refused() {
    let dir = TempDir::new("cjpeg-refused");
    let p = cjpeg(&dir.0, "p.jpg", &["-progressive"]);
    assert_eq!(Frame::parse(&p), Err(Error::Progressive));
    let g = cjpeg(&dir.0, "g.jpg", &["-grayscale"]);
    let err = Frame::parse(&g).unwrap_err();
    assert_eq!(err, Error::Grayscale);
    assert!(err.to_string().contains("grayscale"));
    let f = cjpeg(&dir.0, "f.jpg", &["-sample", "1x1"]);
    assert!(matches!(
        Frame::parse(&f),
        Err(Error::Sampling { h: 1, v: 1, .. })
    ));
    let a = cjpeg(&dir.0, "a.jpg", &["-arithmetic"]);
    assert_eq!(Frame::parse(&a), Err(Error::Arithmetic));
    // ffmpeg's yuvj422p writes Y 2x2 with 1x2 chroma, not RFC 2435 type 0.
    let y = ffmpeg(
        &dir.0,
        "y.jpg",
        &["-pix_fmt", "yuvj422p", "-huffman", "default"],
    );
    let err = Frame::parse(&y).unwrap_err();
    assert_eq!(
        err,
        Error::Sampling {
            h: 2,
            v: 2,
            chroma_h: 1,
            chroma_v: 2
        }
    );
    assert!(err.to_string().contains("4:2:2"), "{err}");
    let o = cjpeg(&dir.0, "o.jpg", &["-optimize"]);
    assert_eq!(Frame::parse(&o), Err(Error::NonStandardHuffman));
}
