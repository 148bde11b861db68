//! Interop with a real RFC 2435 peer, GStreamer, over UDP on 127.0.0.1:
//! its `rtpjpegpay` feeds our depacketizer, and our packetizer feeds its
//! `rtpjpegdepay`; either way the frame decodes to the original pixels.
//! gst-launch-1.0 is part of the test environment: if it is missing the
//! test fails.

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use rtsp_core::jpeg::{Depacketizer, Frame, Packetizer};
use rtsp_core::limits::JPEG_MAX_HEADER;
use rtsp_core::rtp::{self, RtpTimestamp, SeqNo, Ssrc};
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::JpegDecoder;

/// A child process killed (by its PID) and reaped on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn gst(pipeline: &str) -> Proc {
    let child = Command::new("gst-launch-1.0")
        .arg("-q")
        .args(pipeline.split_whitespace())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gst-launch-1.0 must be installed");
    Proc(child)
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rtsp-core-gst-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn encode(w: u16, h: u16, s420: bool, restart: u16) -> Vec<u8> {
    let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h))
        .flat_map(|i| {
            let (x, y) = (i % usize::from(w), i / usize::from(w));
            [
                (x * 255 / usize::from(w)) as u8,
                (y * 3) as u8,
                ((x ^ y) * 5) as u8,
            ]
        })
        .collect();
    let mut out = Vec::new();
    let mut e = Encoder::new(&mut out, 80);
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

fn decode(jpeg: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut d = JpegDecoder::new(ZCursor::new(jpeg));
    let px = d.decode().expect("decodes");
    let (w, h) = d.dimensions().unwrap();
    (w, h, px)
}

#[test]
fn gstreamer_payloader_into_our_depacketizer() {
    let dir = scratch("pay");
    let jpeg = encode(320, 240, true, 0);
    let file = dir.join("in.jpg");
    std::fs::write(&file, &jpeg).unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let port = sock.local_addr().unwrap().port();
    // The same still, 5 times a second, until we stop it.
    let _gst = gst(&format!(
        "multifilesrc location={} loop=true caps=image/jpeg,framerate=5/1 ! jpegparse ! \
         rtpjpegpay mtu=1000 ! udpsink host=127.0.0.1 port={port}",
        file.display()
    ));
    let mut d = Depacketizer::new(vec![0u8; JPEG_MAX_HEADER + 64 * 1024]);
    let mut buf = [0u8; 2048];
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut frames = Vec::new();
    while frames.len() < 2 && Instant::now() < deadline {
        let Ok(n) = sock.recv(&mut buf) else { continue };
        let pkt = rtp::Packet::new_checked(&buf[..n]).unwrap();
        assert_eq!(pkt.payload_type(), 26);
        assert!(n <= 1000 + 28, "mtu respected");
        if let Some(f) = d.push(&pkt).unwrap() {
            frames.push(f.to_vec());
        }
    }
    assert!(frames.len() >= 2, "frames from GStreamer: {}", frames.len());
    for f in &frames {
        assert_eq!(decode(f), decode(&jpeg));
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn our_packets(jpeg: &[u8], ts: u32, seq: &mut u16) -> Vec<Vec<u8>> {
    let frame = Frame::parse(jpeg).unwrap();
    let repr = rtp::Repr {
        marker: false,
        payload_type: 26,
        sequence: SeqNo(*seq),
        timestamp: RtpTimestamp(ts),
        ssrc: Ssrc(0x4a50_4547),
    };
    let mut p = Packetizer::new(&frame, 1200, repr).unwrap();
    let mut buf = [0u8; 1200];
    let mut v = Vec::new();
    while let Some(n) = p.next_packet(&mut buf).unwrap() {
        v.push(buf[..n].to_vec());
    }
    *seq = p.next_sequence().0;
    v
}

fn our_packetizer_into_gstreamer(name: &str, jpeg: &[u8]) {
    let dir = scratch(name);
    // A port for udpsrc: taken from the kernel, then released for it.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = dir.join("out%05d.jpg");
    let _gst = gst(&format!(
        "udpsrc address=127.0.0.1 port={port} caps=application/x-rtp,media=video,\
         encoding-name=JPEG,clock-rate=90000,payload=26 ! rtpjpegdepay ! \
         multifilesink location={}",
        out.display()
    ));
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let first = dir.join("out00000.jpg");
    let second = dir.join("out00001.jpg");
    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut seq, mut ts) = (100u16, 0u32);
    // Keep sending frames until GStreamer has written two (the first may be
    // lost while udpsrc starts; the second shows a whole one was written).
    while !second.exists() && Instant::now() < deadline {
        for p in our_packets(jpeg, ts, &mut seq) {
            tx.send_to(&p, ("127.0.0.1", port)).unwrap();
        }
        ts = ts.wrapping_add(9000);
        std::thread::sleep(Duration::from_millis(100)); // 10 fps pacing
    }
    assert!(second.exists(), "GStreamer wrote no frames");
    let got = std::fs::read(&first).unwrap();
    assert_eq!(decode(&got), decode(jpeg));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn our_420_frames_into_gstreamer_depayloader() {
    our_packetizer_into_gstreamer("d420", &encode(320, 240, true, 0));
}

#[test]
fn our_422_restart_frames_into_gstreamer_depayloader() {
    our_packetizer_into_gstreamer("d422r", &encode(256, 128, false, 3));
}
