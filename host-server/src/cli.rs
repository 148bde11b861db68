//! The command line (clap derive). Every option listed here works; nothing
//! is advertised that the server does not do.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Parser;

/// Default RTSP port (RFC 2326 §3.2 names 554; 8554 needs no privileges and
/// is what the lab's `server.py` used).
pub const DEFAULT_PORT: u16 = 8554;

/// Serve MJPEG clips and live MJPEG over RTSP/RTP (RFC 2326, RFC 3550,
/// RFC 2435) to ffplay, VLC, GStreamer and rtsp-client.
///
/// With no arguments it serves a built-in test clip at
/// rtsp://127.0.0.1:8554/movie.Mjpeg. `rtsp-server 8554` works like the lab's
/// `server.py 8554`.
#[derive(Debug, Clone, Parser)]
#[command(name = "rtsp-server", version, about, long_about, after_help = EXAMPLES)]
pub struct Args {
    /// RTSP port (the lab's `server.py PORT` form).
    #[arg(value_name = "PORT", conflicts_with = "port_flag")]
    pub port: Option<u16>,

    /// RTSP port [default: 8554].
    #[arg(short = 'p', long = "port", value_name = "PORT")]
    pub port_flag: Option<u16>,

    /// Address to listen on. UDP media is always sent from this address to
    /// the RTSP peer's own address only.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0")]
    pub bind: IpAddr,

    /// Serve every clip under DIR (lab `movie.Mjpeg` format or raw
    /// concatenated JPEG, detected from the bytes) at
    /// rtsp://HOST:PORT/<path relative to DIR>. Requests can never leave DIR.
    /// Without --media or --live the built-in clip is served.
    #[arg(long, value_name = "DIR")]
    pub media: Option<PathBuf>,

    /// Live MJPEG from standard input, served at rtsp://HOST:PORT/NAME and
    /// shared by every client of that path, e.g.
    /// `ffmpeg -f v4l2 -i /dev/video0 -c:v mjpeg -f mjpeg - | rtsp-server --live cam=-`.
    #[arg(long, value_name = "NAME=-", value_parser = parse_live)]
    pub live: Option<String>,

    /// Relay another RTSP server's stream at rtsp://HOST:PORT/NAME, shared
    /// by every viewer like --live (repeatable). The origin is played over
    /// TCP when the first viewer arrives and torn down 5 s after the last
    /// leaves (see --pull-always); it is reconnected with backoff when it
    /// drops. Frames are forwarded as they are (no re-encoding).
    /// Credentials for the origin go in the URL: rtsp://user:pass@host/path.
    #[arg(long, value_name = "NAME=URL", value_parser = crate::pull::parse_pull)]
    pub pull: Vec<crate::pull::PullSpec>,

