//! One measurement (N sessions against one sender), the series of them
//! and the tables: server CPU per delivered packet, loss, frames skipped,
//! RSS, the drain's own CPU and how busy each CPU was.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token};

use crate::drain::{bare_session, drain, latency, recv_gro, Session, Target};
use crate::rtsp::{bind_pair, keep_alive, open_session};
use crate::servers::Server;
use crate::{sender_cmd, Args};

/// One measurement.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Run {
    pub(crate) clients: usize,
    pub(crate) packets: u64,
    pub(crate) lost: u64,
    pub(crate) cpu_secs: f64,
    pub(crate) secs: f64,
    pub(crate) rss_kb: u64,
    /// CPU seconds the drain client itself used in the window.
    pub(crate) client_cpu: f64,
    /// How busy each CPU of the machine was in the window (0–1), whoever
    /// ran there: with --isolate, CPU 1 is the whole receive side
    /// (softirq included, also when it runs in ksoftirqd).
    pub(crate) busy: [f64; 2],
    /// Frame latency p50 and p99 in ms (see [`latency`]); `None` for a
    /// sender without RTCP.
    pub(crate) latency: Option<(f64, f64)>,
    /// Frames received whole (marker bits), and the frames the RTP
    /// timestamps of the first and last say were sent in between.
    pub(crate) frames: u64,
    pub(crate) frames_expected: u64,
}

impl Run {
    pub(crate) fn us_per_packet(&self) -> f64 {
        self.cpu_secs * 1e6 / self.packets.max(1) as f64
    }
}

/// CPU seconds of a process so far: the scheduler's run time of all its
/// threads (ns, includes the softirq work done in its context), or user +
/// system ticks where schedstat is missing.
pub(crate) fn cpu_secs(pid: u32) -> f64 {
    let mut ns = 0u64;
    let mut found = false;
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            let v = std::fs::read_to_string(t.path().join("schedstat")).unwrap_or_default();
            if let Some(n) = v
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
            {
                ns += n;
                found = true;
            }
        }
    }
    if found {
        return ns as f64 / 1e9;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are
    // fields 14 and 15 (proc(5)), in clock ticks of 1/100 s on Linux.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    ticks as f64 / 100.0
}

/// (busy, total) jiffies of CPUs 0 and 1 from /proc/stat (idle and iowait
/// are the not-busy ones).
fn cpu_times() -> [(u64, u64); 2] {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    [0, 1].map(|i| {
        let Some(l) = stat.lines().find(|l| l.starts_with(&format!("cpu{i} "))) else {
            return (0, 0);
        };
        let v: Vec<u64> = l
            .split_whitespace()
            .skip(1)
            .take(8)
            .filter_map(|x| x.parse().ok())
            .collect();
        let total: u64 = v.iter().sum();
        let idle = v.get(3).unwrap_or(&0) + v.get(4).unwrap_or(&0);
        (total - idle, total)
    })
}

/// Resident set size of a process, KiB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Opens `n` sessions, drains for a second, then measures `secs` seconds.
pub(crate) fn measure(target: Target, n: usize, secs: u64) -> Run {
    let mut sessions: Vec<Session> = Vec::with_capacity(n);
    for _ in 0..n {
        sessions.push(match target {
            Target::Rtsp(server) => open_session(&server.url),
            Target::Bare(_) => {
                let (a, b, _) = bind_pair();
                bare_session(a, b)
            }
        });
        keep_alive(&mut sessions);
    }
    let bare = match target {
        Target::Bare(clip) => {
            let mut c = sender_cmd(std::env::current_exe().unwrap());
            c.arg("--bare-send").arg(clip);
            for s in &sessions {
                c.arg(s.rtp.local_addr().unwrap().port().to_string());
            }
            Some(Server {
                child: c.spawn().expect("start the bare GSO sender"),
                url: String::new(),
            })
        }
        Target::Rtsp(_) => None,
    };
    let server = match target {
        Target::Rtsp(s) => s,
        Target::Bare(_) => bare.as_ref().unwrap(),
    };
    let rtcp = matches!(target, Target::Rtsp(_));
    let w = watch(&mut sessions, &[server.child.id()], secs, rtcp);
    tally(&sessions, &w, 0)
}

