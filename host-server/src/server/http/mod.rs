//! HTTP on the RTSP port: one port for every viewer. A connection whose
//! first request line ends in `HTTP/1.x` comes here (`Server::dispatch_input`):
//!
//! * `GET /<path>`: the path's frames as `multipart/x-mixed-replace` MJPEG,
//!   which every browser plays in an `<img>` ([`mjpeg`]);
//! * `GET /`: the status page ([`status`]); `GET /metrics`: Prometheus text
//!   ([`metrics`]);
//! * GET or POST with `x-sessioncookie`: RTSP tunnelled in HTTP (QuickTime's
//!   scheme, ffmpeg `-rtsp_transport http`, GStreamer `rtsph://`), taken by
//!   [`Server::take_tunnel`] (`crate::server::tunnel`).
//!
//! Requests are read by the core's parser (`rtsp_core::rtsp::http`, the
//! RTSP grammar and limits: 1 KiB lines, 32 headers, 8 KiB heads); bodies
//! are never read. Every answer but a stream closes the connection once
//! written (`Connection: close`): no keep-alive state, and a browser opens
//! a new connection for its next request, as it does for each `<img>`.
//! With `--user`, every resource needs the RTSP credentials (the core's
//! check, Digest or Basic, and its challenges on 401: browsers prompt).
//! Malformed input gets a 4xx and a close; it never reaches an RTSP
//! session.

use std::fmt::Write as _;
use std::net::SocketAddr;

use rtsp_core::limits::RTSP_MAX_HEADERS;
use rtsp_core::rtsp::{self, http, Header, Request, Status};
use rtsp_core::session::server::Verdict;
use rtsp_core::{Duration, Instant};

use crate::server::{Kind, Server};

pub mod metrics;
pub mod mjpeg;
pub mod status;

/// Time a client has to send a whole request head (slow or idle
/// clients then get 408 and a close, as web servers do).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Time an answered connection's input is still read and dropped after the
/// answer is written (a lingering close, RFC 9112 §9.6): closing with
/// unread input would reset the connection and could destroy the answer
/// before the client reads it.
pub const LINGER: Duration = Duration::from_secs(2);

/// A connection that speaks HTTP.
#[derive(Debug)]
pub struct HttpConn {
    /// The MJPEG stream it receives, after a stream GET.
    pub viewer: Option<mjpeg::Viewer>,
    /// The request head must be whole by then.
    request_deadline: Option<Instant>,
    /// Answered and written: the rest of its input is dropped until then.
    linger_until: Option<Instant>,
}

impl HttpConn {
    /// A connection whose request was read already, to be answered and
    /// closed (a tunnel's POST refused in mid-body, `crate::server::tunnel`).
    pub fn answering() -> HttpConn {
        HttpConn {
            viewer: None,
            request_deadline: None,
            linger_until: None,
        }
    }

    /// A connection whose request head is due by `now` + [`REQUEST_TIMEOUT`].
    pub fn new(now: Instant) -> HttpConn {
        HttpConn {
            viewer: None,
            request_deadline: Some(now + REQUEST_TIMEOUT),
            linger_until: None,
        }
    }

    /// When this connection next needs the loop.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let viewer = self.viewer.as_ref().and_then(mjpeg::Viewer::poll_timeout);
        [viewer, self.request_deadline, self.linger_until]
            .into_iter()
            .flatten()
            .min()
    }
}

impl crate::server::Conn {
    /// When this connection's HTTP side next needs the loop.
    pub fn http_timeout(&self) -> Option<Instant> {
        match &self.kind {
            Kind::Http(h) => h.poll_timeout(),
            Kind::Tunnel(t) => t.poll_timeout(),
            _ => None,
        }
    }

    /// The MJPEG viewer on this connection, if it is one.
    pub fn viewer(&self) -> Option<&mjpeg::Viewer> {
        match &self.kind {
            Kind::Http(h) => h.viewer.as_ref(),
            _ => None,
        }
    }

    /// Whether this connection is in its lingering close.
    pub fn lingering(&self) -> bool {
        matches!(&self.kind, Kind::Http(h) if h.linger_until.is_some())
    }
}

/// An answer that is not a stream.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status code.
    pub code: u16,
    /// `Content-Type` of the body.
    pub content_type: &'static str,
    /// Extra header lines, each ending in CRLF.
    pub headers: String,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// A short plain-text answer (errors).
    pub fn text(code: u16, body: &str) -> Answer {
        Answer {
            code,
            content_type: "text/plain; charset=utf-8",
            headers: String::new(),
            body: format!("{code} {}: {body}\n", reason(code)).into_bytes(),
        }
    }

    /// The bytes on the wire: status line, headers, body (RFC 9112 §3–§6).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\
             Cache-Control: no-store\r\nConnection: close\r\n{}\r\n",
            self.code,
            reason(self.code),
            self.content_type,
            self.body.len(),
            self.headers
        )
        .into_bytes();
        head.extend_from_slice(&self.body);
        head
    }
}

/// Reason phrases of the codes this module sends (RFC 9110 §15).
pub fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        408 => "Request Timeout",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// The status for input the parser refuses: over a limit → 431 (RFC 6585
/// §5), another version → 505, anything else → 400.
fn refusal(e: rtsp::Error) -> u16 {
    match e {
        rtsp::Error::LineTooLong { .. }
        | rtsp::Error::TooManyHeaders { .. }
        | rtsp::Error::MessageTooLarge { .. } => 431,
        rtsp::Error::Version => 505,
        _ => 400,
    }
}

