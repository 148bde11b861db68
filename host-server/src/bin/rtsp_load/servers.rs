//! The senders under test, started on free ports and stopped by PID: our
//! `rtsp-server` and GStreamer's RTSP server (`bench/gst_clip_server.py`).

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::sender_cmd;

/// A started server, killed by PID when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP port free on 127.0.0.1 now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on `port` (30 s at most).
fn wait_port(port: u16) {
    let end = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < end, "server on port {port} did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Our server on `clip_dir`, with `extra` arguments.
pub(crate) fn start_ours(clip_dir: &Path, extra: &[String]) -> Server {
    let mut args = vec!["--media".into(), clip_dir.as_os_str().to_owned()];
    args.extend(extra.iter().map(Into::into));
    spawn_ours(&args)
}

/// Our server relaying `origin` (`--pull clip.mjpeg=URL`, on demand) at
/// the same path, so the drain opens it like any server.
pub(crate) fn start_relay(origin: &Server, extra: &[String]) -> Server {
    let mut args = vec!["--pull".into(), format!("clip.mjpeg={}", origin.url).into()];
    args.extend(extra.iter().map(Into::into));
    spawn_ours(&args)
}

/// Our rtsp-server on a free port with `args`, serving `/clip.mjpeg`.
fn spawn_ours(args: &[std::ffi::OsString]) -> Server {
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
        .args(args)
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

pub(crate) fn start_gst(clip: &Path) -> Server {
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
