//! Shared pieces of the client's end-to-end tests: starting the two RTSP
//! servers (ours and GStreamer's), running the client, reading its report,
//! asking ffprobe and tshark, and an RTSP proxy with a UDP relay that drops,
//! duplicates and reorders chosen RTP packets.

#![allow(dead_code)]

pub mod relay;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use rtsp_e2e::{bin, free_tcp_port, peer, wait_for_tcp, workspace_root, Proc, DEADLINE};

/// Which RTSP server a test plays from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// Our `rtsp-server` with its built-in 320x240 clip.
    Ours,
    /// GStreamer's RTSP server (tests/peers/gst_rtsp_server.py), 320x240 25 fps.
    Gst,
}

/// A running server and the URL to play.
pub struct Running {
    pub proc: Proc,
    pub url: String,
    pub port: u16,
    /// Frame size the stream has.
    pub size: (u32, u32),
    /// Frames per second it sends.
    pub fps: f64,
}

/// Starts `which` on a free port and waits until it accepts connections.
pub fn start(which: Server) -> Running {
    start_with(which, &[])
}

/// Starts `which` with extra arguments (GStreamer script options).
pub fn start_with(which: Server, extra: &[&str]) -> Running {
    let port = free_tcp_port();
    match which {
        Server::Ours => {
            let mut cmd = Command::new(bin("rtsp-server"));
            cmd.args(["-p", &port.to_string(), "--bind", "127.0.0.1"])
                .args(extra);
            let proc = Proc::spawn("rtsp-server", &mut cmd);
            wait_for_tcp(port, DEADLINE);
            Running {
                proc,
                url: format!("rtsp://127.0.0.1:{port}/movie.Mjpeg"),
                port,
                size: (320, 240),
                fps: 25.0,
            }
        }
        Server::Gst => {
            let python = Path::new("/usr/bin/python3");
            assert!(
                python.exists(),
                "Debian's /usr/bin/python3 (with gi) is needed for GStreamer's RTSP server"
            );
            let script = workspace_root().join("tests/peers/gst_rtsp_server.py");
            let mut cmd = Command::new(python);
            cmd.arg(script).arg(port.to_string()).args(extra);
            let proc = Proc::spawn("gst-rtsp-server", &mut cmd);
            let line = proc.wait_for_line("READY", DEADLINE);
            let url = line.trim_start_matches("READY ").trim().to_string();
            Running {
                proc,
                url,
                port,
                size: (320, 240),
                fps: 25.0,
            }
        }
    }
}

/// Runs the client with `args` to completion; returns (exit success, output).
pub fn run_client(args: &[&str], deadline: Duration) -> (bool, String) {
    let mut cmd = Command::new(bin("rtsp-client"));
    cmd.args(args);
    let mut p = Proc::spawn("rtsp-client", &mut cmd);
    let st = p.wait_exit(deadline);
    (st.success(), p.output())
}

