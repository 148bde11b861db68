//! Garbage, truncations and huge lengths into every jpeg and mjpeg entry
//! point: each returns a typed error or a result, never panics.

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use proptest::prelude::*;
use rtsp_core::jpeg::{Depacketizer, Frame, MainHeader, Packetizer, QuantHeader, RestartHeader};
use rtsp_core::limits::JPEG_MAX_HEADER;
use rtsp_core::mjpeg::{self, Format, Frames, Reader};
use rtsp_core::rtp::{self, ReorderWindow, RtpTimestamp, SeqNo, Ssrc};
use rtsp_core::{Duration, Instant};

fn sample_jpeg(restart: u16) -> Vec<u8> {
    let rgb: Vec<u8> = (0..64 * 48 * 3).map(|i| (i * 7 % 251) as u8).collect();
    let mut out = Vec::new();
    let mut e = Encoder::new(&mut out, 75);
    e.set_sampling_factor(SamplingFactor::F_2_2);
    if restart > 0 {
        e.set_restart_interval(restart);
    }
    e.encode(&rgb, 64, 48, ColorType::Rgb).unwrap();
    out
}

fn repr() -> rtp::Repr {
    rtp::Repr {
        marker: false,
        payload_type: 26,
        sequence: SeqNo(0),
        timestamp: RtpTimestamp(0),
        ssrc: Ssrc(1),
    }
}

/// The RTP header fields the depacketizer reads.
fn at(seq: u16, ts: u32, marker: bool) -> rtp::Repr {
    rtp::Repr {
        marker,
        sequence: SeqNo(seq),
        timestamp: RtpTimestamp(ts),
        ..repr()
    }
}

fn packets(jpeg: &[u8], mtu: usize) -> Vec<Vec<u8>> {
    let f = Frame::parse(jpeg).unwrap();
    let mut p = Packetizer::new(&f, mtu, repr()).unwrap();
    let mut buf = vec![0u8; mtu];
    let mut v = Vec::new();
    while let Some(n) = p.next_packet(&mut buf).unwrap() {
        v.push(buf[..n].to_vec());
    }
    v
}

