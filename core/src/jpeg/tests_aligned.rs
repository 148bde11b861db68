//! Restart-aligned packets (RFC 2435 §3.1.7): cut at restart interval
//! boundaries, F/L and the restart count on every packet, and back through
//! the depacketizer to the same scan data.

use super::tests::{frame_bytes, repr};
use super::*;
use crate::limits::JPEG_MAX_HEADER;
use crate::rtp;
use std::vec::Vec;

/// Scan data of intervals of the given lengths (bytes without their marker),
/// each but the last ended by RST0, RST1, ... in turn (T.81 §B.2.1).
fn scan_of(intervals: &[usize]) -> Vec<u8> {
    let mut v = Vec::new();
    for (i, &n) in intervals.iter().enumerate() {
        v.extend((0..n).map(|j| (j % 200) as u8 + 1));
        if i + 1 < intervals.len() {
            v.extend_from_slice(&[0xff, 0xd0 + (i % 8) as u8]);
        }
    }
    v
}

fn aligned_packets(f: &Frame<'_>, mtu: usize) -> Vec<Vec<u8>> {
    let mut p = Packetizer::new(f, mtu, repr()).unwrap();
    assert!(p.is_aligned());
    assert_eq!(p.segment_len(), None);
    let count = p.packet_count();
    let mut buf = [0u8; 2048];
    let mut v = Vec::new();
    while let Some(n) = p.next_packet(&mut buf).unwrap() {
        v.push(buf[..n].to_vec());
        assert_eq!(p.packet_count(), count, "the count never changes");
    }
    assert_eq!(v.len(), count);
    v
}

/// The scan data of intervals of these lengths, and its aligned packets
/// for `mtu` (restart interval 1).
fn packets_of(intervals: &[usize], mtu: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let scan = scan_of(intervals);
    let bytes = frame_bytes(&scan, 1);
    let pk = aligned_packets(&Frame::parse(&bytes).unwrap(), mtu);
    (scan, pk)
}

/// (fragment offset, F, L, restart count, scan bytes) of each packet.
fn fields(pk: &[Vec<u8>]) -> Vec<(u32, bool, bool, u16, usize)> {
    pk.iter()
        .map(|b| {
            let p = rtp::Packet::new_checked(&b[..]).unwrap();
            let pl = Payload::parse(p.payload()).unwrap();
            let r = pl.restart.unwrap();
            assert_eq!(r.interval, 1);
            (
                pl.main.fragment_offset,
                r.first,
                r.last,
                r.count,
                pl.data.len(),
            )
        })
        .collect()
}

#[test]
fn packets_end_at_interval_boundaries_with_f_l_and_count() {
    // Intervals (with their marker): 52, 52, 302, 20 bytes.
    // MTU 200: 176 bytes of room, 44 in the first packet (tables).
    let (scan, pk) = packets_of(&[50, 50, 300, 20], 200);
    assert_eq!(
        fields(&pk),
        [
            // The first interval does not fit the first packet: split.
            (0, true, false, 0, 44),
            (44, false, true, 0, 8),
            // The second fits whole, the third does not fit after it.
            (52, true, true, 1, 52),
            // The third, 302 bytes, split in two.
            (104, true, false, 2, 176),
            (280, false, true, 2, 126),
            // The last, without a marker.
            (406, true, true, 3, 20),
        ]
    );
    // Byte layout of a middle packet: type 65, restart header F=L=1,
    // count 1; the data is the interval and its RST1 marker.
    let p2 = &pk[2];
    assert_eq!(&p2[12..20], &[0, 0, 0, 52, 65, 255, 4, 2]);
    assert_eq!(&p2[20..24], &[0, 1, 0xc0, 0x01]);
    assert_eq!(&p2[24..], &scan[52..104]);
    assert!(p2.ends_with(&[0xff, 0xd1]));
    // Split: F=1 L=0 then F=0 L=1, same count.
    assert_eq!(&pk[3][20..24], &[0, 1, 0x80, 0x02]);
    assert_eq!(&pk[4][20..24], &[0, 1, 0x40, 0x02]);
    // The marker bit on the last packet only.
    let marks: Vec<bool> = pk.iter().map(|b| b[1] & 0x80 != 0).collect();
    assert_eq!(marks, [false, false, false, false, false, true]);
}

