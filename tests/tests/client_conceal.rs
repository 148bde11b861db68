//! Every frame out (RFC 2435 §3.1.7): our server sends a restart-marked
//! clip in restart-aligned packets through a relay with seeded drops and
//! swaps. The relay's log of what it forwarded is the truth: a frame with
//! no packet lost must be shown whole, one that lost packets but kept a
//! whole run of intervals must be shown concealed, the rest dropped. The
//! client's saved frames (named by position since PLAY) and report must
//! say exactly that, and a concealed frame's intact intervals must show
//! the source's pixels. With swaps only, nothing is lost at all.

mod client_common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use client_common::relay::{Logged, Plan, Relay};
use client_common::{report, run_client, scan_data, u};
use rtsp_core::jpeg::{MainHeader, RestartHeader};
use rtsp_e2e::{bin, free_tcp_port, peer, wait_for_tcp, Proc, Scratch};

const W: usize = 320;
const H: usize = 240;
const FRAMES: usize = 50;
/// One MCU row per restart interval (`cjpeg -restart 1`): 15 intervals.
const INTERVALS: u16 = (H / 16) as u16;
/// RTP ticks per frame at 25 fps.
const TICKS: u32 = 3600;

/// A moving 320x240 clip, each frame restart-marked by cjpeg; the decoded
/// source frames (RGB) beside it.
fn restart_clip(dir: &Scratch) -> (PathBuf, Vec<Vec<u8>>) {
    let media = dir.path("media");
    std::fs::create_dir_all(&media).unwrap();
    let ok = Command::new(peer("ffmpeg"))
        .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={W}x{H}:rate=25"))
        .args(["-frames:v", &FRAMES.to_string()])
        .arg(dir.path("f%03d.ppm"))
        .status()
        .unwrap();
    assert!(ok.success(), "ffmpeg made no frames");
    let mut clip = Vec::new();
    let mut source = Vec::new();
    for k in 1..=FRAMES {
        let ppm = dir.path(&format!("f{k:03}.ppm"));
        let out = Command::new(peer("cjpeg"))
            .args(["-restart", "1", "-quality", "85"])
            .arg(&ppm)
            .output()
            .unwrap();
        assert!(out.status.success(), "cjpeg failed");
        source.push(decode(&out.stdout));
        clip.extend_from_slice(&out.stdout);
    }
    std::fs::write(media.join("clip.mjpeg"), clip).unwrap();
    (media, source)
}

/// RGB pixels of a JPEG, decoded by djpeg.
fn decode(jpeg: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new(peer("djpeg"))
        .arg("-ppm")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(jpeg).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "djpeg refused a frame");
    // P6\n320 240\n255\n
    let header = b"P6\n320 240\n255\n";
    assert!(out.stdout.starts_with(header), "not a 320x240 PPM");
    out.stdout[header.len()..].to_vec()
}

fn serve(media: &Path) -> (Proc, u16) {
    let port = free_tcp_port();
    let mut cmd = Command::new(bin("rtsp-server"));
    cmd.args(["-p", &port.to_string(), "--bind", "127.0.0.1", "--media"])
        .arg(media);
    let proc = Proc::spawn("rtsp-server", &mut cmd);
    wait_for_tcp(port, Duration::from_secs(30));
    (proc, port)
}

/// What the client should have done with one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Truth {
    Complete,
    /// Shown with these intervals missing.
    Concealed(BTreeSet<u16>),
    Dropped,
}

/// One packet of a frame: (offset, F, L, restart count, forwarded).
type Piece = (u32, bool, bool, u16, bool);

