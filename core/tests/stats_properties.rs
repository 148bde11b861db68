//! Property tests of the reception counters against a plain model: any mix
//! of in-order, lost, late and duplicated packets (RFC 3550 A.1/A.3).

use proptest::prelude::*;
use rtsp_core::rtp::{RtpTimestamp, SeqNo, Ssrc};
use rtsp_core::stats::ReceiverStats;
use rtsp_core::Instant;
use std::collections::HashSet;

/// What happens to packet i of the sent stream.
#[derive(Debug, Clone, Copy)]
enum Fate {
    Delivered,
    Lost,
    Duplicated,
    /// Arrives after the next `n` packets.
    Late(u8),
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        8 => Just(Fate::Delivered),
        1 => Just(Fate::Lost),
        1 => Just(Fate::Duplicated),
        1 => (1u8..20).prop_map(Fate::Late),
    ]
}

proptest! {
    #[test]
    fn counters_match_a_model(start in any::<u16>(), fates in proptest::collection::vec(fate(), 1..600)) {
        // Build the arrival order: sequence offsets from `start`.
        let mut arrivals: Vec<(usize, u32)> = Vec::new(); // (position key, offset)
        for (i, f) in fates.iter().enumerate() {
            let key = i * 100;
            match *f {
                Fate::Delivered => arrivals.push((key, i as u32)),
                Fate::Lost => {}
                Fate::Duplicated => {
                    arrivals.push((key, i as u32));
                    arrivals.push((key + 1, i as u32));
                }
                Fate::Late(n) => arrivals.push((key + usize::from(n) * 100 + 50, i as u32)),
            }
        }
        arrivals.sort_by_key(|a| a.0);
        prop_assume!(!arrivals.is_empty());

        let mut stats = ReceiverStats::default();
        let mut distinct = HashSet::new();
        let mut highest: Option<u32> = None;
        let mut reordered = 0u64;
        let mut duplicates = 0u64;
        for (n, (_, off)) in arrivals.iter().enumerate() {
            let seq = SeqNo(start.wrapping_add(*off as u16));
            stats.on_packet(Instant::from_micros(n as u64 * 1000), seq, RtpTimestamp(*off * 3600), 100, 112);
            if !distinct.insert(*off) {
                duplicates += 1;
            } else if highest.is_some_and(|h| *off < h) {
                reordered += 1;
            }
            highest = Some(highest.map_or(*off, |h| h.max(*off)));
        }
        let first = arrivals[0].1;
        let expected = u64::from(highest.unwrap()) + 1 - u64::from(first.min(highest.unwrap()));
        prop_assert_eq!(stats.received(), arrivals.len() as u64);
        prop_assert_eq!(stats.duplicates(), duplicates);
        prop_assert_eq!(stats.reordered(), reordered);
        // Packets before the first arrival are not expected (A.1 base).
        let late_before_first = distinct.iter().filter(|&&o| o < first).count() as u64;
        prop_assert_eq!(stats.expected(), expected);
        prop_assert_eq!(stats.lost(), expected as i64 - arrivals.len() as i64);
        prop_assert_eq!(stats.missing(), expected.saturating_sub(distinct.len() as u64 - late_before_first).min(expected));
        let block = stats.report_block(Ssrc(1)).unwrap();
        prop_assert_eq!(block.highest_seq, u32::from(start) + highest.unwrap());
        prop_assert_eq!(i64::from(block.cumulative_lost), stats.lost());
    }
}