/// Everything a byte string can be fed to.
fn feed_everywhere(data: &[u8]) {
    if let Ok(f) = Frame::parse(data) {
        // Whatever parses must also packetize without panicking.
        for mtu in [0, 1, 160, 1400] {
            if let Ok(mut p) = Packetizer::new(&f, mtu, repr()) {
                let mut buf = [0u8; 1400];
                let mut n = 0;
                while let Ok(Some(_)) = p.next_packet(&mut buf) {
                    n += 1;
                }
                assert_eq!(n, p.packet_count());
            }
            if let Ok(mut p) = Packetizer::new(&f, mtu, repr()) {
                let mut buf = vec![0u8; p.total_len()];
                assert_eq!(p.write_all(&mut buf), Ok(buf.len()));
            }
        }
    }
    let _ = MainHeader::parse(data);
    let _ = RestartHeader::parse(data);
    let _ = QuantHeader::parse(data);
    let _ = Format::detect(data);
    let n = Frames::new(data).count();
    assert!(n <= data.len());
    let mut r = Reader::new(data, [0u8; 256]);
    for _ in 0..=data.len() {
        match r.next_frame() {
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    let mut d = Depacketizer::new(vec![0u8; JPEG_MAX_HEADER + 512]);
    let _ = d.push_payload(&at(0, 5, true), data);
    let _ = d.push_payload(&at(1, 5, false), data);
    if let Ok(p) = rtp::Packet::new_checked(data) {
        let _ = d.push(&p);
    }
    let mut tiny = Depacketizer::new([0u8; 4]);
    let _ = tiny.push_payload(&at(0, 1, true), data);
    // Through a reorder window into a depacketizer with partial frames.
    let mut partial = Depacketizer::new(vec![0u8; JPEG_MAX_HEADER + 512])
        .with_partial_frames(vec![0u8; JPEG_MAX_HEADER + 512]);
    let mut feed = |bytes: &[u8]| {
        if let Ok(p) = rtp::Packet::new_checked(bytes) {
            let _ = partial.push_frames(&p, |a| assert!(a.jfif.starts_with(&[0xff, 0xd8])));
        }
    };
    let mut window = ReorderWindow::new(vec![0u8; 4 * 600], 600, 4, Duration::from_millis(40));
    window.push(Instant::from_micros(0), data, &mut feed);
    window.poll(Instant::from_micros(50_000), &mut feed);
    window.flush(&mut feed);
    partial.finish(|a| assert!(a.jfif.ends_with(&[0xff, 0xd9])));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        feed_everywhere(&data);
    }

    #[test]
    fn rtp_jpeg_looking_garbage_never_panics(
        head in proptest::collection::vec(any::<u8>(), 8..40),
        kind in prop_oneof![Just(0u8), Just(1), Just(64), Just(65), any::<u8>()],
        q in prop_oneof![Just(255u8), 128u8..255, 1u8..100, any::<u8>()],
        ts in 0u32..4, marker in any::<bool>(), n in 1usize..6, seq in any::<u16>(),
    ) {
        let mut d = Depacketizer::new(vec![0u8; JPEG_MAX_HEADER + 300]);
        for i in 0..n {
            let mut p = head.clone();
            p[4] = kind;
            p[5] = q;
            let _ = d.push_payload(&at(seq.wrapping_add(i as u16), ts + i as u32 % 2, marker || i == n - 1), &p);
        }
    }

    /// Restart-marked packets with any F/L bits and count (RFC 2435
    /// §3.1.7), some missing, into a depacketizer with partial frames.
    #[test]
    fn restart_header_garbage_into_partial_frames_never_panics(
        body in proptest::collection::vec(any::<u8>(), 0..80),
        q in prop_oneof![Just(255u8), 1u8..100],
        headers in proptest::collection::vec((any::<u16>(), any::<u16>(), 0u32..400, any::<bool>()), 1..12),
    ) {
        let mut d = Depacketizer::new(vec![0u8; JPEG_MAX_HEADER + 600])
            .with_partial_frames(vec![0u8; JPEG_MAX_HEADER + 600]);
        for (i, &(interval, flc, offset, marker)) in headers.iter().enumerate() {
            let mut p = vec![0u8; 12];
            p[1..4].copy_from_slice(&offset.to_be_bytes()[1..]);
            p[4] = 65;
            p[5] = q;
            p[6] = 4;
            p[7] = 4;
            p[8..10].copy_from_slice(&interval.to_be_bytes());
            p[10..12].copy_from_slice(&flc.to_be_bytes());
            if offset == 0 && q == 255 {
                p.extend_from_slice(&[0, 0, 0, 128]);
                p.extend_from_slice(&[1u8; 128]);
            }
            p.extend_from_slice(&body);
            let packet = {
                let mut b = vec![0u8; 12];
                at(i as u16, 3000 * (i as u32 / 4), marker).emit(&mut b).unwrap();
                b.extend_from_slice(&p);
                b
            };
            let pkt = rtp::Packet::new_checked(&packet[..]).unwrap();
            let _ = d.push_frames(&pkt, |a| {
                assert!(a.jfif.starts_with(&[0xff, 0xd8]) && a.jfif.ends_with(&[0xff, 0xd9]));
                if let Some(m) = a.missing {
                    assert!(m.missing_count() < m.intervals());
                }
            });
        }
        d.finish(|_| {});
    }

    #[test]
    fn bit_flips_in_a_real_frame_never_panic(at in any::<usize>(), bit in 0u8..8, restart in 0u16..3) {
        let mut j = sample_jpeg(restart);
        let i = at % j.len();
        j[i] ^= 1 << bit;
        feed_everywhere(&j);
    }
}

#[test]
fn every_truncation_of_a_frame_and_its_packets_is_an_error_or_ok() {
    for restart in [0, 2] {
        let j = sample_jpeg(restart);
        for cut in 0..j.len() {
            // Up to EOI every cut is an error (EOI is the last two bytes).
            if cut < j.len() - 1 {
                assert!(Frame::parse(&j[..cut]).is_err(), "cut {cut}");
            }
            feed_everywhere(&j[..cut]);
        }
        for pkt in packets(&j, 200) {
            for cut in 0..pkt.len() {
                feed_everywhere(&pkt[..cut]);
            }
        }
    }
}

#[test]
fn huge_lengths_are_refused() {
    // A segment claiming 65535 bytes in a short frame.
    let j = [0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff, 0, 0, 0xff, 0xd9];
    assert!(matches!(
        Frame::parse(&j),
        Err(rtsp_core::jpeg::Error::Truncated { .. })
    ));
    // A length shorter than its own field.
    let j = [0xff, 0xd8, 0xff, 0xdb, 0x00, 0x01, 0xff, 0xd9];
    assert!(matches!(
        Frame::parse(&j),
        Err(rtsp_core::jpeg::Error::Malformed { .. })
    ));
    // movie.Mjpeg announcing 99999 bytes with 10 present.
    let mut lab = b"99999".to_vec();
    lab.extend_from_slice(&[0xff, 0xd8, 1, 2, 3, 4, 5, 6, 7, 8]);
    let got: Vec<_> = Frames::new(&lab).collect();
    assert_eq!(got, [Err(mjpeg::Error::Truncated { offset: 0 })]);
    let mut r = Reader::new(&lab[..], [0u8; 1024]);
    assert_eq!(
        r.next_frame(),
        Err(mjpeg::Error::FrameTooLarge { capacity: 1024 })
    );
    // RTP/JPEG: quant Length 65535, and a fragment offset near 2^24.
    let mut d = Depacketizer::new(vec![0u8; JPEG_MAX_HEADER + 64]);
    let p = [0, 0, 0, 0, 1, 255, 8, 8, 0, 0, 0xff, 0xff, 1, 2, 3];
    assert_eq!(
        d.push_payload(&at(1, 1, true), &p),
        Err(rtsp_core::jpeg::Error::BadPacket)
    );
    let p = [0, 0xff, 0xff, 0xf0, 1, 50, 8, 8, 1, 2, 3];
    assert!(matches!(
        d.push_payload(&at(2, 1, true), &p),
        Err(rtsp_core::jpeg::Error::BufferTooSmall { .. })
    ));
    assert_eq!(d.frames_dropped(), 1);
    // Q=255 with Length 0 is forbidden (RFC 2435 §3.1.8); Q=200 with no
    // cached tables cannot be rebuilt.
    let p = [0, 0, 0, 0, 1, 255, 8, 8, 0, 0, 0, 0, 1, 2];
    assert_eq!(
        d.push_payload(&at(3, 9, true), &p),
        Err(rtsp_core::jpeg::Error::BadPacket)
    );
    let p = [0, 0, 0, 0, 1, 200, 8, 8, 0, 0, 0, 0, 1, 2];
    assert_eq!(
        d.push_payload(&at(4, 9, true), &p),
        Err(rtsp_core::jpeg::Error::MissingQuantTables { q: 200 })
    );
    // Type 2 is not defined by RFC 2435.
    let p = [0, 0, 0, 0, 2, 50, 8, 8, 1, 2];
    assert_eq!(
        d.push_payload(&at(5, 9, true), &p),
        Err(rtsp_core::jpeg::Error::UnsupportedType { kind: 2 })
    );
}