/// The truth per frame (by RTP timestamp), from the relay's log.
fn truth(log: &[Logged]) -> BTreeMap<u32, Truth> {
    let mut frames: BTreeMap<u32, Vec<Piece>> = BTreeMap::new();
    for (pkt, forwarded) in log {
        let ts = u32::from_be_bytes([pkt[4], pkt[5], pkt[6], pkt[7]]);
        let payload = &pkt[12..];
        let main = MainHeader::parse(payload).unwrap();
        assert!(
            main.restart,
            "the server sent a packet without restart header"
        );
        let r = RestartHeader::parse(&payload[8..]).unwrap();
        assert_ne!(r.count, 0x3fff, "the server's packets are not aligned");
        frames.entry(ts).or_default().push((
            main.fragment_offset,
            r.first,
            r.last,
            r.count,
            *forwarded,
        ));
    }
    let mut out = BTreeMap::new();
    for (ts, mut pkts) in frames {
        pkts.sort();
        let mut lost = BTreeSet::new();
        for (k, &(_, first, last, count, forwarded)) in pkts.iter().enumerate() {
            // A packet of whole intervals holds those up to the next
            // packet's count; a fragment holds part of one.
            let end = if first && last {
                pkts[k + 1..]
                    .iter()
                    .map(|p| p.3)
                    .find(|&c| c > count)
                    .unwrap_or(INTERVALS)
            } else {
                count + 1
            };
            if !forwarded {
                lost.extend(count..end);
            }
        }
        let t = if lost.is_empty() {
            Truth::Complete
        } else if lost.len() == usize::from(INTERVALS) {
            Truth::Dropped
        } else {
            Truth::Concealed(lost)
        };
        out.insert(ts, t);
    }
    out
}

/// Saved frames by position since PLAY (ms): whether each is concealed.
fn saved(dir: &Path) -> BTreeMap<u64, (bool, PathBuf)> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        // frame-P01-000001240ms[-concealed].jpg
        let ms: u64 = name["frame-P01-".len()..name.find("ms").unwrap()]
            .parse()
            .unwrap_or_else(|_| panic!("unexpected name {name}"));
        out.insert(ms, (name.contains("-concealed"), p));
    }
    out
}

fn play(url: &str, dir: &Scratch, secs: &str) -> (serde_json::Value, PathBuf) {
    let rep = dir.path("report.json");
    let frames = dir.path("frames");
    let (ok, out) = run_client(
        &[
            url,
            "--headless",
            "--play",
            "--duration",
            secs,
            "--report",
            rep.to_str().unwrap(),
            "--save-frames",
            frames.to_str().unwrap(),
        ],
        Duration::from_secs(90),
    );
    assert!(ok, "{out}");
    (report(&rep), frames)
}

