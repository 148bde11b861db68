//! Interop with ffmpeg's RFC 2435 payloader: one encode goes both to RTP on
//! 127.0.0.1 (into our depacketizer) and to a raw MJPEG file (split by our
//! container reader); every frame received decodes to the pixels of the
//! same frame in the file. ffmpeg is part of the test environment.

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rtsp_core::jpeg::Depacketizer;
use rtsp_core::limits::JPEG_MAX_HEADER;
use rtsp_core::mjpeg::Frames;
use rtsp_core::rtp;
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::JpegDecoder;

fn decode(jpeg: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut d = JpegDecoder::new(ZCursor::new(jpeg));
    let px = d.decode().expect("decodes");
    let (w, h) = d.dimensions().unwrap();
    (w, h, px)
}

#[test]
fn ffmpeg_rtp_jpeg_into_our_depacketizer() {
    let dir = std::env::temp_dir().join(format!("rtsp-core-ffrtp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("same.mjpeg");
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let port = sock.local_addr().unwrap().port();
    let frames = 6;
    let mut child = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"])
        .args(["-i", "testsrc=size=320x240:rate=10"])
        .args(["-frames:v", &frames.to_string(), "-c:v", "mjpeg"])
        .args(["-pix_fmt", "yuvj420p", "-huffman", "default", "-map", "0"])
        .args(["-f", "tee"])
        .arg(format!(
            "[f=rtp:pkt_size=1000]rtp://127.0.0.1:{port}|[f=mjpeg]{}",
            file.display()
        ))
        .stdout(Stdio::null())
        .spawn()
        .expect("ffmpeg must be installed");

    let mut d = Depacketizer::new(vec![0u8; JPEG_MAX_HEADER + 256 * 1024]);
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    let deadline = Instant::now() + Duration::from_secs(30);
    while got.len() < frames && Instant::now() < deadline {
        let Ok(n) = sock.recv(&mut buf) else {
            if child.try_wait().unwrap().is_some() {
                break; // ffmpeg is done and nothing more comes
            }
            continue;
        };
        let pkt = rtp::Packet::new_checked(&buf[..n]).unwrap();
        assert_eq!(pkt.payload_type(), 26);
        if let Some(f) = d.push(&pkt).unwrap() {
            got.push(f.to_vec());
        }
    }
    let status = child.wait().unwrap();
    assert!(status.success());
    let sent: Vec<Vec<u8>> = Frames::new(&std::fs::read(&file).unwrap())
        .map(|f| f.unwrap().to_vec())
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(sent.len(), frames);
    // Loopback loses nothing: every frame arrives whole.
    assert_eq!(got.len(), frames, "dropped {}", d.frames_dropped());
    assert_eq!(d.frames_dropped(), 0);
    for (g, s) in got.iter().zip(&sent) {
        let (w, h, px) = decode(g);
        assert_eq!((w, h), (320, 240));
        assert_eq!(px, decode(s).2);
    }
}
