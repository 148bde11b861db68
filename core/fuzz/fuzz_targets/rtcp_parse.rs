//! Compound RTCP parsing (RFC 3550 §6, A.2): no input may panic, and every
//! packet that parses must re-emit to bytes that parse to the same packet.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rtsp_core::rtcp::{Compound, Packet};

fuzz_target!(|data: &[u8]| {
    let _ = Compound::validate(data);
    let mut out = [0u8; 2048];
    for packet in Compound::new(data) {
        let Ok(packet) = packet else { break };
        if let Packet::Sdes(s) = packet {
            for c in s.chunks() {
                let _ = c.items().count();
            }
        }
        let len = packet.buffer_len();
        if len > out.len() {
            continue;
        }
        // Pass-through bodies that are not whole words cannot be re-emitted.
        let Ok(n) = packet.emit(&mut out) else {
            continue;
        };
        assert_eq!(n, len);
        let (back, used) = Packet::parse(&out[..n]).expect("our own output parses");
        assert_eq!(used, n);
        assert_eq!(back, packet);
    }
});
