//! Property tests: every RTCP repr survives emit → parse unchanged, alone
//! and inside a compound packet (RFC 3550 §6).

use proptest::prelude::*;
use rtsp_core::rtcp::{
    self, App, Bye, Compound, NtpTimestamp, Packet, ReceiverReport, ReportBlock, ReportBlocks,
    Sdes, SenderReport, Sources, Unknown,
};
use rtsp_core::rtp::{RtpTimestamp, Ssrc};

fn block() -> impl Strategy<Value = ReportBlock> {
    (
        any::<u32>(),
        any::<u8>(),
        -0x80_0000i32..=0x7f_ffff,
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(ssrc, fraction_lost, cumulative_lost, highest_seq, jitter, last_sr, dlsr)| {
                ReportBlock {
                    ssrc: Ssrc(ssrc),
                    fraction_lost,
                    cumulative_lost,
                    highest_seq,
                    jitter,
                    last_sr,
                    delay_since_last_sr: dlsr,
                }
            },
        )
}

#[derive(Debug, Clone)]
struct Owned {
    blocks: Vec<ReportBlock>,
    ssrc: u32,
    ntp: u64,
    rtp: u32,
    packets: u32,
    octets: u32,
    cname: String,
    bye: Vec<Ssrc>,
    reason: Option<Vec<u8>>,
    app: (u8, [u8; 4], Vec<u8>),
    unknown: (u8, u8, Vec<u8>),
}

fn owned() -> impl Strategy<Value = Owned> {
    (
        proptest::collection::vec(block(), 0..32),
        (
            any::<u32>(),
            any::<u64>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
        ),
        "[ -~]{0,64}",
        proptest::collection::vec(any::<u32>().prop_map(Ssrc), 0..32),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..256)),
        (
            0u8..32,
            any::<[u8; 4]>(),
            proptest::collection::vec(any::<[u8; 4]>(), 0..8),
        ),
        (
            205u8..=255,
            0u8..32,
            proptest::collection::vec(any::<[u8; 4]>(), 0..8),
        ),
    )
        .prop_map(
            |(blocks, (ssrc, ntp, rtp, packets, octets), cname, bye, reason, app, unknown)| Owned {
                blocks,
                ssrc,
                ntp,
                rtp,
                packets,
                octets,
                cname,
                bye,
                reason,
                app: (app.0, app.1, app.2.concat()),
                unknown: (unknown.0, unknown.1, unknown.2.concat()),
            },
        )
}

proptest! {
    #[test]
    fn compound_round_trips(o in owned()) {
        let n = o.blocks.len().min(31);
        let blocks = &o.blocks[..n];
        let sr = SenderReport {
            ssrc: Ssrc(o.ssrc),
            ntp_timestamp: NtpTimestamp(o.ntp),
            rtp_timestamp: RtpTimestamp(o.rtp),
            packet_count: o.packets,
            octet_count: o.octets,
            reports: ReportBlocks::new(blocks),
        };
        let rr = ReceiverReport { ssrc: Ssrc(o.ssrc), reports: ReportBlocks::new(blocks) };
        let bye = Bye { sources: Sources::new(&o.bye[..o.bye.len().min(31)]), reason: o.reason.as_deref() };
        let packets = [
            Packet::Sr(sr),
            Packet::Rr(rr),
            Packet::Sdes(Sdes::cname(Ssrc(o.ssrc), &o.cname)),
            Packet::Bye(bye),
            Packet::App(App { subtype: o.app.0, ssrc: Ssrc(o.ssrc), name: o.app.1, data: &o.app.2 }),
            Packet::Unknown(Unknown { packet_type: o.unknown.0, count: o.unknown.1, body: &o.unknown.2 }),
        ];
        let total: usize = packets.iter().map(Packet::buffer_len).sum();
        let mut buf = vec![0u8; total];
        prop_assert_eq!(rtcp::emit_compound(&packets, &mut buf), Ok(total));
        prop_assert_eq!(Compound::validate(&buf), Ok(packets.len()));
        let parsed: Vec<Packet<'_>> = Compound::new(&buf).map(Result::unwrap).collect();
        prop_assert_eq!(&parsed[..], &packets[..]);
        // Each packet alone, too.
        for p in &packets {
            let mut one = vec![0u8; p.buffer_len()];
            prop_assert_eq!(p.emit(&mut one), Ok(one.len()));
            let (back, len) = Packet::parse(&one).unwrap();
            prop_assert_eq!(len, one.len());
            prop_assert_eq!(back, *p);
        }
    }
}
