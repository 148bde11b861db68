//! What the server prints on start (stdout): one line per stream with its
//! URL, and commands ready to paste into another terminal.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};

use crate::media::{Catalog, Source};
use crate::pull::PullSpec;

/// Streams beyond this many get no example commands (keeps the banner short).
const COMMANDS_FOR: usize = 3;

/// Host part for URLs: the bind address, or 127.0.0.1 when bound to all.
pub fn url_host(bind: IpAddr) -> String {
    match bind {
        IpAddr::V4(a) if a.is_unspecified() => Ipv4Addr::LOCALHOST.to_string(),
        IpAddr::V6(a) if a.is_unspecified() => "[::1]".into(),
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    }
}

/// Prints the stream list. `looping` is the clips' end-of-file behaviour;
/// `pulls` names the live sources that relay an origin.
pub fn print(host: &str, port: u16, cat: &Catalog, looping: bool, pulls: &[PullSpec]) {
    let mut out = std::io::stdout().lock();
    for (i, (name, src)) in cat.entries().into_iter().enumerate() {
        let url = format!("rtsp://{host}:{port}/{name}");
        let what = match src {
            Source::Clip(c) => format!(
                "{}{}",
                c.summary(),
                if looping { ", looping" } else { ", once" }
            ),
            Source::Live(l) => match pulls.iter().find(|p| p.name == l.name) {
                Some(p) => format!("relayed from {}", p.shown),
                None => format!("live MJPEG from standard input, {} fps nominal", l.fps),
            },
            Source::Refused(why) => format!("REFUSED: {why}"),
        };
        let _ = writeln!(out, "stream {url}  {what}");
        if i < COMMANDS_FOR && !matches!(src, Source::Refused(_)) {
            let _ = writeln!(out, "    rtsp-client {url}");
            let _ = writeln!(out, "    ffplay -rtsp_transport tcp {url}");
            let _ = writeln!(out, "    vlc {url}");
        }
    }
    let _ = out.flush();
}

/// With HTTP on (`--http`): where browsers and scrapers go.
pub fn print_http(host: &str, port: u16) {
    println!(
        "status http://{host}:{port}/  (in a browser; any stream at http://{host}:{port}/<path>, Prometheus at /metrics)"
    );
}
