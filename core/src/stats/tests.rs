//! Unit tests for the reception statistics, with hand-computed vectors.

use super::*;
use crate::time::Duration;

fn ms(v: u64) -> Instant {
    Instant::from_micros(v * 1000)
}

fn approx(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// RFC 3550 A.8 by hand, 90 kHz, 40 ms frames, one packet each:
///
/// | pkt | arrival ms | ts    | expected ms | abs(D) ms | J ms            |
/// |-----|-----------|-------|-------------|--------|-----------------|
/// | 1   | 0         | 0     |             |        | 0               |
/// | 2   | 40        | 3600  | 40          | 0      | 0               |
/// | 3   | 90        | 7200  | 80          | 10     | 10/16 = 0.625   |
/// | 4   | 115       | 10800 | 130         | 15     | (15·0.625+15)/16 = 1.5234375 |
/// | 5   | 160       | 14400 | 155         | 5      | (15·1.5234375+5)/16 = 1.74072265625 |
#[test]
fn a8_jitter_hand_computed() {
    let mut s = ReceiverStats::new(90_000);
    for (i, (t, ts)) in [(0, 0), (40, 3600), (90, 7200), (115, 10_800), (160, 14_400)]
        .into_iter()
        .enumerate()
    {
        s.on_packet(ms(t), SeqNo(100 + i as u16), RtpTimestamp(ts), 1000, 1012);
    }
    assert!(approx(s.jitter_ms(), 1.740_722_656_25), "{}", s.jitter_ms());
    // In RTP units: 1.74072265625 ms × 90 ticks/ms = 156.67 → 157.
    assert_eq!(s.jitter(), 157);
    assert!(approx(s.max_jitter_ms(), 1.740_722_656_25));
    // Mean of the four jitter values after packets 2..5.
    assert!(approx(
        s.mean_jitter_ms(),
        (0.0 + 0.625 + 1.523_437_5 + 1.740_722_656_25) / 4.0
    ));
    assert!(approx(s.max_delta_ms(), 50.0));
    assert!(approx(s.mean_delta_ms(), 40.0));
    assert_eq!(s.min_delta_ms(), Some(25.0));
    assert_eq!((s.received(), s.expected(), s.lost()), (5, 5, 0));
}

#[test]
fn marker_packets_are_left_out_of_max_and_mean_like_wireshark() {
    let mut s = ReceiverStats::new(90_000);
    // Two packets per frame, the second with the marker; the late frame
    // end (marker) must not raise Max Jitter or Max Delta.
    let pkts = [
        (0, 0, false),
        (1, 0, true),
        (40, 3600, false),
        (41, 3600, true),
        (80, 7200, false),
        (200, 7200, true),
    ];
    for (i, (t, ts, m)) in pkts.into_iter().enumerate() {
        s.on_packet_marked(ms(t), SeqNo(i as u16), RtpTimestamp(ts), m, 100, 112);
    }
    assert!(
        s.jitter_ms() > 7.0,
        "the last packet's |D| = 120 ms enters J"
    );
    assert!(s.max_jitter_ms() < 7.0);
    assert!(approx(s.max_delta_ms(), 39.0));
}

#[test]
fn loss_duplicates_and_reordering() {
    let mut s = ReceiverStats::default();
    for (i, seq) in [1u16, 2, 4, 3, 3, 6].into_iter().enumerate() {
        s.on_packet(ms(i as u64 * 10), SeqNo(seq), RtpTimestamp(0), 10, 22);
    }
    assert_eq!(s.received(), 6);
    assert_eq!(s.expected(), 6);
    assert_eq!(
        s.lost(),
        0,
        "the duplicate of 3 hides the loss of 5 (RFC 3550 A.3)"
    );
    assert_eq!(s.missing(), 1);
    assert_eq!(s.duplicates(), 1);
    assert_eq!(s.reordered(), 1);

    let mut d = ReceiverStats::default();
    for seq in [1u16, 2, 2, 3] {
        d.on_packet(ms(0), SeqNo(seq), RtpTimestamp(0), 10, 22);
    }
    assert_eq!(
        (d.expected(), d.received(), d.lost(), d.missing()),
        (3, 4, -1, 0)
    );
    assert!(approx(d.lost_percent(), -100.0 / 3.0));
}

#[test]
fn sequence_wrap_keeps_counting() {
    let mut s = ReceiverStats::default();
    let mut seq = SeqNo(65_530);
    for i in 0..20u64 {
        if i != 10 {
            s.on_packet(ms(i), seq, RtpTimestamp(0), 10, 22);
        }
        seq = seq.next();
    }
    assert_eq!((s.expected(), s.received(), s.lost()), (20, 19, 1));
    assert_eq!(s.extended_highest(), 0x0001_0000 + 13);
    let block = s.report_block(Ssrc(5)).unwrap();
    assert_eq!(block.highest_seq, 0x0001_000d);
    assert_eq!(block.cumulative_lost, 1);
}

#[test]
fn report_block_fraction_lost_per_interval_and_dlsr() {
    let mut s = ReceiverStats::default();
    assert_eq!(s.report_block(Ssrc(1)), None, "nothing received yet");
    for seq in (0u16..10).filter(|&q| q != 3 && q != 7) {
        s.on_packet(ms(u64::from(seq)), SeqNo(seq), RtpTimestamp(0), 10, 22);
    }
    let ntp = NtpTimestamp(0x0000_b705_2000_0000);
    s.on_sender_report(ms(20), ntp);
    let b = s
        .report_block_at(ms(20) + Duration::from_micros(1_500_000), Ssrc(0xabc))
        .unwrap();
    // 2 lost of 10 expected: 2·256/10 = 51.
    assert_eq!(
        (b.ssrc, b.fraction_lost, b.cumulative_lost, b.highest_seq),
        (Ssrc(0xabc), 51, 2, 9)
    );
    assert_eq!(b.last_sr, 0xb705_2000);
    assert_eq!(b.delay_since_last_sr, 98_304, "1.5 s in 1/65536 s");
    for seq in 10u16..20 {
        s.on_packet(ms(100), SeqNo(seq), RtpTimestamp(0), 10, 22);
    }
    let b = s.report_block(Ssrc(0xabc)).unwrap();
    assert_eq!(
        (b.fraction_lost, b.cumulative_lost),
        (0, 2),
        "no loss in this interval"
    );
}

#[test]
fn frame_and_data_rates() {
    let mut s = ReceiverStats::default();
    // 100 frames at 25 fps, two packets of 700 payload bytes (712 on the
    // wire) each; every 10th frame dropped.
    for f in 0..100u64 {
        let t = Instant::from_micros(f * 40_000);
        for p in 0..2u64 {
            let seq = SeqNo((f * 2 + p) as u16);
            s.on_packet(t, seq, RtpTimestamp((f * 3600) as u32), 700, 712);
        }
        s.on_frame(t, f % 10 != 5, 1400);
    }
    assert_eq!((s.frames_complete(), s.frames_dropped()), (90, 10));
    assert_eq!(s.frame_bytes(), 90 * 1400);
    // Window: the last 64 frames, 63 intervals of 40 ms, a tenth dropped.
    let complete_in_window = (37..100).filter(|f| f % 10 != 5).count() as f64;
    assert!(approx(s.fps_window(), complete_in_window / (63.0 * 0.04)));
    let (payload, packet) = s.kbps_window();
    assert!(approx(
        payload,
        63.0 * 1400.0 * 8.0 / 1000.0 / (63.0 * 0.04)
    ));
    assert!(approx(packet, 63.0 * 1424.0 * 8.0 / 1000.0 / (63.0 * 0.04)));
    // Overall: 89 complete frames after the first over 99 intervals.
    assert!(approx(s.fps_overall(), 89.0 / (99.0 * 0.04)));
    let (payload, _) = s.kbps_overall();
    assert!(approx(
        payload,
        (199.0 * 700.0 * 8.0 / 1000.0) / (99.0 * 0.04)
    ));
}

#[test]
fn very_late_packets_count_as_reordered_not_duplicates() {
    let mut s = ReceiverStats::default();
    for seq in 0u16..3000 {
        s.on_packet(ms(0), SeqNo(seq), RtpTimestamp(0), 1, 13);
    }
    s.on_packet(ms(0), SeqNo(5), RtpTimestamp(0), 1, 13);
    s.on_packet(ms(0), SeqNo(2999), RtpTimestamp(0), 1, 13);
    assert_eq!((s.reordered(), s.duplicates()), (1, 1));
}

#[test]
fn loss_over_an_interval_from_a_mark() {
    let mut s = ReceiverStats::new(90_000);
    let mut t = 0;
    let mut feed = |s: &mut ReceiverStats, seq: u16| {
        t += 40;
        s.on_packet(
            ms(t),
            SeqNo(seq),
            RtpTimestamp(u32::from(seq) * 3600),
            1000,
            1012,
        );
    };
    for seq in [0, 1, 3] {
        feed(&mut s, seq);
    }
    // 4 expected, 3 received.
    assert!(approx(s.lost_percent(), 25.0));
    let mark = s.mark();
    assert!(
        approx(s.lost_percent_since(mark), 0.0),
        "nothing expected yet"
    );
    // 4..=13: 10 expected, 8 received (6 and 9 missing).
    for seq in [4, 5, 7, 8, 10, 11, 12, 13] {
        feed(&mut s, seq);
    }
    assert!(approx(s.lost_percent_since(mark), 20.0));
    // Duplicates in a later interval never count as negative loss (A.3).
    let mark = s.mark();
    for seq in [13, 13, 14] {
        feed(&mut s, seq);
    }
    assert!(approx(s.lost_percent_since(mark), 0.0));
    assert!(approx(s.lost_percent(), 100.0 * (15.0 - 14.0) / 15.0));
}

#[test]
fn window_rates_decay_when_the_stream_stops() {
    let mut s = ReceiverStats::new(90_000);
    // 11 frames of one 1000-byte packet, 40 ms apart: 25 fps, 200 kbit/s.
    for i in 0..11u16 {
        let t = ms(u64::from(i) * 40);
        s.on_packet(t, SeqNo(i), RtpTimestamp(u32::from(i) * 3600), 1000, 1012);
        s.on_frame(t, true, 1000);
    }
    assert!(approx(s.fps_window(), 25.0), "{}", s.fps_window());
    assert!(approx(s.fps_window_at(ms(400)), 25.0));
    assert!(approx(s.kbps_window_at(ms(400)).0, 200.0));
    // Nothing for 400 ms more: the same frames over twice the span.
    assert!(approx(s.fps_window_at(ms(800)), 12.5));
    assert!(approx(s.kbps_window_at(ms(800)).0, 100.0));
    assert!(
        approx(s.fps_window(), 25.0),
        "the plain window keeps its span"
    );
}
