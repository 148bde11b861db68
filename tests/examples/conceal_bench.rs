//! Benchmark for "every frame out": what a viewer sees under packet loss.
//!
//! `cargo run --release -p rtsp-e2e --example conceal_bench [SECS]`
//!
//! One rtsp-server serves a moving 640×480 25 fps clip, restart-marked
//! (`cjpeg -restart 1`: one interval per MCU row). For each loss rate
//! (0%, 1%, 5% of packets, drawn from one seed), three relays with the same
//! plan (the relay drops by packet index, and every session gets the same
//! packets) feed, side by side: rtsp-client, ffmpeg (`-vsync cfr -r 25`:
//! one picture per frame slot, the last one repeated where a frame is
//! missing) and GStreamer (`rtspsrc ! rtpjpegdepay ! jpegdec ! videorate`,
//! the same). rtsp-client's slots come from `--save-frames` (named by
//! position since PLAY), frozen where a position is missing. Per client:
//! slots with a fresh picture (one that differs from the slot before: the
//! clip moves every frame) and the sequence PSNR of luma from the mean
//! squared error over all slots, against the source frame of each slot.
//! The slot alignment (0 for all three when the first frame arrives) is
//! checked over the first second and printed.

#[path = "../tests/client_common/relay.rs"]
#[allow(dead_code)]
mod relay;

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use relay::{Plan, Relay};
use rtsp_e2e::{bin, free_tcp_port, peer, wait_for_tcp, Proc, Scratch};

const W: usize = 640;
const H: usize = 480;
const FPS: usize = 25;
const SEED: u64 = 2435;

fn main() {
    let secs: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("SECS: a whole number of seconds"))
        .unwrap_or(20);
    let slots = secs * FPS;
    let dir = Scratch::new("conceal-bench");
    let media = dir.path("media");
    std::fs::create_dir_all(&media).unwrap();
    let source = make_clip(&dir, &media, slots);
    let port = free_tcp_port();
    let _server = Proc::spawn(
        "rtsp-server",
        Command::new(bin("rtsp-server"))
            .args(["-p", &port.to_string(), "--bind", "127.0.0.1", "--media"])
            .arg(&media),
    );
    wait_for_tcp(port, Duration::from_secs(60));
    println!(
        "{secs} s of 640x480 at 25 fps ({slots} slots), restart interval 1 MCU row, seed {SEED}"
    );
    println!(
        "{:>5}  {:<11} {:>12} {:>10} {:>7}",
        "loss", "client", "fresh slots", "PSNR dB", "offset"
    );
    for loss in [0.0, 0.01, 0.05] {
        // ~50 packets a frame: drops from the 100th packet on (the first
        // frame brings the tables), none in the last seconds' margin.
        let plan = || Plan::seeded(SEED, 100, 1_000_000, loss, 0.0);
        let relays = [
            Relay::start(port, plan()),
            Relay::start(port, plan()),
            Relay::start(port, plan()),
        ];
        let url = |r: &Relay| format!("rtsp://127.0.0.1:{}/clip.mjpeg", r.port);
        let frames = dir.path(&format!("ours-{loss}"));
        let ours = ours(&url(&relays[0]), &frames, secs);
        let ff = raw_client("ffmpeg", ffmpeg(&url(&relays[1])), slots);
        let gst = raw_client("gstreamer", gstreamer(&url(&relays[2])), slots);
        let ours_y = ours_slots(ours, &frames, slots);
        for (name, ys) in [
            ("rtsp-client", ours_y),
            ("ffmpeg", ff.join().expect("ffmpeg reader")),
            ("gstreamer", gst.join().expect("gstreamer reader")),
        ] {
            let (fresh, psnr, offset) = score(&ys, &source);
            println!(
                "{:>4.0}%  {:<11} {:>5}/{:<6} {:>10.2} {:>7}",
                loss * 100.0,
                name,
                fresh,
                ys.len(),
                psnr,
                offset
            );
        }
    }
}

/// The moving clip, restart-marked; returns each source frame's luma.
fn make_clip(dir: &Scratch, media: &Path, frames: usize) -> Vec<Vec<u8>> {
    let ppm = dir.path("src");
    std::fs::create_dir_all(&ppm).unwrap();
    run(Command::new(peer("ffmpeg"))
        .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={W}x{H}:rate={FPS}"))
        .args(["-frames:v", &frames.to_string()])
        .arg(ppm.join("%05d.ppm")));
    let mut clip = Vec::new();
    let mut luma = Vec::new();
    for k in 1..=frames {
        let out = Command::new(peer("cjpeg"))
            .args(["-restart", "1", "-quality", "85"])
            .arg(ppm.join(format!("{k:05}.ppm")))
            .output()
            .unwrap();
        assert!(out.status.success(), "cjpeg failed");
        luma.push(djpeg_luma(&out.stdout));
        clip.extend_from_slice(&out.stdout);
    }
    std::fs::write(media.join("clip.mjpeg"), clip).unwrap();
    luma
}