/// The relay benchmark: `n` sessions on the origin (a clip) and `n` on a
/// relay pulling that clip from it, drained in the same window; the
/// origin's run and the relay's.
pub(crate) fn measure_relay(origin: &Server, relay: &Server, n: usize, secs: u64) -> (Run, Run) {
    // Origin sessions first, then the relay's.
    let mut sessions: Vec<Session> = Vec::with_capacity(2 * n);
    for url in [&origin.url, &relay.url] {
        for _ in 0..n {
            sessions.push(open_session(url));
            keep_alive(&mut sessions);
        }
    }
    let w = watch(
        &mut sessions,
        &[origin.child.id(), relay.child.id()],
        secs,
        true,
    );
    let (o, r) = sessions.split_at(n);
    (tally(o, &w, 0), tally(r, &w, 1))
}

/// What one measurement window saw: its length, each watched sender's CPU
/// seconds and RSS, the drain's own CPU and how busy each CPU was.
struct Window {
    secs: f64,
    cpu: Vec<f64>,
    rss_kb: Vec<u64>,
    client_cpu: f64,
    busy: [f64; 2],
}

/// Drains `sessions` for a second of warm-up, then counts `secs` seconds
/// and charges the senders `pids`; with `rtcp`, then waits (a few seconds
/// at most) for a sender report per session to place frames in time.
fn watch(sessions: &mut [Session], pids: &[u32], secs: u64, rtcp: bool) -> Window {
    let mut poll = Poll::new().unwrap();
    for (i, s) in sessions.iter_mut().enumerate() {
        poll.registry()
            .register(&mut s.rtp, Token(2 * i), Interest::READABLE)
            .unwrap();
        poll.registry()
            .register(&mut s.rtcp, Token(2 * i + 1), Interest::READABLE)
            .unwrap();
    }
    let mut events = Events::with_capacity(1024);
    let mut buf = [0u8; 65536];
    let warm_end = Instant::now() + Duration::from_secs(1);
    let mut window: Option<(Instant, Vec<f64>)> = None;
    let mut own0 = 0.0;
    let mut busy0 = [(0u64, 0u64); 2];
    let end_after = Duration::from_secs(secs);
    loop {
        let now = Instant::now();
        if window.is_none() && now >= warm_end {
            for s in sessions.iter_mut() {
                // What queued up while the sessions were opening is not
                // part of the window.
                while recv_gro(&s.rtp, &mut buf).is_ok() {}
                s.restart_window();
            }
            window = Some((now, pids.iter().map(|&p| cpu_secs(p)).collect()));
            own0 = cpu_secs(std::process::id());
            busy0 = cpu_times();
        }
        if let Some((t0, _)) = &window {
            if now.duration_since(*t0) >= end_after {
                break;
            }
        }
        drain(&mut poll, &mut events, sessions, &mut buf, true);
    }
    let (t0, cpu0) = window.unwrap();
    let cpu = pids
        .iter()
        .zip(&cpu0)
        .map(|(&p, c0)| cpu_secs(p) - c0)
        .collect();
    let client_cpu = cpu_secs(std::process::id()) - own0;
    let busy1 = cpu_times();
    let busy = [0, 1].map(|i| {
        let (b, t) = (busy1[i].0 - busy0[i].0, busy1[i].1 - busy0[i].1);
        b as f64 / t.max(1) as f64
    });
    let secs = t0.elapsed().as_secs_f64();
    let rss_kb = pids.iter().map(|&p| rss_kb(p)).collect();
    // The first sender report comes 5 s after PLAY (both servers).
    if rtcp {
        let end = Instant::now() + Duration::from_secs(8);
        while sessions.iter().any(|s| s.sr.is_none()) && Instant::now() < end {
            drain(&mut poll, &mut events, sessions, &mut buf, false);
        }
    }
    Window {
        secs,
        cpu,
        rss_kb,
        client_cpu,
        busy,
    }
}