#[test]
fn several_intervals_share_a_packet() {
    // Ten intervals of 30 bytes (+2 marker), MTU 1400: all in one packet
    // after the tables; MTU 100 (room 76): two intervals a packet.
    let scan = scan_of(&[30; 10]);
    let bytes = frame_bytes(&scan, 1);
    let f = Frame::parse(&bytes).unwrap();
    let one = aligned_packets(&f, 1400);
    assert_eq!(fields(&one), [(0, true, true, 0, scan.len())]);
    let mtu = 12 + 8 + 4 + 4 + 128 + 70;
    let pk = aligned_packets(&f, mtu);
    let got = fields(&pk);
    // First packet: 70 bytes of room, two intervals (64 bytes).
    assert_eq!(got[0], (0, true, true, 0, 64));
    // Then 198 bytes of room: six intervals (192 bytes).
    assert_eq!(got[1], (64, true, true, 2, 192));
    assert_eq!(got[2], (256, true, true, 8, 62));
    assert_eq!(got.len(), 3);
}

#[test]
fn an_interval_split_across_many_packets_keeps_f_l_and_its_count() {
    // 400 bytes after a 30-byte interval, MTU 200 (176 bytes of room after
    // the first packet): first, middle and last fragments.
    let (_, pk) = packets_of(&[30, 400, 5], 200);
    assert_eq!(
        fields(&pk),
        [
            (0, true, true, 0, 32),
            (32, true, false, 1, 176),
            (208, false, false, 1, 176),
            (384, false, true, 1, 50),
            (434, true, true, 2, 5),
        ]
    );
}

#[test]
fn a_split_marker_is_counted_once() {
    // The first interval's marker straddles the first two packets.
    let (_, pk) = packets_of(&[43, 10, 10], 200);
    assert_eq!(
        fields(&pk),
        [
            (0, true, false, 0, 44),
            (44, false, true, 0, 1),
            (45, true, true, 1, 22)
        ]
    );
    assert_eq!(pk[0].last(), Some(&0xff));
    assert_eq!(pk[1].last(), Some(&0xd0));
}

#[test]
fn unaligned_and_plain_frames_keep_the_old_packets() {
    let scan = scan_of(&[50, 50, 300, 20]);
    let bytes = frame_bytes(&scan, 1);
    let f = Frame::parse(&bytes).unwrap();
    let mut p = Packetizer::unaligned(&f, 200, repr()).unwrap();
    assert!(!p.is_aligned());
    assert_eq!(p.segment_len(), Some(200));
    let mut buf = [0u8; 256];
    while let Some(n) = p.next_packet(&mut buf).unwrap() {
        assert_eq!(&buf[20..24], &[0, 1, 0xff, 0xff]);
        assert!(n == 200 || p.is_done());
    }
    // No DRI: types 0/1, nothing aligned.
    let bytes = frame_bytes(&scan, 0);
    let f = Frame::parse(&bytes).unwrap();
    let p = Packetizer::new(&f, 200, repr()).unwrap();
    assert!(!p.is_aligned());
    assert_eq!(p.segment_len(), Some(200));
}

#[test]
fn aligned_packets_rebuild_the_same_scan() {
    for (intervals, mtu) in [
        (&[50, 50, 300, 20][..], 200),
        (&[30; 10][..], 230),
        (&[43, 10, 10][..], 200),
        (&[0, 0, 500, 0][..], 180),
    ] {
        let scan = scan_of(intervals);
        let bytes = frame_bytes(&scan, 1);
        let f = Frame::parse(&bytes).unwrap();
        let mut d = Depacketizer::new([0u8; JPEG_MAX_HEADER + 2048]);
        let mut rebuilt = None;
        for b in aligned_packets(&f, mtu) {
            let p = rtp::Packet::new_checked(&b[..]).unwrap();
            if let Some(j) = d.push(&p).unwrap() {
                rebuilt = Some(j.to_vec());
            }
        }
        let rebuilt = rebuilt.expect("a whole frame");
        let back = Frame::parse(&rebuilt).unwrap();
        assert_eq!(back.scan_data(), &scan[..]);
        assert_eq!(back.restart_interval(), 1);
        assert_eq!(back.wire_type(), 65);
    }
}

#[test]
fn too_many_intervals_for_the_count_go_unaligned() {
    // 2048x2048 4:2:0 is 16 384 MCUs: at interval 1, one too many for a
    // 14-bit count; at 2 they fit.
    let mut bytes = frame_bytes(&scan_of(&[10, 10]), 1);
    let sof = bytes.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
    bytes[sof + 5..sof + 9].copy_from_slice(&[8, 0, 8, 0]);
    let f = Frame::parse(&bytes).unwrap();
    assert_eq!(f.mcus(), 16_384);
    assert!(!Packetizer::new(&f, 1400, repr()).unwrap().is_aligned());
    let dri = bytes.windows(2).position(|w| w == [0xff, 0xdd]).unwrap();
    bytes[dri + 5] = 2;
    let f = Frame::parse(&bytes).unwrap();
    assert!(Packetizer::new(&f, 1400, repr()).unwrap().is_aligned());
}
