//! Harness for the end-to-end tests: free ports, child processes stopped by
//! PID when dropped, waiting on conditions (never fixed sleeps), and finding
//! real peers (a missing peer fails the test, it is never skipped).

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Generous deadline for anything on a busy 2-core CI machine.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The workspace root (parent of `tests/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Path of a workspace binary built by `cargo build` (debug profile unless
/// `RTSP_E2E_PROFILE=release`). The test command builds them first.
pub fn bin(name: &str) -> PathBuf {
    let profile = std::env::var("RTSP_E2E_PROFILE").unwrap_or_else(|_| "debug".into());
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace_root().join("target"));
    let p = target.join(profile).join(name);
    let built = std::fs::metadata(&p).and_then(|m| m.modified());
    let Ok(built) = built else {
        panic!(
            "{} is not built: run `cargo build --workspace --bins` first",
            p.display()
        );
    };
    // This crate runs the binary, it does not build it: a binary older than
    // the sources would test old code and pass or fail for nothing.
    if let Some(newer) = newest_source(name).filter(|(t, _)| *t > built) {
        panic!(
            "{} is older than {}: run `cargo build --workspace --bins` first",
            p.display(),
            newer.1.display()
        );
    }
    p
}

/// The most recently modified source file of the crates binary `name` is
/// built from (its package and the core).
fn newest_source(name: &str) -> Option<(std::time::SystemTime, PathBuf)> {
    let package = match name {
        "rtsp-client" => "host-client/src",
        _ => "host-server/src",
    };
    let root = workspace_root();
    let mut newest = None;
    for dir in ["core/src", package] {
        newest_in(&root.join(dir), &mut newest);
    }
    newest
}

fn newest_in(dir: &Path, newest: &mut Option<(std::time::SystemTime, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            newest_in(&path, newest);
        } else if let Ok(t) = e.metadata().and_then(|m| m.modified()) {
            if newest.as_ref().is_none_or(|(n, _)| t > *n) {
                *newest = Some((t, path));
            }
        }
    }
}

/// The files in `dir`, sorted by name (saved or recorded frames are
/// numbered, so this is their order).
pub fn sorted_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// The contents of the files in `dir`, in [`sorted_files`] order.
pub fn read_sorted(dir: &Path) -> Vec<Vec<u8>> {
    sorted_files(dir)
        .iter()
        .map(|f| std::fs::read(f).unwrap())
        .collect()
}

/// Finds a real peer program on PATH; a missing peer fails the test.
pub fn peer(program: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(program);
        if p.is_file() {
            return p;
        }
    }
    panic!("peer `{program}` not found on PATH: run the README test command, which installs it");
}

/// A TCP port free on 127.0.0.1 right now.
pub fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An even UDP port whose successor is also free (an RTP/RTCP pair).
pub fn free_udp_pair() -> u16 {
    for _ in 0..200 {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let p = a.local_addr().unwrap().port();
        if p % 2 == 0 && p < 65534 && UdpSocket::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
    panic!("no free UDP port pair");
}

/// A child process whose stdout and stderr lines are collected, killed by
/// PID when dropped.
#[derive(Debug)]
pub struct Proc {
    pub child: Child,
    pub name: String,
    lines: Arc<Mutex<Vec<String>>>,
    rx: mpsc::Receiver<String>,
    /// Output pipes read to their end (stdout and stderr: 2 when done).
    closed: Arc<AtomicUsize>,
}

impl Proc {
    /// Starts `cmd` with piped output.
    pub fn spawn(name: &str, cmd: &mut Command) -> Proc {
        cmd.stdin(Stdio::null());
        Proc::start(name, cmd)
    }

    /// Starts `cmd` with piped output and its standard input for the caller
    /// to write (a live source); closing it ends the input.
    pub fn spawn_with_stdin(name: &str, cmd: &mut Command) -> (Proc, std::process::ChildStdin) {
        cmd.stdin(Stdio::piped());
        let mut p = Proc::start(name, cmd);
        let stdin = p.child.stdin.take().expect("piped");
        (p, stdin)
    }

    fn start(name: &str, cmd: &mut Command) -> Proc {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().expect("piped");
        let err = child.stderr.take().expect("piped");
        let closed = Arc::new(AtomicUsize::new(0));
        pump(out, lines.clone(), tx.clone(), closed.clone());
        pump(err, lines.clone(), tx, closed.clone());
        Proc {
            child,
            name: name.into(),
            lines,
            rx,
            closed,
        }
    }

    /// Waits until a line containing `needle` is printed; returns it.
    pub fn wait_for_line(&self, needle: &str, deadline: Duration) -> String {
        let end = Instant::now() + deadline;
        if let Some(l) = self
            .lines
            .lock()
            .unwrap()
            .iter()
            .find(|l| l.contains(needle))
        {
            return l.clone();
        }
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(l) if l.contains(needle) => return l,
                Ok(_) => {}
                Err(_) => panic!(
                    "{}: no line containing {needle:?} within {deadline:?}; output so far:\n{}",
                    self.name,
                    self.output()
                ),
            }
        }
    }

    /// Everything printed so far.
    pub fn output(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Waits for the process to exit by itself.
    pub fn wait_exit(&mut self, deadline: Duration) -> std::process::ExitStatus {
        let end = Instant::now() + deadline;
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                // Let the pump threads drain the pipes (a grandchild that
                // inherited them may keep them open: not for long).
                let _ = wait_until(Duration::from_secs(2), || {
                    self.closed.load(Ordering::Acquire) == 2
                });
                return st;
            }
            if Instant::now() > end {
                panic!(
                    "{} did not exit within {deadline:?}; output:\n{}",
                    self.name,
                    self.output()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGINT (as Ctrl-C would) to this process by its PID.
    pub fn interrupt(&self) {
        let _ = Command::new("kill")
            .arg("-INT")
            .arg(self.child.id().to_string())
            .status();
    }
}

/// Lines of a process's output shown when a test fails with it running.
const OUTPUT_ON_FAILURE: usize = 300;

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failing test says what its processes said: the last lines of
        // each, so a peer's complaint comes with the server's side of it.
        if thread::panicking() {
            let lines = self.lines.lock().map(|l| l.clone()).unwrap_or_default();
            let from = lines.len().saturating_sub(OUTPUT_ON_FAILURE);
            eprintln!(
                "---- last {} lines of {} ----",
                lines.len() - from,
                self.name
            );
            for l in &lines[from..] {
                eprintln!("{l}");
            }
        }
    }
}

fn pump(
    r: impl Read + Send + 'static,
    lines: Arc<Mutex<Vec<String>>>,
    tx: mpsc::Sender<String>,
    closed: Arc<AtomicUsize>,
) {
    thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            lines.lock().unwrap().push(line.clone());
            let _ = tx.send(line);
        }
        closed.fetch_add(1, Ordering::Release);
    });
}

/// Polls `cond` every 20 ms until it holds or `deadline` passes.
pub fn wait_until(deadline: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + deadline;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    cond()
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`.
pub fn wait_for_tcp(port: u16, deadline: Duration) {
    assert!(
        wait_until(deadline, || std::net::TcpStream::connect((
            "127.0.0.1",
            port
        ))
        .is_ok()),
        "nothing listens on 127.0.0.1:{port} after {deadline:?}"
    );
}

/// A fresh scratch directory under the target dir, removed on drop.
#[derive(Debug)]
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let base = std::env::temp_dir().join(format!(
            "rtsp-e2e-{tag}-{}-{}",
            std::process::id(),
            unique()
        ));
        std::fs::create_dir_all(&base).unwrap();
        Scratch(base)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("RTSP_E2E_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Runs `gst-launch-1.0 -e PIPELINE` to its end and panics, with its
/// output, unless it played to EOS with no error (see [`gst_played`]).
pub fn gst_launch(tag: &str, pipeline: &str) {
    let mut cmd = Command::new(peer("gst-launch-1.0"));
    cmd.arg("-e").args(pipeline.split_whitespace());
    let mut gst = Proc::spawn(&format!("gst-launch-1.0 {tag}"), &mut cmd);
    gst.wait_exit(DEADLINE);
    let out = gst.output();
    if let Err(why) = gst_played(&out) {
        panic!("{tag}: gst-launch: {why}:\n{out}");
    }
}

/// Checks what a `gst-launch-1.0 -e … identity eos-after=N …` run printed:
/// it reached EOS with no error or decoder warning before it. After EOS,
/// while the pipeline shuts down, rtspsrc (GStreamer 1.22) can race its own
/// PAUSE against its TEARDOWN and fail to send on the connection it has
/// just closed ("Could not send message. (Received end-of-file)"), which
/// also makes gst-launch exit non-zero; that one error, after every frame
/// was played, is no fault of the stream and is let through. Returns the
/// reason otherwise.
pub fn gst_played(out: &str) -> Result<(), String> {
    let Some(eos) = out.find("Got EOS from element") else {
        return Err("no EOS".into());
    };
    let (played, shutdown) = out.split_at(eos);
    if played.contains("ERROR") {
        return Err("an error before EOS".into());
    }
    if played
        .lines()
        .any(|l| l.contains("WARNING") && l.contains("jpegdec"))
    {
        return Err("a decoder warning before EOS".into());
    }
    let errors = shutdown.matches("ERROR").count();
    let races = shutdown.matches("(Received end-of-file)").count();
    if errors > races {
        return Err("an error at shutdown other than rtspsrc's send race".into());
    }
    Ok(())
}

/// Splits concatenated JPEGs at each SOI that follows an EOI (independent
/// of the core's splitter).
pub fn split_jpegs(data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut start = None;
    let mut i = 0;
    while i + 1 < data.len() {
        if data[i] == 0xff && data[i + 1] == 0xd8 && start.is_none() {
            start = Some(i);
        }
        if data[i] == 0xff && data[i + 1] == 0xd9 {
            if let Some(s) = start.take() {
                out.push(data[s..i + 2].to_vec());
            }
        }
        i += 1;
    }
    out
}

/// The entropy-coded segment of a baseline JPEG: from after the SOS header
/// to the final EOI (T.81 §B.2.3, §B.1.1.5).
pub fn ecs(jpeg: &[u8]) -> Vec<u8> {
    let mut p = 2;
    loop {
        assert!(p + 4 <= jpeg.len(), "no SOS");
        assert_eq!(jpeg[p], 0xff, "marker expected at {p}");
        let marker = jpeg[p + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[p + 2], jpeg[p + 3]]));
        if marker == 0xda {
            let end = jpeg.len() - 2;
            assert_eq!(&jpeg[end..], [0xff, 0xd9], "ends with EOI");
            return jpeg[p + 2 + len..end].to_vec();
        }
        p += 2 + len;
    }
}

