//! Shared by the qemu-demo tests: building and booting the firmware under
//! QEMU, a minimal blocking RTSP/1.0 client (RFC 2326 §6, §7) to drive the
//! dialogue by hand, an RTP receiver on 127.0.0.1, and the clip's frames.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use rtsp_e2e::{free_tcp_port, peer, workspace_root, Proc, DEADLINE};

/// The firmware's directory.
pub fn demo_dir() -> PathBuf {
    workspace_root().join("qemu-demo")
}

/// Builds the firmware (`cargo build --release` in qemu-demo/, its own
/// target dir and lock file) once per test process; returns the ELF.
pub fn firmware() -> PathBuf {
    static ELF: OnceLock<PathBuf> = OnceLock::new();
    ELF.get_or_init(|| build_firmware(None)).clone()
}

/// User and password of [`firmware_with_login`].
pub const LOGIN: (&str, &str) = ("viewer", "m3-s3cret");

/// The firmware built with `RTSP_USER`/`RTSP_PASSWORD` set to [`LOGIN`]
/// (qemu-demo/README.md), in its own target dir (`target/login`), so it
/// never replaces the ELF other tests boot.
pub fn firmware_with_login() -> PathBuf {
    static ELF: OnceLock<PathBuf> = OnceLock::new();
    ELF.get_or_init(|| build_firmware(Some(LOGIN))).clone()
}

/// The firmware built to publish its clip to `url` (`--features push`,
/// `PUSH_URL`, qemu-demo/README.md), in its own target dir
/// (`target/push`), so it never replaces the ELF other tests boot. The URL
/// is read at build time: a new one rebuilds the firmware crate.
pub fn firmware_push(url: &str) -> PathBuf {
    static BUILD: Mutex<()> = Mutex::new(());
    let _one_at_a_time = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    build("target/push", &[("PUSH_URL", url)], &["--features", "push"])
}

fn build_firmware(login: Option<(&str, &str)>) -> PathBuf {
    match login {
        Some((user, password)) => build(
            "target/login",
            &[("RTSP_USER", user), ("RTSP_PASSWORD", password)],
            &[],
        ),
        None => build("target", &[], &[]),
    }
}

/// `cargo build --release` of the firmware into `target_dir` (relative to
/// qemu-demo/) with `env` set and `args` added; returns the ELF.
fn build(target_dir: &str, env: &[(&str, &str)], args: &[&str]) -> PathBuf {
    let dir = demo_dir();
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(["build", "--release", "--quiet", "--target-dir", target_dir])
        .args(args);
    for var in ["RTSP_USER", "RTSP_PASSWORD", "PUSH_URL"] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    let status = cmd
        .current_dir(&dir)
        // The firmware's .cargo/config.toml sets target, linker scripts
        // and runner; the host test run's overrides must not leak in.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .status()
        .expect("cargo runs");
    assert!(status.success(), "qemu-demo firmware build failed");
    let elf = dir
        .join(target_dir)
        .join("thumbv7m-none-eabi/release/qemu-demo");
    assert!(elf.exists(), "{} missing after build", elf.display());
    elf
}

/// A running guest: QEMU (its PID is `run.sh`'s, which execs QEMU) with the
/// decoded defmt log as its output.
pub struct Guest {
    pub proc: Proc,
    pub port: u16,
}

impl Guest {
    /// Boots the firmware with `args` (see qemu-demo/src/config.rs) on a free
    /// host port and waits for its "ready:" log line (announced after the
    /// RTSP sockets listen).
    pub fn boot(args: &str) -> Guest {
        Self::boot_elf(&firmware(), args)
    }

    /// Boots `elf` (a [`firmware`] build) as [`Guest::boot`] does.
    pub fn boot_elf(elf: &std::path::Path, args: &str) -> Guest {
        peer("qemu-system-arm");
        peer("defmt-print");
        let port = free_tcp_port();
        let mut cmd = Command::new("bash");
        cmd.arg(demo_dir().join("run.sh"))
            .arg(elf)
            .env("QEMU_DEMO_PORT", port.to_string())
            .env("QEMU_DEMO_ARGS", args);
        let proc = Proc::spawn("qemu-demo", &mut cmd);
        proc.wait_for_line("ready:", DEADLINE);
        Guest { proc, port }
    }

    /// The presentation URL through the forwarded port.
    pub fn url(&self) -> String {
        format!("rtsp://127.0.0.1:{}/movie.Mjpeg", self.port)
    }

