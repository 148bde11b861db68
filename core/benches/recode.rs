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
//! Both sides are charged CPU time (user + system, `getrusage`), so that
//! other work on a busy machine does not count, and are measured in
//! alternating rounds, so that a change of load hits both alike. Ours runs
//! in-process, with buffers reused as a server reuses them. jpegtran runs as
//! a process (input from the page cache, output to /dev/null); its cost is
//! the children's CPU time minus that of the same command on a 16×16 frame of
//! the same kind, i.e. without its start-up. Median wall times (jpegtran's
//! minus its 16×16 median) are printed beside them.

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

/// CPU time (user + system) of this process, or of the children waited for
/// so far.
fn cpu(who: UsageWho) -> Duration {
    let u = getrusage(who).expect("getrusage");
    let t =
        |tv: nix::sys::time::TimeVal| Duration::new(tv.tv_sec() as u64, tv.tv_usec() as u32 * 1000);
    t(u.user_time()) + t(u.system_time())
}

/// CPU time and wall times of `runs` runs.
#[derive(Default)]
struct Times {
    cpu: Duration,
    wall: Vec<Duration>,
}

impl Times {
    fn cpu_per_run(&self) -> Duration {
        self.cpu / self.wall.len() as u32
    }

    fn median_wall(&mut self) -> Duration {
        self.wall.sort();
        self.wall[self.wall.len() / 2]
    }
}

/// Runs `f` `runs` times into `t`, charging `who`'s CPU time.
fn measure(t: &mut Times, who: UsageWho, runs: usize, mut f: impl FnMut()) {
    let cpu0 = cpu(who);
    for _ in 0..runs {
        let s = Instant::now();
        f();
        t.wall.push(s.elapsed());
    }
    t.cpu += cpu(who) - cpu0;
}

/// The entropy-coded segment of a one-scan frame: after the SOS segment (the
/// last 0xFFDA: entropy-coded data has none).
fn scan(jpeg: &[u8]) -> &[u8] {
    let sos = jpeg.windows(2).rposition(|w| w == [0xff, 0xda]).unwrap();
    let len = usize::from(u16::from_be_bytes([jpeg[sos + 2], jpeg[sos + 3]]));
    &jpeg[sos + 2 + len..]
}

fn jpegtran_output(file: &Path) -> Vec<u8> {
    let out = Command::new("jpegtran")
        .args(["-copy", "none"])
        .arg(file)
        .output()
        .expect("jpegtran (libjpeg-turbo) must be installed");
    assert!(out.status.success());
    out.stdout
}

/// `jpegtran -copy none FILE > /dev/null`.
fn jpegtran(file: &Path) {
    let st = Command::new("jpegtran")
        .args(["-copy", "none"])
        .arg(file)
        .stdout(Stdio::null())
        .status()
        .expect("jpegtran (libjpeg-turbo) must be installed");
    assert!(st.success());
}

struct Case {
    name: String,
    jpeg: Vec<u8>,
    file: PathBuf,
    tiny: PathBuf,
}

fn main() {
    let quick = std::env::args().any(|a| a == "--test");
    // Rounds of runs of each: ours, jpegtran, jpegtran on 16×16.
    let (rounds, runs) = if quick { (1, 1) } else { (10, 12) };
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
        assert!(
            scan(&out[..len]) == scan(&jpegtran_output(&case.file)),
            "{}: the scan differs from jpegtran's",
            case.name
        );
        let mut run = || {
            recode::recode(
                black_box(&case.jpeg),
                Options::default(),
                &mut coefficients,
                &mut out,
            )
            .unwrap()
        };
        let mut g = c.benchmark_group(format!("recode/{}", case.name));
        g.throughput(Throughput::Bytes(case.jpeg.len() as u64));
        g.bench_function(BenchmarkId::new("ours", case.jpeg.len()), |b| {
            b.iter(&mut run)
        });
        g.finish();
        let (mut ours, mut tool, mut tiny) = (Times::default(), Times::default(), Times::default());
        for _ in 0..rounds {
            measure(&mut ours, UsageWho::RUSAGE_SELF, runs, || {
                black_box(run());
            });
            measure(&mut tool, UsageWho::RUSAGE_CHILDREN, runs, || {
                jpegtran(&case.file)
            });
            measure(&mut tiny, UsageWho::RUSAGE_CHILDREN, runs, || {
                jpegtran(&case.tiny)
            });
        }
        rows.push(Row {
            name: &case.name,
            len_in: case.jpeg.len(),
            len_out: len,
            ours_cpu: ours.cpu_per_run(),
            ours_wall: ours.median_wall(),
            tool_cpu: tool.cpu_per_run().saturating_sub(tiny.cpu_per_run()),
            tool_wall: tool.median_wall().saturating_sub(tiny.median_wall()),
            startup_cpu: tiny.cpu_per_run(),
            startup_wall: tiny.median_wall(),
        });
    }
    c.final_summary();
    let _ = std::fs::remove_dir_all(&dir);

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "\nRe-code time per frame: ours in-process, `jpegtran -copy none` with its start-up subtracted \
         ({} runs each, in {rounds} alternating rounds):\n",
        rounds * runs
    );
    println!("| frame | in → out | ours CPU | jpegtran CPU | ours ÷ jpegtran | ours wall | jpegtran wall | ours ÷ jpegtran (wall) |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for r in &rows {
        println!(
            "| {} | {} → {} KB | {:.2} ms | {:.2} ms | {:.2}× | {:.2} ms | {:.2} ms | {:.2}× |",
            r.name,
            r.len_in / 1000,
            r.len_out / 1000,
            ms(r.ours_cpu),
            ms(r.tool_cpu),
            ratio(r.ours_cpu, r.tool_cpu),
            ms(r.ours_wall),
            ms(r.tool_wall),
            ratio(r.ours_wall, r.tool_wall),
        );
    }
    for r in &rows {
        println!(
            "jpegtran start-up subtracted ({}, 16×16): {:.2} ms CPU, {:.2} ms wall",
            r.name,
            ms(r.startup_cpu),
            ms(r.startup_wall)
        );
    }
    println!("\nLive path, 720p25 (each frame re-coded once, shared by every session):");
    for r in rows.iter().filter(|r| r.name.starts_with("720p")) {
        println!(
            "  {}: {:.2} ms CPU per frame = {:.1}% of one core at 25 fps",
            r.name,
            ms(r.ours_cpu),
            r.ours_cpu.as_secs_f64() * 25.0 * 100.0
        );
    }
}

struct Row<'a> {
    name: &'a str,
    len_in: usize,
    len_out: usize,
    ours_cpu: Duration,
    ours_wall: Duration,
    tool_cpu: Duration,
    tool_wall: Duration,
    startup_cpu: Duration,
    startup_wall: Duration,
}