#[test]
fn client_shows_complete_concealed_and_dropped_frames_exactly_as_lost() {
    let dir = Scratch::new("client-conceal");
    let (media, source) = restart_clip(&dir);
    let (_srv, port) = serve(&media);
    // ~12 packets a frame: 5% of packets dropped, 3% swapped, from the
    // 30th on (the first frame brings the tables).
    let relay = Relay::start(port, Plan::seeded(12, 30, 1200, 0.05, 0.03));
    let url = format!("rtsp://127.0.0.1:{}/clip.mjpeg", relay.port);
    let (r, frames) = play(&url, &dir, "4");
    let truth = truth(&relay.log.lock().unwrap());
    let got = saved(&frames);
    let first_ts = *truth.keys().next().unwrap();
    let ms_of = |ts: u32| u64::from(ts.wrapping_sub(first_ts)) / 90;
    let last_shown = *got.keys().last().unwrap();
    let (mut complete, mut concealed, mut dropped) = (0, 0, 0);
    let mut checked_pixels = 0;
    for (&ts, t) in &truth {
        let ms = ms_of(ts);
        if ms > last_shown {
            break; // in flight when the client left
        }
        let shown = got.get(&ms);
        match (t, shown) {
            (Truth::Complete, Some((false, file))) => {
                complete += 1;
                let k = (ts.wrapping_sub(first_ts) / TICKS) as usize % FRAMES;
                assert_eq!(
                    decode(&std::fs::read(file).unwrap()),
                    source[k],
                    "frame at {ms} ms"
                );
            }
            (Truth::Concealed(lost), Some((true, file))) => {
                concealed += 1;
                let k = (ts.wrapping_sub(first_ts) / TICKS) as usize % FRAMES;
                checked_pixels += intact_match(&std::fs::read(file).unwrap(), &source[k], lost, ms);
            }
            (Truth::Dropped, None) => dropped += 1,
            _ => panic!("frame at {ms} ms: truth {t:?}, client {shown:?}\n{r}"),
        }
    }
    assert!(
        concealed >= 10 && complete >= 30,
        "too few cases: {complete} complete, {concealed} concealed: {r}"
    );
    assert!(checked_pixels > 100_000, "{checked_pixels}");
    assert_eq!(u(&r, "frames_complete"), complete, "{r}");
    assert_eq!(u(&r, "frames_concealed"), concealed, "{r}");
    assert_eq!(u(&r, "frames_dropped"), dropped, "{r}");
    let lost: usize = truth
        .iter()
        .filter(|(&ts, _)| ms_of(ts) <= last_shown)
        .map(|(_, t)| match t {
            Truth::Concealed(l) => l.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(u(&r, "intervals_lost"), lost as u64, "{r}");
}

/// A concealed frame (re-encoded at quality 95) against its source over
/// the intervals that arrived, away from the concealed ones (chroma
/// upsampling reaches 2 px across an MCU edge): within JPEG re-encoding
/// error (PSNR >= 35 dB). Returns the pixels compared.
fn intact_match(saved: &[u8], source: &[u8], lost: &BTreeSet<u16>, ms: u64) -> usize {
    let got = decode(saved);
    let (mut se, mut n) = (0f64, 0usize);
    for y in 0..H {
        let row = (y / 16) as u16;
        if lost.contains(&row) {
            continue;
        }
        let near_lost = (y % 16 < 2 && row > 0 && lost.contains(&(row - 1)))
            || (y % 16 >= 14 && lost.contains(&(row + 1)));
        if near_lost {
            continue;
        }
        for x in 0..W * 3 {
            let d = f64::from(got[y * W * 3 + x]) - f64::from(source[y * W * 3 + x]);
            se += d * d;
            n += 1;
        }
    }
    let psnr = 10.0 * (255.0f64 * 255.0 / (se / n.max(1) as f64)).log10();
    assert!(
        psnr >= 35.0,
        "frame at {ms} ms: intact intervals at {psnr:.1} dB"
    );
    n / 3
}

#[test]
fn client_loses_nothing_to_reordering() {
    let dir = Scratch::new("client-reorder");
    let (media, _) = restart_clip(&dir);
    let (_srv, port) = serve(&media);
    let relay = Relay::start(port, Plan::seeded(7, 0, 1200, 0.0, 0.08));
    let url = format!("rtsp://127.0.0.1:{}/clip.mjpeg", relay.port);
    let (r, frames) = play(&url, &dir, "3");
    assert!(u(&r, "reordered") > 20, "the relay reordered little: {r}");
    assert_eq!(u(&r, "frames_dropped"), 0, "{r}");
    assert_eq!(u(&r, "frames_concealed"), 0, "{r}");
    assert_eq!(u(&r, "packets_lost"), 0, "{r}");
    // Every frame slot since PLAY has its frame, whole.
    let got = saved(&frames);
    let last = *got.keys().last().unwrap();
    assert_eq!(got.len() as u64, last / 40 + 1, "a gap in the saved frames");
    assert!(got.values().all(|(c, _)| !c));
    let clip = std::fs::read(media.join("clip.mjpeg")).unwrap();
    let first = scan_data(&std::fs::read(&got.values().next().unwrap().1).unwrap());
    assert!(
        clip.windows(first.len()).any(|w| w == first),
        "scan data byte-exact"
    );
}
