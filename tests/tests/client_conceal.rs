//! Every frame out (RFC 2435 §3.1.7): our server sends a restart-marked
//! clip in restart-aligned packets through a relay with seeded drops and
//! swaps. The relay's log of what it forwarded is the truth: a frame with
//! no packet lost must be shown whole, one that lost packets but kept a
//! whole run of intervals must be shown concealed, the rest dropped. The
//! client's saved frames (named by position since PLAY) and report must
//! say exactly that, and a concealed frame's intact intervals must show
//! the source's pixels. With swaps only, nothing is lost at all. The same
//! holds for GStreamer's `rtpjpegpay`, which cuts packets at the MTU
//! whatever the intervals (restart count 0x3FFF): the client finds them by
//! their RSTn markers.

mod client_common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use client_common::relay::{Logged, Plan, Relay};
use client_common::{report, run_client, scan_data, start_with, u, Server};
use rtsp_core::jpeg::{MainHeader, RestartHeader};
use rtsp_e2e::{bin, free_tcp_port, peer, wait_for_tcp, Proc, Scratch};

const W: usize = 320;
const H: usize = 240;
const FRAMES: usize = 50;
/// One MCU row per restart interval (`cjpeg -restart 1`): 15 intervals.
const INTERVALS: u16 = (H / 16) as u16;
/// RTP ticks per frame at 25 fps.
const TICKS: u32 = 3600;

/// A moving 320x240 clip, each frame restart-marked by cjpeg: the media
/// directory holding `clip.mjpeg`, and each frame's JPEG and RGB pixels.
struct Clip {
    media: PathBuf,
    jpegs: Vec<Vec<u8>>,
    source: Vec<Vec<u8>>,
}

fn restart_clip(dir: &Scratch) -> Clip {
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
    let mut jpegs = Vec::new();
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
        jpegs.push(out.stdout);
    }
    std::fs::write(media.join("clip.mjpeg"), clip).unwrap();
    Clip {
        media,
        jpegs,
        source,
    }
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

/// An RTP/JPEG packet of a restart-marked frame: its timestamp, main and
/// restart headers, and what follows them.
fn restart_packet(pkt: &[u8]) -> (u32, MainHeader, RestartHeader, &[u8]) {
    let ts = u32::from_be_bytes([pkt[4], pkt[5], pkt[6], pkt[7]]);
    let payload = &pkt[12..];
    let main = MainHeader::parse(payload).unwrap();
    assert!(
        main.restart,
        "a packet without restart header (type {:?})",
        main.kind
    );
    let r = RestartHeader::parse(&payload[8..]).unwrap();
    (ts, main, r, &payload[12..])
}

/// The truth per frame (by RTP timestamp), from the relay's log of our
/// server's restart-aligned packets, with the clip frame it carries (our
/// server sends the clip in order from PLAY, looping).
fn truth(log: &[Logged]) -> BTreeMap<u32, (Truth, usize)> {
    let mut frames: BTreeMap<u32, Vec<Piece>> = BTreeMap::new();
    for (pkt, forwarded) in log {
        let (ts, main, r, _) = restart_packet(pkt);
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
    let first_ts = frames.keys().next().copied().unwrap_or(0);
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
        let t = outcome(lost, usize::from(INTERVALS));
        let k = (ts.wrapping_sub(first_ts) / TICKS) as usize % FRAMES;
        out.insert(ts, (t, k));
    }
    out
}

fn outcome(lost: BTreeSet<u16>, intervals: usize) -> Truth {
    if lost.is_empty() {
        Truth::Complete
    } else if lost.len() == intervals {
        Truth::Dropped
    } else {
        Truth::Concealed(lost)
    }
}

/// One packet of a GStreamer frame: (offset, scan bytes, forwarded).
type Chunk<'a> = (usize, &'a [u8], bool);

