//! depacketize(packetize(frame)) decodes to the same pixels as the frame
//! (RFC 2435), for real JPEG frames made here with `jpeg-encoder`, also with
//! reordered and duplicated packets; loss drops exactly the affected frames.

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use proptest::prelude::*;
use rtsp_core::jpeg::{
    make_tables, restart, Depacketizer, Frame, JfifHeader, MainHeader, Packetizer, Payload,
    QuantTable, Type,
};
use rtsp_core::limits::JPEG_MAX_HEADER;
use rtsp_core::rtp::{self, RtpTimestamp, SeqNo, Ssrc};
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::JpegDecoder;

/// A real baseline JPEG of a busy synthetic picture.
fn encode(w: u16, h: u16, s420: bool, restart: u16, quality: u8, seed: u32) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(usize::from(w) * usize::from(h) * 3);
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    for j in 0..u32::from(h) {
        for i in 0..u32::from(w) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let noise = (x & 0x1f) as u8;
            rgb.push((i * 255 / u32::from(w)) as u8 ^ noise);
            rgb.push((j * 255 / u32::from(h)) as u8);
            rgb.push(((i + j) & 0xff) as u8 | noise);
        }
    }
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, quality);
    enc.set_sampling_factor(if s420 {
        SamplingFactor::F_2_2
    } else {
        SamplingFactor::F_2_1
    });
    if restart > 0 {
        enc.set_restart_interval(restart);
    }
    enc.encode(&rgb, w, h, ColorType::Rgb).unwrap();
    out
}

fn decode(jpeg: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut d = JpegDecoder::new(ZCursor::new(jpeg));
    let px = d.decode().expect("decodes");
    let (w, h) = d.dimensions().unwrap();
    (w, h, px)
}

fn rtp_repr(seq: u16, ts: u32) -> rtp::Repr {
    rtp::Repr {
        marker: false,
        payload_type: 26,
        sequence: SeqNo(seq),
        timestamp: RtpTimestamp(ts),
        ssrc: Ssrc(0x1234_5678),
    }
}

fn packetize(jpeg: &[u8], mtu: usize, seq: u16, ts: u32) -> Vec<Vec<u8>> {
    let frame = Frame::parse(jpeg).unwrap();
    assert_eq!(
        Packetizer::new(&frame, mtu, rtp_repr(seq, ts))
            .unwrap()
            .is_aligned(),
        frame.restart()
    );
    let mut p = Packetizer::new(&frame, mtu, rtp_repr(seq, ts)).unwrap();
    let count = p.packet_count();
    let seg = p.segment_len();
    let mut buf = vec![0u8; mtu];
    let mut out = Vec::new();
    while let Some(n) = p.next_packet(&mut buf).unwrap() {
        out.push(buf[..n].to_vec());
    }
    assert_eq!(out.len(), count);
    assert_eq!(p.next_sequence(), SeqNo(seq.wrapping_add(count as u16)));
    // Restart markers: cut at interval boundaries (checked by
    // `check_aligned`); otherwise the GSO shape: all but the last packet
    // are exactly `segment_len` long.
    assert_eq!(seg.is_none(), frame.restart());
    if let Some(seg) = seg {
        for pkt in &out[..out.len() - 1] {
            assert_eq!(pkt.len(), seg);
            assert_eq!(pkt.len(), mtu);
        }
        assert!(out.last().unwrap().len() <= seg);
    }
    for pkt in &out {
        assert!(pkt.len() <= mtu);
    }
    out
}

/// Restart-aligned packets (RFC 2435 §3.1.7): a packet with F starts an
/// interval, one with L ends one (after its RSTn marker, or at the end of
/// the scan), one without L does not; the count is the number of the
/// chunk's first interval, the same on every packet of a split interval.
fn check_aligned(pkts: &[Vec<u8>], frame: &Frame<'_>) {
    let scan = frame.scan_data();
    let boundary = |at: usize| at == 0 || at == scan.len() || restart::is_boundary(scan, at);
    let intervals_before = |at: usize| restart::count_markers(&scan[..at]) as u16;
    let mut chunk: Option<u16> = None;
    for pkt in pkts {
        let p = rtp::Packet::new_checked(&pkt[..]).unwrap();
        let pl = Payload::parse(p.payload()).unwrap();
        let r = pl.restart.expect("a restart header on every packet");
        assert_eq!(r.interval, frame.restart_interval());
        let start = pl.main.fragment_offset as usize;
        let end = start + pl.data.len();
        assert_eq!(
            r.first,
            chunk.is_none(),
            "F on the first packet of each chunk only"
        );
        if r.first {
            assert!(boundary(start), "F packets start an interval");
            assert_eq!(r.count, intervals_before(start));
        } else {
            assert_eq!(Some(r.count), chunk, "a split interval keeps its count");
        }
        if r.last {
            assert!(boundary(end), "L packets end an interval");
            chunk = None;
        } else {
            assert!(restart::next_boundary(scan, start).is_none_or(|b| b > end));
            chunk = Some(r.count);
        }
    }
    assert_eq!(chunk, None);
}

