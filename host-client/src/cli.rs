//! Command line: the lab's `rtsp-client HOST PORT FILE` form, an
//! `rtsp://[user:password@]host:port/path` URL (RFC 2326 §3.2, userinfo per
//! RFC 3986 §3.2.1), and `analyze CAPTURE`.
//!
//! The option names are a public interface: tests outside this repository
//! drive the client with them.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use clap::Parser;

use crate::error::{Error, UsageError};

/// RTSP/RTP MJPEG client: plays a stream (window, metrics, captures) or
/// analyses a packet capture.
#[derive(Debug, Parser)]
#[command(
    name = "rtsp-client",
    version,
    about,
    after_help = "Examples:\n  rtsp-client 127.0.0.1 8554 movie.Mjpeg\n  rtsp-client rtsp://127.0.0.1:8554/movie.Mjpeg --headless --play --duration 10 --report r.json\n  rtsp-client rtsp://user:secret@cam.local/live --play\n  rtsp-client 127.0.0.1 8554 movie.Mjpeg --user user --password secret\n  rtsp-client analyze capture.pcap --json\n  rtsp-client publish clip.mjpeg rtsp://127.0.0.1:8554/cam --loop --tcp\n  ffmpeg -f v4l2 -i /dev/video0 -c:v mjpeg -huffman default -f mjpeg - | rtsp-client publish - rtsp://127.0.0.1:8554/cam\n\nAuthentication: when the server answers 401 (RFC 2326 §12.44), the client answers with Digest (RFC 2617, MD5), or Basic if that is all the server offers, using the user and password from the URL (percent-encoded, e.g. p%40ss for p@ss) or from --user/--password, which win. The URL is sent without them, and the password is never printed."
)]
pub struct Args {
    /// `rtsp://host:port/path`, or the lab's `HOST PORT FILE`; or `analyze CAPTURE [--json]`;
    /// or `publish SOURCE URL` (SOURCE: a clip, or `-` for MJPEG on standard input).
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

    /// Start playing at this position in the presentation (PLAY with
    /// `Range: npt=SECS-`, RFC 2326 §12.29), e.g. 2.5.
    #[arg(long, value_name = "SECS", value_parser = parse_start)]
    pub start: Option<std::time::Duration>,

    /// Ask for RTP interleaved on the RTSP connection (RFC 2326 §10.12)
    /// instead of UDP.
    #[arg(long)]
    pub tcp: bool,

    /// Tunnel RTSP in HTTP (QuickTime's GET/POST pair, as `rtsph://` URLs
    /// do), for networks that pass only HTTP; media is interleaved.
    #[arg(long)]
    pub tunnel: bool,

    /// Seconds without RTP over UDP before falling back to TCP by itself.
    #[arg(long, value_name = "SECS", default_value_t = 3.0)]
    pub udp_timeout: f64,

    /// Write the final metrics as JSON.
    #[arg(long, value_name = "FILE.json")]
    pub report: Option<PathBuf>,

    /// Write every frame shown as a standalone JPEG: complete frames as the
    /// rebuilt JFIF, concealed ones re-encoded (`-concealed` in the name);
    /// named `frame-P<PLAY>-<ms since that PLAY>ms.jpg`.
    #[arg(long, value_name = "DIR")]
    pub save_frames: Option<PathBuf>,

    /// Most packets held back while one before them is missing (the reorder
    /// window); 0 turns reordering off.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub reorder_packets: usize,

    /// Longest wait for a missing packet, ms, before it counts as lost
    /// [default: one frame period, from the RTP timestamps; 40 until known].
    #[arg(long, value_name = "MS")]
    pub reorder_ms: Option<u64>,

    /// Write every RTP/RTCP packet received to a pcap file (tshark, Wireshark).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,

    /// Draw fps, bitrate and loss over time into a PNG.
    #[arg(long, value_name = "FILE.png")]
    pub plot: Option<PathBuf>,

    /// Machine-readable output (for `analyze`).
    #[arg(long)]
    pub json: bool,

    /// User name for servers that answer 401 (overrides the URL's `user@`).
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,

    /// Password for servers that answer 401 (overrides the URL's
    /// `:password@`; empty if only a user is given).
    #[arg(long, value_name = "PASSWORD")]
    pub password: Option<String>,

    /// `publish`: start the clip again at its end (else it is sent once).
    #[arg(long = "loop")]
    pub loop_: bool,

