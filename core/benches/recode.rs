//! Lossless re-coding (`jpeg::recode`) beside `jpegtran -copy none`
//! (libjpeg-turbo) on the same 720p and 1080p frames, optimized baseline
//! and progressive (issue 10's benchmark; goal: ≤ 1.0× jpegtran's time), and
//! what re-coding a live 720p25 stream costs.
//!
//! `cargo bench -p rtsp-core --bench recode` prints criterion's figures for
//! ours, then one table with both and their ratio.
//! `cargo bench -p rtsp-core --bench recode -- --test` runs everything once
//! (a quick check that it works).
//!
//! Ours is measured in-process, with buffers reused as a server reuses
//! them. jpegtran runs as a process (input from the page cache, output to
//! /dev/null); its cost is its CPU time (user + system, `getrusage` of the
//! children) minus that of the same command on a 16×16 frame of the same
//! kind, i.e. without its start-up. Wall time (median run minus the 16×16
//! median) is printed beside it.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use nix::sys::resource::{getrusage, UsageWho};
use rtsp_core::jpeg::recode::{self, Analysis, Options};

/// A `w`×`h` PPM with detail a camera would see at this size: smooth
/// gradients and shapes, edges, and sensor-like noise.
fn picture(w: usize, h: usize) -> Vec<u8> {
    let mut x = 0x2545_f491u32;
    let mut v = format!("P6\n{w} {h}\n255\n").into_bytes();
    for y in 0..h {
        for i in 0..w {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let n = (x & 0x0f) as usize;
            let (dx, dy) = (i as isize - w as isize / 2, y as isize - h as isize / 3);
            let ring = ((dx * dx + dy * dy) as f64).sqrt() as usize / 24 % 2 * 70;
            let stripe = if (i + y / 2) % 97 < 6 { 90 } else { 0 };
            v.extend_from_slice(&[
                (i * 200 / w + ring + n) as u8,
                (y * 180 / h + stripe + n / 2) as u8,
                ((i + y) * 150 / (w + h) + (ring ^ stripe) / 2 + n) as u8,
            ]);
        }
    }
    v
}

fn cjpeg(dir: &Path, name: &str, ppm: &[u8], args: &[&str]) -> PathBuf {
    let src = dir.join(format!("{name}.ppm"));
    std::fs::write(&src, ppm).unwrap();
    let out = dir.join(format!("{name}.jpg"));
    let st = Command::new("cjpeg")
        .args(args)
        .arg("-outfile")
        .arg(&out)
        .arg(&src)
        .status()
        .expect("cjpeg (libjpeg-turbo) must be installed");
    assert!(st.success(), "cjpeg {args:?} failed");
    out
}

/// CPU time of the children waited for so far (user + system).
fn children_cpu() -> Duration {
    let u = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    let t =
        |tv: nix::sys::time::TimeVal| Duration::new(tv.tv_sec() as u64, tv.tv_usec() as u32 * 1000);
    t(u.user_time()) + t(u.system_time())
}

/// `jpegtran -copy none FILE > /dev/null`, `runs` times: mean CPU time and
/// median wall time per run.
fn jpegtran(file: &Path, runs: usize) -> (Duration, Duration) {
    let mut wall = Vec::with_capacity(runs);
    let cpu0 = children_cpu();
    for _ in 0..runs {
        let t = Instant::now();
        let st = Command::new("jpegtran")
            .args(["-copy", "none"])
            .arg(file)
            .stdout(Stdio::null())
            .status()
            .expect("jpegtran (libjpeg-turbo) must be installed");
        wall.push(t.elapsed());
        assert!(st.success());
    }
    let cpu = (children_cpu() - cpu0) / runs as u32;
    wall.sort();
    (cpu, wall[runs / 2])
}

/// Median time of `f` over `runs` runs.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    t[runs / 2]
}

struct Case {
    name: String,
    jpeg: Vec<u8>,
    file: PathBuf,
    tiny: PathBuf,
}