fn feed(d: &mut Depacketizer<Vec<u8>>, pkt: &[u8]) -> Option<Vec<u8>> {
    let p = rtp::Packet::new_checked(pkt).unwrap();
    d.push(&p).unwrap().map(<[u8]>::to_vec)
}

fn depacketizer(scan: usize) -> Depacketizer<Vec<u8>> {
    Depacketizer::new(vec![0u8; JPEG_MAX_HEADER + scan + 2])
}

/// Checks the packets' RFC 2435 fields: contiguous offsets, marker on the
/// last one only, Q=255 with tables on the first only, restart headers.
fn check_wire(pkts: &[Vec<u8>], frame: &Frame<'_>, seq: u16) {
    let mut offset = 0u32;
    for (i, pkt) in pkts.iter().enumerate() {
        let p = rtp::Packet::new_checked(&pkt[..]).unwrap();
        assert_eq!(p.sequence_number(), SeqNo(seq.wrapping_add(i as u16)));
        assert_eq!(p.marker(), i == pkts.len() - 1);
        let h = MainHeader::parse(p.payload()).unwrap();
        assert_eq!(h.fragment_offset, offset);
        assert_eq!(h.q, 255);
        assert_eq!(h.kind, frame.kind());
        assert_eq!(h.restart, frame.restart());
        let mut hl = 8 + if frame.restart() { 4 } else { 0 };
        if i == 0 {
            hl += 4 + frame.quant_len();
        }
        offset += (p.payload().len() - hl) as u32;
    }
    assert_eq!(offset as usize, frame.scan_data().len());
    if frame.restart() {
        check_aligned(pkts, frame);
    }
}

