//! Packetizer and depacketizer unit tests: bytes on the wire (RFC 2435
//! §3.1) and reassembly rules (§4.3, Appendix A/B).

use super::*;
use crate::limits::JPEG_MAX_HEADER;
use crate::rtp::{self, RtpTimestamp, SeqNo, Ssrc};

/// The RTP header fields the depacketizer reads.
fn at(seq: u16, ts: u32, marker: bool) -> rtp::Repr {
    rtp::Repr {
        marker,
        sequence: SeqNo(seq),
        timestamp: RtpTimestamp(ts),
        ..repr()
    }
}
use std::vec::Vec;

/// A frame built from our own JFIF writer: 32x16 4:2:0, Q=50 tables,
/// restart interval 4, and `scan` as scan data.
pub(super) fn frame_bytes(scan: &[u8], restart_interval: u16) -> Vec<u8> {
    let (l, c) = make_tables(50);
    let h = JfifHeader {
        kind: Type::Yuv420,
        width: 32,
        height: 16,
        restart_interval,
        luma: QuantTable::new(&l).unwrap(),
        chroma: QuantTable::new(&c).unwrap(),
    };
    let mut buf = [0u8; 1024];
    let n = h.emit(&mut buf).unwrap();
    let mut v = buf[..n].to_vec();
    v.extend_from_slice(scan);
    v.extend_from_slice(&[0xff, 0xd9]);
    v
}

pub(super) fn repr() -> rtp::Repr {
    rtp::Repr {
        marker: false,
        payload_type: 26,
        sequence: SeqNo(0xfffe),
        timestamp: RtpTimestamp(0x0102_0304),
        ssrc: Ssrc(0xdead_beef),
    }
}

/// The packets of `f` cut at the MTU (restart-aligned packets have their
/// own tests, in `tests_aligned.rs`).
pub(super) fn all_packets(f: &Frame<'_>, mtu: usize) -> Vec<Vec<u8>> {
    let mut p = Packetizer::unaligned(f, mtu, repr()).unwrap();
    let mut buf = [0u8; 2048];
    let mut v = Vec::new();
    while let Some(n) = p.next_packet(&mut buf).unwrap() {
        v.push(buf[..n].to_vec());
    }
    v
}

#[test]
fn packets_carry_the_rfc_2435_headers_byte_for_byte() {
    let scan: Vec<u8> = (0..300u32).map(|i| (i % 200) as u8).collect();
    let bytes = frame_bytes(&scan, 4);
    let f = Frame::parse(&bytes).unwrap();
    assert_eq!(f.wire_type(), 65);
    // Headers: 12 RTP + 8 main + 4 restart (+ 4 + 128 tables on the first).
    // Scan bytes per packet: 200 - 156 = 44, then 176, then the last 80.
    let pk = all_packets(&f, 200);
    assert_eq!(
        pk.iter().map(Vec::len).collect::<Vec<_>>(),
        [200, 200, 24 + 80]
    );
    let p0 = &pk[0];
    assert_eq!(
        &p0[..12],
        &[0x80, 26, 0xff, 0xfe, 1, 2, 3, 4, 0xde, 0xad, 0xbe, 0xef]
    );
    // Main header: type-specific 0, offset 0, type 65, Q 255, 4x2 blocks.
    assert_eq!(&p0[12..20], &[0, 0, 0, 0, 65, 255, 4, 2]);
    // Restart header: interval 4, F=L=1, count 0x3FFF.
    assert_eq!(&p0[20..24], &[0, 4, 0xff, 0xff]);
    // Quantization table header: 8-bit tables, 128 bytes, then the tables.
    assert_eq!(&p0[24..28], &[0, 0, 0, 128]);
    let (l, c) = make_tables(50);
    assert_eq!(&p0[28..92], &l[..]);
    assert_eq!(&p0[92..156], &c[..]);
    assert_eq!(&p0[156..], &scan[..44]);
    // Second packet: offset 44, no table header, no marker.
    let p1 = &pk[1];
    assert_eq!(&p1[1..4], &[26, 0xff, 0xff]);
    assert_eq!(&p1[12..24], &[0, 0, 0, 44, 65, 255, 4, 2, 0, 4, 0xff, 0xff]);
    assert_eq!(&p1[24..], &scan[44..220]);
    // Last packet: marker set, sequence wrapped to 0, offset 220.
    let p2 = &pk[2];
    assert_eq!(&p2[1..4], &[0x80 | 26, 0, 0]);
    assert_eq!(&p2[12..16], &[0, 0, 0, 220]);
    assert_eq!(&p2[24..], &scan[220..]);
    // Without DRI: type 1 and no restart header.
    let bytes = frame_bytes(&scan, 0);
    let f = Frame::parse(&bytes).unwrap();
    let pk = all_packets(&f, 1400);
    assert_eq!(pk.len(), 1);
    assert_eq!(&pk[0][12..24], &[0, 0, 0, 0, 1, 255, 4, 2, 0, 0, 0, 128]);
    assert_eq!(pk[0].len(), 12 + 8 + 4 + 128 + 300);
}