    /// Fails the test if the firmware has exited (a panic or fault exits
    /// QEMU with a failure code) or logged a panic/fault/error.
    pub fn assert_alive(&mut self) {
        if let Some(status) = self.proc.child.try_wait().unwrap() {
            panic!("firmware exited ({status}); log:\n{}", self.proc.output());
        }
        let log = self.proc.output();
        for bad in ["panic", "HardFault", "unexpected exception", "ERROR"] {
            assert!(!log.contains(bad), "firmware logged {bad:?}:\n{log}");
        }
    }
}

/// An RTSP response as the test sees it.
#[derive(Debug)]
pub struct Response {
    pub code: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Response {
    /// The value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }

    /// The session id from `Session: id;timeout=..`.
    pub fn session(&self) -> String {
        let s = self
            .header("Session")
            .unwrap_or_else(|| panic!("no Session header in\n{}", self.head));
        s.split(';').next().unwrap().trim().to_string()
    }
}

/// A blocking RTSP/1.0 client on one TCP connection.
pub struct Rtsp {
    pub stream: TcpStream,
    pub cseq: u32,
    pub url: String,
    pub buf: Vec<u8>,
}

impl Rtsp {
    pub fn connect(guest: &Guest) -> Rtsp {
        let stream =
            TcpStream::connect(("127.0.0.1", guest.port)).expect("connect to forwarded RTSP port");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Rtsp {
            stream,
            cseq: 0,
            url: guest.url(),
            buf: Vec::new(),
        }
    }