fn main() {
    let quick = std::env::args().any(|a| a == "--test");
    let (ours_runs, tool_runs) = if quick { (1, 1) } else { (101, 101) };
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let dir = std::env::temp_dir().join(format!("rtsp-core-bench-recode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let tiny_ppm = picture(16, 16);
    let mut cases = Vec::new();
    for (res, w, h) in [("720p", 1280, 720), ("1080p", 1920, 1080)] {
        let ppm = picture(w, h);
        for (kind, args) in [
            ("optimized baseline", &["-optimize", "-quality", "85"][..]),
            ("progressive", &["-progressive", "-quality", "85"][..]),
        ] {
            let tag = format!("{res}-{}", kind.replace(' ', "-"));
            let file = cjpeg(&dir, &tag, &ppm, args);
            let tiny = cjpeg(&dir, &format!("tiny-{tag}"), &tiny_ppm, args);
            cases.push(Case {
                name: format!("{res} {kind}"),
                jpeg: std::fs::read(&file).unwrap(),
                file,
                tiny,
            });
        }
    }

    let mut rows = Vec::new();
    for case in &cases {
        let a = Analysis::parse(&case.jpeg).unwrap();
        let mut coefficients = vec![0i16; a.coefficients_len()];
        let mut out = vec![0u8; case.jpeg.len() * 2 + 4096];
        let mut run = || {
            recode::recode(
                black_box(&case.jpeg),
                Options::default(),
                &mut coefficients,
                &mut out,
            )
            .unwrap()
        };
        let len = run();
        let mut g = c.benchmark_group(format!("recode/{}", case.name));
        g.throughput(Throughput::Bytes(case.jpeg.len() as u64));
        g.bench_function(BenchmarkId::new("ours", case.jpeg.len()), |b| {
            b.iter(&mut run)
        });
        g.finish();
        let ours = median(ours_runs, || {
            black_box(run());
        });
        let (cpu, wall) = jpegtran(&case.file, tool_runs);
        let (tiny_cpu, tiny_wall) = jpegtran(&case.tiny, tool_runs);
        rows.push((
            case,
            len,
            ours,
            cpu.saturating_sub(tiny_cpu),
            wall.saturating_sub(tiny_wall),
            tiny_cpu,
            tiny_wall,
        ));
    }
    c.final_summary();
    let _ = std::fs::remove_dir_all(&dir);

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "\nRe-code time per frame, ours (in-process, median of {ours_runs}) beside `jpegtran -copy none` \
         ({tool_runs} runs, start-up subtracted):\n"
    );
    println!(
        "| frame | in → out | ours | jpegtran CPU | ours ÷ jpegtran | jpegtran wall | ours ÷ wall |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (case, len, ours, cpu, wall, _, _) in &rows {
        println!(
            "| {} | {} → {} KB | {:.2} ms | {:.2} ms | {:.2}× | {:.2} ms | {:.2}× |",
            case.name,
            case.jpeg.len() / 1000,
            len / 1000,
            ms(*ours),
            ms(*cpu),
            ours.as_secs_f64() / cpu.as_secs_f64(),
            ms(*wall),
            ours.as_secs_f64() / wall.as_secs_f64(),
        );
    }
    if let Some((_, _, _, _, _, tiny_cpu, tiny_wall)) = rows.first() {
        println!(
            "\njpegtran start-up subtracted (16×16 frame): {:.2} ms CPU, {:.2} ms wall.",
            ms(*tiny_cpu),
            ms(*tiny_wall)
        );
    }
    println!("\nLive path, 720p25 (re-coded once per frame, shared by every session):");
    for (case, _, ours, ..) in rows.iter().filter(|r| r.0.name.starts_with("720p")) {
        println!(
            "  {}: {:.2} ms per frame = {:.1}% of one core at 25 fps",
            case.name,
            ms(*ours),
            ours.as_secs_f64() * 25.0 * 100.0
        );
    }
}