#[test]
fn depacketizer_rebuilds_q1_to_99_from_appendix_a() {
    let scan = [0x11, 0x22, 0x33];
    for q in [1u8, 50, 99] {
        let mut p = Vec::from([0u8, 0, 0, 0, 0, q, 4, 2]);
        p.extend_from_slice(&scan);
        let mut d = Depacketizer::new([0u8; JPEG_MAX_HEADER + 16]);
        let out = d.push_payload(&at(0, 9, true), &p).unwrap().unwrap();
        let f = Frame::parse(out).unwrap();
        let (l, c) = make_tables(q);
        assert_eq!(f.quant_tables()[0].data(), &l[..]);
        assert_eq!(f.quant_tables()[1].data(), &c[..]);
        assert_eq!((f.kind(), f.width(), f.height()), (Type::Yuv422, 32, 16));
        assert_eq!(f.scan_data(), &scan);
        assert!(out.ends_with(&[0x33, 0xff, 0xd9]));
    }
}

fn q_packet(q: u8, precision: u8, tables: &[u8], scan: &[u8]) -> Vec<u8> {
    let mut p = Vec::from([0u8, 0, 0, 0, 1, q, 4, 2, 0, precision]);
    p.extend_from_slice(&(tables.len() as u16).to_be_bytes());
    p.extend_from_slice(tables);
    p.extend_from_slice(scan);
    p
}

#[test]
fn in_band_tables_are_cached_for_q_128_to_254_only() {
    let tables: Vec<u8> = (1..=128).collect();
    let mut d = Depacketizer::new([0u8; JPEG_MAX_HEADER + 16]);
    let out = d
        .push_payload(&at(0, 0, true), &q_packet(200, 0, &tables, &[5]))
        .unwrap()
        .unwrap();
    assert_eq!(
        Frame::parse(out).unwrap().quant_tables()[1].data(),
        &tables[64..]
    );
    // Next frame omits them (Length 0): the cached ones are used.
    let out = d
        .push_payload(&at(1, 3000, true), &q_packet(200, 0, &[], &[6]))
        .unwrap()
        .unwrap();
    assert_eq!(
        Frame::parse(out).unwrap().quant_tables()[0].data(),
        &tables[..64]
    );
    // Q=255 tables are never cached; other Q values have none.
    d.push_payload(&at(2, 6000, true), &q_packet(255, 0, &tables, &[7]))
        .unwrap()
        .unwrap();
    assert_eq!(
        d.push_payload(&at(3, 9000, false), &q_packet(201, 0, &[], &[8])),
        Err(Error::MissingQuantTables { q: 201 })
    );
    // That frame is dropped at once; its other packets are late.
    assert_eq!(d.frames_dropped(), 1);
    let mut rest = q_packet(201, 0, &[], &[9]);
    rest[3] = 1; // offset 1: no table header
    rest.drain(8..12);
    assert_eq!(d.push_payload(&at(4, 9000, true), &rest), Ok(None));
    assert_eq!(d.late_packets(), 1);
    assert_eq!((d.frames_complete(), d.frames_dropped()), (3, 1));
}