/// Reads the `--report` JSON.
pub fn report(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("no report at {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Plays `url` headless for `secs` seconds with `--report report`, plus
/// `extra`; (exit success, output).
pub fn play_headless(url: &str, secs: f64, report: &Path, extra: &[&str]) -> (bool, String) {
    let secs = secs.to_string();
    let mut args = vec![url, "--headless", "--play", "--duration", &secs, "--report"];
    args.push(report.to_str().unwrap());
    args.extend_from_slice(extra);
    run_client(&args, Duration::from_secs(60))
}

/// Unsigned field of the report.
pub fn u(r: &serde_json::Value, k: &str) -> u64 {
    r[k].as_u64()
        .unwrap_or_else(|| panic!("report field {k} missing or not unsigned: {r}"))
}

/// Signed field of the report.
pub fn i(r: &serde_json::Value, k: &str) -> i64 {
    r[k].as_i64()
        .unwrap_or_else(|| panic!("report field {k} missing: {r}"))
}

/// Float field of the report.
pub fn f(r: &serde_json::Value, k: &str) -> f64 {
    r[k].as_f64()
        .unwrap_or_else(|| panic!("report field {k} missing: {r}"))
}

/// Width and height of an image as ffprobe (a real decoder) reads it.
pub fn ffprobe_size(file: &Path) -> (u32, u32) {
    let out = Command::new(peer("ffprobe"))
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
            "-of",
            "csv=p=0",
        ])
        .arg(file)
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    let mut it = s.trim().split(',').map(|v| v.parse::<u32>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// Decodes an image fully with ffmpeg; true if it decodes without error.
pub fn ffmpeg_decodes(file: &Path) -> bool {
    Command::new(peer("ffmpeg"))
        .args(["-v", "error", "-xerror", "-i"])
        .arg(file)
        .args(["-f", "null", "-"])
        .output()
        .map(|o| o.status.success() && o.stderr.is_empty())
        .unwrap_or(false)
}

/// One row of `tshark -q -z rtp,streams`.
#[derive(Debug, Clone, PartialEq)]
pub struct TsharkStream {
    pub src_port: u16,
    pub dst_port: u16,
    pub ssrc: u32,
    pub packets: u64,
    pub lost: i64,
    pub max_delta_ms: f64,
    pub mean_jitter_ms: f64,
    pub max_jitter_ms: f64,
}

/// Runs `tshark -z rtp,streams` on a capture, decoding `rtp_ports` as RTP.
pub fn tshark_streams(capture: &Path, rtp_ports: &[u16]) -> Vec<TsharkStream> {
    let mut cmd = Command::new(peer("tshark"));
    cmd.arg("-r")
        .arg(capture)
        .args(["-q", "-o", "rtp.heuristic_rtp:TRUE"]);
    for p in rtp_ports {
        cmd.args(["-d", &format!("udp.port=={p},rtp")]);
    }
    cmd.args(["-z", "rtp,streams"]);
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    // Columns: start end src sport dst dport ssrc payload pkts lost (pct)
    // min-delta mean-delta max-delta min-jit mean-jit max-jit [problems]
    let mut rows = Vec::new();
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 17 || !w[6].starts_with("0x") {
            continue;
        }
        let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
        rows.push(TsharkStream {
            src_port: w[3].parse().unwrap(),
            dst_port: w[5].parse().unwrap(),
            ssrc: u32::from_str_radix(w[6].trim_start_matches("0x"), 16).unwrap(),
            packets: w[8].parse().unwrap(),
            lost: w[9].parse().unwrap(),
            max_delta_ms: num(w[13]),
            mean_jitter_ms: num(w[15]),
            max_jitter_ms: num(w[16]),
        });
    }
    assert!(
        !rows.is_empty(),
        "tshark found no RTP stream in {}:\n{text}",
        capture.display()
    );
    rows
}

/// The frames of rtsp-server's built-in clip (host-server/media/movie.Mjpeg,
/// 100 frames at 25 fps), as their scan data (RFC 2435 §3.1.9), which the
/// client's rebuilt JFIF carries byte for byte.
pub fn builtin_clip_scans() -> Vec<Vec<u8>> {
    let path = workspace_root().join("host-server/media/movie.Mjpeg");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let scans: Vec<Vec<u8>> = rtsp_core::mjpeg::Frames::new(&bytes)
        .map(|f| scan_data(f.expect("the built-in clip is valid")))
        .collect();
    let mut unique = scans.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), scans.len(), "every frame of the clip differs");
    scans
}

/// The scan data of a JPEG/JFIF frame.
pub fn scan_data(jpeg: &[u8]) -> Vec<u8> {
    rtsp_core::jpeg::Frame::parse(jpeg)
        .expect("a baseline JPEG")
        .scan_data()
        .to_vec()
}

/// The frames saved by `--save-frames` in `dir`, in order, each as its
/// index in `clip` (the scan data equal byte for byte), or `None` for a
/// frame that is none of the clip's.
pub fn saved_clip_indices(dir: &Path, clip: &[Vec<u8>]) -> Vec<Option<usize>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|f| {
            let scan = scan_data(&std::fs::read(f).unwrap());
            clip.iter().position(|c| *c == scan)
        })
        .collect()
}
