use proptest::prelude::*;

use super::*;

const SLOT: usize = 64;

/// An RTP packet with sequence number `seq` and a payload naming it.
fn packet(seq: u16) -> [u8; 14] {
    let mut p = [0u8; 14];
    p[0] = 0x80;
    p[1] = 26;
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[12..14].copy_from_slice(&seq.to_be_bytes());
    p
}

fn seq_of(data: &[u8]) -> u16 {
    u16::from_be_bytes([data[2], data[3]])
}

fn window(packets: usize, ms: u64) -> ReorderWindow<[u8; SLOT * 32]> {
    ReorderWindow::new([0u8; SLOT * 32], SLOT, packets, Duration::from_millis(ms))
}

fn at(ms: u64) -> Instant {
    Instant::from_micros(ms * 1000)
}

#[test]
fn in_order_passes_straight_through_across_the_wrap() {
    let mut w = window(16, 40);
    let mut out = [0u16; 8];
    let mut n = 0;
    for s in [65_533u16, 65_534, 65_535, 0, 1] {
        w.push(at(0), &packet(s), |d| {
            out[n] = seq_of(d);
            n += 1;
        });
        assert_eq!(w.held(), 0);
    }
    assert_eq!(&out[..n], &[65_533, 65_534, 65_535, 0, 1]);
    assert_eq!((w.released(), w.lost(), w.late()), (5, 0, 0));
}

#[test]
fn a_swap_is_restored_and_a_duplicate_ignored() {
    let mut w = window(16, 40);
    let mut got = [0u16; 8];
    let mut n = 0;
    for s in [10u16, 12, 11, 11, 12, 13] {
        w.push(at(1), &packet(s), |d| {
            got[n] = seq_of(d);
            n += 1;
        });
    }
    assert_eq!(&got[..n], &[10, 11, 12, 13]);
    assert_eq!((w.lost(), w.late(), w.duplicates()), (0, 0, 2));
}

#[test]
fn a_held_packet_arriving_again_when_its_turn_comes_is_a_duplicate() {
    let mut w = window(16, 40);
    let mut got = std::vec::Vec::new();
    for s in [1u16, 3, 4] {
        w.push(at(0), &packet(s), |d| got.push(seq_of(d)));
    }
    w.poll(at(40), |d| got.push(seq_of(d)));
    assert_eq!(got, [1, 3, 4]);
    for s in [6u16, 7, 6, 5] {
        w.push(at(41), &packet(s), |d| got.push(seq_of(d)));
    }
    w.flush(|d| got.push(seq_of(d)));
    assert_eq!(got, [1, 3, 4, 5, 6, 7]);
    assert_eq!((w.duplicates(), w.held()), (1, 0));
}

#[test]
fn a_gap_is_given_up_after_the_delay_and_its_packet_is_late() {
    let mut w = window(16, 40);
    let mut got = [0u16; 8];
    let mut n = 0;
    let mut rel = |d: &[u8]| {
        got[n] = seq_of(d);
        n += 1;
    };
    w.push(at(0), &packet(1), &mut rel);
    w.push(at(5), &packet(3), &mut rel);
    w.push(at(10), &packet(4), &mut rel);
    assert_eq!(w.poll_timeout(), Some(at(45)));
    w.poll(at(44), &mut rel);
    assert_eq!(w.held(), 2);
    w.poll(at(45), &mut rel);
    w.push(at(50), &packet(2), &mut rel);
    assert_eq!(&got[..n], &[1, 3, 4]);
    assert_eq!((w.lost(), w.late(), w.held()), (1, 1, 0));
    assert_eq!(w.poll_timeout(), None);
}

#[test]
fn a_gap_is_given_up_when_the_window_is_full_of_packets() {
    let mut w = window(4, 1000);
    let mut got = [0u16; 8];
    let mut n = 0;
    for s in [1u16, 3, 4, 5, 6] {
        w.push(at(0), &packet(s), |d| {
            got[n] = seq_of(d);
            n += 1;
        });
    }
    // 6 is 4 past the gap at 2: the window gives 2 up.
    assert_eq!(&got[..n], &[1, 3, 4, 5, 6]);
    assert_eq!(w.lost(), 1);
}

#[test]
fn a_restart_of_the_numbering_is_followed() {
    let mut w = window(16, 40);
    let mut last = 0;
    for s in [100u16, 101, 40_000, 40_001] {
        w.push(at(0), &packet(s), |d| last = seq_of(d));
    }
    assert_eq!(last, 40_001);
    // Far behind, twice in a row: A.1's restart.
    for s in [5u16, 6, 7] {
        w.push(at(0), &packet(s), |d| last = seq_of(d));
    }
    assert_eq!(last, 7);
}

#[test]
fn reordering_off_skips_at_once() {
    let mut w = window(0, 40);
    let mut got = 0;
    for s in [1u16, 3, 2, 4] {
        w.push(at(0), &packet(s), |_| got += 1);
    }
    assert_eq!((got, w.lost(), w.late()), (3, 1, 1));
}

proptest! {
    /// Any permutation that moves no packet further than the window loses
    /// nothing and comes out in order.
    #[test]
    fn reordering_within_the_window_loses_nothing(
        start in any::<u16>(),
        keys in prop::collection::vec(0u32..8, 1..200),
    ) {
        // Each packet is displaced by less than 9: sort by index + jitter.
        let mut order: std::vec::Vec<(u32, u16)> = keys
            .iter()
            .enumerate()
            // The first packet opens the stream: it comes first.
            .map(|(i, k)| (if i == 0 { 0 } else { i as u32 + 1 + k }, i as u16))
            .collect();
        order.sort();
        let mut w = window(16, 40);
        let mut got = std::vec::Vec::new();
        for (_, i) in &order {
            w.push(at(0), &packet(start.wrapping_add(*i)), |d| got.push(seq_of(d)));
        }
        w.flush(|d| got.push(seq_of(d)));
        let want: std::vec::Vec<u16> = (0..keys.len() as u16).map(|i| start.wrapping_add(i)).collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!((w.lost(), w.late()), (0, 0));
    }

    /// Drops and swaps: every packet comes out at most once, in order, and
    /// released + lost accounts for every sequence number passed.
    #[test]
    fn loss_is_counted_exactly(
        start in any::<u16>(),
        plan in prop::collection::vec(0u8..10, 1..300),
    ) {
        let mut w = window(16, 40);
        let mut got: std::vec::Vec<u16> = std::vec::Vec::new();
        let mut sent = 0u64;
        for (i, p) in plan.iter().enumerate() {
            if *p == 0 {
                continue; // dropped
            }
            sent += 1;
            w.push(at(i as u64), &packet(start.wrapping_add(i as u16)), |d| got.push(seq_of(d)));
        }
        w.flush(|d| got.push(seq_of(d)));
        prop_assert_eq!(got.len() as u64, sent);
        for pair in got.windows(2) {
            prop_assert!(SeqNo(pair[1]).is_after(SeqNo(pair[0])));
        }
    }
}
