//! Malformed input to every RTP entry point: garbage, every truncation, and
//! headers claiming huge CSRC counts, extension lengths and padding. Nothing
//! may panic; the errors must name the problem.

use proptest::prelude::*;
use rtsp_core::rtp::{Error, Packet, Repr, RtpTimestamp, SeqNo};
use rtsp_core::stats::ReceiverStats;
use rtsp_core::Instant;

/// Every accessor of a view, checked or not.
fn touch(bytes: &[u8]) {
    let p = Packet::new_unchecked(bytes);
    let _ = (
        p.version(),
        p.padding(),
        p.extension_flag(),
        p.csrc_count(),
        p.marker(),
    );
    let _ = (
        p.payload_type(),
        p.sequence_number(),
        p.timestamp(),
        p.ssrc(),
        p.header_len(),
    );
    let _ = (
        p.csrcs().count(),
        p.csrc(14),
        p.extension(),
        p.padding_count(),
        p.payload().len(),
    );
    let _ = Repr::parse(&p);
    if let Ok(p) = Packet::new_checked(bytes) {
        // A checked packet's parts all lie inside it.
        assert!(p.header_len() + p.payload().len() + usize::from(p.padding_count()) == bytes.len());
        let mut stats = ReceiverStats::default();
        stats.on_rtp(Instant::from_micros(1), &p);
        assert_eq!(stats.received(), 1);
    }
    let mut copy = bytes.to_vec();
    let mut m = Packet::new_unchecked(&mut copy[..]);
    m.set_sequence_number(SeqNo(1));
    m.set_timestamp(RtpTimestamp(2));
    m.set_csrc(15, rtsp_core::rtp::Ssrc(3));
    let _ = m.payload_mut().len();
}

#[test]
fn truncations_of_a_full_packet() {
    // CC=15, X with 2 words, payload, 3 bytes of padding.
    let mut full = vec![0xbf, 26, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
    full.extend(std::iter::repeat_n(0xaa, 60));
    full.extend_from_slice(&[0xbe, 0xde, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8]);
    full.extend_from_slice(b"payload");
    full.extend_from_slice(&[0, 0, 3]);
    assert_eq!(
        Packet::new_checked(&full[..]).unwrap().payload(),
        b"payload"
    );
    for len in 0..full.len() {
        touch(&full[..len]);
        assert!(
            Packet::new_checked(&full[..len]).is_err(),
            "accepted a {len}-byte truncation"
        );
    }
}

#[test]
fn huge_counts_and_lengths() {
    // X set with an extension length of 0xffff words in a short packet.
    let ext = [
        0x90, 26, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0xff, 0xff, 0, 0, 0, 0,
    ];
    assert_eq!(
        Packet::new_checked(&ext[..]),
        Err(Error::Truncated {
            required: 16 + 4 * 0xffff,
            actual: 20
        })
    );
    // Padding count 255 in a 13-byte packet.
    let pad = [0xa0, 26, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xff];
    assert_eq!(
        Packet::new_checked(&pad[..]),
        Err(Error::BadPadding { padding: 255 })
    );
    // CC=15 with no CSRCs present.
    let cc = [0x8f, 26, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
    assert_eq!(
        Packet::new_checked(&cc[..]),
        Err(Error::Truncated {
            required: 72,
            actual: 12
        })
    );
    for bytes in [&ext[..], &pad[..], &cc[..]] {
        touch(bytes);
    }
    assert_eq!(
        Packet::new_checked(&[0u8; 12][..]),
        Err(Error::BadVersion { version: 0 })
    );
}

proptest! {
    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        touch(&bytes);
    }

    #[test]
    fn version_2_garbage_never_panics(mut bytes in proptest::collection::vec(any::<u8>(), 12..200)) {
        bytes[0] = (bytes[0] & 0x3f) | 0x80;
        touch(&bytes);
    }
}
