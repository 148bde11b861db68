//! Malformed input to every RTCP entry point: garbage, every truncation of
//! a real compound packet, and huge counts and lengths. Nothing may panic.

use proptest::prelude::*;
use rtsp_core::rtcp::{Compound, Error, Packet};

fn touch(bytes: &[u8]) {
    let _ = Compound::validate(bytes);
    for packet in Compound::new(bytes).take(1000) {
        let Ok(packet) = packet else { continue };
        // Whatever parsed can be walked and written back.
        match packet {
            Packet::Sr(sr) => assert!(sr.reports.iter().count() <= 31),
            Packet::Rr(rr) => assert!(rr.reports.iter().count() <= 31),
            Packet::Sdes(s) => {
                for c in s.chunks() {
                    let _ = c.items().count();
                }
                let _ = s.first_cname();
            }
            Packet::Bye(b) => {
                let _ = (b.sources.iter().count(), b.reason);
            }
            _ => {}
        }
        let mut out = vec![0u8; packet.buffer_len()];
        let _ = packet.emit(&mut out);
        let half = out.len() / 2;
        let _ = packet.emit(&mut out[..half]);
    }
}

/// SR with one block, SDES with two items, BYE with a reason, APP.
fn compound() -> Vec<u8> {
    let mut v = vec![0x81, 200, 0, 12];
    v.extend_from_slice(&[1; 24]);
    v.extend_from_slice(&[2; 24]);
    v.extend_from_slice(&[
        0x81, 202, 0, 4, 0, 0, 0, 1, 1, 3, b'a', b'b', b'c', 6, 2, b'x', b'y', 0, 0, 0,
    ]);
    v.extend_from_slice(&[
        0x81, 203, 0, 3, 0, 0, 0, 1, 5, b'b', b'y', b'e', b'!', 0, 0, 0,
    ]);
    v.extend_from_slice(&[
        0x80, 204, 0, 3, 0, 0, 0, 1, b'N', b'A', b'M', b'E', 1, 2, 3, 4,
    ]);
    v
}

#[test]
fn truncations_of_a_compound() {
    let full = compound();
    assert_eq!(Compound::validate(&full), Ok(4));
    for len in 0..full.len() {
        touch(&full[..len]);
        // Cut at a packet boundary, what is left is a valid compound.
        let boundary = [52, 72, 88].contains(&len);
        assert_eq!(
            Compound::validate(&full[..len]).is_ok(),
            boundary,
            "{len}-byte truncation"
        );
    }
}

#[test]
fn huge_counts_and_lengths() {
    // RC=31 report blocks promised, none present.
    let rr = [0x9f, 201, 0, 1, 0, 0, 0, 1];
    assert_eq!(
        Packet::parse(&rr),
        Err(Error::Truncated {
            required: 8 + 31 * 24,
            actual: 8
        })
    );
    // Length field 0xffff words.
    let long = [0x80, 201, 0xff, 0xff, 0, 0, 0, 1];
    assert_eq!(
        Packet::parse(&long),
        Err(Error::Truncated {
            required: 0x10000 * 4,
            actual: 8
        })
    );
    // SDES item of 255 bytes in a 12-byte packet.
    let sdes = [0x81, 202, 0, 2, 0, 0, 0, 1, 1, 255, b'a', 0];
    assert!(matches!(Packet::parse(&sdes), Err(Error::Truncated { .. })));
    // BYE reason longer than the packet.
    let bye = [0x81, 203, 0, 2, 0, 0, 0, 1, 200, b'a', 0, 0];
    assert!(matches!(Packet::parse(&bye), Err(Error::Truncated { .. })));
    // SC=31 chunks in a tiny SDES.
    let chunks = [0x9f, 202, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0];
    assert!(matches!(
        Packet::parse(&chunks),
        Err(Error::Truncated { .. })
    ));
    // Padding larger than the packet.
    let pad = [0xa0, 201, 0, 1, 0, 0, 0, 200];
    assert_eq!(Packet::parse(&pad), Err(Error::BadPadding { padding: 200 }));
    for b in [
        &rr[..],
        &long[..],
        &sdes[..],
        &bye[..],
        &chunks[..],
        &pad[..],
    ] {
        touch(b);
    }
}

proptest! {
    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        touch(&bytes);
    }

    #[test]
    fn plausible_headers_never_panic(
        words in proptest::collection::vec((0u8..32, 200u8..206, 0u16..12, proptest::collection::vec(any::<u8>(), 0..48)), 1..6),
    ) {
        let mut bytes = Vec::new();
        for (count, pt, len, body) in words {
            bytes.extend_from_slice(&[0x80 | count, pt]);
            bytes.extend_from_slice(&len.to_be_bytes());
            bytes.extend_from_slice(&body);
        }
        touch(&bytes);
    }
}
