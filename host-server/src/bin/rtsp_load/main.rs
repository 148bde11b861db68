//! `rtsp-load`: the server load benchmark of issue 3 (not a timed test).
//!
//! It makes a 640×480, 25 fps MJPEG clip with ffmpeg, serves it with our
//! `rtsp-server` and with GStreamer's RTSP server (`bench/
//! gst_clip_server.py` beside this crate: GstRtspServer, `appsrc !
//! rtpjpegpay` fed in real time, shared media) in the
//! same run, and opens N UDP sessions against each with a drain client that
//! counts every RTP packet, every sequence gap and every frame. For each N
//! it reports packets per second delivered, loss, frames skipped, server CPU
//! per delivered packet, server RSS, the drain's CPU and how busy each CPU
//! was; then the ratios.
//!
//! A third sender, `bare-gso`, is the physical limit of this machine: this
//! same binary (`--bare-send`) cuts each frame into RTP-sized datagrams and
//! sends them to every client with one UDP GSO `sendto` per frame, no RTSP
//! at all. On loopback the receive side's kernel work (softirq) runs in
//! the sender's context and is charged to whichever process sends, so
//! "ours ÷ bare" separates our own cost from that of the loopback path.
//!
//! Fairness: each client keeps its session alive with GET_PARAMETER every
//! 15 s (RFC 2326 §10.8; both servers expire silent sessions after 60 s,
//! and opening hundreds of sessions takes longer than that on a busy
//! machine), the same drain loop measures every sender, and CPU time is the
//! sender's own scheduler run time (`/proc/PID/task/*/schedstat`, ns, all
//! threads; /proc/PID/stat ticks of 10 ms are too coarse at one client).
//!
//! `--against relay` measures a pull-relay beside its origin ([`relay`]).
//!
//! `--isolate` charges each sender only its own send path, as on a network
//! (see [`isolate`] and host-server/README.md); without it, the kernel's
//! loopback receive work is charged to the sender too.
//!
//! `--browsers N` measures instead CPU per frame per browser viewer (MJPEG
//! over HTTP) beside an RTSP/TCP client's ([`viewers`]).
//!
//! ```text
//! cargo build --release -p rtsp-server --bins
//! sudo target/release/rtsp-load --isolate --clients 1,10,50,200 --step 400 --up-to 4000 --seconds 4
//! target/release/rtsp-load --clients 1,10,50,200 --seconds 5 --up-to 1000
//! target/release/rtsp-load --browsers 100 --seconds 5
//! ```
//!
//! Modules: [`servers`] starts the senders, [`rtsp`] opens and keeps the
//! drain's sessions with the core's RTSP writer and parser, [`drain`]
//! counts what arrives (the core's `rtp::Repr`, `rtcp::Compound` and
//! `SeqExtender`), [`measure`] runs one N and prints the tables, [`bare`]
//! is the bare GSO sender and [`isolate`] the network namespace of
//! `--isolate`.

mod bare;
mod drain;
mod isolate;
mod measure;
mod relay;
mod rtsp;
mod servers;
mod viewers;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;

use drain::Target;
use measure::{measure, series, summary};
use servers::{start_gst, start_ours};

/// Set in the isolated run (`--isolate`): senders are pinned to CPU 0 and
/// the drain receives with UDP_GRO.
pub(crate) static ISOLATED: AtomicBool = AtomicBool::new(false);

/// CPU the senders run on in the isolated run; the drain and every packet's
/// receive work run on [`DRAIN_CPU`].
pub(crate) const SENDER_CPU: &str = "0";
pub(crate) const DRAIN_CPU: &str = "1";

