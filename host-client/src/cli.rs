//! Command line: the lab's `rtsp-client HOST PORT FILE` form, an
//! `rtsp://host:port/path` URL (RFC 2326 §3.2), and `analyze CAPTURE`.
//!
//! The option names are a public interface: tests outside this repository
//! drive the client with them.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use clap::Parser;

/// RTSP/RTP MJPEG client: plays a stream (window, metrics, captures) or
/// analyses a packet capture.
#[derive(Debug, Parser)]
#[command(
    name = "rtsp-client",
    version,
    about,
    after_help = "Examples:\n  rtsp-client 127.0.0.1 8554 movie.Mjpeg\n  rtsp-client rtsp://127.0.0.1:8554/movie.Mjpeg --headless --play --duration 10 --report r.json\n  rtsp-client analyze capture.pcap --json"
)]
pub struct Args {
    /// `rtsp://host:port/path`, or the lab's `HOST PORT FILE`; or `analyze CAPTURE [--json]`.
    #[arg(required = true, num_args = 1..=3, value_name = "URL | HOST PORT FILE")]
    pub target: Vec<String>,

    /// No window, even when a display is available.
    #[arg(long)]
    pub headless: bool,

    /// SETUP and PLAY at once, without the interactive prompt.
    #[arg(long)]
    pub play: bool,

    /// Stop (and TEARDOWN) after this many seconds of playing.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,

    /// Stop (and TEARDOWN) after this many complete frames.
    #[arg(long, value_name = "N")]
    pub frames: Option<u64>,

    /// Ask for RTP interleaved on the RTSP connection (RFC 2326 §10.12)
    /// instead of UDP.
    #[arg(long)]
    pub tcp: bool,

    /// Seconds without RTP over UDP before falling back to TCP by itself.
    #[arg(long, value_name = "SECS", default_value_t = 3.0)]
    pub udp_timeout: f64,

    /// Write the final metrics as JSON.
    #[arg(long, value_name = "FILE.json")]
    pub report: Option<PathBuf>,

    /// Write every complete frame as a standalone JPEG (the rebuilt JFIF).
    #[arg(long, value_name = "DIR")]
    pub save_frames: Option<PathBuf>,

    /// Write every RTP/RTCP packet received to a pcap file (tshark, Wireshark).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,

    /// Draw fps, bitrate and loss over time into a PNG.
    #[arg(long, value_name = "FILE.png")]
    pub plot: Option<PathBuf>,

    /// Machine-readable output (for `analyze`).
    #[arg(long)]
    pub json: bool,

    /// More log output on stderr (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Mode {
    /// Play `url` from `server`.
    Play(Target),
    /// Analyse a capture file.
    Analyze(PathBuf),
}

/// An RTSP presentation to play: where to connect and the URL to request.
#[derive(Debug, Clone)]
pub struct Target {
    /// The absolute `rtsp://` URL used in request lines (RFC 2326 §3.2).
    pub url: String,
    /// Host as written (for messages).
    pub host: String,
    /// TCP port of the RTSP server.
    pub port: u16,
}

impl Target {
    /// Resolves the server address; one clear error line on failure.
    pub fn resolve(&self) -> Result<SocketAddr, String> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve host {:?}: {e}", self.host))?
            .next()
            .ok_or_else(|| format!("host {:?} has no address", self.host))
    }
}

impl Args {
    /// Interprets the positional arguments.
    pub fn mode(&self) -> Result<Mode, String> {
        let t = &self.target;
        match t.as_slice() {
            [cmd, capture] if cmd == "analyze" => Ok(Mode::Analyze(PathBuf::from(capture))),
            [url] => parse_url(url).map(Mode::Play),
            [host, port, file] => {
                let port: u16 = port
                    .parse()
                    .map_err(|_| format!("bad port {port:?}: expected a number 1-65535"))?;
                let file = file.trim_start_matches('/');
                let url = format!("rtsp://{}:{port}/{file}", bracket_v6(host));
                Ok(Mode::Play(Target {
                    url,
                    host: host.clone(),
                    port,
                }))
            }
            _ => Err(
                "expected `rtsp://host:port/path`, `HOST PORT FILE` or `analyze CAPTURE`".into(),
            ),
        }
    }
}

fn bracket_v6(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// Parses `rtsp://host[:port][/path]` (RFC 2326 §3.2; default port 554).
pub fn parse_url(url: &str) -> Result<Target, String> {
    let rest = url
        .strip_prefix("rtsp://")
        .or_else(|| url.strip_prefix("RTSP://"))
        .ok_or_else(|| format!("not an rtsp:// URL: {url:?}"))?;
    let (authority, _path) = rest.split_once('/').unwrap_or((rest, ""));
    // Credentials (user:pass@) are not used for connecting.
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("bad IPv6 host in {url:?}"))?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(format!("no host in {url:?}"));
    }
    let port = match port {
        Some(p) => p
            .parse()
            .map_err(|_| format!("bad port {p:?} in {url:?}"))?,
        None => 554,
    };
    Ok(Target {
        url: url.to_string(),
        host,
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_form_builds_url() {
        let a = Args::parse_from(["rtsp-client", "127.0.0.1", "8554", "movie.Mjpeg"]);
        let Mode::Play(t) = a.mode().unwrap() else {
            panic!("not play")
        };
        assert_eq!(t.url, "rtsp://127.0.0.1:8554/movie.Mjpeg");
        assert_eq!(t.port, 8554);
    }

    #[test]
    fn url_form_and_default_port() {
        let t = parse_url("rtsp://cam.local/live").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("cam.local", 554));
        let t = parse_url("rtsp://u:p@[::1]:9000/a/b").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 9000));
        assert!(parse_url("http://x/").is_err());
    }

    #[test]
    fn analyze_mode() {
        let a = Args::parse_from(["rtsp-client", "analyze", "x.pcap", "--json"]);
        assert!(matches!(a.mode().unwrap(), Mode::Analyze(_)));
        assert!(a.json);
    }
}
