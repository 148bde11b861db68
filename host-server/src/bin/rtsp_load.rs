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
//! `--isolate` charges each sender only its own send path, as on a network
//! (see [`isolate`] and host-server/README.md); without it, the kernel's
//! loopback receive work is charged to the sender too.
//!
//! ```text
//! cargo build --release -p rtsp-server --bins
//! sudo target/release/rtsp-load --isolate --clients 1,10,50,200 --step 400 --up-to 4000 --seconds 4
//! target/release/rtsp-load --clients 1,10,50,200 --seconds 5 --up-to 1000
//! ```

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;
use mio::{Events, Interest, Poll, Token};
use rtsp_core::rtp;

/// Set in the isolated run (`--isolate`): senders are pinned to CPU 0 and
/// the drain receives with UDP_GRO.
static ISOLATED: AtomicBool = AtomicBool::new(false);

/// CPU the senders run on in the isolated run; the drain and every packet's
/// receive work run on [`DRAIN_CPU`].
const SENDER_CPU: &str = "0";
const DRAIN_CPU: &str = "1";

/// A command for a sender process: pinned to [`SENDER_CPU`] in the isolated
/// run, so its scheduler time is its own sending and nothing else.
fn sender_cmd(program: impl AsRef<std::ffi::OsStr>) -> Command {
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
struct Args {
    /// Client counts to measure, in order.
    #[arg(long, value_delimiter = ',', default_value = "1,10,50,200")]
    clients: Vec<usize>,
    /// After the list, keep adding this many clients until a run loses
    /// packets or --up-to is reached (0: do not search).
    #[arg(long, default_value_t = 200)]
    step: usize,
    /// Largest client count tried.
    #[arg(long, default_value_t = 1000)]
    up_to: usize,
    /// Seconds measured per run (after one second of warm-up).
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Extra arguments for our server, e.g. `--ours-args=--no-gso`.
    #[arg(long, allow_hyphen_values = true, value_delimiter = ' ')]
    ours_args: Vec<String>,
    /// Which senders, comma-separated: ours, gst, bare (or both = all three).
    #[arg(long, default_value = "both")]
    against: String,
    /// Measure each sender's own cost, as on a real network: the run moves
    /// into a network namespace of its own whose loopback hands every
    /// received packet to CPU 1 (RPS), where the drain client runs; the
    /// senders run on CPU 0, and the drain receives with UDP_GRO. Needs root
    /// (`ip netns`), `taskset` and two CPUs.
    #[arg(long)]
    isolate: bool,
    /// Internal: this process is the isolated run (see --isolate).
    #[arg(long, hide = true)]
    in_netns: bool,
    /// Internal: run as the bare GSO sender of CLIP to these RTP ports.
    #[arg(long, num_args = 2.., value_names = ["CLIP", "PORT"])]
    bare_send: Vec<String>,
}

/// One measurement.
#[derive(Debug, Clone, Copy)]
struct Run {
    clients: usize,
    packets: u64,
    lost: u64,
    cpu_secs: f64,
    secs: f64,
    rss_kb: u64,
    /// CPU seconds the drain client itself used in the window.
    client_cpu: f64,
    /// How busy each CPU of the machine was in the window (0–1), whoever
    /// ran there: with --isolate, CPU 1 is the whole receive side
    /// (softirq included, also when it runs in ksoftirqd).
    busy: [f64; 2],
    /// Frame latency p50 and p99 in ms (see [`latency`]); `None` for a
    /// sender without RTCP.
    latency: Option<(f64, f64)>,
    /// Frames received whole (marker bits), and the frames the RTP
    /// timestamps of the first and last say were sent in between.
    frames: u64,
    frames_expected: u64,
}

impl Run {
    fn us_per_packet(&self) -> f64 {
        self.cpu_secs * 1e6 / self.packets.max(1) as f64
    }
}

/// A started server, killed by PID when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_port(port: u16) {
    let end = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < end, "server on port {port} did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn start_ours(clip_dir: &Path, extra: &[String]) -> Server {
    let exe = std::env::current_exe()
        .unwrap()
        .with_file_name("rtsp-server");
    let port = free_port();
    let child = sender_cmd(&exe)
        .args([
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--max-sessions",
            "100000",
        ])
        .arg("--media")
        .arg(clip_dir)
        .args(extra)
        // RTSP_LOAD_SERVER_LOG=info shows each session's summary.
        .env(
            "RUST_LOG",
            std::env::var("RTSP_LOAD_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
    wait_port(port);
    Server {
        child,
        url: format!("rtsp://127.0.0.1:{port}/clip.mjpeg"),
    }
}

fn start_gst(clip: &Path) -> Server {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/gst_clip_server.py");
    let port = free_port();
    let mut child = sender_cmd("/usr/bin/python3")
        .arg(&script)
        .arg(port.to_string())
        .arg(clip)
        .args(["--path", "/clip.mjpeg", "--fps", "25"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start GStreamer's RTSP server (/usr/bin/python3 with gi)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with("READY"),
        "gst_rtsp_server.py said {line:?}"
    );
    Server {
        child,
        url: format!("rtsp://127.0.0.1:{port}/clip.mjpeg"),
    }
}

/// CPU seconds of a process so far: the scheduler's run time of all its
/// threads (ns, includes the softirq work done in its context), or user +
/// system ticks where schedstat is missing.
fn cpu_secs(pid: u32) -> f64 {
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

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// One RTSP session of the drain client.
struct Session {
    /// The RTSP connection, URL, session id and CSeq (none for bare-gso).
    rtsp: Option<(TcpStream, String, String, u32)>,
    /// When the last keep-alive went out.
    kept: Instant,
    rtp: mio::net::UdpSocket,
    rtcp: mio::net::UdpSocket,
    /// The latest sender report's mapping: Unix time (s) ↔ RTP timestamp
    /// (RFC 3550 §6.4.1).
    sr: Option<(f64, u32)>,
    /// Each frame completed in the window: its RTP timestamp and when its
    /// last packet was read (Unix time, s).
    arrivals: Vec<(u32, f64)>,
    received: u64,
    /// Extended highest sequence number and the first one, in the window.
    first: Option<i64>,
    highest: i64,
    last_seq: u16,
    /// Frames completed (marker bits) in the window, and the RTP
    /// timestamps of the first and last of them.
    frames: u64,
    frame_ts: Option<(u32, u32)>,
}

/// Now as Unix time in seconds (the clock sender reports are stamped with:
/// the senders run on this machine).
fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Reads every RTCP datagram waiting on a session's RTCP socket and keeps
/// the last sender report's NTP ↔ RTP mapping.
fn read_rtcp(s: &mut Session, buf: &mut [u8]) {
    use rtsp_core::rtcp::Packet;
    while let Ok(len) = s.rtcp.recv(buf) {
        let mut rest = &buf[..len];
        while let Ok((p, used)) = Packet::parse(rest) {
            if let Packet::Sr(sr) = p {
                if let Some(us) = sr.ntp_timestamp.to_unix_micros() {
                    s.sr = Some((us as f64 / 1e6, sr.rtp_timestamp.0));
                }
            }
            rest = rest.get(used.max(1)..).unwrap_or_default();
        }
    }
}

/// Latency of each frame from when it was due at the sender (its RTP
/// timestamp placed on the wall clock by the sender's own reports) to its
/// last packet read by the drain: p50 and p99 in ms over all sessions with
/// a sender report.
fn latency(sessions: &[Session]) -> Option<(f64, f64)> {
    let mut all: Vec<f64> = sessions
        .iter()
        .filter_map(|s| s.sr.map(|sr| (s, sr)))
        .flat_map(|(s, (sr_unix, sr_rtp))| {
            s.arrivals.iter().map(move |&(ts, t)| {
                let due = sr_unix + f64::from(ts.wrapping_sub(sr_rtp) as i32) / 90_000.0;
                (t - due) * 1e3
            })
        })
        .collect();
    if all.is_empty() {
        return None;
    }
    all.sort_by(f64::total_cmp);
    let at = |q: f64| all[((all.len() - 1) as f64 * q).round() as usize];
    Some((at(0.5), at(0.99)))
}

impl Session {
    /// Counts one RTP packet with sequence number `seq`, extended to 64
    /// bits (RFC 3550 A.1).
    fn count(&mut self, seq: u16, marker: bool, ts: u32) {
        if marker {
            self.frames += 1;
            self.arrivals.push((ts, unix_now()));
            let first = self.frame_ts.map_or(ts, |(f, _)| f);
            self.frame_ts = Some((first, ts));
        }
        let ext = match self.first {
            None => {
                self.first = Some(i64::from(seq));
                i64::from(seq)
            }
            Some(_) => self.highest + i64::from(seq.wrapping_sub(self.last_seq) as i16),
        };
        if ext > self.highest || self.received == 0 {
            self.highest = ext;
            self.last_seq = seq;
        }
        self.received += 1;
    }
}

/// One read from a drain socket: the length and the size of the datagrams
/// it holds (UDP_GRO's segment size, or the length if it is one datagram).
fn recv_gro(sock: &mio::net::UdpSocket, buf: &mut [u8]) -> std::io::Result<(usize, usize)> {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags, SockaddrStorage};
    use std::os::fd::AsRawFd;
    let mut cmsg = nix::cmsg_space!(i32);
    let mut iov = [std::io::IoSliceMut::new(buf)];
    let msg = recvmsg::<SockaddrStorage>(
        sock.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::empty(),
    )?;
    let len = msg.bytes;
    let seg = msg
        .cmsgs()
        .ok()
        .and_then(|mut c| {
            c.find_map(|m| match m {
                ControlMessageOwned::UdpGroSegments(n) => usize::try_from(n).ok(),
                _ => None,
            })
        })
        .unwrap_or(len);
    Ok((len, seg))
}

fn request(s: &mut TcpStream, cseq: &mut u32, method: &str, url: &str, extra: &str) -> String {
    *cseq += 1;
    // One write per request: `write!` straight to the socket sends each
    // piece as its own segment, and Nagle plus delayed ACKs then hold every
    // request ~40 ms (opening 800 sessions took a minute).
    let req =
        format!("{method} {url} RTSP/1.0\r\nCSeq: {cseq}\r\nUser-Agent: rtsp-load\r\n{extra}\r\n");
    s.write_all(req.as_bytes()).unwrap();
    // One response per request: whatever arrives belongs to it.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "{method} {url}: connection closed");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    let have = buf.len() - end;
    let mut body = vec![0u8; len.saturating_sub(have)];
    s.read_exact(&mut body).unwrap();
    assert!(head.starts_with("RTSP/1.0 200"), "{method} {url}: {head}");
    head
}

fn bind_pair() -> (UdpSocket, UdpSocket, u16) {
    loop {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let p = a.local_addr().unwrap().port();
        if p % 2 == 0 {
            if let Ok(b) = UdpSocket::bind(("127.0.0.1", p + 1)) {
                return (a, b, p);
            }
        }
    }
}

fn open_session(url: &str) -> Session {
    let (rtp, rtcp, port) = bind_pair();
    let mut s =
        TcpStream::connect(url.trim_start_matches("rtsp://").split('/').next().unwrap()).unwrap();
    let _ = s.set_nodelay(true);
    let mut cseq = 0;
    request(
        &mut s,
        &mut cseq,
        "DESCRIBE",
        url,
        "Accept: application/sdp\r\n",
    );
    let t = format!(
        "Transport: RTP/AVP;unicast;client_port={}-{}\r\n",
        port,
        port + 1
    );
    // Both servers name the stream's control URL relative to the base.
    let head = request(&mut s, &mut cseq, "SETUP", &format!("{url}/stream=0"), &t);
    let session = head
        .lines()
        .find_map(|l| l.strip_prefix("Session:"))
        .map(|v| v.split(';').next().unwrap().trim().to_string())
        .expect("Session header");
    request(
        &mut s,
        &mut cseq,
        "PLAY",
        url,
        &format!("Session: {session}\r\nRange: npt=0-\r\n"),
    );
    let mut sess = bare_session(rtp, rtcp);
    sess.rtsp = Some((s, url.to_string(), session, cseq));
    sess
}

/// A drain socket pair with no RTSP session (for the bare GSO sender).
fn bare_session(rtp: UdpSocket, rtcp: UdpSocket) -> Session {
    rtp.set_nonblocking(true).unwrap();
    // Room for a second of a 5 Mbit/s stream per client.
    let _ = nix::sys::socket::setsockopt(&rtp, nix::sys::socket::sockopt::RcvBufForce, &(1 << 20));
    if ISOLATED.load(Ordering::Relaxed) {
        // A GSO batch then arrives whole, one read per frame, so the drain's
        // core keeps up with thousands of clients. Individual datagrams
        // (GStreamer's) are not coalesced on loopback.
        nix::sys::socket::setsockopt(&rtp, nix::sys::socket::sockopt::UdpGroSegment, &true)
            .expect("UDP_GRO");
    }
    Session {
        rtsp: None,
        kept: Instant::now(),
        rtp: mio::net::UdpSocket::from_std(rtp),
        rtcp: {
            rtcp.set_nonblocking(true).unwrap();
            mio::net::UdpSocket::from_std(rtcp)
        },
        sr: None,
        arrivals: Vec::with_capacity(1024),
        received: 0,
        first: None,
        highest: 0,
        last_seq: 0,
        frames: 0,
        frame_ts: None,
    }
}

/// Sends GET_PARAMETER (RFC 2326 §10.8) on sessions quiet for 15 s; the
/// responses are left unread (a few hundred bytes each).
fn keep_alive(sessions: &mut [Session]) {
    for s in sessions {
        if s.kept.elapsed() < Duration::from_secs(15) {
            continue;
        }
        s.kept = Instant::now();
        if let Some((tcp, url, id, cseq)) = s.rtsp.as_mut() {
            *cseq += 1;
            let req =
                format!("GET_PARAMETER {url} RTSP/1.0\r\nCSeq: {cseq}\r\nSession: {id}\r\n\r\n");
            let _ = tcp.write_all(req.as_bytes());
        }
    }
}

/// What the drain client measures.
enum Target<'a> {
    /// An RTSP server.
    Rtsp(&'a Server),
    /// The bare GSO sender, started on the drain's ports (the clip path).
    Bare(&'a Path),
}

/// Sends due keep-alives, waits up to 20 ms for traffic and reads it all:
/// sender reports always, RTP packets counted when `counting` (else read
/// and dropped, to keep the queues short).
fn drain(
    poll: &mut Poll,
    events: &mut Events,
    sessions: &mut [Session],
    buf: &mut [u8],
    counting: bool,
) {
    keep_alive(sessions);
    poll.poll(events, Some(Duration::from_millis(20))).unwrap();
    for ev in events.iter() {
        let s = &mut sessions[ev.token().0 / 2];
        if ev.token().0 % 2 == 1 {
            read_rtcp(s, buf);
            continue;
        }
        while let Ok((len, seg)) = recv_gro(&s.rtp, buf) {
            if !counting {
                continue;
            }
            // With UDP_GRO one read may hold several datagrams of `seg`
            // bytes each (the last one shorter).
            for d in buf[..len].chunks(seg.max(1)) {
                let header = rtp::Packet::new_checked(d).and_then(|p| rtp::Repr::parse(&p));
                if let Ok(h) = header {
                    s.count(h.sequence.0, h.marker, h.timestamp.0);
                }
            }
        }
    }
}

/// Opens `n` sessions, drains for a second, then measures `secs` seconds.
fn measure(target: Target, n: usize, secs: u64) -> Run {
    let mut poll = Poll::new().unwrap();
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
    let pid = server.child.id();
    let warm_end = Instant::now() + Duration::from_secs(1);
    let mut window: Option<(Instant, f64)> = None;
    let mut own0 = 0.0;
    let mut busy0 = [(0u64, 0u64); 2];
    let end_after = Duration::from_secs(secs);
    loop {
        let now = Instant::now();
        if window.is_none() && now >= warm_end {
            for s in &mut sessions {
                // What queued up while the sessions were opening is not
                // part of the window.
                while recv_gro(&s.rtp, &mut buf).is_ok() {}
                s.received = 0;
                s.first = None;
                s.frames = 0;
                s.frame_ts = None;
                s.arrivals.clear();
            }
            window = Some((now, cpu_secs(pid)));
            own0 = cpu_secs(std::process::id());
            busy0 = cpu_times();
        }
        if let Some((t0, _)) = window {
            if now.duration_since(t0) >= end_after {
                break;
            }
        }
        drain(&mut poll, &mut events, &mut sessions, &mut buf, true);
    }
    let (t0, cpu0) = window.unwrap();
    let cpu = cpu_secs(pid) - cpu0;
    let client_cpu = cpu_secs(std::process::id()) - own0;
    let busy1 = cpu_times();
    let busy = [0, 1].map(|i| {
        let (b, t) = (busy1[i].0 - busy0[i].0, busy1[i].1 - busy0[i].1);
        b as f64 / t.max(1) as f64
    });
    let secs = t0.elapsed().as_secs_f64();
    let rss = rss_kb(pid);
    // The first sender report comes 5 s after PLAY (both servers): wait
    // for one per session, a few seconds at most, to place frames in time.
    if matches!(target, Target::Rtsp(_)) {
        let end = Instant::now() + Duration::from_secs(8);
        while sessions.iter().any(|s| s.sr.is_none()) && Instant::now() < end {
            drain(&mut poll, &mut events, &mut sessions, &mut buf, false);
        }
    }
    let latency = latency(&sessions);
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
    for s in &sessions {
        frames += s.frames;
        if let Some((a, b)) = s.frame_ts {
            // The clip is 25 fps: 3 600 ticks of the 90 kHz clock a frame.
            frames_expected += (f64::from(b.wrapping_sub(a)) / 3600.0).round() as u64 + 1;
        }
        packets += s.received;
        if let Some(first) = s.first {
            let expected = (s.highest - first + 1).max(0) as u64;
            lost += expected.saturating_sub(s.received);
        }
    }
    Run {
        clients: n,
        packets,
        lost,
        cpu_secs: cpu,
        secs,
        rss_kb: rss,
        client_cpu,
        busy,
        latency,
        frames,
        frames_expected,
    }
}

fn make_clip(dir: &Path) -> PathBuf {
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

fn print_run(name: &str, r: &Run) {
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
fn series(name: &'static str, run: &dyn Fn(usize) -> Run, args: &Args) -> Vec<Run> {
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

fn summary(name: &str, runs: &[Run]) -> (Option<usize>, HashMap<usize, f64>) {
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

/// The bare GSO sender: every frame of `clip` cut into RTP/JPEG-sized
/// datagrams (12-byte RTP + 8-byte JPEG header, 1400 bytes), sent to each
/// port on 127.0.0.1 with one `sendto` per frame and UDP_SEGMENT set once,
/// paced at 25 fps. Only the sequence numbers are patched per client.
fn bare_send(clip: &Path, ports: &[u16]) -> ! {
    const MTU: usize = 1400;
    const HDR: usize = 20;
    let data = std::fs::read(clip).expect("read the clip");
    let mut frames = Vec::new();
    let mut at = 0;
    while let Some(soi) = find(&data[at..], &[0xff, 0xd8]).map(|i| at + i) {
        let Some(eoi) = find(&data[soi + 2..], &[0xff, 0xd9]) else {
            break;
        };
        frames.push(&data[soi..soi + 2 + eoi + 2]);
        at = soi + 2 + eoi + 2;
    }
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let _ =
        nix::sys::socket::setsockopt(&sock, nix::sys::socket::sockopt::SndBufForce, &(32 << 20));
    nix::sys::socket::setsockopt(
        &sock,
        nix::sys::socket::sockopt::UdpGsoSegment,
        &(MTU as i32),
    )
    .expect("UDP_SEGMENT");
    let per_call = (65_000 / MTU).min(64);
    let mut seqs = vec![0u16; ports.len()];
    let mut buf = vec![0u8; 4 << 20];
    let period = Duration::from_micros(40_000);
    let mut due = Instant::now();
    for k in 0usize.. {
        let f = frames[k % frames.len()];
        // Lay the frame out once: headers then payload chunks.
        let mut len = 0;
        let mut count = 0;
        for chunk in f.chunks(MTU - HDR) {
            let p = &mut buf[len..len + HDR + chunk.len()];
            p[..HDR].fill(0);
            p[0] = 0x80;
            p[1] = 26;
            p[4..8].copy_from_slice(&((k as u32).wrapping_mul(3600)).to_be_bytes());
            p[HDR..].copy_from_slice(chunk);
            len += HDR + chunk.len();
            count += 1;
        }
        let last = (count - 1) * MTU;
        buf[last + 1] |= 0x80; // marker on the last packet
        for (port, seq) in ports.iter().zip(&mut seqs) {
            for i in 0..count {
                buf[i * MTU + 2..i * MTU + 4]
                    .copy_from_slice(&seq.wrapping_add(i as u16).to_be_bytes());
            }
            *seq = seq.wrapping_add(count as u16);
            for c in buf[..len].chunks(per_call * MTU) {
                let _ = sock.send_to(c, ("127.0.0.1", *port));
            }
        }
        buf[last + 1] &= 0x7f;
        due += period;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    unreachable!()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Runs this benchmark again inside a new network namespace whose loopback
/// steers every received packet to [`DRAIN_CPU`] (RPS), pinned to that CPU
/// itself; then removes the namespace. On loopback the kernel otherwise
/// does the receiver's work (IP and UDP input, socket queueing, wake-ups)
/// inside the sender's `sendmsg`, charging it to the sender: there a sender
/// pays for its receivers, which on a network it never does.
fn isolate() -> ! {
    let sh = |cmd: &mut Command| {
        let st = cmd
            .status()
            .unwrap_or_else(|e| panic!("--isolate: {cmd:?}: {e}"));
        assert!(
            st.success(),
            "--isolate: {cmd:?} failed (root and iproute2 are needed)"
        );
    };
    assert!(
        std::thread::available_parallelism().map_or(0, |n| n.get()) >= 2,
        "--isolate needs two CPUs"
    );
    let ns = format!("rtsp-load-{}", std::process::id());
    sh(Command::new("ip").args(["netns", "add", &ns]));
    // RPS queues packets for the drain's CPU, at most netdev_max_backlog
    // (1 000) of them; GStreamer sends each packet to every client back to
    // back, a burst of 20 × N packets a frame, which would be dropped there
    // and counted against it. The sysctl is global: raised for the run and
    // restored after.
    const BACKLOG: &str = "/proc/sys/net/core/netdev_max_backlog";
    let backlog = std::fs::read_to_string(BACKLOG).expect("read netdev_max_backlog");
    /// Deletes the namespace and restores the backlog however the run ends.
    struct Netns(String, String);
    impl Drop for Netns {
        fn drop(&mut self) {
            let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
            let _ = std::fs::write(BACKLOG, &self.1);
        }
    }
    let guard = Netns(ns.clone(), backlog);
    std::fs::write(BACKLOG, "1000000").expect("raise netdev_max_backlog (root is needed)");
    sh(Command::new("ip").args(["-n", &ns, "link", "set", "lo", "up"]));
    let mask = 1u32 << DRAIN_CPU.parse::<u32>().unwrap();
    sh(Command::new("ip")
        .args(["netns", "exec", &ns, "sh", "-c"])
        .arg(format!(
            "echo {mask:x} > /sys/class/net/lo/queues/rx-0/rps_cpus"
        )));
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--isolate")
        .collect();
    let st = Command::new("ip")
        .args(["netns", "exec", &ns, "taskset", "-c", DRAIN_CPU])
        .arg(std::env::current_exe().unwrap())
        .arg("--in-netns")
        .args(args)
        .status()
        .expect("run the isolated benchmark");
    drop(guard);
    std::process::exit(st.code().unwrap_or(1));
}

fn main() {
    let args = Args::parse();
    if let Some((clip, ports)) = args.bare_send.split_first() {
        let ports: Vec<u16> = ports.iter().map(|p| p.parse().expect("port")).collect();
        bare_send(Path::new(clip), &ports);
    }
    if args.isolate {
        isolate();
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
