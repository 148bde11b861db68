//! RFC 2435 packetizer and depacketizer throughput beside a hot memcpy of
//! the same bytes (DESIGN.md benchmark 3: packetize at >= 0.5x memcpy).
//!
//! `cargo bench -p rtsp-core --bench jpeg`. Criterion reports each case;
//! the summary at the end prints the ratios to memcpy.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use rtsp_core::jpeg::{Depacketizer, Frame, Packetizer};
use rtsp_core::limits::{JPEG_MAX_HEADER, RTP_DEFAULT_MTU};
use rtsp_core::rtp::{self, RtpTimestamp, SeqNo, Ssrc};

/// A real 4:2:0 JPEG of about `target` bytes (a noisy picture, quality
/// lowered until it fits).
fn frame_of(target: usize, w: u16, h: u16) -> Vec<u8> {
    let mut x = 0x9e37_79b9u32;
    let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            ((i / 3 % usize::from(w)) as u32 / 3 + (x & 0x3f)) as u8
        })
        .collect();
    let mut best = Vec::new();
    for q in (5..=95).rev().step_by(5) {
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out, q);
        e.set_sampling_factor(SamplingFactor::F_2_2);
        e.encode(&rgb, w, h, ColorType::Rgb).unwrap();
        best = out;
        if best.len() <= target {
            break;
        }
    }
    best
}

fn repr() -> rtp::Repr {
    rtp::Repr {
        marker: false,
        payload_type: 26,
        sequence: SeqNo(0),
        timestamp: RtpTimestamp(0),
        ssrc: Ssrc(1),
    }
}

fn packetize(frame: &Frame<'_>, buf: &mut [u8]) -> usize {
    let mut p = Packetizer::new(frame, RTP_DEFAULT_MTU, repr()).unwrap();
    let mut bytes = 0;
    while let Some(n) = p.next_packet(buf).unwrap() {
        bytes += n;
        black_box(&buf[..n]);
    }
    bytes
}

fn packetize_parts(frame: &Frame<'_>, buf: &mut [u8]) -> usize {
    let mut p = Packetizer::new(frame, RTP_DEFAULT_MTU, repr()).unwrap();
    let mut bytes = 0;
    while let Some(parts) = p.next_parts(buf).unwrap() {
        bytes += parts.len();
        black_box(parts.payload);
    }
    bytes
}

fn packets(jpeg: &[u8]) -> Vec<Vec<u8>> {
    let frame = Frame::parse(jpeg).unwrap();
    let mut p = Packetizer::new(&frame, RTP_DEFAULT_MTU, repr()).unwrap();
    let mut buf = [0u8; RTP_DEFAULT_MTU];
    let mut v = Vec::new();
    while let Some(n) = p.next_packet(&mut buf).unwrap() {
        v.push(buf[..n].to_vec());
    }
    v
}

fn depacketize(d: &mut Depacketizer<Vec<u8>>, pkts: &[Vec<u8>], ts: u32) -> usize {
    let mut len = 0;
    for p in pkts {
        let pkt = rtp::Packet::new_checked(&p[..]).unwrap();
        let header = rtp::Repr {
            timestamp: RtpTimestamp(ts),
            ..rtp::Repr::parse(&pkt).unwrap()
        };
        if let Some(f) = d.push_payload(&header, pkt.payload()).unwrap() {
            len = black_box(f).len();
        }
    }
    len
}

/// Median time of `f` over a few hundred runs, for the ratio summary.
fn median(mut f: impl FnMut()) -> Duration {
    let mut t: Vec<Duration> = (0..301)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    t[t.len() / 2]
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let frames = [
        ("33KB", frame_of(33_000, 640, 480)),
        ("200KB", frame_of(200_000, 1280, 720)),
    ];
    let mut summary = Vec::new();
    for (name, jpeg) in &frames {
        let frame = Frame::parse(jpeg).unwrap();
        let pkts = packets(jpeg);
        let mut buf = vec![0u8; RTP_DEFAULT_MTU];
        let mut copy = vec![0u8; jpeg.len()];
        let mut d = Depacketizer::new(vec![0u8; JPEG_MAX_HEADER + jpeg.len() + 2]);
        let mut ts = 0u32;

        let mut g = c.benchmark_group(format!("jpeg/{name}"));
        g.throughput(Throughput::Bytes(jpeg.len() as u64));
        g.bench_function(BenchmarkId::new("memcpy", jpeg.len()), |b| {
            b.iter(|| copy.copy_from_slice(black_box(jpeg)))
        });
        g.bench_function(BenchmarkId::new("parse", jpeg.len()), |b| {
            b.iter(|| Frame::parse(black_box(jpeg)).unwrap())
        });
        g.bench_function(BenchmarkId::new("packetize", jpeg.len()), |b| {
            b.iter(|| packetize(&frame, &mut buf))
        });
        g.bench_function(BenchmarkId::new("packetize_parts", jpeg.len()), |b| {
            b.iter(|| packetize_parts(&frame, &mut buf))
        });
        g.bench_function(BenchmarkId::new("depacketize", jpeg.len()), |b| {
            b.iter(|| {
                ts = ts.wrapping_add(3000);
                depacketize(&mut d, &pkts, ts)
            })
        });
        g.finish();

        let memcpy = median(|| copy.copy_from_slice(black_box(jpeg)));
        let pk = median(|| {
            black_box(packetize(&frame, &mut buf));
        });
        let pk_parse = median(|| {
            let f = Frame::parse(black_box(jpeg)).unwrap();
            black_box(packetize(&f, &mut buf));
        });
        let parts = median(|| {
            black_box(packetize_parts(&frame, &mut buf));
        });
        let de = median(|| {
            ts = ts.wrapping_add(3000);
            black_box(depacketize(&mut d, &pkts, ts));
        });
        summary.push((
            name,
            jpeg.len(),
            pkts.len(),
            memcpy,
            pk,
            pk_parse,
            parts,
            de,
        ));
    }
    c.final_summary();
    println!(
        "\nRFC 2435 throughput relative to a hot memcpy of the same frame (higher is better):"
    );
    for (name, len, n, memcpy, pk, pk_parse, parts, de) in summary {
        let r = |t: Duration| memcpy.as_secs_f64() / t.as_secs_f64();
        let gbs = |t: Duration| len as f64 / t.as_secs_f64() / 1e9;
        println!(
            "  {name} ({len} B, {n} packets): memcpy {memcpy:?} ({:.1} GB/s) | packetize {pk:?} = {:.2}x | \
             parse+packetize {pk_parse:?} = {:.2}x | packetize (parts, no copy) {parts:?} = {:.2}x | \
             depacketize+JFIF {de:?} = {:.2}x",
            gbs(memcpy),
            r(pk),
            r(pk_parse),
            r(parts),
            r(de),
        );
    }
}
