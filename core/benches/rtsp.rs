//! RTSP parsing speed on requests as VLC (live555), ffmpeg and GStreamer
//! send them (DESIGN.md benchmark 4): ours vs httparse on the same bytes vs
//! `rtsp-types` 0.1. Targets: within 1.2x of httparse, >= 10x faster than
//! rtsp-types.
//!
//! `cargo bench -p rtsp-core --bench rtsp`. httparse only reads HTTP, so it
//! gets the same bytes with the version token `RTSP/1.0` replaced by the
//! equally long `HTTP/1.1`. The summary at the end prints the ratios.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use rtsp_core::limits::RTSP_MAX_HEADERS;
use rtsp_core::rtsp::{self, header, Header, Message, Status};

/// The SETUP and PLAY requests of each captured transcript.
fn cases() -> Vec<(String, Vec<u8>)> {
    let transcripts: [(&str, &[u8]); 3] = [
        ("vlc", include_bytes!("../src/rtsp/testdata/vlc_udp.txt")),
        (
            "ffmpeg",
            include_bytes!("../src/rtsp/testdata/ffmpeg_udp.txt"),
        ),
        ("gstreamer", include_bytes!("../src/rtsp/testdata/gst.txt")),
    ];
    let mut out = Vec::new();
    for (who, mut bytes) in transcripts {
        while !bytes.is_empty() {
            let mut h = [Header::EMPTY; RTSP_MAX_HEADERS];
            let Ok(Status::Complete((Message::Request(req), used))) = rtsp::parse(bytes, &mut h)
            else {
                panic!("transcript does not parse")
            };
            let name = req.method.as_str();
            if name == "SETUP" || name == "PLAY" {
                out.push((format!("{who} {name}"), bytes[..used].to_vec()));
            }
            bytes = &bytes[used..];
        }
    }
    out
}

fn ours(bytes: &[u8]) -> usize {
    let mut h = [Header::EMPTY; RTSP_MAX_HEADERS];
    match rtsp::parse(black_box(bytes), &mut h) {
        Ok(Status::Complete((_, n))) => n,
        _ => 0,
    }
}

/// Parse plus the typed headers a server reads (CSeq, Session, Transport).
fn ours_typed(bytes: &[u8]) -> usize {
    let mut h = [Header::EMPTY; RTSP_MAX_HEADERS];
    let Ok(Status::Complete((Message::Request(r), n))) = rtsp::parse(black_box(bytes), &mut h)
    else {
        return 0;
    };
    black_box(r.cseq());
    black_box(r.session());
    black_box(
        r.header_str(header::names::TRANSPORT)
            .map(header::Transports::parse),
    );
    n
}

fn httparse_parse(bytes: &[u8]) -> usize {
    let mut h = [httparse::EMPTY_HEADER; RTSP_MAX_HEADERS];
    let mut req = httparse::Request::new(&mut h);
    match req.parse(black_box(bytes)) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => 0,
    }
}

fn rtsp_types_parse(bytes: &[u8]) -> usize {
    match rtsp_types::Message::<Vec<u8>>::parse(black_box(bytes)) {
        Ok((_, n)) => n,
        Err(_) => 0,
    }
}

/// Median time of one call, from 301 samples of 200 calls each.
fn median(f: impl Fn() -> usize) -> Duration {
    let mut t: Vec<Duration> = (0..301)
        .map(|_| {
            let s = Instant::now();
            for _ in 0..200 {
                black_box(f());
            }
            s.elapsed() / 200
        })
        .collect();
    t.sort();
    t[t.len() / 2]
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    let mut summary = Vec::new();
    for (name, bytes) in cases() {
        let http = String::from_utf8(bytes.clone())
            .unwrap()
            .replace("RTSP/1.0", "HTTP/1.1")
            .into_bytes();
        // Every parser must accept the whole request, or the race is unfair.
        assert_eq!(ours(&bytes), bytes.len(), "{name}");
        assert_eq!(httparse_parse(&http), bytes.len(), "{name}");
        assert_eq!(rtsp_types_parse(&bytes), bytes.len(), "{name}");
        let mut g = c.benchmark_group(format!("rtsp/{name}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(BenchmarkId::new("rtsp-core", bytes.len()), |b| {
            b.iter(|| ours(&bytes))
        });
        g.bench_function(BenchmarkId::new("rtsp-core+typed", bytes.len()), |b| {
            b.iter(|| ours_typed(&bytes))
        });
        g.bench_function(BenchmarkId::new("httparse", bytes.len()), |b| {
            b.iter(|| httparse_parse(&http))
        });
        g.bench_function(BenchmarkId::new("rtsp-types", bytes.len()), |b| {
            b.iter(|| rtsp_types_parse(&bytes))
        });
        g.finish();
        summary.push((
            name,
            bytes.len(),
            median(|| ours(&bytes)),
            median(|| ours_typed(&bytes)),
            median(|| httparse_parse(&http)),
            median(|| rtsp_types_parse(&bytes)),
        ));
    }
    c.final_summary();
    println!("\nRTSP request parsing, median per request (ours / httparse: target <= 1.2; rtsp-types / ours: target >= 10):");
    for (name, len, o, typed, h, t) in summary {
        println!(
            "  {name:<16} {len:>3} B: rtsp-core {o:>8.1?} (+typed headers {typed:>8.1?}) | httparse {h:>8.1?} | \
             rtsp-types {t:>9.1?} | ours/httparse = {:.2} | rtsp-types/ours = {:.1}",
            o.as_secs_f64() / h.as_secs_f64(),
            t.as_secs_f64() / o.as_secs_f64(),
        );
    }
}
