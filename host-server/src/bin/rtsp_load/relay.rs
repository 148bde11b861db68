//! `--against relay`: what a pull-relay costs per forwarded packet beside
//! what its origin costs per packet served from a clip, in one run.
//!
//! For each N, a fresh origin (our server on the clip) and a fresh relay
//! (`rtsp-server --pull clip.mjpeg=ORIGIN`) are started; the drain opens N
//! sessions on each and counts both in the same window. The origin's
//! packets are its N clients' plus the one stream it sends the relay (over
//! TCP); the relay's are its N clients'. Its cost includes taking that
//! stream in: reading TCP, reassembling frames, handing them to the loop.

use std::path::Path;

use crate::measure::{measure_relay, print_run};
use crate::servers::{start_ours, start_relay};
use crate::Args;

/// Runs every N of `--clients` and prints the rows and the ratios.
pub(crate) fn relay_series(dir: &Path, args: &Args) {
    let mut ratios = Vec::new();
    for &n in &args.clients {
        let origin = start_ours(dir, &args.ours_args);
        let relay = start_relay(&origin, &args.ours_args);
        let (o, r) = measure_relay(&origin, &relay, n, args.seconds);
        print_run("origin (clip)", &o);
        print_run("relay", &r);
        // One stream more than its drained clients: the relay's.
        let served = o.packets as f64 + r.packets as f64 / n.max(1) as f64;
        let origin_us = o.cpu_secs * 1e6 / served.max(1.0);
        ratios.push((
            n,
            origin_us,
            r.us_per_packet(),
            r.lost,
            r.frames,
            r.frames_expected,
        ));
    }
    for (n, origin_us, relay_us, lost, frames, expected) in ratios {
        println!(
            "N={n}: relay {relay_us:.2} us per forwarded packet / origin {origin_us:.2} us per served packet = {:.2} (relay: {lost} lost, {frames} of {expected} frames)",
            relay_us / origin_us.max(1e-9)
        );
    }
}
