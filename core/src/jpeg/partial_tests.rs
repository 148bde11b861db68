//! Partial frames (RFC 2435 §3.1.7): restart-aligned packets, any subset
//! dropped, the depacketizer's rebuild decoded by a real decoder and
//! compared with the source, interval by interval.

use std::vec;
use std::vec::Vec;

use proptest::prelude::*;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

use super::*;
use crate::limits::JPEG_MAX_HEADER;

/// A moving test picture, 4:2:0, encoded with standard tables and a DRI.
pub(crate) fn source_jpeg(w: u16, h: u16, seed: u32, interval: u16, quality: u8) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(usize::from(w) * usize::from(h) * 3);
    for y in 0..u32::from(h) {
        for x in 0..u32::from(w) {
            let v = x.wrapping_mul(7) ^ y.wrapping_mul(13) ^ seed.wrapping_mul(2_654_435_761);
            rgb.extend_from_slice(&[(v >> 3) as u8, (x * 4 + seed) as u8, (y * 5) as u8]);
        }
    }
    let mut out = Vec::new();
    let mut e = jpeg_encoder::Encoder::new(&mut out, quality);
    e.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    e.set_restart_interval(interval);
    e.encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}

/// The intervals of a scan, each with the RSTn marker that ends it.
fn split_intervals(scan: &[u8]) -> Vec<&[u8]> {
    let mut v = Vec::new();
    let mut start = 0;
    let mut k = 0;
    while k + 1 < scan.len() {
        if scan[k] == 0xff && (0xd0..=0xd7).contains(&scan[k + 1]) {
            v.push(&scan[start..k + 2]);
            start = k + 2;
            k += 2;
        } else {
            k += 1;
        }
    }
    v.push(&scan[start..]);
    v
}

/// RTP/JPEG payloads cut at restart boundaries (§3.1.7): whole intervals
/// up to `mtu` data bytes a packet; a larger interval in fragments with F
/// on the first and L on the last, all with its count. Q=255, tables in
/// the first packet.
pub(crate) fn aligned_payloads(jpeg: &[u8], mtu: usize) -> Vec<Vec<u8>> {
    let f = Frame::parse(jpeg).unwrap();
    let intervals = split_intervals(f.scan_data());
    // (offset, data, count, first, last)
    let mut cuts: Vec<(usize, &[u8], u16, bool, bool)> = Vec::new();
    let mut offset = 0;
    let mut i = 0;
    while i < intervals.len() {
        let (start, count) = (offset, i as u16);
        let mut len = 0;
        while i < intervals.len() && (len == 0 || len + intervals[i].len() <= mtu) {
            len += intervals[i].len();
            i += 1;
        }
        let data = &f.scan_data()[start..start + len];
        let pieces: Vec<&[u8]> = data.chunks(mtu.max(1)).collect();
        let n = pieces.len();
        for (k, p) in pieces.into_iter().enumerate() {
            cuts.push((offset, p, count, k == 0, k + 1 == n));
            offset += p.len();
        }
    }
    cuts.iter()
        .map(|&(off, data, count, first, last)| {
            let restart = RestartHeader {
                interval: f.restart_interval(),
                first,
                last,
                count,
            };
            payload(&f, off, restart, data)
        })
        .collect()
}

/// One RTP/JPEG payload of `f`: main and restart headers, Q=255 tables at
/// offset 0, and `data`.
fn payload(f: &Frame<'_>, off: usize, restart: RestartHeader, data: &[u8]) -> Vec<u8> {
    let [luma, chroma] = f.quant_tables();
    let mut p = vec![0u8; 8 + 4];
    MainHeader {
        type_specific: 0,
        fragment_offset: off as u32,
        kind: f.kind(),
        restart: true,
        q: Q_DYNAMIC,
        width: f.width_blocks(),
        height: f.height_blocks(),
    }
    .emit(&mut p)
    .unwrap();
    restart.emit(&mut p[8..]).unwrap();
    if off == 0 {
        let t = [luma.data(), chroma.data()].concat();
        let mut q = [0u8; 4];
        QuantHeader {
            precision: f.quant_precision(),
            length: t.len() as u16,
        }
        .emit(&mut q)
        .unwrap();
        p.extend_from_slice(&q);
        p.extend_from_slice(&t);
    }
    p.extend_from_slice(data);
    p
}

/// An RTP packet around `payload`.
pub(crate) fn rtp_packet(seq: u16, ts: u32, marker: bool, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0u8; 12];
    rtp::Repr {
        marker,
        payload_type: PAYLOAD_TYPE,
        sequence: SeqNo(seq),
        timestamp: RtpTimestamp(ts),
        ssrc: Ssrc(7),
    }
    .emit(&mut p)
    .unwrap();
    p.extend_from_slice(payload);
    p
}

use crate::rtp::{self, RtpTimestamp, SeqNo, Ssrc};