fn run(cmd: &mut Command) {
    assert!(cmd.status().unwrap().success(), "{cmd:?} failed");
}

/// Luma of a JPEG as libjpeg decodes it (the Y component, no conversion).
fn djpeg_luma(jpeg: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new(peer("djpeg"))
        .args(["-grayscale", "-pnm"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(jpeg).unwrap();
    let out = child.wait_with_output().unwrap();
    let header = format!("P5\n{W} {H}\n255\n");
    assert!(
        out.stdout.starts_with(header.as_bytes()),
        "not a {W}x{H} PGM"
    );
    out.stdout[header.len()..].to_vec()
}

fn ours(url: &str, frames: &Path, secs: usize) -> Child {
    Command::new(bin("rtsp-client"))
        .args([url, "--headless", "--play", "--duration"])
        .arg((secs + 1).to_string())
        .arg("--save-frames")
        .arg(frames)
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

/// rtsp-client's slots: the saved frame at each slot's position, the last
/// one shown where none was saved.
fn ours_slots(mut child: Child, frames: &Path, slots: usize) -> Vec<Vec<u8>> {
    child.wait().unwrap();
    let mut by_slot = vec![None; slots];
    for e in std::fs::read_dir(frames).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        let ms: usize = name["frame-P01-".len()..name.find("ms").unwrap()]
            .parse()
            .unwrap();
        if let Some(s) = by_slot.get_mut(ms * FPS / 1000) {
            *s = Some(p);
        }
    }
    let mut out: Vec<Vec<u8>> = Vec::new();
    for s in by_slot {
        let y = match s {
            Some(p) => djpeg_luma(&std::fs::read(p).unwrap()),
            None => out.last().cloned().unwrap_or_else(|| vec![0; W * H]),
        };
        out.push(y);
    }
    out
}

fn ffmpeg(url: &str) -> Command {
    let mut c = Command::new(peer("ffmpeg"));
    c.args(["-loglevel", "error", "-rtsp_transport", "udp", "-i", url])
        .args(["-vsync", "cfr", "-r", "25", "-f", "rawvideo", "-"]);
    c
}

fn gstreamer(url: &str) -> Command {
    let mut c = Command::new(peer("gst-launch-1.0"));
    c.args(["-q", "rtspsrc"])
        .arg(format!("location={url}"))
        .args([
            "protocols=udp",
            "latency=200",
            "!",
            "rtpjpegdepay",
            "!",
            "jpegdec",
        ])
        .args([
            "!",
            "videorate",
            "!",
            "video/x-raw,framerate=25/1",
            "!",
            "fdsink",
            "fd=1",
        ]);
    c
}

/// Reads one 4:2:0 picture per slot from a decoder's raw output, keeping
/// the luma plane, until `slots` are in (then stops it).
fn raw_client(
    name: &'static str,
    mut cmd: Command,
    slots: usize,
) -> std::thread::JoinHandle<Vec<Vec<u8>>> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::spawn(move || {
        let mut stdout = child.stdout.take().unwrap();
        let mut frame = vec![0u8; W * H * 3 / 2];
        let mut out = Vec::new();
        while out.len() < slots && stdout.read_exact(&mut frame).is_ok() {
            out.push(frame[..W * H].to_vec());
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            out.len() >= slots / 2,
            "{name} gave only {} pictures",
            out.len()
        );
        out
    })
}

/// (fresh slots, sequence PSNR in dB, slot offset) against the source.
fn score(slots: &[Vec<u8>], source: &[Vec<u8>]) -> (usize, f64, isize) {
    let mse = |a: &[u8], b: &[u8]| {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| {
                let d = f64::from(x) - f64::from(y);
                d * d
            })
            .sum::<f64>()
            / a.len() as f64
    };
    let src = |i: isize| &source[i.rem_euclid(source.len() as isize) as usize];
    // The alignment that fits the first second best.
    let offset = (-3..=3)
        .min_by(|&a, &b| {
            let e = |o: isize| -> f64 {
                slots
                    .iter()
                    .take(FPS)
                    .enumerate()
                    .map(|(i, y)| mse(y, src(i as isize + o)))
                    .sum()
            };
            e(a).total_cmp(&e(b))
        })
        .unwrap();
    let total: f64 = slots
        .iter()
        .enumerate()
        .map(|(i, y)| mse(y, src(i as isize + offset)))
        .sum();
    let mean = total / slots.len() as f64;
    let fresh = slots
        .iter()
        .enumerate()
        .filter(|(i, y)| *i == 0 || slots[i - 1] != **y)
        .count();
    (
        fresh,
        // Identical pictures: infinite PSNR, printed as `inf`.
        10.0 * (255.0f64 * 255.0 / mean).log10(),
        offset,
    )
}