    /// Paths publishers may ANNOUNCE/RECORD to (ffmpeg -f rtsp, GStreamer
    /// rtspclientsink, `rtsp-client publish`): comma-separated, `cam` that
    /// path, `cams/*` any path under cams/, `*` any path; `none` refuses
    /// publishers (405). A path served otherwise (a clip, --live, --pull)
    /// is never published; a second publisher on a busy path gets 455.
    /// --user/--password apply to publishers too.
    #[arg(long, value_name = "PATHS", default_value = "*",
          value_parser = crate::server::publish::PublishPaths::parse)]
    pub publish_paths: crate::server::publish::PublishPaths,

    /// Keep every --pull origin open from the start, viewers or not.
    #[arg(long, requires = "pull")]
    pub pull_always: bool,

    /// Refuse clips (and skip live frames) that only a lossy conversion
    /// could carry (4:4:4, 4:4:0, 4:1:1, gray, CMYK): without it they are
    /// decoded and encoded again as 4:2:0. Lossless re-coding (optimized
    /// Huffman tables, progressive) happens either way.
    #[arg(long)]
    pub strict: bool,

    /// Frame rate of clips, in frames per second [default: 25, the lab
    /// formats carry no rate]. A live source is sent as frames arrive.
    #[arg(long, value_name = "FPS", value_parser = parse_fps)]
    pub fps: Option<f64>,

    /// Largest RTP packet (header included) in bytes; frames are fragmented
    /// to fit (RFC 2435 §3.1.3).
    #[arg(long, value_name = "BYTES", default_value_t = 1400,
          value_parser = clap::value_parser!(u16).range(256..=8192))]
    pub mtu: u16,

    /// Send frames as they are, cut at the MTU (RFC 2435 types 0/1, as
    /// before restart-aligned packets). By default every frame gets a
    /// restart interval (re-coded losslessly where it has none, like
    /// `jpegtran -restart`) and is cut at restart boundaries (types 64/65,
    /// RFC 2435 §3.1.7), so a receiver can decode every interval that
    /// arrived; the start line tells what that costs in bytes.
    #[arg(long)]
    pub no_restart: bool,

    /// Send each RTP datagram with its own system call instead of one UDP
    /// GSO batch per frame. Use it for packet captures on loopback: a
    /// capture on `lo` sees each GSO batch as one oversized datagram, since
    /// loopback segments only on receive.
    #[arg(long)]
    pub no_gso: bool,

    /// Most concurrent RTSP sessions; SETUP beyond it gets 453 Not Enough
    /// Bandwidth.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_sessions: usize,

    /// Seconds of silence (no request and no RTCP receiver report) after
    /// which a session stops and is reclaimed; advertised as
    /// `Session: id;timeout=N` (RFC 2326 §12.37). A connection that sends
    /// no whole first request line (RTSP or HTTP) in this time is closed.
    #[arg(long, value_name = "SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u32).range(2..=86_400))]
    pub session_timeout: u32,

    /// Require this user name (RTSP authentication, RFC 2326 §12.5, with
    /// HTTP Digest, RFC 2617). OPTIONS stays open; other requests without
    /// valid credentials get 401. Clients: `rtsp://USER:PASSWORD@host/...`.
    #[arg(long, value_name = "NAME", requires = "password")]
    pub user: Option<String>,

    /// The password for --user (or set RTSP_PASSWORD, which keeps it out of
    /// the process list).
    #[arg(
        long,
        value_name = "SECRET",
        env = "RTSP_PASSWORD",
        hide_env_values = true,
        requires = "user"
    )]
    pub password: Option<String>,

    /// Also accept Basic authentication (the password then crosses the
    /// network in the clear; Digest is always offered first).
    #[arg(long, requires = "user")]
    pub basic: bool,

    /// Also offer multicast (RFC 2326 §12.39): a client asking for
    /// `multicast` (ffmpeg `-rtsp_transport udp_multicast`, GStreamer
    /// `rtspsrc protocols=udp-mcast`) gets the path's stream on GROUP, each
    /// path on its own port pair from PORT [default 5004]. All members of
    /// a path share one stream (one send per packet) and its position.
    #[arg(long, value_name = "GROUP[:PORT]", value_parser = crate::server::multicast::parse_group)]
    pub multicast: Option<(std::net::Ipv4Addr, u16)>,

    /// IP time-to-live of multicast packets (1: this subnet only).
    #[arg(long, value_name = "TTL", default_value_t = 1, requires = "multicast")]
    pub multicast_ttl: u8,

    /// Start a clip over when it ends (the default).
    #[arg(long = "loop", overrides_with = "no_loop")]
    pub loop_: bool,

    /// Play a clip once: at its end the stream stops until PLAY (with a
    /// Range to seek, or from the start) or TEARDOWN.
    #[arg(long, overrides_with = "loop_")]
    pub no_loop: bool,

    /// HTTP on the RTSP port: browsers' MJPEG at http://host:PORT/<path>,
    /// the status page at /, Prometheus metrics at /metrics (all behind
    /// --user when set). `off`: HTTP requests get RTSP's answer (505).
    #[arg(long, value_name = "on|off", default_value = "on", value_parser = parse_on_off, action = clap::ArgAction::Set)]
    pub http: bool,
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("{s:?}: expected on or off")),
    }
}