/// A 4:2:0 frame with restart interval 1 whose scan data is intervals of
/// the given lengths (bytes never 0xFF), each but the last ended by `fill`
/// 0xFF fill bytes (T.81 §B.1.1.2) and RST0, RST1, ... in turn.
fn synthetic(lens: &[usize], fill: usize) -> (Vec<u8>, Vec<u8>) {
    let mut scan = Vec::new();
    for (i, &n) in lens.iter().enumerate() {
        scan.extend((0..n).map(|j| ((i * 7 + j) % 0xfe) as u8));
        if i + 1 < lens.len() {
            scan.extend(std::iter::repeat_n(0xff, fill));
            scan.extend_from_slice(&[0xff, 0xd0 + (i % 8) as u8]);
        }
    }
    let (l, c) = make_tables(50);
    let header = JfifHeader {
        kind: Type::Yuv420,
        width: 640,
        height: 480,
        restart_interval: 1,
        luma: QuantTable::new(&l).unwrap(),
        chroma: QuantTable::new(&c).unwrap(),
    };
    let mut jpeg = vec![0u8; JPEG_MAX_HEADER];
    let n = header.emit(&mut jpeg).unwrap();
    jpeg.truncate(n);
    jpeg.extend_from_slice(&scan);
    jpeg.extend_from_slice(&[0xff, 0xd9]);
    (jpeg, scan)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Restart-aligned packets (RFC 2435 §3.1.7) of intervals of any
    /// length, shorter or longer than a packet, with or without fill bytes
    /// before their markers: cut at interval boundaries with F/L and the
    /// count right, and the depacketizer rebuilds the scan byte for byte.
    #[test]
    fn aligned_packets_of_any_intervals_rebuild_the_scan(
        lens in proptest::collection::vec(0usize..900, 1..40),
        mtu in 160usize..1500, fill in 0usize..3, seq in any::<u16>(),
    ) {
        let (jpeg, scan) = synthetic(&lens, fill);
        let frame = Frame::parse(&jpeg).unwrap();
        prop_assert_eq!(frame.scan_data(), &scan[..]);
        let pkts = packetize(&jpeg, mtu, seq, 1);
        check_wire(&pkts, &frame, seq);
        let mut d = depacketizer(scan.len());
        let rebuilt = pkts.iter().filter_map(|p| feed(&mut d, p)).next_back();
        let rebuilt = rebuilt.expect("frame complete");
        prop_assert_eq!(Frame::parse(&rebuilt).unwrap().scan_data(), &scan[..]);
    }

    #[test]
    fn roundtrip_decodes_to_same_pixels(
        wb in 1u16..40, hb in 1u16..30, s420 in any::<bool>(),
        restart in prop_oneof![Just(0u16), 1u16..8], quality in 20u8..98,
        mtu in 300usize..1500, seed in any::<u32>(), seq in any::<u16>(),
    ) {
        let (w, h) = (wb * 16, hb * 8 * if s420 { 2 } else { 1 });
        let jpeg = encode(w, h, s420, restart, quality, seed);
        let frame = Frame::parse(&jpeg).unwrap();
        prop_assert_eq!(frame.kind(), if s420 { Type::Yuv420 } else { Type::Yuv422 });
        prop_assert_eq!(frame.restart(), restart > 0);
        prop_assert_eq!(frame.wire_type(), u8::from(s420) + if restart > 0 { 64 } else { 0 });
        let pkts = packetize(&jpeg, mtu, seq, 9000);
        check_wire(&pkts, &frame, seq);
        let mut d = depacketizer(jpeg.len());
        let mut got = None;
        for p in &pkts {
            prop_assert!(got.is_none());
            got = feed(&mut d, p);
        }
        let rebuilt = got.expect("frame complete");
        let back = Frame::parse(&rebuilt).unwrap();
        prop_assert_eq!(back.scan_data(), frame.scan_data());
        prop_assert_eq!(back.restart_interval(), frame.restart_interval());
        prop_assert_eq!(decode(&rebuilt), decode(&jpeg));
        prop_assert_eq!(decode(&rebuilt).0, usize::from(w));
        prop_assert_eq!(d.frames_complete(), 1);
    }

    #[test]
    fn reordered_and_duplicated_packets_still_decode(
        s420 in any::<bool>(), restart in prop_oneof![Just(0u16), 1u16..4],
        seed in any::<u32>(), order in any::<u64>(), dups in proptest::collection::vec(any::<usize>(), 0..4),
    ) {
        let jpeg = encode(160, 96, s420, restart, 80, seed);
        let mut pkts = packetize(&jpeg, 400, 7, 1234);
        for i in dups {
            let p = pkts[i % pkts.len()].clone();
            pkts.push(p);
        }
        // Deterministic shuffle from `order`.
        let mut x = order | 1;
        for i in (1..pkts.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            pkts.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let mut d = depacketizer(jpeg.len());
        let mut frames = Vec::new();
        for p in &pkts {
            frames.extend(feed(&mut d, p));
        }
        prop_assert_eq!(frames.len(), 1);
        prop_assert_eq!(decode(&frames[0]), decode(&jpeg));
        prop_assert_eq!(d.frames_dropped(), 0);
    }

    #[test]
    fn loss_drops_exactly_the_affected_frames(
        lose in proptest::collection::btree_set(0usize..5, 0..3), which in any::<usize>(),
    ) {
        let jpegs: Vec<_> = (0..5).map(|i| encode(128, 64, i % 2 == 0, 0, 70, i)).collect();
        let mut d = depacketizer(64 * 1024);
        let mut seq = 100u16;
        let mut got = Vec::new();
        for (i, j) in jpegs.iter().enumerate() {
            let pkts = packetize(j, 500, seq, 3000 * i as u32);
            seq = seq.wrapping_add(pkts.len() as u16);
            let lost = if lose.contains(&i) { Some(which % pkts.len()) } else { None };
            for (k, p) in pkts.iter().enumerate() {
                if Some(k) != lost {
                    if let Some(f) = feed(&mut d, p) {
                        got.push((i, f));
                    }
                }
            }
        }
        d.reset();
        let want: Vec<usize> = (0..5).filter(|i| !lose.contains(i)).collect();
        prop_assert_eq!(got.iter().map(|(i, _)| *i).collect::<Vec<_>>(), want);
        for (i, f) in &got {
            prop_assert_eq!(decode(f), decode(&jpegs[*i]));
        }
        prop_assert_eq!(d.frames_dropped(), lose.len() as u64);
    }
}

#[test]
fn above_2040_px_uses_zero_in_header_and_sdp_dimensions() {
    let jpeg = encode(2064, 16, true, 0, 60, 3);
    let frame = Frame::parse(&jpeg).unwrap();
    assert_eq!((frame.width(), frame.width_blocks()), (2064, 0));
    assert_eq!(frame.height_blocks(), 2);
    let pkts = packetize(&jpeg, 1400, 0, 0);
    let h = MainHeader::parse(rtp::Packet::new_checked(&pkts[0][..]).unwrap().payload()).unwrap();
    assert_eq!((h.width, h.height), (0, 2));

    // Without a=x-dimensions the frame cannot be rebuilt, and is dropped.
    let mut d = depacketizer(jpeg.len());
    let mut err = None;
    for p in &pkts {
        let pk = rtp::Packet::new_checked(&p[..]).unwrap();
        if let Err(e) = d.push(&pk) {
            err = Some(e);
        }
    }
    assert_eq!(err, Some(rtsp_core::jpeg::Error::UnknownDimensions));
    assert_eq!(d.frames_dropped(), 1);

    let mut d = depacketizer(jpeg.len());
    d.set_dimensions(2064, 16);
    let got: Vec<_> = pkts.iter().filter_map(|p| feed(&mut d, p)).collect();
    assert_eq!(got.len(), 1);
    let (w, h, px) = decode(&got[0]);
    assert_eq!((w, h), (2064, 16));
    assert_eq!(px, decode(&jpeg).2);
}

#[test]
fn odd_sizes_round_up_unless_sdp_says_exactly() {
    let jpeg = encode(100, 50, true, 0, 75, 9);
    let pkts = packetize(&jpeg, 1000, 0, 0);
    let mut d = depacketizer(jpeg.len());
    let f = pkts.iter().filter_map(|p| feed(&mut d, p)).next().unwrap();
    assert_eq!((decode(&f).0, decode(&f).1), (104, 56));
    let mut d = depacketizer(jpeg.len());
    d.set_dimensions(100, 50);
    let f = pkts.iter().filter_map(|p| feed(&mut d, p)).next().unwrap();
    assert_eq!(decode(&f), decode(&jpeg));
}

#[test]
fn scatter_gather_parts_equal_whole_packets() {
    let jpeg = encode(320, 240, false, 4, 85, 1);
    let frame = Frame::parse(&jpeg).unwrap();
    let whole = packetize(&jpeg, 1200, 40, 77);
    let mut p = Packetizer::new(&frame, 1200, rtp_repr(40, 77)).unwrap();
    let mut hdr = [0u8; 512];
    let mut i = 0;
    while let Some(parts) = p.next_parts(&mut hdr).unwrap() {
        let mut joined = hdr[..parts.header_len].to_vec();
        joined.extend_from_slice(parts.payload);
        assert_eq!(joined, whole[i]);
        assert_eq!(parts.marker, i == whole.len() - 1);
        i += 1;
    }
    assert_eq!(i, whole.len());
}

#[test]
fn too_small_mtu_and_buffer_are_typed_errors() {
    let jpeg = encode(64, 64, true, 0, 50, 2);
    let frame = Frame::parse(&jpeg).unwrap();
    // 12 RTP + 8 main + 4 + 128 tables + 1 byte of scan data.
    let need = 12 + 8 + 4 + 128 + 1;
    assert_eq!(
        Packetizer::new(&frame, need - 1, rtp_repr(0, 0)).unwrap_err(),
        rtsp_core::jpeg::Error::MtuTooSmall { required: need }
    );
    let mut p = Packetizer::new(&frame, need, rtp_repr(0, 0)).unwrap();
    let mut small = [0u8; 20];
    assert!(matches!(
        p.next_packet(&mut small),
        Err(rtsp_core::jpeg::Error::BufferTooSmall { .. })
    ));
    // Nothing advanced: the next call with room emits packet 0.
    let mut buf = [0u8; 200];
    assert_eq!(p.next_packet(&mut buf).unwrap(), Some(need));
    assert_eq!(p.next_sequence(), SeqNo(1));
    // A frame larger than the depacketizer's buffer is dropped, counted.
    let pkts = packetize(&jpeg, 300, 0, 0);
    let mut d = Depacketizer::new(vec![0u8; JPEG_MAX_HEADER + 100]);
    let errs = pkts
        .iter()
        .filter(|p| d.push(&rtp::Packet::new_checked(&p[..]).unwrap()).is_err())
        .count();
    assert!(errs >= 1);
    assert_eq!(d.frames_complete(), 0);
    assert!(d.frames_dropped() >= 1);
}
