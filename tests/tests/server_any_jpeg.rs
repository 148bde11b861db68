//! "Any JPEG in" end to end: clips made at test time by real encoders that
//! RFC 2435 cannot carry as they are (ffmpeg's optimized Huffman tables,
//! `cjpeg -progressive`, 4:4:4, gray), one it can (no DHT at all, as UVC
//! cameras send), and a damaged one, served from `--media DIR` and from
//! `--live NAME=-`, played by ffmpeg and GStreamer.
//!
//! What a user would check:
//! * ffmpeg and GStreamer decode every case with no decoder error, at the
//!   clip's rate;
//! * lossless cases: the scan data received (ffmpeg `-c copy -f mjpeg`)
//!   equals `jpegtran -copy none -restart NB`'s re-coding of a source frame
//!   (N the restart interval the server chose, from the received DRI), for
//!   every source frame (entropy-coded segments compared byte for byte);
//! * converted cases: luma PSNR ≥ 35 dB against the source frame, both
//!   decoded by libjpeg-turbo's `djpeg`;
//! * the damaged clip: every good frame arrives, nothing else does.

mod server_util;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use rtsp_e2e::{
    bin, ecs, ffmpeg_copy_pull, free_tcp_port, gst_launch, peer, split_jpegs, wait_for_tcp, Proc,
    Scratch, DEADLINE,
};
use server_util::{Client, Server};

const FPS: f64 = 25.0;
const FRAMES: usize = 30;
const W: usize = 320;
const H: usize = 240;
/// Seconds each pull lasts: more than two loops of a clip.
const PULL_SECS: u32 = 3;
/// Lowest luma PSNR accepted for a converted frame, in dB.
const MIN_PSNR: f64 = 35.0;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Scan data must equal jpegtran's re-coding of the source.
    Lossless,
    /// Pixels must be close to the source's (PSNR).
    Converted,
    /// Every good frame (lossless) must arrive.
    Damaged,
}

#[derive(Debug)]
struct Case {
    name: &'static str,
    kind: Kind,
    /// The clip file served.
    file: PathBuf,
    /// The good source frames, each a whole JPEG.
    frames: Vec<Vec<u8>>,
    /// What the server's start-up line must say about it.
    log: &'static str,
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The same frame with its DHT segments removed (T.81 K.3 tables implied,
/// as UVC cameras send MJPEG).
fn strip_dht(jpeg: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    let mut p = 2;
    loop {
        let marker = jpeg[p + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[p + 2], jpeg[p + 3]]));
        if marker == 0xda {
            out.extend_from_slice(&jpeg[p..]);
            return out;
        }
        if marker != 0xc4 {
            out.extend_from_slice(&jpeg[p..p + 2 + len]);
        }
        p += 2 + len;
    }
}

fn ffmpeg_frames(dir: &Path, name: &str, extra: &[&str]) -> Vec<Vec<u8>> {
    let out = dir.join(name);
    run(Command::new(peer("ffmpeg"))
        .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={W}x{H}:rate={FPS}"))
        .args(["-frames:v", &FRAMES.to_string(), "-c:v", "mjpeg"])
        .args(extra)
        .args(["-f", "mjpeg"])
        .arg(&out));
    let frames = split_jpegs(&std::fs::read(&out).unwrap());
    assert_eq!(frames.len(), FRAMES, "{name}");
    frames
}

fn cjpeg_frames(ppm: &[PathBuf], args: &[&str]) -> Vec<Vec<u8>> {
    ppm.iter()
        .map(|p| run(Command::new(peer("cjpeg")).args(args).arg(p)))
        .collect()
}

