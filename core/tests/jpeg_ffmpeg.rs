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

fn encode(w: u16, h: u16, s420: bool, restart: u16) -> Vec<u8> {
    use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
    let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h))
        .flat_map(|i| {
            let (x, y) = (i % usize::from(w), i / usize::from(w));
            [
                (x * 255 / usize::from(w)) as u8,
                (y * 2) as u8,
                ((x + y) * 3) as u8,
            ]
        })
        .collect();
    let mut out = Vec::new();
    let mut e = Encoder::new(&mut out, 85);
    e.set_sampling_factor(if s420 {
        SamplingFactor::F_2_2
    } else {
        SamplingFactor::F_2_1
    });
    if restart > 0 {
        e.set_restart_interval(restart);
    }
    e.encode(&rgb, w, h, ColorType::Rgb).unwrap();
    out
}

fn our_packets_into_ffmpeg(name: &str, jpeg: &[u8]) {
    use rtsp_core::jpeg::{Frame, Packetizer};
    use rtsp_core::rtp::{RtpTimestamp, SeqNo, Ssrc};
    let dir = std::env::temp_dir().join(format!("rtsp-core-ffdep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // A port for ffmpeg: taken from the kernel, then released for it.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sdp = dir.join("in.sdp");
    std::fs::write(
        &sdp,
        format!(
            "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=t\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=video {port} RTP/AVP 26\r\na=rtpmap:26 JPEG/90000\r\n"
        ),
    )
    .unwrap();
    let out = dir.join("out%03d.jpg");
    let mut child = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(["-protocol_whitelist", "file,udp,rtp", "-i"])
        .arg(&sdp)
        .args(["-c", "copy", "-frames:v", "3", "-f", "image2"])
        .arg(&out)
        .stdout(Stdio::null())
        .spawn()
        .expect("ffmpeg must be installed");
    let frame = Frame::parse(jpeg).unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (mut seq, mut ts) = (1u16, 0u32);
    let deadline = Instant::now() + Duration::from_secs(30);
    // Send frames until ffmpeg has written its three and exits.
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        let repr = rtp::Repr {
            marker: false,
            payload_type: 26,
            sequence: SeqNo(seq),
            timestamp: RtpTimestamp(ts),
            ssrc: Ssrc(0x0102_0304),
        };
        let mut p = Packetizer::new(&frame, 1200, repr).unwrap();
        let mut buf = [0u8; 1200];
        while let Some(n) = p.next_packet(&mut buf).unwrap() {
            tx.send_to(&buf[..n], ("127.0.0.1", port)).unwrap();
        }
        seq = p.next_sequence().0;
        ts = ts.wrapping_add(9000);
        std::thread::sleep(Duration::from_millis(100)); // 10 fps pacing
    }
    let _ = child.kill();
    let status = child.wait().unwrap();
    assert!(status.success(), "ffmpeg did not finish: {status}");
    let got = std::fs::read(dir.join("out001.jpg")).expect("ffmpeg wrote a frame");
    assert_eq!(decode(&got), decode(jpeg));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn our_420_packets_into_ffmpeg() {
    our_packets_into_ffmpeg("420", &encode(320, 240, true, 0));
}

#[test]
fn our_422_restart_packets_into_ffmpeg() {
    our_packets_into_ffmpeg("422r", &encode(256, 128, false, 2));
}