/// Pulls `url` with ffmpeg (`-rtsp_transport transport`) for `secs`: every
/// frame decoded (`framecrc`, one line each, no frame-rate conversion)
/// and, from the same session, the frames as they came (`-c copy -f
/// mjpeg`, split into JPEGs). Fails on any ffmpeg error or decoder
/// complaint.
pub fn ffmpeg_copy_pull(
    scratch: &Scratch,
    tag: &str,
    url: &str,
    transport: &str,
    secs: u32,
) -> (Vec<String>, Vec<Vec<u8>>) {
    let copy = scratch.path(&format!("{tag}.received.mjpeg"));
    let t = secs.to_string();
    let out = Command::new(peer("ffmpeg"))
        .args(["-nostdin", "-v", "error", "-rtsp_transport", transport])
        .args(["-timeout", "10000000", "-i", url])
        .args(["-map", "0:v", "-t", &t, "-c", "copy", "-f", "mjpeg", "-y"])
        .arg(&copy)
        // Each frame received decoded once: no frame-rate conversion.
        .args(["-map", "0:v", "-t", &t, "-fps_mode", "passthrough"])
        .args(["-f", "framecrc", "-"])
        .output()
        .expect("run ffmpeg");
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{tag}: ffmpeg failed: {errors}");
    assert!(errors.trim().is_empty(), "{tag}: decoder errors:\n{errors}");
    let decoded = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    (decoded, split_jpegs(&std::fs::read(&copy).unwrap()))
}