    /// Connects once a client slot is free: a slot still closing its last
    /// connection turns clients away (503 or a reset) for a few ms.
    pub fn connect_ready(guest: &Guest) -> Rtsp {
        let end = Instant::now() + DEADLINE;
        loop {
            let mut r = Rtsp::connect(guest);
            r.cseq += 1;
            let req = format!("OPTIONS {} RTSP/1.0\r\nCSeq: {}\r\n\r\n", r.url, r.cseq);
            r.send_raw(req.as_bytes());
            if r.try_read_response().is_some_and(|resp| resp.code == 200) {
                return r;
            }
            assert!(
                Instant::now() < end,
                "no free client slot within {DEADLINE:?}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `METHOD url RTSP/1.0` with CSeq and `headers`; returns the response.
    pub fn request(&mut self, method: &str, url: &str, headers: &[(&str, &str)]) -> Response {
        self.cseq += 1;
        let mut req = format!(
            "{method} {url} RTSP/1.0\r\nCSeq: {}\r\nUser-Agent: qemu-demo-test\r\n",
            self.cseq
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        self.send_raw(req.as_bytes());
        let resp = self.read_response();
        assert_eq!(
            resp.header("CSeq").as_deref(),
            Some(self.cseq.to_string().as_str()),
            "CSeq echoed: {}",
            resp.head
        );
        resp
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send to guest");
    }

    /// Reads one response (skipping `$` interleaved frames, RFC 2326 §10.12).
    pub fn read_response(&mut self) -> Response {
        match self.read_response_inner() {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like `read_response`, `None` if the connection fails.
    pub fn try_read_response(&mut self) -> Option<Response> {
        self.read_response_inner().ok()
    }

    fn read_response_inner(&mut self) -> Result<Response, String> {
        loop {
            if self.buf.first() == Some(&b'$') && self.buf.len() >= 4 {
                let len = 4 + usize::from(u16::from_be_bytes([self.buf[2], self.buf[3]]));
                if self.buf.len() >= len {
                    self.buf.drain(..len);
                    continue;
                }
            } else if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                let mut r = Response {
                    code: 0,
                    head,
                    body: Vec::new(),
                };
                let len: usize = r.header("Content-Length").map_or(0, |v| v.parse().unwrap());
                if self.buf.len() >= end + 4 + len {
                    r.body = self.buf[end + 4..end + 4 + len].to_vec();
                    self.buf.drain(..end + 4 + len);
                    let status = r.head.lines().next().unwrap_or_default().to_string();
                    assert!(status.starts_with("RTSP/1.0 "), "status line: {status:?}");
                    r.code = status[9..12].parse().unwrap();
                    return Ok(r);
                }
            }
            let mut chunk = [0u8; 4096];
            let n = self
                .stream
                .read(&mut chunk)
                .map_err(|e| format!("read response from guest: {e}"))?;
            if n == 0 {
                let so_far = String::from_utf8_lossy(&self.buf);
                return Err(format!(
                    "guest closed the connection; got so far: {so_far:?}"
                ));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// SETUP for RTP over UDP to 127.0.0.1:`rtp_port` (and +1 for RTCP).
    pub fn setup_udp(&mut self, rtp_port: u16) -> Response {
        let transport = format!("RTP/AVP;unicast;client_port={}-{}", rtp_port, rtp_port + 1);
        let url = self.url.clone();
        self.request("SETUP", &url, &[("Transport", &transport)])
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One RTP packet as received: fixed header fields (RFC 3550 §5.1).
#[derive(Clone, Copy, Debug)]
pub struct RtpSeen {
    pub seq: u16,
    pub timestamp: u32,
    pub marker: bool,
    pub payload_type: u8,
    pub at: Instant,
}

/// Receives RTP (and RTCP on the next port) on 127.0.0.1 in threads and
/// records every packet.
pub struct RtpReceiver {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<RtpSeen>>>,
    /// Packet types (RFC 3550 §12.1: 200 SR, 202 SDES, 203 BYE) of every
    /// RTCP packet in every compound datagram received.
    pub rtcp_types: Arc<Mutex<Vec<u8>>>,
    stop: Arc<AtomicBool>,
}

impl RtpReceiver {
    pub fn bind() -> RtpReceiver {
        let port = rtsp_e2e::free_udp_pair();
        let socket = UdpSocket::bind(("127.0.0.1", port)).expect("bind RTP port");
        let rtcp = UdpSocket::bind(("127.0.0.1", port + 1)).expect("bind RTCP port");
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        rtcp.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let rtcp_types = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (seen.clone(), stop.clone());
        thread::spawn(move || {
            let mut buf = [0u8; 2048];
            while !st.load(Ordering::Relaxed) {
                if let Ok(n) = socket.recv(&mut buf) {
                    if n >= 12 {
                        s.lock().unwrap().push(RtpSeen {
                            seq: u16::from_be_bytes([buf[2], buf[3]]),
                            timestamp: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
                            marker: buf[1] & 0x80 != 0,
                            payload_type: buf[1] & 0x7f,
                            at: Instant::now(),
                        });
                    }
                }
            }
        });
        let (types, st) = (rtcp_types.clone(), stop.clone());
        thread::spawn(move || {
            let mut buf = [0u8; 2048];
            while !st.load(Ordering::Relaxed) {
                if let Ok(n) = rtcp.recv(&mut buf) {
                    // Walk the compound packet by its length fields (§6.1).
                    let mut at = 0;
                    while at + 4 <= n {
                        types.lock().unwrap().push(buf[at + 1]);
                        at += 4 * (1 + usize::from(u16::from_be_bytes([buf[at + 2], buf[at + 3]])));
                    }
                }
            }
        });
        RtpReceiver {
            port,
            seen,
            rtcp_types,
            stop,
        }
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    pub fn packets(&self) -> Vec<RtpSeen> {
        self.seen.lock().unwrap().clone()
    }
}

impl RtpReceiver {
    /// Whether an RTCP packet of type `pt` has arrived.
    pub fn got_rtcp(&self, pt: u8) -> bool {
        self.rtcp_types.lock().unwrap().contains(&pt)
    }
}

impl Drop for RtpReceiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The clip's frames as the firmware holds them (qemu-demo/clip.mjpeg).
pub fn clip_frames() -> Vec<Vec<u8>> {
    let bytes = std::fs::read(demo_dir().join("clip.mjpeg")).expect("qemu-demo/clip.mjpeg");
    rtsp_core::mjpeg::Frames::new(&bytes)
        .map(|f| f.expect("clip frame").to_vec())
        .collect()
}

/// Scan data (RFC 2435 §3.1.9: what RTP/JPEG carries) of one JPEG frame.
pub fn scan_data(jpeg: &[u8]) -> Vec<u8> {
    rtsp_core::jpeg::Frame::parse(jpeg)
        .expect("a frame RFC 2435 carries")
        .scan_data()
        .to_vec()
}

/// Waits up to `deadline` for `cond`, for conditions on received packets.
pub fn eventually(deadline: Duration, cond: impl FnMut() -> bool) -> bool {
    rtsp_e2e::wait_until(deadline, cond)
}

/// Mean frames/s expected from the clip (qemu-demo/src/clip.rs FPS).
pub const CLIP_FPS: f64 = 10.0;
/// Clip frame size.
pub const CLIP_WIDTH: u32 = 320;
pub const CLIP_HEIGHT: u32 = 240;

/// Seconds since `t`.
pub fn secs_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// Numbers from the firmware's `stats:` log lines: (playing, statics, stack peak).
pub fn stats_lines(log: &str) -> Vec<(u32, usize, usize)> {
    let field = |line: &str, key: &str| -> Option<usize> {
        let rest = &line[line.find(key)? + key.len()..];
        rest.split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    log.lines()
        .filter(|l| l.contains("stats:"))
        .filter_map(|l| {
            Some((
                field(l, "playing=")? as u32,
                field(l, "statics=")?,
                field(l, "stack_peak=")?,
            ))
        })
        .collect()
}
