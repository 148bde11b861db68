//! `rtsp-server`: serves MJPEG clips and live MJPEG over RTSP (RFC 2326) and
//! RTP/JPEG (RFC 3550, RFC 2435) on std sockets.
//!
//! All protocol logic lives in `rtsp-core`; this binary is the socket loop
//! (`server`), the media sources (`media`, `live`), the UDP send path
//! (`udp`) and the command line (`cli`).

mod banner;
mod cli;
mod live;
mod media;
mod outbuf;
mod stream;
mod udp;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    let args = cli::Args::parse();
    init_logging();
    tracing::info!("rtsp-server on port {}", args.rtsp_port());
    std::process::ExitCode::SUCCESS
}

/// Logs go to stderr, one line per event; `RUST_LOG` sets the level
/// (default `info`).
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