/// Makes every clip with real encoders, in `dir/media`.
fn make_cases(scratch: &Scratch) -> Vec<Case> {
    let media = scratch.path("media");
    std::fs::create_dir_all(&media).unwrap();
    let work = scratch.0.clone();
    let ppm_pattern = work.join("src%02d.ppm");
    run(Command::new(peer("ffmpeg"))
        .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={W}x{H}:rate={FPS}"))
        .args(["-frames:v", &FRAMES.to_string()])
        .arg(&ppm_pattern));
    let ppm: Vec<PathBuf> = (1..=FRAMES)
        .map(|i| work.join(format!("src{i:02}.ppm")))
        .collect();

    let write = |name: &str, frames: &[Vec<u8>]| -> PathBuf {
        let p = media.join(name);
        std::fs::write(&p, frames.concat()).unwrap();
        p
    };
    // ffmpeg's defaults, as a user's `ffmpeg -i in.mp4 out.mjpeg` makes
    // them: optimized Huffman tables, and a rate control whose quantizer
    // varies from frame to frame.
    let optimized = ffmpeg_frames(&work, "opt.tmp", &["-pix_fmt", "yuvj420p"]);
    let standard = ffmpeg_frames(
        &work,
        "std.tmp",
        &["-q:v", "3", "-pix_fmt", "yuvj420p", "-huffman", "default"],
    );
    let progressive = cjpeg_frames(&ppm, &["-progressive", "-quality", "90"]);
    let no_dht: Vec<Vec<u8>> = standard.iter().map(|f| strip_dht(f)).collect();
    let yuv444 = ffmpeg_frames(&work, "444.tmp", &["-pix_fmt", "yuvj444p"]);
    // ffmpeg's MJPEG encoder has no gray (it silently writes 4:4:4), so the
    // gray clip comes from libjpeg-turbo.
    let gray = cjpeg_frames(&ppm, &["-grayscale", "-quality", "90"]);

    // Damage: garbage before frame 5, and frame 10 with a broken header (a
    // DQT whose length is shorter than its own field, T.81 §B.2.4.1).
    let mut damaged = Vec::new();
    let mut good = Vec::new();
    for (i, f) in standard.iter().enumerate() {
        if i == 4 {
            damaged.extend_from_slice(b"\x00garbage\xff\xd8 not a frame\xff\x00");
        }
        if i == 9 {
            let mut broken = f.clone();
            let dqt = broken.windows(2).position(|w| w == [0xff, 0xdb]).unwrap();
            broken[dqt + 2] = 0;
            broken[dqt + 3] = 1;
            damaged.extend_from_slice(&broken);
            continue;
        }
        damaged.extend_from_slice(f);
        good.push(f.clone());
    }
    let damaged_file = media.join("damaged.mjpeg");
    std::fs::write(&damaged_file, &damaged).unwrap();

    vec![
        Case {
            name: "optimized.mjpeg",
            kind: Kind::Lossless,
            file: write("optimized.mjpeg", &optimized),
            frames: optimized,
            log: "30 frames re-coded losslessly (optimized Huffman → standard)",
        },
        Case {
            name: "progressive.mjpeg",
            kind: Kind::Lossless,
            file: write("progressive.mjpeg", &progressive),
            frames: progressive,
            log: "30 frames re-coded losslessly (progressive → baseline)",
        },
        Case {
            name: "no_dht.mjpeg",
            kind: Kind::Lossless,
            file: write("no_dht.mjpeg", &no_dht),
            frames: no_dht,
            log: "30 frames re-coded losslessly (restart interval added)",
        },
        Case {
            name: "yuv444.mjpeg",
            kind: Kind::Converted,
            file: write("yuv444.mjpeg", &yuv444),
            frames: yuv444,
            log: "30 frames converted 4:4:4 → 4:2:0 (lossy, quality ≈",
        },
        Case {
            name: "gray.mjpeg",
            kind: Kind::Converted,
            file: write("gray.mjpeg", &gray),
            frames: gray,
            log: "30 frames converted gray → 4:2:0 (lossy, quality ≈ 90)",
        },
        Case {
            name: "damaged.mjpeg",
            kind: Kind::Damaged,
            file: damaged_file,
            frames: good,
            log: "2 damaged frames skipped (bytes ",
        },
    ]
}

/// `jpegtran -copy none -restart NB`'s entropy-coded segment for each
/// frame, to the frame's index (no `-restart` for an interval of 0).
fn jpegtran_ecs(scratch: &Scratch, case: &Case, restart: u16) -> BTreeMap<Vec<u8>, usize> {
    let p = scratch.path(&format!("{}.{restart}.one.jpg", case.name));
    let interval = format!("{restart}B");
    case.frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            std::fs::write(&p, f).unwrap();
            let mut cmd = Command::new(peer("jpegtran"));
            cmd.args(["-copy", "none"]);
            if restart > 0 {
                cmd.args(["-restart", &interval]);
            }
            (ecs(&run(cmd.arg(&p))), i)
        })
        .collect()
}