/// The truth per frame for GStreamer's MTU-cut packets: which clip frame
/// the packets carry (found by their bytes), and which intervals did not
/// arrive with the RSTn before them in one contiguous run.
fn truth_unaligned(log: &[Logged], clip: &Clip) -> BTreeMap<u32, (Truth, usize)> {
    let mut frames: BTreeMap<u32, Vec<Chunk<'_>>> = BTreeMap::new();
    for (pkt, forwarded) in log {
        let (ts, main, _, mut data) = restart_packet(pkt);
        if main.fragment_offset == 0 && main.q >= 128 {
            let len = u16::from_be_bytes([data[2], data[3]]) as usize;
            data = &data[4 + len..];
        }
        frames
            .entry(ts)
            .or_default()
            .push((main.fragment_offset as usize, data, *forwarded));
    }
    let scans: Vec<Vec<u8>> = clip.jpegs.iter().map(|j| scan_data(j)).collect();
    let mut out = BTreeMap::new();
    for (ts, pkts) in frames {
        let Some(k) = scans.iter().position(|s| {
            pkts.iter().filter(|p| p.2).all(|&(off, d, _)| {
                let end = (off + d.len()).min(s.len());
                off <= end && s[off..end] == d[..end - off]
            })
        }) else {
            panic!("frame {ts}: packets match no clip frame");
        };
        let scan = &scans[k];
        let mut got = vec![false; scan.len()];
        for &(off, d, forwarded) in &pkts {
            if forwarded {
                let end = (off + d.len()).min(scan.len());
                got[off.min(end)..end].iter_mut().for_each(|g| *g = true);
            }
        }
        // Interval starts: 0 and after each RSTn.
        let mut bounds = vec![0];
        for i in 0..scan.len().saturating_sub(1) {
            if scan[i] == 0xff && (0xd0..=0xd7).contains(&scan[i + 1]) {
                bounds.push(i + 2);
            }
        }
        bounds.push(scan.len());
        let mut lost = BTreeSet::new();
        for (i, w) in bounds.windows(2).enumerate() {
            if !got[w[0].saturating_sub(2)..w[1]].iter().all(|&g| g) {
                lost.insert(i as u16);
            }
        }
        out.insert(ts, (outcome(lost, bounds.len() - 1), k));
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
    let clip = restart_clip(&dir);
    let (_srv, port) = serve(&clip.media);
    // ~12 packets a frame: 5% of packets dropped, 3% swapped, from the
    // 30th on (the first frame brings the tables).
    let relay = Relay::start(port, Plan::seeded(12, 30, 1200, 0.05, 0.03));
    let url = format!("rtsp://127.0.0.1:{}/clip.mjpeg", relay.port);
    let (r, frames) = play(&url, &dir, "4");
    let truth = truth(&relay.log.lock().unwrap());
    check_against_truth(&truth, &frames, &r, &clip);
}

#[test]
fn client_conceals_gstreamer_rtpjpegpay_frames_by_their_restart_markers() {
    let dir = Scratch::new("client-conceal-gst");
    let clip = restart_clip(&dir);
    let path = clip.media.join("clip.mjpeg");
    let srv = start_with(Server::Gst, &["--clip", path.to_str().unwrap(), "--paced"]);
    let relay = Relay::start(srv.port, Plan::seeded(5, 30, 1000, 0.04, 0.02));
    let url = srv
        .url
        .replace(&format!(":{}/", srv.port), &format!(":{}/", relay.port));
    let (r, frames) = play(&url, &dir, "4");
    let truth = truth_unaligned(&relay.log.lock().unwrap(), &clip);
    check_against_truth(&truth, &frames, &r, &clip);
}

/// The client's saved frames and report against the truth, frame by frame
/// up to the last frame it showed (later ones were in flight when it left).
fn check_against_truth(
    truth: &BTreeMap<u32, (Truth, usize)>,
    frames: &Path,
    r: &serde_json::Value,
    clip: &Clip,
) {
    let got = saved(frames);
    let first_ts = *truth.keys().next().unwrap();
    let ms_of = |ts: u32| u64::from(ts.wrapping_sub(first_ts)) / 90;
    let last_shown = *got.keys().last().unwrap();
    let (mut complete, mut concealed, mut dropped, mut lost) = (0, 0, 0, 0);
    let mut checked_pixels = 0;
    for (&ts, (t, k)) in truth {
        let ms = ms_of(ts);
        if ms > last_shown {
            break;
        }
        let shown = got.get(&ms);
        match (t, shown) {
            (Truth::Complete, Some((false, file))) => {
                complete += 1;
                let bytes = std::fs::read(file).unwrap();
                assert_eq!(
                    scan_data(&bytes),
                    scan_data(&clip.jpegs[*k]),
                    "frame at {ms} ms"
                );
            }
            (Truth::Concealed(l), Some((true, file))) => {
                concealed += 1;
                lost += l.len() as u64;
                let bytes = std::fs::read(file).unwrap();
                checked_pixels += intact_match(&bytes, &clip.source[*k], l, ms);
            }
            (Truth::Dropped, None) => dropped += 1,
            _ => panic!("frame at {ms} ms: truth {t:?}, client {shown:?}\n{r}"),
        }
    }
    assert!(
        concealed >= 5 && complete >= 30,
        "too few cases: {complete} complete, {concealed} concealed: {r}"
    );
    assert!(checked_pixels > 50_000, "{checked_pixels}");
    assert_eq!(u(r, "frames_complete"), complete, "{r}");
    assert_eq!(u(r, "frames_concealed"), concealed, "{r}");
    assert_eq!(u(r, "frames_dropped"), dropped, "{r}");
    assert_eq!(u(r, "intervals_lost"), lost, "{r}");
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
    let clip = restart_clip(&dir);
    let (_srv, port) = serve(&clip.media);
    let relay = Relay::start(port, Plan::seeded(7, 0, 1200, 0.0, 0.08));
    let url = format!("rtsp://127.0.0.1:{}/clip.mjpeg", relay.port);
    let (r, frames) = play(&url, &dir, "3");
    assert!(u(&r, "reordered") > 20, "the relay reordered little: {r}");
    assert_eq!(u(&r, "frames_dropped"), 0, "{r}");
    assert_eq!(u(&r, "frames_concealed"), 0, "{r}");
    assert_eq!(u(&r, "packets_lost"), 0, "{r}");
    assert_eq!(u(&r, "packets_late"), 0, "{r}");
    // Every frame slot since PLAY has its frame, whole.
    let got = saved(&frames);
    let last = *got.keys().last().unwrap();
    assert_eq!(got.len() as u64, last / 40 + 1, "a gap in the saved frames");
    assert!(got.values().all(|(c, _)| !c));
    let first = scan_data(&std::fs::read(&got.values().next().unwrap().1).unwrap());
    assert!(
        clip.jpegs.iter().any(|j| scan_data(j) == first),
        "scan data byte-exact"
    );
}

/// GStreamer's server fed a clip it does not pace sends frames with
/// repeated RTP timestamps, many within one ms (and loses some under the
/// flood): every frame shown is still saved, none overwrites another at
/// the same position.
#[test]
fn saved_frames_survive_repeated_timestamps() {
    let dir = Scratch::new("client-save-repeated-ts");
    let clip = restart_clip(&dir);
    let path = clip.media.join("clip.mjpeg");
    let srv = start_with(Server::Gst, &["--clip", path.to_str().unwrap()]);
    let rep = dir.path("report.json");
    let frames = dir.path("frames");
    let (ok, out) = run_client(
        &[
            &srv.url,
            "--headless",
            "--play",
            "--frames",
            "200",
            "--report",
            rep.to_str().unwrap(),
            "--save-frames",
            frames.to_str().unwrap(),
        ],
        Duration::from_secs(90),
    );
    assert!(ok, "{out}");
    let r = report(&rep);
    let files = std::fs::read_dir(&frames).unwrap().count() as u64;
    assert!(u(&r, "frames_complete") >= 200, "{r}");
    assert_eq!(
        files,
        u(&r, "frames_complete") + u(&r, "frames_concealed"),
        "one file per frame shown: {r}"
    );
    let repeated = std::fs::read_dir(&frames)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_str()
                .unwrap()
                .contains("ms_")
        })
        .count();
    assert!(repeated > 0, "no two frames at the same position: {r}");
}
