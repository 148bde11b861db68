//! The client's errors, typed up to `main` (as retina keeps them): each
//! variant carries what a user needs to act on it (the server, the URL, the
//! file, the status code) and `Display` says it in one line. `main` prints
//! that line and picks the exit status from the variant
//! ([`Error::exit_code`]).

use std::fmt;
use std::io;
use std::path::PathBuf;

use rtsp_core::session;

use rtsp_core::rtsp::StatusCode;
use rtsp_core::session::client::{self as client, AuthError, Request};

/// A mistake on the command line (exit status 2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UsageError {
    /// The lab form's port is not a number 1-65535.
    BadPort(String),
    /// The URL is not `rtsp://…` (shown without its userinfo).
    NotRtspUrl(String),
    /// `rtsp://[…` without the closing bracket.
    BadIpv6Host(String),
    /// `rtsp:///path`.
    NoHost(String),
    /// The URL's port is not a number.
    BadUrlPort {
        /// The port as written.
        port: String,
        /// The URL (without userinfo).
        url: String,
    },
    /// A `%XX` escape in the URL's user or password is malformed or not
    /// UTF-8 (RFC 3986 §2.1).
    BadPercentEncoding,
    /// `--password` (or `:password@`) without a user.
    PasswordWithoutUser,
    /// Neither a URL, nor `HOST PORT FILE`, nor `analyze CAPTURE`.
    Positional,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::BadPort(p) => write!(f, "bad port {p:?}: expected a number 1-65535"),
            UsageError::NotRtspUrl(url) => write!(f, "not an rtsp:// URL: {url:?}"),
            UsageError::BadIpv6Host(url) => write!(f, "bad IPv6 host in {url:?}"),
            UsageError::NoHost(url) => write!(f, "no host in {url:?}"),
            UsageError::BadUrlPort { port, url } => write!(f, "bad port {port:?} in {url:?}"),
            UsageError::BadPercentEncoding => {
                f.write_str("bad percent-encoding in the URL's user or password")
            }
            UsageError::PasswordWithoutUser => {
                f.write_str("--password needs a user: --user USER or rtsp://USER@host/…")
            }
            UsageError::Positional => f.write_str(
                "expected `rtsp://host:port/path`, `HOST PORT FILE` or `analyze CAPTURE`",
            ),
        }
    }
}

impl std::error::Error for UsageError {}

/// Why a capture cannot be analysed.
#[derive(Debug)]
#[non_exhaustive]
pub enum CaptureError {
    /// The file cannot be opened.
    Open(io::Error),
    /// Neither pcap nor pcapng; the reader's reason.
    NotACapture(String),
    /// The file ends inside a record and cannot be read further.
    Read,
    /// A record is corrupt; the reader's reason.
    Corrupt(String),
}

/// Everything that ends a run of the client.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The command line is wrong (exit status 2).
    Usage(UsageError),
    /// The server's host name does not resolve (`None`: to no address).
    Resolve {
        /// The host as written.
        host: String,
        /// The resolver's error.
        source: Option<io::Error>,
    },
    /// The RTSP server cannot be reached.
    Connect {
        /// `host:port` as written.
        server: String,
        /// Why.
        source: io::Error,
        /// How long connecting was given.
        timeout: std::time::Duration,
    },
    /// A local socket, the poll or the waker failed.
    Local {
        /// What was being done.
        doing: &'static str,
        /// Why.
        source: io::Error,
    },
    /// No even/odd UDP port pair is free for RTP/RTCP (RFC 3550 §11).
    NoPortPair,
    /// An output file or directory cannot be created.
    Create {
        /// The path.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The URL cannot make a client session (too long, not `rtsp://`).
    Url {
        /// The URL (without userinfo).
        url: String,
        /// The core's reason.
        source: session::Error,
    },
    /// The user or password does not fit the session's credential buffer.
    Credentials {
        /// The URL (without userinfo).
        url: String,
        /// The core's reason.
        source: session::client::AuthError,
    },
    /// The server did not open an RTSP-over-HTTP tunnel (`rtsph://`).
    Tunnel {
        /// `host:port` as written.
        server: String,
        /// Its answer, or what was wrong with it.
        why: String,
    },
    /// Reading or writing the RTSP connection failed.
    Connection(io::Error),
    /// The server closed the RTSP connection while we were not leaving.
    Closed,
    /// The server sent bytes that do not parse as RTSP (RFC 2326 §4).
    NotRtsp(session::Error),
    /// The core session could not write a request or report.
    Session(session::Error),
    /// The server refused a request, or the stream cannot be played
    /// (with `--play`, which cannot go on).
    Refused(Refusal),
    /// `publish`: the source cannot be read or sent as RTP/JPEG.
    Source {
        /// The source as given (`-` for standard input).
        source: String,
        /// Why.
        why: String,
    },
    /// A capture given to `analyze` cannot be read.
    Capture {
        /// The capture file.
        path: PathBuf,
        /// Why.
        source: CaptureError,
    },
}