/// The path of a request target (origin or absolute form, RFC 9112
/// §3.2), without the query.
fn target_path(uri: &str) -> &str {
    let path = match uri.find("://") {
        Some(i) => uri[i + 3..].find('/').map_or("/", |p| &uri[i + 3 + p..]),
        None => uri,
    };
    path.split(['?', '#']).next().unwrap_or("/")
}

impl Server {
    /// Reads the HTTP request buffered on connection `idx` and answers it.
    /// One request per connection: what follows its head is not read
    /// (bodies are not taken, pipelining is not offered).
    pub fn handle_http(&mut self, idx: usize, now: Instant) {
        let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        let Kind::Http(h) = &mut c.kind else { return };
        if c.closing || h.viewer.is_some() {
            // Answered already: anything more from the client is dropped.
            c.input.clear();
            return;
        }
        let input = std::mem::take(&mut c.input);
        let mut headers = [Header::EMPTY; RTSP_MAX_HEADERS];
        let answer = match http::parse_request(&input, &mut headers) {
            Ok(Status::Partial) => {
                if let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) {
                    c.input = input;
                }
                return;
            }
            Err(e) => {
                tracing::info!("{}: unreadable HTTP request ({e})", c.peer);
                Some(Answer::text(refusal(e), &e.to_string()))
            }
            Ok(Status::Complete((req, used))) => {
                h.request_deadline = None;
                if self.take_tunnel(idx, &req, &input[used..], now) {
                    return;
                }
                self.answer_request(idx, &req, now)
            }
        };
        if let Some(a) = answer {
            self.send_answer(idx, &a);
        }
        self.flush_conn(idx);
    }

    /// Answers one request: `None` when it became a stream.
    fn answer_request(
        &mut self,
        idx: usize,
        req: &Request<'_, '_>,
        now: Instant,
    ) -> Option<Answer> {
        let peer = self.conns.slots.get(idx)?.as_ref()?.peer;
        let path = target_path(req.uri);
        tracing::info!("{peer}: HTTP {} {path}", req.method.as_str());
        if req.version.major != 1 {
            // HTTP/2 and later are not spoken in this text form (RFC 9113).
            return Some(Answer::text(505, "HTTP/1.x only"));
        }
        if let Some(a) = self.unauthorized(peer, req) {
            return Some(a);
        }
        if req.method.as_str() != "GET" {
            let mut a = Answer::text(405, "only GET is served here");
            a.headers.push_str("Allow: GET\r\n");
            return Some(a);
        }
        match path {
            "/" => Some(self.status_page(now)),
            "/metrics" => Some(self.metrics_text(now)),
            _ => self.start_viewer(idx, path.trim_start_matches('/'), now),
        }
    }

    /// With `--user`, the 401 (with the challenges) for a request that
    /// does not carry the credentials; `None` when it may go on.
    pub fn unauthorized(&self, peer: SocketAddr, req: &Request<'_, '_>) -> Option<Answer> {
        let creds = self.auth.as_ref()?.credentials();
        let verdict = creds.check(req);
        if verdict == Verdict::Allowed {
            return None;
        }
        tracing::info!(
            "{peer}: HTTP refused: {}",
            if verdict == Verdict::Wrong {
                "wrong credentials"
            } else {
                "no credentials"
            }
        );
        let mut a = Answer::text(401, "credentials required");
        for ch in creds.challenges() {
            let _ = write!(a.headers, "WWW-Authenticate: {ch}\r\n");
        }
        Some(a)
    }

    /// Connection `idx`'s HTTP timers: clip frames due, a request head
    /// not whole in time (408), a lingering close that is over.
    pub fn on_http_timers(&mut self, idx: usize, now: Instant) {
        self.send_due_mjpeg(idx, now);
        let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        let Kind::Http(h) = &mut c.kind else { return };
        if h.linger_until.is_some_and(|t| t <= now) {
            self.close(idx, now, "HTTP connection closed after its answer");
        } else if h.request_deadline.is_some_and(|t| t <= now) {
            h.request_deadline = None;
            tracing::info!("{}: no whole HTTP request in {REQUEST_TIMEOUT:?}", c.peer);
            self.send_answer(idx, &Answer::text(408, "no whole request in time"));
            self.flush_conn(idx);
        }
    }

    /// Whether connection `idx`, answered and flushed, lingers instead of
    /// closing now: its writing side is shut (the client sees the end of
    /// the answer) and its input is dropped until the client closes or
    /// [`LINGER`] passes.
    pub(crate) fn linger(&mut self, idx: usize, now: Instant) -> bool {
        let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return false;
        };
        let Kind::Http(h) = &mut c.kind else {
            return false;
        };
        if h.linger_until.is_some() {
            return true;
        }
        if c.stream.shutdown(std::net::Shutdown::Write).is_err() {
            return false;
        }
        h.linger_until = Some(now + LINGER);
        true
    }

    /// Queues `a` and closes the connection once it is written.
    pub fn send_answer(&mut self, idx: usize, a: &Answer) {
        let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        if a.code >= 400 {
            self.totals.refused(a.code);
        }
        c.out.push(&a.to_bytes());
        c.closing = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_paths() {
        assert_eq!(target_path("/movie.Mjpeg?x=1"), "/movie.Mjpeg");
        assert_eq!(target_path("http://h:1/a/b"), "/a/b");
        assert_eq!(target_path("http://h:1"), "/");
        assert_eq!(target_path("/"), "/");
    }

    #[test]
    fn answers_are_whole_http_responses() {
        let a = Answer::text(404, "no such stream");
        let bytes = a.to_bytes();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n"), "{text}");
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        assert!(head.contains("Connection: close"));
    }
}