#[test]
fn sixteen_bit_tables_rebuild_as_sof1() {
    let mut tables: Vec<u8> = (0..128).map(|i| (i % 2) as u8 + 1).collect();
    tables.extend(1..=64u8);
    let mut d = Depacketizer::new([0u8; JPEG_MAX_HEADER + 16]);
    let out = d
        .push_payload(&at(0, 0, true), &q_packet(255, 1, &tables, &[9]))
        .unwrap()
        .unwrap();
    assert!(out.windows(2).any(|w| w == [0xff, 0xc1]));
    let f = Frame::parse(out).unwrap();
    assert!(f.quant_tables()[0].is_16bit());
    assert!(!f.quant_tables()[1].is_16bit());
    assert_eq!(f.quant_precision(), 1);
}

fn piece(offset: u32, data: &[u8]) -> Vec<u8> {
    let o = offset.to_be_bytes();
    let mut p = Vec::from([0, o[1], o[2], o[3], 1, 50, 4, 2]);
    p.extend_from_slice(data);
    p
}

#[test]
fn gaps_new_timestamps_and_late_packets() {
    let mut d = Depacketizer::new([0u8; JPEG_MAX_HEADER + 64]);
    let ts = 1000;
    assert_eq!(
        d.push_payload(&at(10, ts, false), &piece(0, &[1, 2])),
        Ok(None)
    );
    // The marker arrives with bytes 2..4 missing: not complete.
    assert_eq!(d.push_payload(&at(12, ts, true), &piece(4, &[5])), Ok(None));
    // A duplicate is ignored and counted.
    assert_eq!(
        d.push_payload(&at(10, ts, false), &piece(0, &[1, 2])),
        Ok(None)
    );
    assert_eq!(d.duplicates(), 1);
    // The next frame starts: the incomplete one is dropped, never returned.
    let next = 4000;
    assert_eq!(
        d.push_payload(&at(13, next, false), &piece(0, &[7])),
        Ok(None)
    );
    assert_eq!(d.frames_dropped(), 1);
    // The missing piece of the dropped frame comes late: ignored.
    assert_eq!(
        d.push_payload(&at(11, ts, false), &piece(2, &[3, 4])),
        Ok(None)
    );
    assert_eq!(d.late_packets(), 1);
    let out = d
        .push_payload(&at(14, next, true), &piece(1, &[8]))
        .unwrap()
        .unwrap();
    assert!(out.ends_with(&[7, 8, 0xff, 0xd9]));
    assert_eq!((d.frames_complete(), d.frames_dropped()), (1, 1));
    // A timestamp far in the past is a stream restart, not a late packet.
    let restart = 4000u32.wrapping_sub(10 * 90_000);
    let out = d
        .push_payload(&at(15, restart, true), &piece(0, &[9]))
        .unwrap()
        .unwrap();
    assert!(out.ends_with(&[9, 0xff, 0xd9]));
}