/// A command for a sender process: pinned to [`SENDER_CPU`] in the isolated
/// run, so its scheduler time is its own sending and nothing else.
pub(crate) fn sender_cmd(program: impl AsRef<std::ffi::OsStr>) -> Command {
    if ISOLATED.load(Ordering::Relaxed) {
        let mut c = Command::new("taskset");
        c.args(["-c", SENDER_CPU]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// Server load benchmark: our rtsp-server against GStreamer's RTSP server.
#[derive(Debug, Parser)]
pub(crate) struct Args {
    /// Client counts to measure, in order.
    #[arg(long, value_delimiter = ',', default_value = "1,10,50,200")]
    pub(crate) clients: Vec<usize>,
    /// After the list, keep adding this many clients until a run loses
    /// packets or --up-to is reached (0: do not search).
    #[arg(long, default_value_t = 200)]
    pub(crate) step: usize,
    /// Largest client count tried.
    #[arg(long, default_value_t = 1000)]
    pub(crate) up_to: usize,
    /// Seconds measured per run (after one second of warm-up).
    #[arg(long, default_value_t = 5)]
    pub(crate) seconds: u64,
    /// Extra arguments for our server, e.g. `--ours-args=--no-gso`.
    #[arg(long, allow_hyphen_values = true, value_delimiter = ' ')]
    pub(crate) ours_args: Vec<String>,
    /// Which senders, comma-separated: ours, gst, bare (or both = all
    /// three), and relay (only when named: our server as the origin of a
    /// clip and a `--pull` relay of it, side by side).
    #[arg(long, default_value = "both")]
    pub(crate) against: String,
    /// Measure each sender's own cost, as on a real network: the run moves
    /// into a network namespace of its own whose loopback hands every
    /// received packet to CPU 1 (RPS), where the drain client runs; the
    /// senders run on CPU 0, and the drain receives with UDP_GRO. Needs root
    /// (`ip netns`), `taskset` and two CPUs.
    #[arg(long)]
    pub(crate) isolate: bool,
    /// Instead of the UDP tables: CPU per frame per browser viewer (MJPEG
    /// over HTTP) beside CPU per frame per RTSP/TCP client, N of each.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) browsers: usize,
    /// Internal: this process is the isolated run (see --isolate).
    #[arg(long, hide = true)]
    pub(crate) in_netns: bool,
    /// Internal: run as the bare GSO sender of CLIP to these RTP ports.
    #[arg(long, num_args = 2.., value_names = ["CLIP", "PORT"])]
    pub(crate) bare_send: Vec<String>,
}

/// Makes the 640×480 25 fps clip (8 s, standard Huffman tables, RFC 2435
/// carries them) with ffmpeg in `dir`.
fn make_clip(dir: &Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let clip = dir.join("clip.mjpeg");
    let st = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x480:rate=25",
            "-t",
            "8",
        ])
        .args([
            "-c:v", "mjpeg", "-huffman", "default", "-pix_fmt", "yuvj420p", "-q:v", "4", "-f",
            "mjpeg",
        ])
        .arg(&clip)
        .status()
        .expect("run ffmpeg");
    assert!(st.success(), "ffmpeg could not make the clip");
    clip
}

fn main() {
    let args = Args::parse();
    if let Some((clip, ports)) = args.bare_send.split_first() {
        let ports: Vec<u16> = ports.iter().map(|p| p.parse().expect("port")).collect();
        bare::bare_send(Path::new(clip), &ports);
    }
    if args.isolate {
        isolate::isolate();
    }
    if args.in_netns {
        ISOLATED.store(true, Ordering::Relaxed);
        println!(
            "isolated: own network namespace, receive work and drain on CPU {DRAIN_CPU} (RPS), \
             senders on CPU {SENDER_CPU}, drain with UDP_GRO"
        );
    }
    let dir = std::env::temp_dir().join(format!("rtsp-load-{}", std::process::id()));
    let clip = make_clip(&dir);
    println!(
        "clip: 640x480 25 fps MJPEG, {} KiB, {}",
        std::fs::metadata(&clip).unwrap().len() / 1024,
        clip.display()
    );
    if args.browsers > 0 {
        viewers::compare(
            &|| start_ours(&dir, &args.ours_args),
            args.browsers,
            args.seconds,
        );
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    println!(
        "{:16} {:>6} {:>10} {:>8} {:>8} {:>9} {:>10} {:>9} {:>11} {:>9} {:>14}",
        "server",
        "N",
        "pkts/s",
        "loss%",
        "skip%",
        "CPU%",
        "us/packet",
        "RSS MiB",
        "drain CPU%",
        "busy 0/1",
        "lat ms p50/p99"
    );
    let want = |w: &str| args.against == "both" || args.against.split(',').any(|a| a == w);
    let secs = args.seconds;
    if args.against.split(',').any(|a| a == "relay") {
        relay::relay_series(&dir, &args);
    }
    let ours = want("ours").then(|| {
        series(
            "rtsp-server",
            &|n| measure(Target::Rtsp(&start_ours(&dir, &args.ours_args)), n, secs),
            &args,
        )
    });
    let gst = want("gst").then(|| {
        series(
            "gst-rtsp-server",
            &|n| measure(Target::Rtsp(&start_gst(&clip)), n, secs),
            &args,
        )
    });
    let bare = want("bare").then(|| {
        series(
            "bare-gso",
            &|n| measure(Target::Bare(&clip), n, secs),
            &args,
        )
    });
    let o = ours.as_ref().map(|r| summary("rtsp-server", r));
    let g = gst.as_ref().map(|r| summary("gst-rtsp-server", r));
    let b = bare.as_ref().map(|r| summary("bare-gso", r));
    if let (Some((_, op)), Some((_, bp))) = (&o, &b) {
        let mut ns: Vec<_> = op.keys().filter(|n| bp.contains_key(n)).copied().collect();
        ns.sort_unstable();
        for n in ns {
            println!(
                "N={n}: ours CPU per packet / bare GSO sender = {:.2}",
                op[&n] / bp[&n].max(1e-9)
            );
        }
    }
    if let (Some((oc, op)), Some((gc, gp))) = (o, g) {
        let mut ns: Vec<_> = op.keys().filter(|n| gp.contains_key(n)).copied().collect();
        ns.sort_unstable();
        for n in ns {
            println!(
                "N={n}: GStreamer CPU per packet / ours = {:.2}",
                gp[&n] / op[&n].max(1e-9)
            );
        }
        if let (Some(oc), Some(gc)) = (oc, gc) {
            println!(
                "clients served in full (no loss, full rate): ours {oc} / GStreamer {gc} = {:.2}",
                oc as f64 / gc as f64
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
