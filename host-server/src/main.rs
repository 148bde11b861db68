//! `rtsp-server`: serves MJPEG clips and live MJPEG over RTSP (RFC 2326) and
//! RTP/JPEG (RFC 3550, RFC 2435) on std sockets.
//!
//! All protocol logic lives in `rtsp-core`; this binary is the socket loop
//! (`server`, with its state by concern: connections in `server::rtsp`,
//! the frame grid in `server::pacing`, groups in `server::multicast`), the
//! media sources (`media`, `live`), the send path (`stream`, `udp`,
//! `outbuf`), access control (`auth`) and the command line (`cli`,
//! `banner`).

mod auth;
mod banner;
mod cli;
mod live;
mod media;
mod outbuf;
mod pull;
mod server;
mod session;
mod stream;
mod udp;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use media::{Catalog, Clip, Source};

fn main() -> ExitCode {
    let args = cli::Args::parse();
    init_logging();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Raises the soft limit on open files to the hard limit: each RTSP client
/// holds a TCP connection, and the usual soft limit of 1 024 would refuse
/// clients long before `--max-sessions` or the CPU does.
fn raise_fd_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_err() {
            tracing::debug!("open files stay limited to {soft}");
        }
    }
}

fn run(args: &cli::Args) -> Result<(), String> {
    raise_fd_limit();
    let fps = args.fps.unwrap_or(media::DEFAULT_FPS);
    let prep = media::prepare::Options {
        strict: args.strict,
        restart_mtu: (!args.no_restart).then_some(usize::from(args.mtu)),
    };
    let mut catalog = Catalog::default();
    if let Some(dir) = &args.media {
        for note in media::scan_dir(dir, fps, prep, &mut catalog)? {
            tracing::warn!("{note}");
        }
        if catalog.is_empty() {
            tracing::warn!("--media {}: no MJPEG clip found", dir.display());
        }
    }
    if args.media.is_none() && args.live.is_none() && args.pull.is_empty() {
        let builtin = media::prepare::Options {
            strict: true,
            ..prep
        };
        let clip = Clip::load(media::BUILTIN_NAME, media::BUILTIN_CLIP, fps, builtin)?;
        catalog.insert(media::BUILTIN_NAME.into(), Source::Clip(Arc::new(clip)));
    }
    let cfg = server::Config {
        mtu: usize::from(args.mtu),
        max_sessions: args.max_sessions,
        session_timeout: rtsp_core::Duration::from_secs(u64::from(args.session_timeout)),
        looping: args.looping(),
        fps,
        gso: !args.no_gso,
        http: args.http,
        restart: !args.no_restart,
    };
    let addr = SocketAddr::new(args.bind, args.rtsp_port());
    let (mut srv, waker) = server::Server::bind(addr, catalog, cfg)
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    if let (Some(user), Some(password)) = (&args.user, &args.password) {
        srv.set_auth(auth::Auth::new(user, password, args.basic));
        tracing::info!(
            "clients must authenticate as {user} ({})",
            if args.basic {
                "Digest or Basic"
            } else {
                "Digest"
            }
        );
    }
    if let Some((group, port)) = args.multicast {
        let groups = server::multicast::Groups::new(group, port, args.multicast_ttl);
        srv.enable_multicast(groups)
            .map_err(|e| format!("--multicast {group}: {e}"))?;
        tracing::info!(
            "multicast offered on {group} from port {port}, TTL {}",
            args.multicast_ttl
        );
    }
    srv.set_publish_paths(args.publish_paths.clone());
    for spec in &args.pull {
        if args.live_name() == Some(spec.name.as_str())
            || srv.catalog().entries().iter().any(|(n, _)| *n == spec.name)
        {
            return Err(format!("--pull {}: that path is already served", spec.name));
        }
        tracing::info!(
            "{} relays {}{}",
            spec.name,
            spec.shown,
            if args.pull_always {
                " (kept open)"
            } else {
                " (pulled while watched)"
            }
        );
        srv.serve_pull(spec.clone(), args.pull_always, waker.clone());
    }
    if let Some(name) = args.live_name() {
        let feed = live::spawn_stdin(name, fps, prep, waker);
        srv.serve_live(name, feed);
    }
    let local = srv.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(
        "listening on {local} (RTSP), RTP/RTCP from UDP {}-{}, {}",
        srv.rtp_port(),
        srv.rtp_port() + 1,
        if srv.gso() {
            "UDP GSO on"
        } else {
            "one datagram per send"
        }
    );
    let host = banner::url_host(args.bind);
    banner::print(
        &host,
        local.port(),
        srv.catalog(),
        args.looping(),
        &args.pull,
    );
    if args.http {
        banner::print_http(&host, local.port());
    }
    srv.run().map_err(|e| format!("event loop failed: {e}"))
}

/// Logs go to stderr, one line per event; `RUST_LOG` sets the level
/// (default `info`).
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}