/// The restart interval of a JPEG (its DRI segment), 0 without one.
fn dri(jpeg: &[u8]) -> u16 {
    let mut p = 2;
    while p + 4 <= jpeg.len() && jpeg[p + 1] != 0xda {
        let len = usize::from(u16::from_be_bytes([jpeg[p + 2], jpeg[p + 3]]));
        if jpeg[p + 1] == 0xdd {
            return u16::from_be_bytes([jpeg[p + 4], jpeg[p + 5]]);
        }
        p += 2 + len;
    }
    0
}

/// Luma plane of a JPEG, decoded by libjpeg-turbo (`djpeg -grayscale`
/// outputs the Y component as it is, T.871).
fn djpeg_luma(scratch: &Scratch, tag: &str, jpeg: &[u8]) -> Vec<u8> {
    let p = scratch.path(&format!("{tag}.luma.jpg"));
    std::fs::write(&p, jpeg).unwrap();
    let pgm = run(Command::new(peer("djpeg"))
        .args(["-grayscale", "-pnm"])
        .arg(&p));
    // P5\n<w> <h>\n255\n<data>
    let mut fields = 0;
    let mut i = 0;
    while fields < 4 {
        while pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        while !pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        fields += 1;
    }
    let data = pgm[i + 1..].to_vec();
    assert_eq!(data.len(), W * H, "{tag}: luma size");
    data
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let sse: u64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| u64::from(x.abs_diff(y)).pow(2))
        .sum();
    let mse = sse as f64 / a.len() as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0 * 255.0 / mse).log10()
    }
}

/// Pulls `url` with ffmpeg over TCP for [`PULL_SECS`]: every frame decoded
/// and, from the same session, the received frames as they came. Returns
/// (decoded frame count, received JPEGs).
fn ffmpeg_pull(scratch: &Scratch, tag: &str, url: &str) -> (usize, Vec<Vec<u8>>) {
    let (decoded, received) = ffmpeg_copy_pull(scratch, tag, url, "tcp", PULL_SECS);
    for f in &decoded {
        let size: usize = f.split(',').nth(4).unwrap().trim().parse().unwrap();
        assert_eq!(size, W * H * 3 / 2, "{tag}: decoded 4:2:0 frame in {f:?}");
    }
    (decoded.len(), received)
}

/// GStreamer plays `frames` frames of `url` through `jpegdec` at the
/// expected size, with no error or decoder warning.
fn gstreamer_plays(tag: &str, url: &str, frames: usize) {
    let pipeline = format!(
        "rtspsrc location={url} protocols=tcp latency=100 ! rtpjpegdepay ! jpegdec ! \
         video/x-raw,width={W},height={H} ! identity eos-after={frames} ! fakesink"
    );
    gst_launch(tag, &pipeline);
}

/// Where the frames' pace comes from.
#[derive(Clone, Copy, PartialEq)]
enum Pace {
    /// The server's frame clock (a clip): neither fewer nor more frames.
    Clip,
    /// The writer of a live input: its timestamps are arrival times, and a
    /// feeder that stalled on a busy machine catches up with a burst that
    /// lands more frames in ffmpeg's window; only too few is a failure.
    Live,
}

