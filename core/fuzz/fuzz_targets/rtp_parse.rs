//! RTP header parsing (RFC 3550 §5.1): no input may panic, a checked view's
//! parts must lie inside the packet, and a parsed header must re-emit to
//! the same fixed-header fields.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rtsp_core::rtp::{Packet, Repr};
use rtsp_core::stats::ReceiverStats;
use rtsp_core::Instant;

fuzz_target!(|data: &[u8]| {
    let unchecked = Packet::new_unchecked(data);
    let _ = (
        unchecked.payload(),
        unchecked.extension(),
        unchecked.csrcs().count(),
    );
    let Ok(packet) = Packet::new_checked(data) else {
        return;
    };
    assert_eq!(
        packet.header_len() + packet.payload().len() + usize::from(packet.padding_count()),
        data.len()
    );
    let repr = Repr::parse(&packet).expect("a checked packet parses");
    let mut buf = [0u8; 12];
    repr.emit(&mut buf).expect("12 bytes fit");
    let again = Repr::parse(&Packet::new_unchecked(&buf[..])).expect("our own header parses");
    assert_eq!(again, repr);
    let mut stats = ReceiverStats::default();
    stats.on_rtp(Instant::from_micros(0), &packet);
    stats.on_rtp(Instant::from_micros(1000), &packet);
    assert_eq!(stats.duplicates(), 1);
});