#[test]
fn reordering_within_a_frame_is_repaired_up_to_the_hole_limit() {
    use crate::limits::JPEG_REORDER_RANGES;
    let mut d = Depacketizer::new([0u8; JPEG_MAX_HEADER + 256]);
    let ts = 5;
    // Every other byte first: JPEG_REORDER_RANGES disjoint runs fit...
    let n = JPEG_REORDER_RANGES as u32;
    for i in (0..n).rev() {
        let last = i == n - 1;
        assert_eq!(
            d.push_payload(
                &at(2 * i as u16 + 1, ts, last),
                &piece(2 * i + 1, &[2 * i as u8 + 1])
            ),
            Ok(None)
        );
    }
    // ...then the holes are filled, in reverse, and the frame completes.
    let mut out = None;
    for i in (0..n).rev() {
        out = d
            .push_payload(&at(2 * i as u16, ts, false), &piece(2 * i, &[2 * i as u8]))
            .unwrap()
            .map(<[u8]>::to_vec);
    }
    let out = out.unwrap();
    let want: Vec<u8> = (0..2 * n as u8).collect();
    assert!(out.ends_with(&[&want[..], &[0xff, 0xd9]].concat()));
    // One more disjoint run than tracked drops the frame.
    let ts = 9000;
    for i in 0..=n {
        let _ = d.push_payload(
            &at(100 + 2 * i as u16 + 1, ts, false),
            &piece(2 * i + 1, &[0]),
        );
    }
    assert_eq!(d.frames_dropped(), 1);
}

#[test]
fn eoi_is_added_exactly_once() {
    // Scan data that already ends with EOI (some senders include it).
    let mut d = Depacketizer::new([0u8; JPEG_MAX_HEADER + 16]);
    let out = d
        .push_payload(&at(0, 0, true), &piece(0, &[1, 0xff, 0xd9]))
        .unwrap()
        .unwrap();
    assert!(out.ends_with(&[1, 0xff, 0xd9]));
    assert!(!out.ends_with(&[0xff, 0xd9, 0xff, 0xd9]));
    // Scan data ending in a stuffed 0xFF 0x00 still gets its EOI (retina's
    // `&&` instead of `||` would skip it here).
    let out = d
        .push_payload(&at(1, 3000, true), &piece(0, &[0xff, 0x00]))
        .unwrap()
        .unwrap();
    assert!(out.ends_with(&[0xff, 0x00, 0xff, 0xd9]));
    let out = d
        .push_payload(&at(2, 6000, true), &piece(0, &[0x12, 0xd9]))
        .unwrap()
        .unwrap();
    assert!(out.ends_with(&[0x12, 0xd9, 0xff, 0xd9]));
}

#[test]
fn inconsistent_packets_drop_the_frame() {
    let mut d = Depacketizer::new([0u8; JPEG_MAX_HEADER + 16]);
    let ts = 0;
    d.push_payload(&at(0, ts, false), &piece(0, &[1])).unwrap();
    let mut other = piece(1, &[2]);
    other[5] = 60; // a different Q mid-frame
    assert_eq!(
        d.push_payload(&at(1, ts, true), &other),
        Err(Error::BadPacket)
    );
    assert_eq!(d.frames_dropped(), 1);
    // Two markers disagreeing on the end also drop it.
    let ts = 3000;
    d.push_payload(&at(3, ts, true), &piece(1, &[1])).unwrap();
    assert_eq!(
        d.push_payload(&at(2, ts, true), &piece(3, &[1])),
        Err(Error::BadPacket)
    );
    assert_eq!(d.frames_dropped(), 2);
}

#[test]
fn write_all_lays_packets_out_for_gso() {
    let scan: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let bytes = frame_bytes(&scan, 2);
    let f = Frame::parse(&bytes).unwrap();
    let one_by_one = all_packets(&f, 300);
    let mut p = Packetizer::unaligned(&f, 300, repr()).unwrap();
    assert_eq!(
        p.total_len(),
        one_by_one.iter().map(Vec::len).sum::<usize>()
    );
    let mut small = [0u8; 100];
    assert_eq!(
        p.write_all(&mut small),
        Err(Error::BufferTooSmall {
            required: p.total_len()
        })
    );
    let mut buf = [0u8; 4096];
    let n = p.write_all(&mut buf).unwrap();
    assert_eq!(n, p.total_len());
    assert_eq!(&buf[..n], &one_by_one.concat()[..]);
    // Every segment_len-sized chunk is one packet, the last one shorter.
    let seg = p.segment_len().unwrap();
    for (chunk, pkt) in buf[..n].chunks(seg).zip(&one_by_one) {
        assert_eq!(chunk, &pkt[..]);
    }
    assert!(p.is_done());
    assert_eq!(p.write_all(&mut buf), Ok(0));
}