    /// `publish`: frame rate of a clip [default: 25, the lab formats carry
    /// no rate]. Standard input is sent as frames arrive.
    #[arg(long, value_name = "FPS", value_parser = parse_fps)]
    pub fps: Option<f64>,

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
    /// Publish SOURCE (a clip, or `-` for standard input) to a server that
    /// records (RFC 2326 §10.11).
    Publish {
        /// The clip's path, or `-`.
        source: String,
        /// Where.
        target: Target,
    },
}

/// An RTSP presentation to play: where to connect and the URL to request.
#[derive(Debug, Clone)]
pub struct Target {
    /// The absolute `rtsp://` URL used in request lines (RFC 2326 §3.2),
    /// without userinfo.
    pub url: String,
    /// Host as written (for messages).
    pub host: String,
    /// TCP port of the RTSP server.
    pub port: u16,
    /// User and password for a 401 challenge, if given.
    pub credentials: Option<Credentials>,
    /// RTSP over HTTP (`rtsph://` or `--tunnel`).
    pub tunnel: bool,
}

/// A user and password (RFC 2617 §2, §3.2.2). `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"<hidden>")
            .finish()
    }
}

impl Target {
    /// Resolves the server address; one clear error line on failure.
    pub fn resolve(&self) -> Result<SocketAddr, Error> {
        let error = |source| Error::Resolve {
            host: self.host.clone(),
            source,
        };
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| error(Some(e)))?
            .next()
            .ok_or_else(|| error(None))
    }
}

impl Args {
    /// Interprets the positional arguments and the credentials.
    pub fn mode(&self) -> Result<Mode, UsageError> {
        match self.positional()? {
            Mode::Play(mut target) => {
                target.credentials = self.credentials(target.credentials.take())?;
                target.tunnel |= self.tunnel;
                Ok(Mode::Play(target))
            }
            Mode::Publish { source, mut target } => {
                target.credentials = self.credentials(target.credentials.take())?;
                Ok(Mode::Publish { source, target })
            }
            analyze => Ok(analyze),
        }
    }

    /// `--user`/`--password` over the URL's userinfo, field by field.
    fn credentials(
        &self,
        from_url: Option<Credentials>,
    ) -> Result<Option<Credentials>, UsageError> {
        let (url_user, url_password) = match from_url {
            Some(c) => (Some(c.user), Some(c.password)),
            None => (None, None),
        };
        let user = self.user.clone().or(url_user);
        let password = self.password.clone().or(url_password);
        match (user, password) {
            (None, None) => Ok(None),
            (None, Some(_)) => Err(UsageError::PasswordWithoutUser),
            (Some(user), password) => Ok(Some(Credentials {
                user,
                password: password.unwrap_or_default(),
            })),
        }
    }

    fn positional(&self) -> Result<Mode, UsageError> {
        let t = &self.target;
        match t.as_slice() {
            [cmd, capture] if cmd == "analyze" => Ok(Mode::Analyze(PathBuf::from(capture))),
            [cmd, source, url] if cmd == "publish" => Ok(Mode::Publish {
                source: source.clone(),
                target: parse_url(url)?,
            }),
            [url] => parse_url(url).map(Mode::Play),
            [host, port, file] => {
                let port: u16 = port
                    .parse()
                    .map_err(|_| UsageError::BadPort(port.clone()))?;
                let file = file.trim_start_matches('/');
                let url = format!("rtsp://{}:{port}/{file}", bracket_v6(host));
                Ok(Mode::Play(Target {
                    url,
                    host: host.clone(),
                    port,
                    credentials: None,
                    tunnel: false,
                }))
            }
            _ => Err(UsageError::Positional),
        }
    }
}

fn parse_fps(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if !(0.1..=240.0).contains(&v) {
        return Err("frame rate must be between 0.1 and 240".into());
    }
    Ok(v)
}

fn parse_start(text: &str) -> Result<std::time::Duration, String> {
    crate::command::parse_seconds(text)
        .ok_or_else(|| format!("{text:?} is not a position in seconds (e.g. 2.5)"))
}

