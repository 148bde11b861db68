//! Unit tests for RTCP parse and emit.

use super::*;
use crate::rtp::{RtpTimestamp, Ssrc};

/// A sender report as ffmpeg 5.1's RTP muxer sent it at the start of a
/// stream (captured on loopback): no report blocks, zero counts.
static FFMPEG_SR: [u8; 28] = [
    0x80, 0xc8, 0x00, 0x06, 0x33, 0x4a, 0x6e, 0x3d, 0xee, 0xb1, 0x99, 0xe6, 0x82, 0x8f, 0x5c, 0x28,
    0xeb, 0x14, 0xd0, 0x31, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// RR with one block, SDES CNAME "{9c00e", BYE, then a PLI (PSFB, 206):
/// the compound a WebRTC browser sends.
static COMPOUND: [u8; 72] = [
    0x81, 0xc9, 0x00, 0x07, 0x90, 0x2f, 0x9e, 0x2e, // RR, sender
    0xbc, 0x5e, 0x9a, 0x40, 0x00, 0x00, 0x00, 0x00, // block: ssrc, lost
    0x00, 0x00, 0x46, 0xe1, 0x00, 0x00, 0x01, 0x11, // highest, jitter
    0x09, 0xf3, 0x64, 0x32, 0x00, 0x02, 0x4a, 0x79, // LSR, DLSR
    0x81, 0xca, 0x00, 0x04, 0x90, 0x2f, 0x9e, 0x2e, // SDES
    0x01, 0x06, 0x7b, 0x39, 0x63, 0x30, 0x30, 0x65, // CNAME
    0x00, 0x00, 0x00, 0x00, // end of items
    0x81, 0xcb, 0x00, 0x01, 0x90, 0x2f, 0x9e, 0x2e, // BYE
    0x81, 0xce, 0x00, 0x02, 0x90, 0x2f, 0x9e, 0x2e, 0x90, 0x2f, 0x9e, 0x2e, // PLI
];

#[test]
fn parses_ffmpeg_sender_report() {
    let mut it = Compound::new(&FFMPEG_SR);
    let Some(Ok(Packet::Sr(sr))) = it.next() else {
        panic!("not an SR")
    };
    assert_eq!(sr.ssrc, Ssrc(0x334a_6e3d));
    assert_eq!(sr.ntp_timestamp, NtpTimestamp(0xeeb1_99e6_828f_5c28));
    // 0xeeb199e6 s after 1900 is 2026-11-25 (the capture date).
    assert_eq!(
        sr.ntp_timestamp.to_unix_micros().unwrap() / 1_000_000,
        1_795_627_878
    );
    assert_eq!(sr.rtp_timestamp, RtpTimestamp(0xeb14_d031));
    assert_eq!((sr.packet_count, sr.octet_count), (0, 0));
    assert!(sr.reports.is_empty());
    assert!(it.next().is_none());
    assert_eq!(Compound::validate(&FFMPEG_SR), Ok(1));
    // Emitting the parsed repr gives the same bytes back.
    let mut out = [0u8; 28];
    assert_eq!(sr.emit(&mut out), Ok(28));
    assert_eq!(out, FFMPEG_SR);
}

#[test]
fn parses_compound() {
    let packets: std::vec::Vec<_> = Compound::new(&COMPOUND).map(Result::unwrap).collect();
    assert_eq!(packets.len(), 4);
    let Packet::Rr(rr) = packets[0] else { panic!() };
    assert_eq!(rr.ssrc, Ssrc(0x902f_9e2e));
    let block = rr.reports.get(0).unwrap();
    assert_eq!(
        block,
        ReportBlock {
            ssrc: Ssrc(0xbc5e_9a40),
            fraction_lost: 0,
            cumulative_lost: 0,
            highest_seq: 0x46e1,
            jitter: 273,
            last_sr: 0x09f3_6432,
            delay_since_last_sr: 150_137,
        }
    );
    let Packet::Sdes(sdes) = packets[1] else {
        panic!()
    };
    assert_eq!(
        sdes.first_cname(),
        Some((Ssrc(0x902f_9e2e), &b"{9c00e"[..]))
    );
    let Packet::Bye(bye) = packets[2] else {
        panic!()
    };
    assert_eq!(
        bye.sources.iter().collect::<std::vec::Vec<_>>(),
        [Ssrc(0x902f_9e2e)]
    );
    assert_eq!(bye.reason, None);
    let Packet::Unknown(pli) = packets[3] else {
        panic!()
    };
    assert_eq!((pli.packet_type, pli.count, pli.body.len()), (206, 1, 8));
    assert_eq!(Compound::validate(&COMPOUND), Ok(4));

    let mut out = [0u8; 72];
    assert_eq!(emit_compound(&packets, &mut out), Ok(72));
    assert_eq!(out, COMPOUND);
}

#[test]
fn emits_sr_sdes_bye_compound() {
    let blocks = [ReportBlock {
        ssrc: Ssrc(7),
        fraction_lost: 64,
        cumulative_lost: -3,
        highest_seq: 0x0001_0005,
        jitter: 90,
        last_sr: 0,
        delay_since_last_sr: 0,
    }];
    let sr = SenderReport {
        ssrc: Ssrc(0xdead_beef),
        ntp_timestamp: NtpTimestamp::from_unix_micros(1_700_000_000_000_000),
        rtp_timestamp: RtpTimestamp(90_000),
        packet_count: 10,
        octet_count: 14_000,
        reports: ReportBlocks::new(&blocks),
    };
    let bye_sources = [Ssrc(0xdead_beef)];
    let packets = [
        Packet::Sr(sr),
        Packet::Sdes(Sdes::cname(Ssrc(0xdead_beef), "rtsp@example")),
        Packet::Bye(Bye {
            sources: Sources::new(&bye_sources),
            reason: Some(b"teardown"),
        }),
    ];
    let mut buf = [0u8; crate::limits::RTCP_MAX_COMPOUND];
    let len = emit_compound(&packets, &mut buf).unwrap();
    // SR 28 + 24, SDES 4 + 4 + 2 + 12 + 2 pad, BYE 4 + 4 + 12.
    assert_eq!(len, 52 + 24 + 20);
    // Cumulative loss of -3 in 24-bit two's complement.
    assert_eq!(&buf[28 + 5..28 + 8], &[0xff, 0xff, 0xfd]);
    // The SDES: header says 1 chunk, 5 words after the header word.
    assert_eq!(&buf[52..56], &[0x81, 0xca, 0x00, 0x05]);
    assert_eq!(&buf[60..62], &[1, 12]);
    assert_eq!(Compound::validate(&buf[..len]), Ok(3));
    let parsed: std::vec::Vec<_> = Compound::new(&buf[..len]).map(Result::unwrap).collect();
    assert_eq!(parsed, packets);
}

#[test]
fn padding_is_removed_and_checked() {
    // RR, no blocks, padded with 4 octets (P set, length 2 words + 1).
    let padded = [0xa0, 0xc9, 0x00, 0x02, 0, 0, 0, 9, 0, 0, 0, 4];
    let (packet, len) = Packet::parse(&padded).unwrap();
    assert_eq!(len, 12);
    assert_eq!(
        packet,
        Packet::Rr(ReceiverReport {
            ssrc: Ssrc(9),
            reports: ReportBlocks::empty()
        })
    );
    let mut bad = padded;
    bad[11] = 0;
    assert_eq!(Packet::parse(&bad), Err(Error::BadPadding { padding: 0 }));
    bad[11] = 13;
    assert_eq!(Packet::parse(&bad), Err(Error::BadPadding { padding: 13 }));
    // A.2: padding only on the last packet, never on the first.
    assert_eq!(Compound::validate(&padded), Err(Error::PaddingNotLast));
}

#[test]
fn validity_checks_of_a2() {
    // Starts with SDES: rejected.
    assert_eq!(
        Compound::validate(&COMPOUND[32..]),
        Err(Error::FirstNotReport { packet_type: 202 })
    );
    // Lengths do not add up: the last packet claims more than is left.
    assert_eq!(
        Compound::validate(&COMPOUND[..70]),
        Err(Error::Truncated {
            required: 12,
            actual: 10
        })
    );
    let mut v1 = COMPOUND;
    v1[32] = 0x41;
    assert_eq!(
        Compound::validate(&v1),
        Err(Error::BadVersion { version: 1 })
    );
    assert!(Compound::validate(&[]).is_err());
}

#[test]
fn iterator_stops_after_an_error() {
    let mut it = Compound::new(&COMPOUND[..40]);
    assert!(matches!(it.next(), Some(Ok(Packet::Rr(_)))));
    assert_eq!(
        it.next(),
        Some(Err(Error::Truncated {
            required: 20,
            actual: 8
        }))
    );
    assert_eq!(it.next(), None);
}

#[test]
fn emit_reports_needed_size_and_limits() {
    let sdes = Sdes::cname(Ssrc(1), "abc");
    assert_eq!(sdes.buffer_len(), 16);
    assert_eq!(
        sdes.emit(&mut [0u8; 15]),
        Err(Error::BufferTooSmall { required: 16 })
    );
    let long = "x".repeat(crate::limits::RTCP_CNAME_MAX + 1);
    let mut buf = [0u8; 128];
    assert!(matches!(
        Sdes::cname(Ssrc(1), &long).emit(&mut buf),
        Err(Error::TooLong { .. })
    ));
    let blocks = [ReportBlock::default(); 32];
    let rr = ReceiverReport {
        ssrc: Ssrc(1),
        reports: ReportBlocks::new(&blocks),
    };
    let mut big = [0u8; 1024];
    assert_eq!(
        rr.emit(&mut big),
        Err(Error::TooManyItems { count: 32, max: 31 })
    );
    let odd = Unknown {
        packet_type: 210,
        count: 0,
        body: &[1, 2, 3],
    };
    assert_eq!(odd.emit(&mut buf), Err(Error::BadLength { len: 7 }));
}

#[test]
fn cumulative_lost_clamps_to_24_bits() {
    let block = ReportBlock {
        cumulative_lost: i32::MIN,
        ..ReportBlock::default()
    };
    let blocks = [
        block,
        ReportBlock {
            cumulative_lost: i32::MAX,
            ..block
        },
    ];
    let rr = ReceiverReport {
        ssrc: Ssrc(1),
        reports: ReportBlocks::new(&blocks),
    };
    let mut buf = [0u8; 64];
    let len = rr.emit(&mut buf).unwrap();
    let (Packet::Rr(parsed), _) = Packet::parse(&buf[..len]).unwrap() else {
        panic!()
    };
    assert_eq!(parsed.reports.get(0).unwrap().cumulative_lost, -0x80_0000);
    assert_eq!(parsed.reports.get(1).unwrap().cumulative_lost, 0x7f_ffff);
}

#[test]
fn sdes_with_several_items_and_chunks() {
    // Two chunks: (1: CNAME "a", TOOL "gst") and (2: NAME "" then end).
    let bytes = [
        0x82, 0xca, 0x00, 0x05, 0, 0, 0, 1, 1, 1, b'a', 6, 3, b'g', b's', b't', 0, 0, 0, 0, 0, 0,
        0, 2, 2, 0, 0, 0,
    ];
    // With a length field of 5 words + 1, the packet ends after the second
    // chunk's SSRC, before its items and terminator: a clean error.
    assert!(matches!(
        Packet::parse(&bytes[..24]),
        Err(Error::Truncated { .. })
    ));
    let mut fixed = bytes;
    fixed[3] = 0x06;
    let (Packet::Sdes(sdes), _) = Packet::parse(&fixed).unwrap() else {
        panic!()
    };
    let chunks: std::vec::Vec<_> = sdes.chunks().collect();
    assert_eq!(chunks.len(), 2);
    let items: std::vec::Vec<_> = chunks[0].items().collect();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[1],
        SdesItem {
            kind: SdesType::Tool,
            value: b"gst"
        }
    );
    assert_eq!(chunks[1].ssrc, Ssrc(2));
    assert_eq!(
        chunks[1].items().next(),
        Some(SdesItem {
            kind: SdesType::Name,
            value: b""
        })
    );
}