const EXAMPLES: &str = "\
Examples:
  rtsp-server                          built-in clip at rtsp://127.0.0.1:8554/movie.Mjpeg
  rtsp-server 8554                     the same, like the lab's server.py 8554
  rtsp-server --media ./clips          every clip under ./clips
  rtsp-server --multicast 239.255.0.1:5004   also multicast (ffplay -rtsp_transport udp_multicast URL)
  rtsp-server --pull cam=rtsp://origin:8554/cam   relay another server's stream at /cam
  rtsp-server --http off               RTSP only (no browser video, status page or /metrics)
  ffmpeg -re -i clip.mjpeg -c copy -f rtsp rtsp://127.0.0.1:8554/cam   publish to /cam
  ffmpeg -f v4l2 -i /dev/video0 -c:v mjpeg -huffman default -f mjpeg - | rtsp-server --live cam=-

Logging: RUST_LOG=debug (or warn, or rtsp_server=trace) sets the level; default info.";

impl Args {
    /// The RTSP port, from the positional form, `--port`, or the default.
    pub fn rtsp_port(&self) -> u16 {
        self.port.or(self.port_flag).unwrap_or(DEFAULT_PORT)
    }

    /// Whether clips loop at their end.
    pub fn looping(&self) -> bool {
        !self.no_loop
    }

    /// The live path name, if `--live NAME=-` was given.
    pub fn live_name(&self) -> Option<&str> {
        self.live.as_deref().and_then(|s| s.strip_suffix("=-"))
    }
}

fn parse_live(s: &str) -> Result<String, String> {
    let Some(name) = s.strip_suffix("=-") else {
        return Err("expected NAME=- (live MJPEG is read from standard input)".into());
    };
    check_path_name(name)?;
    Ok(s.to_owned())
}

/// A name a source can be served at (`--live`, `--pull`): a relative path
/// of printable ASCII with no empty, `.` or `..` segment.
pub fn check_path_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.starts_with('/')
        || name
            .split('/')
            .any(|c| c == ".." || c == "." || c.is_empty())
    {
        return Err(format!(
            "`{name}` is not a usable path name (use e.g. cam or live/cam)"
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'?' && b != b'#' && b != b'%')
    {
        return Err(format!(
            "`{name}` must be printable ASCII without ?, # or %"
        ));
    }
    Ok(())
}

fn parse_fps(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if !(0.1..=240.0).contains(&v) {
        return Err("frame rate must be between 0.1 and 240".into());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_port_like_server_py() {
        let a = Args::parse_from(["rtsp-server", "9000"]);
        assert_eq!(a.rtsp_port(), 9000);
        assert!(a.looping());
        assert_eq!(Args::parse_from(["rtsp-server"]).rtsp_port(), DEFAULT_PORT);
        assert_eq!(
            Args::parse_from(["rtsp-server", "--port", "7000"]).rtsp_port(),
            7000
        );
    }

    #[test]
    fn live_and_loop_flags() {
        let a = Args::parse_from(["rtsp-server", "--live", "cam=-", "--no-loop"]);
        assert_eq!(a.live_name(), Some("cam"));
        assert!(!a.looping());
        assert!(Args::try_parse_from(["rtsp-server", "--live", "../x=-"]).is_err());
        assert!(Args::try_parse_from(["rtsp-server", "--live", "cam"]).is_err());
        assert!(Args::try_parse_from(["rtsp-server", "--fps", "0"]).is_err());
    }

    #[test]
    fn http_on_by_default_and_off() {
        assert!(Args::parse_from(["rtsp-server"]).http);
        assert!(!Args::parse_from(["rtsp-server", "--http", "off"]).http);
        assert!(Args::try_parse_from(["rtsp-server", "--http", "maybe"]).is_err());
    }
}