fn bracket_v6(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// Parses `rtsp://[user[:password]@]host[:port][/path]` (RFC 2326 §3.2;
/// default port 554). The userinfo (RFC 3986 §3.2.1) becomes the
/// credentials, percent-decoded, and is removed from the URL that requests
/// carry.
pub fn parse_url(url: &str) -> Result<Target, UsageError> {
    // `rtsph://` is RTSP over HTTP (GStreamer's name); requests say rtsp://.
    let (scheme, rest, tunnel) = match url.split_once("://") {
        Some((s, rest)) if s.eq_ignore_ascii_case("rtsp") => ("rtsp://", rest, false),
        Some((s, rest)) if s.eq_ignore_ascii_case("rtsph") => ("rtsp://", rest, true),
        _ => return Err(UsageError::NotRtspUrl(redact(url))),
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (credentials, authority) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (Some(userinfo_credentials(userinfo)?), host),
        None => (None, authority),
    };
    let url = format!("{scheme}{authority}{path}");
    let url = url.as_str();
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| UsageError::BadIpv6Host(url.into()))?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(UsageError::NoHost(url.into()));
    }
    let port = match port {
        Some(p) => p.parse().map_err(|_| UsageError::BadUrlPort {
            port: p.into(),
            url: url.into(),
        })?,
        None => 554,
    };
    Ok(Target {
        url: url.to_string(),
        host,
        port,
        credentials,
        tunnel,
    })
}

/// `user[:password]`, percent-decoded (RFC 3986 §2.1, §3.2.1).
fn userinfo_credentials(userinfo: &str) -> Result<Credentials, UsageError> {
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let bad = || UsageError::BadPercentEncoding;
    Ok(Credentials {
        user: percent_decode(user).ok_or_else(bad)?,
        password: percent_decode(password).ok_or_else(bad)?,
    })
}

/// Decodes `%XX` escapes; `None` if one is malformed or the result is not
/// UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            let hex = std::str::from_utf8(&hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

/// `url` with any userinfo replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => url.to_string(),
    }
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
    fn url_userinfo_becomes_credentials_and_leaves_the_url() {
        let t = parse_url("rtsp://us%65r:p%40ss:w@127.0.0.1:8554/movie.Mjpeg").unwrap();
        assert_eq!(t.url, "rtsp://127.0.0.1:8554/movie.Mjpeg");
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 8554));
        let c = t.credentials.unwrap();
        assert_eq!((c.user.as_str(), c.password.as_str()), ("user", "p@ss:w"));
        assert!(!format!("{c:?}").contains("p@ss"));
        // No path; user only.
        let t = parse_url("rtsp://bob@cam").unwrap();
        assert_eq!(t.url, "rtsp://cam");
        assert_eq!(t.credentials.unwrap().password, "");
        assert!(parse_url("rtsp://u:%4@h/x").is_err());
        assert!(parse_url("rtsp://u:%ff@h/x").is_err(), "not UTF-8");
        assert_eq!(redact("rtsp://u:secret@h:1/x@y"), "rtsp://***@h:1/x@y");
    }

    #[test]
    fn options_win_over_the_url() {
        let a = Args::parse_from(["rtsp-client", "rtsp://u:p@h/x", "--password", "q"]);
        let Mode::Play(t) = a.mode().unwrap() else {
            panic!("not play")
        };
        let c = t.credentials.unwrap();
        assert_eq!((c.user.as_str(), c.password.as_str()), ("u", "q"));
        let a = Args::parse_from([
            "rtsp-client",
            "h",
            "554",
            "x",
            "--user",
            "v",
            "--password",
            "w",
        ]);
        let Mode::Play(t) = a.mode().unwrap() else {
            panic!("not play")
        };
        assert_eq!(t.url, "rtsp://h:554/x");
        let c = t.credentials.unwrap();
        assert_eq!((c.user.as_str(), c.password.as_str()), ("v", "w"));
        let a = Args::parse_from(["rtsp-client", "rtsp://h/x", "--password", "w"]);
        assert!(a.mode().is_err(), "a password without a user");
        let a = Args::parse_from(["rtsp-client", "rtsp://h/x"]);
        let Mode::Play(t) = a.mode().unwrap() else {
            panic!("not play")
        };
        assert!(t.credentials.is_none());
    }

    #[test]
    fn analyze_mode() {
        let a = Args::parse_from(["rtsp-client", "analyze", "x.pcap", "--json"]);
        assert!(matches!(a.mode().unwrap(), Mode::Analyze(_)));
        assert!(a.json);
    }
}