/// Plays `url` with both peers and checks what arrived against `case`.
fn check(scratch: &Scratch, tag: &str, url: &str, case: &Case, expected: &CaseRef, pace: Pace) {
    let (decoded, received) = ffmpeg_pull(scratch, tag, url);
    // At the clip's rate: ffmpeg counts frames by their RTP timestamps.
    let want = FPS * f64::from(PULL_SECS);
    let most = match pace {
        Pace::Clip => want * 1.1 + 2.0,
        Pace::Live => f64::INFINITY,
    };
    assert!(
        decoded as f64 >= want * 0.85 && decoded as f64 <= most,
        "{tag}: {decoded} frames decoded in {PULL_SECS} s, expected about {want}"
    );
    assert!(
        received.len() + 2 >= decoded,
        "{tag}: {} frames copied, {decoded} decoded",
        received.len()
    );
    match case.kind {
        Kind::Lossless | Kind::Damaged => {
            let CaseRef::Scans = expected else {
                unreachable!()
            };
            // The server gives each frame a restart interval chosen from
            // its size: compare with jpegtran's re-coding at that interval.
            let mut refs: BTreeMap<u16, BTreeMap<Vec<u8>, usize>> = BTreeMap::new();
            let mut matched = |jpeg: &[u8]| {
                let n = dri(jpeg);
                assert!(n > 0, "{tag}: a frame without restart interval");
                let want = refs
                    .entry(n)
                    .or_insert_with(|| jpegtran_ecs(scratch, case, n));
                // Which source frame it is.
                want.get(&ecs(jpeg)).copied()
            };
            let mut got = BTreeSet::new();
            for j in &received {
                got.insert(matched(j));
            }
            // Over more than two loops every good frame arrives. On a busy
            // machine the frame clock may skip a late frame (and a live
            // feeder may burst), so pull again, up to twice, for the ones
            // not seen yet: a condition, not a longer fixed pull.
            for _ in 0..2 {
                if got.len() >= case.frames.len() {
                    break;
                }
                let (_, more) = ffmpeg_pull(scratch, tag, url);
                for j in &more {
                    got.insert(matched(j));
                }
            }
            assert!(
                !got.contains(&None),
                "{tag}: received frames are no jpegtran re-coding of a source frame"
            );
            let want = &case.frames;
            assert_eq!(
                got.len(),
                want.len(),
                "{tag}: {} distinct good frames of {} arrived",
                got.len(),
                want.len()
            );
        }
        Kind::Converted => {
            let CaseRef::Lumas(sources) = expected else {
                unreachable!()
            };
            let distinct: BTreeMap<Vec<u8>, &Vec<u8>> =
                received.iter().map(|j| (ecs(j), j)).collect();
            assert!(
                distinct.len() >= FRAMES,
                "{tag}: only {} distinct frames",
                distinct.len()
            );
            // Every distinct received frame against its source frame: the
            // one it is closest to (the clip's frames differ from one
            // another).
            let mut worst = f64::INFINITY;
            for (i, jpeg) in distinct.values().enumerate() {
                let y = djpeg_luma(scratch, &format!("{tag}-{i}"), jpeg);
                let best = sources
                    .iter()
                    .map(|s| psnr(&y, s))
                    .fold(f64::NEG_INFINITY, f64::max);
                worst = worst.min(best);
            }
            eprintln!("{tag}: lowest luma PSNR {worst:.1} dB");
            assert!(
                worst >= MIN_PSNR,
                "{tag}: luma PSNR {worst:.1} dB < {MIN_PSNR}"
            );
        }
    }
    gstreamer_plays(tag, url, 2 * FRAMES);
}

/// What a case's received frames are checked against.
enum CaseRef {
    /// jpegtran's entropy-coded segments of the good source frames, made
    /// when the restart interval is known.
    Scans,
    /// The source frames' luma planes.
    Lumas(Vec<Vec<u8>>),
}

fn references(scratch: &Scratch, cases: &[Case]) -> Vec<CaseRef> {
    cases
        .iter()
        .map(|c| match c.kind {
            Kind::Lossless | Kind::Damaged => CaseRef::Scans,
            Kind::Converted => CaseRef::Lumas(
                c.frames
                    .iter()
                    .enumerate()
                    .map(|(i, f)| djpeg_luma(scratch, &format!("{}-src{i}", c.name), f))
                    .collect(),
            ),
        })
        .collect()
}

#[test]
fn any_jpeg_from_media_plays_in_ffmpeg_and_gstreamer() {
    let scratch = Scratch::new("any-jpeg-media");
    let cases = make_cases(&scratch);
    let refs = references(&scratch, &cases);
    let media = scratch.path("media");
    let server = Server::start(&["--media", media.to_str().unwrap()]);
    for c in &cases {
        let line = server
            .proc
            .wait_for_line(&format!("/{} ", c.name), DEADLINE);
        assert!(line.contains(c.log), "{}: start-up line {line:?}", c.name);
    }
    // Every case at once, from the one server.
    thread::scope(|s| {
        for (c, r) in cases.iter().zip(&refs) {
            let (scratch, url) = (&scratch, server.url(c.name));
            s.spawn(move || {
                check(
                    scratch,
                    &format!("media {}", c.name),
                    &url,
                    c,
                    r,
                    Pace::Clip,
                )
            });
        }
    });
}

