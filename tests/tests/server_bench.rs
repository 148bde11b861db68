//! The server load benchmark (`rtsp-load`, host-server/src/bin/rtsp_load/)
//! keeps measuring: short runs of ours and of the bare GSO sender, on plain
//! loopback and `--isolate`d, must serve every client in full and report a
//! CPU cost per packet. The figures themselves are for the README, not for
//! a test: only that the benchmark works is checked here.

use std::process::Command;
use std::time::Duration;

use rtsp_e2e::{bin, Proc};

/// A whole run: making the clip with ffmpeg, two senders, two client counts.
const RUN_DEADLINE: Duration = Duration::from_secs(300);

/// Runs `rtsp-load` with `args` to its end; returns its output.
fn load(args: &[&str]) -> String {
    let mut p = Proc::spawn(
        "rtsp-load",
        Command::new(bin("rtsp-load"))
            .args(["--against", "ours,bare", "--clients", "1,4", "--step", "0"])
            .args(["--seconds", "2"])
            .args(args),
    );
    let st = p.wait_exit(RUN_DEADLINE);
    let out = p.output();
    assert!(st.success(), "rtsp-load failed: {st}\n{out}");
    out
}

/// The per-packet CPU cost `rtsp-load` printed for `sender` at 4 clients.
fn us_per_packet(out: &str, sender: &str) -> f64 {
    let line = out
        .lines()
        .find(|l| {
            let mut f = l.split_whitespace();
            f.next() == Some(sender) && f.next() == Some("4")
        })
        .unwrap_or_else(|| panic!("no {sender} line at N=4:\n{out}"));
    // server N pkts/s loss% skip% CPU% us/packet ...
    line.split_whitespace()
        .nth(6)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no µs/packet in {line:?}"))
}

fn assert_served(out: &str) {
    for sender in ["rtsp-server", "bare-gso"] {
        assert!(
            out.contains(&format!(
                "{sender}: most clients served in full (no loss, full rate): Some(4)"
            )),
            "{sender} did not serve 4 clients in full:\n{out}"
        );
        let us = us_per_packet(out, sender);
        assert!(
            us > 0.0 && us < 1000.0,
            "{sender}: {us} µs per packet is not a measurement\n{out}"
        );
    }
    assert!(
        out.contains("N=4: ours CPU per packet / bare GSO sender ="),
        "{out}"
    );
}

#[test]
fn load_benchmark_serves_every_client_on_loopback() {
    let out = load(&[]);
    assert_served(&out);
}

/// `--isolate` needs root, `ip`, `taskset` and two CPUs, all of which the
/// test command provides; it must also leave no namespace behind and put
/// the backlog sysctl back.
#[test]
fn isolated_load_benchmark_cleans_up_after_itself() {
    const BACKLOG: &str = "/proc/sys/net/core/netdev_max_backlog";
    let backlog = std::fs::read_to_string(BACKLOG).unwrap();
    let out = load(&["--isolate"]);
    assert!(out.contains("isolated: own network namespace"), "{out}");
    assert_served(&out);
    assert_eq!(
        std::fs::read_to_string(BACKLOG).unwrap(),
        backlog,
        "netdev_max_backlog restored"
    );
    let ns = Command::new("ip").args(["netns", "list"]).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&ns.stdout).contains("rtsp-load-"),
        "namespace removed: {}",
        String::from_utf8_lossy(&ns.stdout)
    );
}
