#![no_main]
//! Restart-marked RTP/JPEG packets (RFC 2435 §3.1.7) through a reorder
//! window into a depacketizer with partial frames on: whatever arrives, in
//! whatever order, nothing panics, the window releases each sequence number
//! at most once and in order, and every frame handed out is a JFIF whose
//! missing-interval map fits the frame.
//!
//! Input: a stream of packets, each `[len_lo, len_hi, flags, payload[len]]`; flags
//! bit 0 = marker, bits 1-2 = timestamp index, bits 3-7 = sequence number
//! step + 4 (so steps go back as well as forward).
use libfuzzer_sys::fuzz_target;
use rtsp_core::jpeg::{Assembled, Depacketizer};
use rtsp_core::limits::{JPEG_MAX_HEADER, RTP_REORDER_MAX_MISORDER};
use rtsp_core::rtp::{self, ReorderWindow, RtpTimestamp, SeqNo, Ssrc};
use rtsp_core::time::{Duration, Instant};

fn check(a: Assembled<'_>) {
    assert!(a.jfif.starts_with(&[0xff, 0xd8]));
    assert!(a.jfif.ends_with(&[0xff, 0xd9]));
    if let Some(m) = a.missing {
        assert!(m.missing_count() < m.intervals());
        assert_eq!(m.missing().count(), usize::from(m.missing_count()));
    }
}

fuzz_target!(|data: &[u8]| {
    let mut d = Depacketizer::new(vec![0u8; JPEG_MAX_HEADER + 8192])
        .with_partial_frames(vec![0u8; JPEG_MAX_HEADER + 8192]);
    let mut w = ReorderWindow::new([0u8; 16 * 300], 300, 16, Duration::from_millis(40));
    let mut rest = data;
    let mut seq = 0u16;
    let mut last: Option<u16> = None;
    let mut t = 0u64;
    let mut packet = vec![0u8; 12 + 65_536];
    while let [l0, l1, flags, tail @ ..] = rest {
        let n = usize::from(u16::from_le_bytes([*l0, *l1])).min(tail.len());
        let (payload, next) = tail.split_at(n);
        seq = seq.wrapping_add(u16::from(flags >> 3)).wrapping_sub(4);
        let header = rtp::Repr {
            marker: flags & 1 == 1,
            payload_type: 26,
            sequence: SeqNo(seq),
            timestamp: RtpTimestamp(u32::from(flags >> 1 & 3) * 3000),
            ssrc: Ssrc(1),
        };
        let h = header.emit(&mut packet).unwrap();
        packet[h..h + n].copy_from_slice(payload);
        t += 7_000;
        let mut released = |bytes: &[u8]| {
            let p = rtp::Packet::new_checked(bytes).unwrap();
            let s = p.sequence_number();
            if let Some(l) = last {
                // In order, or a restart of the numbering (RFC 3550 A.1).
                let misorder = i32::from(RTP_REORDER_MAX_MISORDER);
                assert!(s.is_after(SeqNo(l)) || i32::from(s.distance(SeqNo(l))) <= -misorder);
            }
            last = Some(s.0);
            let _ = d.push_frames(&p, check);
        };
        w.push(Instant::from_micros(t), &packet[..h + n], &mut released);
        w.poll(Instant::from_micros(t), &mut released);
        rest = next;
    }
    w.flush(|bytes| {
        let p = rtp::Packet::new_checked(bytes).unwrap();
        let _ = d.push_frames(&p, check);
    });
    d.finish(check);
    let frames = d.frames_complete() + d.frames_concealed() + d.frames_dropped();
    assert!(frames <= data.len() as u64);
});