/// The run of sender `which` of window `w` over its `sessions`.
fn tally(sessions: &[Session], w: &Window, which: usize) -> Run {
    let n = sessions.len();
    let latency = latency(sessions);
    let mut packets = 0;
    let mut lost = 0;
    let per: Vec<u64> = sessions.iter().map(|s| s.received).collect();
    if std::env::var_os("RTSP_LOAD_VERBOSE").is_some() {
        eprintln!(
            "N={n}: packets per session in the window: min {} max {}, sessions with none: {}",
            per.iter().min().unwrap_or(&0),
            per.iter().max().unwrap_or(&0),
            per.iter().filter(|&&p| p == 0).count()
        );
    }
    let mut frames = 0;
    let mut frames_expected = 0;
    for s in sessions {
        frames += s.frames;
        if let Some((a, b)) = s.frame_ts {
            // The clip is 25 fps: 3 600 ticks of the 90 kHz clock a frame.
            frames_expected += (f64::from(b.wrapping_sub(a)) / 3600.0).round() as u64 + 1;
        }
        packets += s.received;
        lost += s.lost();
    }
    Run {
        clients: n,
        packets,
        lost,
        cpu_secs: w.cpu[which],
        secs: w.secs,
        rss_kb: w.rss_kb[which],
        client_cpu: w.client_cpu,
        busy: w.busy,
        latency,
        frames,
        frames_expected,
    }
}

/// One row of the table.
pub(crate) fn print_run(name: &str, r: &Run) {
    println!(
        "{name:16} {:>6} {:>10.0} {:>8.3} {:>8.2} {:>9.1} {:>10.2} {:>9.1} {:>11.1} {:>5.0}/{:<3.0} {:>14}",
        r.clients,
        r.packets as f64 / r.secs,
        r.lost as f64 * 100.0 / (r.packets + r.lost).max(1) as f64,
        100.0 * (1.0 - r.frames as f64 / r.frames_expected.max(1) as f64),
        r.cpu_secs * 100.0 / r.secs,
        r.us_per_packet(),
        r.rss_kb as f64 / 1024.0,
        r.client_cpu * 100.0 / r.secs,
        r.busy[0] * 100.0,
        r.busy[1] * 100.0,
        r.latency
            .map_or("n/a".into(), |(a, b)| format!("{a:.2}/{b:.2}"))
    );
}

/// Runs `run` for each client count, then upwards until a run fails.
pub(crate) fn series(name: &'static str, run: &dyn Fn(usize) -> Run, args: &Args) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    let mut counts = args.clients.clone();
    let mut n = *counts.last().unwrap_or(&1);
    loop {
        let Some(c) = (if counts.is_empty() {
            None
        } else {
            Some(counts.remove(0))
        }) else {
            let single = runs
                .iter()
                .find(|r| r.clients == 1)
                .map_or(0.0, |r| r.packets as f64 / r.secs);
            if args.step == 0 || runs.last().is_some_and(|r: &Run| !served(r, single)) {
                break;
            }
            n += args.step;
            if n > args.up_to {
                break;
            }
            let r = run(n);
            print_run(name, &r);
            runs.push(r);
            continue;
        };
        // A fresh server per run, so RSS and CPU belong to this N alone.
        let r = run(c);
        print_run(name, &r);
        runs.push(r);
    }
    runs
}

/// Whether every client got the whole stream: no sequence gap, every frame
/// the RTP timestamps span (a server that falls behind and skips frames
/// shows no sequence gap), and at least 95% of the packet rate one client
/// alone gets.
fn served(r: &Run, single_rate: f64) -> bool {
    r.lost == 0
        && r.frames as f64 >= 0.99 * r.frames_expected as f64
        && r.packets as f64 / r.secs / r.clients as f64 >= 0.95 * single_rate
}

/// The most clients served in full and µs per packet by N; prints them
/// with the RSS per extra client.
pub(crate) fn summary(name: &str, runs: &[Run]) -> (Option<usize>, HashMap<usize, f64>) {
    let single = runs
        .iter()
        .find(|r| r.clients == 1)
        .map_or(0.0, |r| r.packets as f64 / r.secs);
    let capacity = runs
        .iter()
        .filter(|r| served(r, single))
        .map(|r| r.clients)
        .max();
    let per: HashMap<usize, f64> = runs
        .iter()
        .map(|r| (r.clients, r.us_per_packet()))
        .collect();
    let rss = match (
        runs.iter().find(|r| r.clients == 1),
        runs.iter()
            .filter(|r| r.lost == 0)
            .max_by_key(|r| r.clients),
    ) {
        (Some(a), Some(b)) if b.clients > 1 => {
            format!(
                "{:.1} KiB",
                (b.rss_kb as f64 - a.rss_kb as f64) / (b.clients - 1) as f64
            )
        }
        _ => "n/a".into(),
    };
    println!("{name}: most clients served in full (no loss, full rate): {capacity:?}; RSS per extra client: {rss}");
    (capacity, per)
}