pub(crate) fn decode(jpeg: &[u8], space: ColorSpace) -> (Vec<u8>, usize, usize) {
    let opts = DecoderOptions::default().jpeg_set_out_colorspace(space);
    let mut d = zune_jpeg::JpegDecoder::new_with_options(std::io::Cursor::new(jpeg), opts);
    let px = d.decode().unwrap();
    let (w, h) = d.dimensions().unwrap();
    (px, w, h)
}

/// What one frame's packets gave: (jfif, missing intervals) per frame out.
fn depacketize(packets: &[Vec<u8>]) -> Vec<(Vec<u8>, Option<Vec<u16>>)> {
    let size = JPEG_MAX_HEADER + 64 * 1024;
    let mut d = Depacketizer::new(vec![0u8; size]).with_partial_frames(vec![0u8; size]);
    let mut out = Vec::new();
    let mut take = |a: Assembled<'_>| {
        out.push((a.jfif.to_vec(), a.missing.map(|m| m.missing().collect())));
    };
    for p in packets {
        let pkt = rtp::Packet::new_checked(&p[..]).unwrap();
        let _ = d.push_frames(&pkt, &mut take);
    }
    d.finish(&mut take);
    out
}

/// Every pixel of the intervals not missing equals the source's: luma
/// exactly everywhere, and all three channels exactly (RGB) but within 2
/// px of a missing MCU, where chroma upsampling reads across the MCU edge.
fn assert_intact_equal(src: &[u8], got: &[u8], missing: &[u16], interval: u16) {
    let (a, w, h) = decode(src, ColorSpace::YCbCr);
    let (b, _, _) = decode(got, ColorSpace::YCbCr);
    let (ra, _, _) = decode(src, ColorSpace::RGB);
    let (rb, _, _) = decode(got, ColorSpace::RGB);
    let cols = w.div_ceil(16);
    let lost = |x: isize, y: isize| {
        let (x, y) = (
            x.clamp(0, w as isize - 1) as usize,
            y.clamp(0, h as isize - 1) as usize,
        );
        let mcu = (y / 16) * cols + x / 16;
        missing.contains(&((mcu / usize::from(interval)) as u16))
    };
    for y in 0..h {
        for x in 0..w {
            let (xi, yi) = (x as isize, y as isize);
            if lost(xi, yi) {
                continue;
            }
            let k = (y * w + x) * 3;
            assert_eq!(a[k], b[k], "luma at {x},{y} (missing {missing:?})");
            let near = (-2..=2).any(|dy| (-2..=2).any(|dx| lost(xi + dx, yi + dy)));
            if !near {
                assert_eq!(
                    ra[k..k + 3],
                    rb[k..k + 3],
                    "RGB at {x},{y} (missing {missing:?})"
                );
            }
        }
    }
}

#[test]
fn all_packets_give_the_whole_frame() {
    let src = source_jpeg(64, 48, 1, 2, 80);
    let packets: Vec<Vec<u8>> = aligned_payloads(&src, 60)
        .iter()
        .enumerate()
        .map(|(i, p)| rtp_packet(100 + i as u16, 9000, false, p))
        .collect();
    let n = packets.len();
    let mut packets = packets;
    packets[n - 1][1] |= 0x80;
    let out = depacketize(&packets);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].1, None);
    assert_eq!(
        Frame::parse(&out[0].0).unwrap().scan_data(),
        Frame::parse(&src).unwrap().scan_data()
    );
}

