//! Property tests: RTP headers survive emit → parse unchanged (RFC 3550
//! §5.1), and packets with CSRCs, an extension and padding built by hand
//! read back field for field.

use proptest::prelude::*;
use rtsp_core::rtp::{self, Packet, Repr, RtpTimestamp, SeqExtender, SeqNo, Ssrc};

fn repr() -> impl Strategy<Value = Repr> {
    (
        any::<bool>(),
        0u8..128,
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(marker, payload_type, seq, ts, ssrc)| Repr {
            marker,
            payload_type,
            sequence: SeqNo(seq),
            timestamp: RtpTimestamp(ts),
            ssrc: Ssrc(ssrc),
        })
}

proptest! {
    #[test]
    fn repr_round_trips(r in repr(), payload in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut buf = vec![0u8; rtp::HEADER_LEN + payload.len()];
        prop_assert_eq!(r.emit(&mut buf), Ok(rtp::HEADER_LEN));
        buf[rtp::HEADER_LEN..].copy_from_slice(&payload);
        let packet = Packet::new_checked(&buf[..]).unwrap();
        prop_assert_eq!(Repr::parse(&packet), Ok(r));
        prop_assert_eq!(packet.payload(), &payload[..]);
        prop_assert_eq!(packet.csrc_count(), 0);
        prop_assert!(packet.extension().is_none());
    }

    #[test]
    fn full_header_reads_back(
        r in repr(),
        csrcs in proptest::collection::vec(any::<u32>(), 0..16),
        ext in proptest::option::of((any::<u16>(), proptest::collection::vec(any::<u32>(), 0..4))),
        payload in proptest::collection::vec(any::<u8>(), 0..32),
        padding in 0u8..8,
    ) {
        let mut buf = vec![0u8; rtp::HEADER_LEN];
        r.emit(&mut buf).unwrap();
        for c in &csrcs {
            buf.extend_from_slice(&c.to_be_bytes());
        }
        if let Some((profile, words)) = &ext {
            buf.extend_from_slice(&profile.to_be_bytes());
            buf.extend_from_slice(&(words.len() as u16).to_be_bytes());
            for w in words {
                buf.extend_from_slice(&w.to_be_bytes());
            }
        }
        buf.extend_from_slice(&payload);
        if padding > 0 {
            buf.extend(std::iter::repeat_n(0, usize::from(padding) - 1));
            buf.push(padding);
        }
        {
            let mut p = Packet::new_unchecked(&mut buf[..]);
            p.set_csrc_count(csrcs.len() as u8);
            p.set_extension_flag(ext.is_some());
            p.set_padding(padding > 0);
        }
        let packet = Packet::new_checked(&buf[..]).unwrap();
        prop_assert_eq!(Repr::parse(&packet), Ok(r));
        let read: Vec<u32> = packet.csrcs().map(|s| s.0).collect();
        prop_assert_eq!(read, csrcs);
        match (&ext, packet.extension()) {
            (None, None) => {}
            (Some((profile, words)), Some(e)) => {
                prop_assert_eq!(e.profile, *profile);
                prop_assert_eq!(e.data.len(), 4 * words.len());
            }
            (a, b) => prop_assert!(false, "extension {:?} read as {:?}", a, b),
        }
        prop_assert_eq!(packet.payload(), &payload[..]);
    }

    #[test]
    fn extender_matches_a_counter(start in any::<u16>(), steps in proptest::collection::vec(1u16..200, 1..400)) {
        // Forward jumps below 2^15 are progress: the extended number is the
        // plain running sum.
        let mut ext = SeqExtender::new();
        let mut seq = SeqNo(start);
        let mut count = i64::from(start);
        prop_assert_eq!(ext.extend(seq), count);
        for s in steps {
            seq = seq.wrapping_add(s);
            count += i64::from(s);
            prop_assert_eq!(ext.extend(seq), count);
        }
        prop_assert_eq!(ext.highest(), Some(count));
    }
}
