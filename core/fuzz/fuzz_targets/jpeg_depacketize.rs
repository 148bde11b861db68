#![no_main]
//! Arbitrary RTP/JPEG packets into the depacketizer (RFC 2435), and
//! arbitrary frames through packetize -> depacketize.
//!
//! Input: a mode byte. Mode even: a stream of packets, each as
//! `[len, flags, payload[len]]` (flags bit 0 = marker, bits 1-2 = timestamp
//! index, bits 3-7 = sequence number step + 4). Mode odd:
//! `[mtu_lo, mtu_hi, jpeg...]`, checked to round-trip.
use libfuzzer_sys::fuzz_target;
use rtsp_core::jpeg::{restart, Depacketizer, Frame, Packetizer, Payload};
use rtsp_core::limits::JPEG_MAX_HEADER;
use rtsp_core::rtp::{self, RtpTimestamp, SeqNo, Ssrc};

fn check_frame(f: &[u8]) {
    assert!(f.starts_with(&[0xff, 0xd8]));
    assert!(f.ends_with(&[0xff, 0xd9]));
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut d = Depacketizer::new([0u8; JPEG_MAX_HEADER + 4096]);
    if mode % 2 == 0 {
        let mut rest = rest;
        let mut seq = 0u16;
        while let [len, flags, tail @ ..] = rest {
            let n = usize::from(*len).min(tail.len());
            let (payload, next) = tail.split_at(n);
            // Bits 1-2: timestamp index; bits 3-7: sequence number step.
            seq = seq.wrapping_add(u16::from(flags >> 3)).wrapping_sub(4);
            let header = rtp::Repr {
                marker: flags & 1 == 1,
                payload_type: 26,
                sequence: SeqNo(seq),
                timestamp: RtpTimestamp(u32::from(flags >> 1 & 3) * 3000),
                ssrc: Ssrc(1),
            };
            if let Ok(Some(f)) = d.push_payload(&header, payload) {
                check_frame(f);
            }
            rest = next;
        }
        if let Ok(p) = rtp::Packet::new_checked(data) {
            if let Ok(Some(f)) = d.push(&p) {
                check_frame(f);
            }
        }
        assert!(d.frames_complete() + d.frames_dropped() <= data.len() as u64);
        return;
    }
    let [m0, m1, jpeg @ ..] = rest else {
        return;
    };
    let Ok(frame) = Frame::parse(jpeg) else {
        return;
    };
    let mtu = usize::from(u16::from_le_bytes([*m0, *m1]));
    let repr = rtp::Repr {
        marker: false,
        payload_type: 26,
        sequence: SeqNo(65530),
        timestamp: RtpTimestamp(1),
        ssrc: Ssrc(1),
    };
    let Ok(mut p) = Packetizer::new(&frame, mtu, repr) else {
        return;
    };
    d.set_dimensions(frame.width(), frame.height());
    let mut buf = [0u8; 65536];
    let mut out = None;
    let mut n = 0;
    // Restart-aligned (RFC 2435 §3.1.7): F opens a chunk at an interval
    // boundary, L closes it at one; a chunk's packets share its count.
    let mut open: Option<u16> = None;
    let scan = frame.scan_data();
    while let Some(len) = p.next_packet(&mut buf).unwrap() {
        n += 1;
        let pkt = rtp::Packet::new_checked(&buf[..len]).unwrap();
        if p.is_aligned() {
            let pl = Payload::parse(pkt.payload()).unwrap();
            let r = pl.restart.unwrap();
            let start = pl.main.fragment_offset as usize;
            let end = start + pl.data.len();
            assert_eq!(r.first, open.is_none());
            assert!(!r.first || start == 0 || restart::is_boundary(scan, start));
            assert!(r.first || open == Some(r.count));
            assert!(!r.last || end == scan.len() || restart::is_boundary(scan, end));
            open = (!r.last).then_some(r.count);
        }
        match d.push(&pkt) {
            Ok(Some(f)) => out = Some(f.to_vec()),
            Ok(None) => {}
            // Only a frame too large for the fuzz buffer may fail.
            Err(e) => {
                assert!(frame.scan_data().len() + 2 > 4096, "{e}");
                return;
            }
        }
    }
    assert_eq!(n, p.packet_count());
    assert_eq!(open, None);
    let out = out.expect("a whole frame comes back");
    let back = Frame::parse(&out).expect("the rebuilt frame parses");
    assert_eq!(back.scan_data(), frame.scan_data());
    assert_eq!(
        (back.width(), back.height()),
        (frame.width(), frame.height())
    );
    assert_eq!(back.kind(), frame.kind());
    assert_eq!(back.restart_interval(), frame.restart_interval());
    assert_eq!(back.quant_tables(), frame.quant_tables());
});