#[test]
fn frames_sharing_one_timestamp_are_told_apart_by_sequence_numbers() {
    // GStreamer's rtpjpegpay repeats the timestamp for untimestamped input.
    let mut d = Depacketizer::new([0u8; JPEG_MAX_HEADER + 64]);
    let ts = 777;
    // Frame A: two packets, complete.
    assert_eq!(d.push_payload(&at(1, ts, false), &piece(0, &[1])), Ok(None));
    let a = d
        .push_payload(&at(2, ts, true), &piece(1, &[2]))
        .unwrap()
        .unwrap();
    assert!(a.ends_with(&[1, 2, 0xff, 0xd9]));
    // A duplicate of A's first packet is late, not a new frame.
    assert_eq!(d.push_payload(&at(1, ts, false), &piece(0, &[1])), Ok(None));
    assert_eq!(d.late_packets(), 1);
    // Frame B (same timestamp) loses its second packet...
    assert_eq!(d.push_payload(&at(3, ts, false), &piece(0, &[3])), Ok(None));
    assert_eq!(d.push_payload(&at(5, ts, true), &piece(2, &[5])), Ok(None));
    // ...and frame C's packets must not fill B's hole: C starts anew.
    assert_eq!(d.push_payload(&at(6, ts, false), &piece(0, &[6])), Ok(None));
    assert_eq!(d.frames_dropped(), 1);
    let c = d
        .push_payload(&at(7, ts, true), &piece(1, &[7]))
        .unwrap()
        .unwrap();
    assert!(c.ends_with(&[6, 7, 0xff, 0xd9]));
    // Packets stitched from two frames never complete one: B' loses its
    // marker, D loses its first packet; D's marker must not finish B'.
    assert_eq!(d.push_payload(&at(8, ts, false), &piece(0, &[8])), Ok(None));
    assert_eq!(
        d.push_payload(&at(12, ts, true), &piece(1, &[12])),
        Ok(None)
    );
    assert_eq!((d.frames_complete(), d.frames_dropped()), (2, 1));
    d.reset();
    assert_eq!(d.frames_dropped(), 2);
}

#[test]
fn one_in_band_table_serves_all_components() {
    // ffmpeg's payloader sends Length 64 when its frame has one DQT table.
    let table: Vec<u8> = (10..74).collect();
    let mut d = Depacketizer::new([0u8; JPEG_MAX_HEADER + 16]);
    let out = d
        .push_payload(&at(0, 0, true), &q_packet(255, 0, &table, &[1, 2]))
        .unwrap()
        .unwrap();
    let f = Frame::parse(out).unwrap();
    assert_eq!(f.quant_tables()[0].data(), &table[..]);
    assert_eq!(f.quant_tables()[1].data(), &table[..]);
    assert_eq!(f.scan_data(), &[1, 2]);
    // A length that is neither one nor two tables is refused.
    assert_eq!(
        d.push_payload(&at(1, 3000, true), &q_packet(255, 0, &table[..40], &[1])),
        Err(Error::BadPacket)
    );
}

/// `JfifHeader::of_frame` rebuilds a frame's own headers: written again in
/// front of its scan data and EOI, our JFIF parses back to the same frame.
#[test]
fn of_frame_rebuilds_the_same_frame() {
    for dri in [0, 4] {
        let bytes = frame_bytes(&[0x12, 0x34, 0xff, 0x00, 0x56], dri);
        let f = Frame::parse(&bytes).unwrap();
        let h = JfifHeader::of_frame(&f);
        let mut buf = [0u8; JPEG_MAX_HEADER];
        let n = h.emit(&mut buf).unwrap();
        let mut again = buf[..n].to_vec();
        again.extend_from_slice(f.scan_data());
        again.extend_from_slice(&[0xff, 0xd9]);
        assert_eq!(again, bytes, "restart interval {dri}");
    }
}