#[test]
fn a_lost_first_packet_uses_the_last_tables_and_a_lost_marker_ends_at_the_next_timestamp() {
    let src = source_jpeg(64, 48, 3, 1, 80);
    let payloads = aligned_payloads(&src, 80);
    let n = payloads.len();
    let mut packets = Vec::new();
    let mut seq = 0u16;
    for (frame, ts) in [(0, 0u32), (1, 3000), (2, 6000)] {
        for (i, p) in payloads.iter().enumerate() {
            seq = seq.wrapping_add(1);
            // Frame 1 loses its first packet (with the tables) and its
            // marker packet.
            if frame == 1 && (i == 0 || i == n - 1) {
                continue;
            }
            packets.push(rtp_packet(seq, ts, i == n - 1, p));
        }
    }
    let out = depacketize(&packets);
    assert_eq!(
        out.len(),
        3,
        "{:?}",
        out.iter().map(|o| &o.1).collect::<Vec<_>>()
    );
    assert_eq!(out[0].1, None);
    let missing = out[1].1.clone().expect("frame 1 is partial");
    assert!(missing.contains(&0));
    assert!(
        missing.iter().any(|&i| i > 0),
        "the last packet's intervals are missing"
    );
    assert_intact_equal(&src, &out[1].0, &missing, 1);
    assert_eq!(out[2].1, None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Drop any subset of a frame's restart-aligned packets: every interval
    /// whose packets all arrived decodes to the source's pixels, and the
    /// missing ones are exactly those that lost a packet.
    #[test]
    fn any_subset_dropped_keeps_every_intact_interval(
        seed in 0u32..1000,
        interval in 1u16..6,
        mtu in 24usize..200,
        drop in prop::collection::vec(any::<bool>(), 64),
    ) {
        let src = source_jpeg(80, 48, seed, interval, 75);
        let payloads = aligned_payloads(&src, mtu);
        let n = payloads.len();
        let mut sent = Vec::new();
        let mut lost_intervals = std::collections::BTreeSet::new();
        let total = (80 / 16) * (48 / 16) / usize::from(interval)
            + usize::from((80 / 16) * (48 / 16) % usize::from(interval) != 0);
        // The intervals each packet touches (from the headers).
        let mut spans = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            let r = RestartHeader::parse(&p[8..]).unwrap();
            let next = payloads.get(i + 1).map(|q| RestartHeader::parse(&q[8..]).unwrap());
            let end = match next {
                Some(q) if q.count == r.count => r.count + 1,
                Some(q) => q.count,
                None => total as u16,
            };
            spans.push(r.count..end.max(r.count + 1));
        }
        // A whole frame first: its tables serve a frame whose first packet
        // is lost.
        for (i, p) in payloads.iter().enumerate() {
            sent.push(rtp_packet(60_000 + i as u16, 0, i == n - 1, p));
        }
        for (i, p) in payloads.iter().enumerate() {
            if drop.get(i % 64).copied().unwrap_or(false) && n > 1 {
                lost_intervals.extend(spans[i].clone());
                continue;
            }
            sent.push(rtp_packet(i as u16, 4500, i == n - 1, p));
        }
        let out = depacketize(&sent);
        prop_assert_eq!(&out[0].1, &None);
        let out = &out[1..];
        if lost_intervals.is_empty() {
            prop_assert_eq!(out.len(), 1);
            prop_assert_eq!(&out[0].1, &None);
        } else if lost_intervals.len() == total {
            prop_assert!(out.is_empty());
        } else {
            prop_assert_eq!(out.len(), 1);
            let missing = out[0].1.clone().unwrap();
            prop_assert_eq!(&missing, &lost_intervals.iter().copied().collect::<Vec<_>>());
            assert_intact_equal(&src, &out[0].0, &missing, interval);
        }
    }
}

/// RTP/JPEG payloads cut at `mtu` data bytes whatever the intervals, with
/// the restart header saying so (F=L=1, count 0x3FFF), as GStreamer's
/// `rtpjpegpay` sends them; and each packet's data range.
fn unaligned_payloads(jpeg: &[u8], mtu: usize) -> Vec<(Vec<u8>, core::ops::Range<usize>)> {
    let f = Frame::parse(jpeg).unwrap();
    let mut out = Vec::new();
    let mut off = 0;
    for data in f.scan_data().chunks(mtu) {
        let restart = RestartHeader::unaligned(f.restart_interval());
        out.push((payload(&f, off, restart, data), off..off + data.len()));
        off += data.len();
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Unaligned packets: an interval whose bytes and the RSTn before it
    /// arrived in one run decodes to the source's pixels; the others are
    /// reported missing (while no hole swallows 8 intervals, which RSTn
    /// numbers cannot tell apart).
    #[test]
    fn unaligned_packets_keep_every_interval_bounded_by_markers(
        seed in 0u32..1000,
        interval in 1u16..4,
        mtu in 40usize..200,
        drop in prop::collection::vec(any::<bool>(), 64),
    ) {
        let src = source_jpeg(80, 48, seed, interval, 75);
        let f = Frame::parse(&src).unwrap();
        let ints = split_intervals(f.scan_data());
        let payloads = unaligned_payloads(&src, mtu);
        let n = payloads.len();
        let mut sent = Vec::new();
        for (i, (p, _)) in payloads.iter().enumerate() {
            sent.push(rtp_packet(60_000 + i as u16, 0, i == n - 1, p));
        }
        let mut got = vec![false; f.scan_data().len()];
        for (i, (p, range)) in payloads.iter().enumerate() {
            if drop[i % 64] && i > 0 {
                continue;
            }
            got[range.clone()].iter_mut().for_each(|g| *g = true);
            sent.push(rtp_packet(i as u16, 4500, i == n - 1, p));
        }
        // Interval k spans its bytes and the RSTn before it.
        let mut expected = Vec::new();
        let mut start = 0usize;
        let mut run = 0;
        for (k, iv) in ints.iter().enumerate() {
            let from = start.saturating_sub(2);
            if !got[from..start + iv.len()].iter().all(|&g| g) {
                expected.push(k as u16);
                run += 1;
                prop_assume!(run < 7);
            } else {
                run = 0;
            }
            start += iv.len();
        }
        let out = depacketize(&sent);
        prop_assert_eq!(&out[0].1, &None);
        let out = &out[1..];
        if expected.is_empty() {
            prop_assert_eq!(&out[0].1, &None);
        } else if expected.len() < ints.len() {
            let missing = out[0].1.clone().unwrap();
            prop_assert_eq!(&missing, &expected);
            assert_intact_equal(&src, &out[0].0, &missing, interval);
        }
    }
}