impl Error {
    /// The process exit status: 2 for a usage mistake, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(e) => e.fmt(f),
            Error::Resolve {
                host,
                source: Some(e),
            } => write!(f, "cannot resolve host {host:?}: {e}"),
            Error::Resolve { host, source: None } => write!(f, "host {host:?} has no address"),
            Error::Connect {
                server,
                source,
                timeout,
            } => match source.kind() {
                io::ErrorKind::ConnectionRefused => write!(
                    f,
                    "connection to {server} refused: no RTSP server is listening on that port"
                ),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => write!(
                    f,
                    "cannot reach {server}: no answer within {} s",
                    timeout.as_secs()
                ),
                _ => write!(f, "cannot connect to {server}: {source}"),
            },
            Error::Local { doing, source } => write!(f, "cannot {doing}: {source}"),
            Error::NoPortPair => f.write_str("no free even/odd UDP port pair for RTP/RTCP"),
            Error::Create { path, source } => {
                write!(f, "cannot create {}: {source}", path.display())
            }
            Error::Url { url, source } => write!(f, "{url}: {source}"),
            Error::Credentials { url, source } => {
                write!(f, "cannot use the credentials for {url}: {source}")
            }
            Error::Tunnel { server, why } => {
                write!(f, "{server} did not open the RTSP-over-HTTP tunnel: {why}")
            }
            Error::Connection(e) => write!(f, "RTSP connection failed: {e}"),
            Error::Closed => f.write_str("the server closed the RTSP connection"),
            Error::NotRtsp(e) => write!(f, "the server sent something that is not RTSP ({e})"),
            Error::Session(e) => write!(f, "RTSP session: {e}"),
            Error::Refused(r) => r.fmt(f),
            Error::Source { source, why } => write!(f, "cannot publish {source}: {why}"),
            Error::Capture { path, source } => {
                let p = path.display();
                match source {
                    CaptureError::Open(e) => write!(f, "cannot open {p}: {e}"),
                    CaptureError::NotACapture(why) => {
                        write!(f, "{p}: not a pcap or pcapng capture ({why})")
                    }
                    CaptureError::Read => write!(f, "{p}: read error"),
                    CaptureError::Corrupt(why) => write!(f, "{p}: corrupt capture ({why})"),
                }
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Usage(e) => Some(e),
            Error::Resolve { source, .. } => source.as_ref().map(|e| e as _),
            Error::Connect { source, .. }
            | Error::Local { source, .. }
            | Error::Create { source, .. }
            | Error::Connection(source) => Some(source),
            Error::Url { source, .. } | Error::NotRtsp(source) | Error::Session(source) => {
                Some(source)
            }
            Error::Credentials { source, .. } => Some(source),
            Error::Capture {
                source: CaptureError::Open(e),
                ..
            } => Some(e),
            _ => None,
        }
    }
}

impl From<UsageError> for Error {
    fn from(e: UsageError) -> Self {
        Error::Usage(e)
    }
}

/// `map_err(failed_to("bind UDP"))`: a local failure with what was being done.
pub fn failed_to(doing: &'static str) -> impl FnOnce(io::Error) -> Error {
    move |source| Error::Local { doing, source }
}

/// Why a request failed, from the server's answer or the core's reading
/// of it; `Display` says it in plain words, in one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The server answered with an error status (RFC 2326 §7.1.1).
    Status {
        /// What we asked.
        request: Request,
        /// The answer.
        status: StatusCode,
    },
    /// A 401 the session could not answer (RFC 2326 §11.4.2).
    Auth {
        /// The URL (requests carry it without userinfo; never the password).
        url: String,
        /// The status (401).
        status: StatusCode,
        /// Why the core could not answer it.
        why: AuthError,
    },
    /// The DESCRIBE answer has no JPEG video: what it offers, as the core
    /// read it (RFC 4566 §6 `a=rtpmap`), `None` for no video at all.
    NotMjpeg(Option<client::Described>),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Status { request, status } => f.write_str(&error_words(*request, *status)),
            Refusal::Auth { url, status, why } => f.write_str(&auth_words(url, *status, *why)),
            Refusal::NotMjpeg(offered) => {
                let offer = match offered {
                    Some(client::Described {
                        encoding: Some(name),
                        clock_rate,
                        ..
                    }) => format!("{name}/{clock_rate}"),
                    Some(d) => format!("payload type {}", d.payload_type),
                    None => "no video at all".into(),
                };
                write!(f, "the stream is not MJPEG (the SDP offers {offer}); this client plays RTP/JPEG (RFC 2435) only")
            }
        }
    }
}

/// A 401 the session could not answer (RFC 2326 §11.4.2), in one line
/// that names the URL (requests carry it without userinfo) but never the
/// password.
fn auth_words(url: &str, status: StatusCode, why: AuthError) -> String {
    let head = format!("{} {} from {url}", status.as_u16(), status.reason());
    let fix = "(give them in the URL or with --user/--password)";
    match why {
        AuthError::NoCredentials => format!("{head}: missing user/password {fix}"),
        AuthError::Rejected => format!("{head}: wrong user/password {fix}"),
        other => format!("{head}: {other}"),
    }
}

fn error_words(request: Request, status: StatusCode) -> String {
    let what = match request {
        Request::Options => "OPTIONS",
        Request::Describe => "DESCRIBE",
        Request::Setup => "SETUP",
        Request::Play => "PLAY",
        Request::Pause => "PAUSE",
        Request::Teardown => "TEARDOWN",
        Request::KeepAlive => "the keep-alive",
        Request::Announce => "ANNOUNCE",
        Request::Record => "RECORD",
    };
    let code = status.as_u16();
    format!(
        "server: {code} {} to {what}: {}",
        status.reason(),
        crate::words::meaning(code)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_each_and_usage_exits_2() {
        let e = Error::from(UsageError::BadPort("x".into()));
        assert_eq!(e.to_string(), "bad port \"x\": expected a number 1-65535");
        assert_eq!(e.exit_code(), 2);
        let e = Error::Connect {
            server: "127.0.0.1:9".into(),
            source: io::Error::from(io::ErrorKind::ConnectionRefused),
            timeout: std::time::Duration::from_secs(3),
        };
        assert_eq!(
            e.to_string(),
            "connection to 127.0.0.1:9 refused: no RTSP server is listening on that port"
        );
        assert_eq!(e.exit_code(), 1);
        assert!(!Error::Closed.to_string().contains('\n'));
    }
}