/// Writes `file` to `stdin` again and again, one frame (with whatever
/// precedes it) per frame period, until `stop`.
fn feed(file: &Path, mut stdin: std::process::ChildStdin, stop: &AtomicBool) {
    let data = std::fs::read(file).unwrap();
    // Cut before every SOI that follows an EOI: damage travels with the
    // frame after it.
    let mut cuts = vec![0];
    for i in 2..data.len().saturating_sub(1) {
        if data[i] == 0xff && data[i + 1] == 0xd8 && data[i - 2..i] == [0xff, 0xd9] {
            cuts.push(i);
        }
    }
    cuts.push(data.len());
    let period = Duration::from_secs_f64(1.0 / FPS);
    let mut next = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        for w in cuts.windows(2) {
            if stop.load(Ordering::Relaxed) || stdin.write_all(&data[w[0]..w[1]]).is_err() {
                return;
            }
            // A live source's pace: the frame clock, not a wait on the
            // server.
            next += period;
            thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    }
}

#[test]
fn any_jpeg_from_live_input_plays_in_ffmpeg_and_gstreamer() {
    let scratch = Scratch::new("any-jpeg-live");
    let cases = make_cases(&scratch);
    let refs = references(&scratch, &cases);
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        let mut checks = Vec::new();
        for (c, r) in cases.iter().zip(&refs) {
            let port = free_tcp_port();
            let mut cmd = Command::new(bin("rtsp-server"));
            cmd.args(["--bind", "127.0.0.1", "--port", &port.to_string()])
                .args(["--live", "cam=-"])
                .env("RUST_LOG", "info");
            let (server, stdin) =
                Proc::spawn_with_stdin(&format!("rtsp-server live {}", c.name), &mut cmd);
            let stop = &stop;
            s.spawn(move || feed(&c.file, stdin, stop));
            let scratch = &scratch;
            checks.push(s.spawn(move || {
                wait_for_tcp(port, DEADLINE);
                server.wait_for_line("live cam: first frame", DEADLINE);
                let url = format!("rtsp://127.0.0.1:{port}/cam");
                check(scratch, &format!("live {}", c.name), &url, c, r, Pace::Live);
                // Logged as it happens (rate-limited).
                let want = match c.kind {
                    Kind::Lossless if c.name == "no_dht.mjpeg" => None,
                    Kind::Lossless => Some("re-coded losslessly"),
                    Kind::Converted => Some("→ 4:2:0 (lossy, quality ≈"),
                    Kind::Damaged => Some("skipped (bytes"),
                };
                if let Some(w) = want {
                    server.wait_for_line(w, DEADLINE);
                }
                server
            }));
        }
        let results: Vec<_> = checks.into_iter().map(|h| h.join()).collect();
        stop.store(true, Ordering::Relaxed);
        for r in results {
            if let Err(e) = r {
                std::panic::resume_unwind(e);
            }
        }
    });
}

#[test]
fn strict_refuses_what_needs_conversion_with_415_and_serves_the_rest() {
    let scratch = Scratch::new("any-jpeg-strict");
    let cases = make_cases(&scratch);
    let media = scratch.path("media");
    // A file nothing here decodes: 12-bit samples (T.81 §B.2.2, P = 12)
    // from a frame whose SOF says so.
    let mut twelve = cases[0].frames[0].clone();
    let sof = twelve.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
    twelve[sof + 1] = 0xc1;
    twelve[sof + 4] = 12;
    std::fs::write(media.join("twelve_bit.mjpeg"), &twelve).unwrap();

    let server = Server::start(&["--strict", "--media", media.to_str().unwrap()]);
    for c in &cases {
        let url = server.url(c.name);
        let mut client = Client::connect(server.port, &url);
        let r = client.request("DESCRIBE", &url, &[("Accept", "application/sdp")]);
        let want = if c.kind == Kind::Converted { 415 } else { 200 };
        assert_eq!(r.status, want, "{}: DESCRIBE under --strict", c.name);
    }
    let out = server.proc.output();
    assert!(
        out.contains("yuv444.mjpeg: refused: frame 0: 4:4:4 needs a lossy conversion"),
        "{out}"
    );
    // Without --strict, only what nothing decodes is refused.
    let lenient = Server::start(&["--media", media.to_str().unwrap()]);
    let url = lenient.url("twelve_bit.mjpeg");
    let mut client = Client::connect(lenient.port, &url);
    let r = client.request("DESCRIBE", &url, &[("Accept", "application/sdp")]);
    assert_eq!(r.status, 415);
    let line = lenient
        .proc
        .wait_for_line("twelve_bit.mjpeg: refused", DEADLINE);
    assert!(line.contains("12-bit"), "{line}");
}
