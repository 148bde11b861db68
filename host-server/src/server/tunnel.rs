//! RTSP over HTTP tunnels (`rtsp_core::tunnel`, QuickTime's scheme as
//! ffmpeg `-rtsp_transport http`, VLC and GStreamer `rtsph://` speak it):
//! a GET and a POST on the RTSP port, joined by `x-sessioncookie`, are one
//! RTSP connection. The GET's connection holds the core session: it is
//! answered `200` and then carries the session's output (responses and
//! `$`-framed RTP/RTCP, unencoded); the POST's body, base64-decoded, is
//! that session's input, exactly as a plain RTSP connection's bytes are.
//!
//! Decisions:
//! * With `--user`, the GET needs the credentials as any HTTP resource
//!   does (401 with the challenges otherwise). The POST needs none: its
//!   cookie ties it to an admitted GET, and every RTSP request it carries
//!   is checked by the session itself.
//! * A GET whose cookie is in use by an open tunnel: `409 Conflict`. A POST
//!   whose cookie names no open GET: `404 Not Found` (there is no such
//!   tunnel); a second POST for a GET that has one: `409 Conflict`. A
//!   malformed tunnel request (no cookie, a cookie over 64 characters):
//!   `400`. Open tunnels are bounded by `--max-sessions` (`503` past it);
//!   a session set up inside one counts toward `--max-sessions` as any
//!   RTSP session does.
//! * A POST body that is not base64 ends the tunnel: the POST is answered
//!   `400` and both connections close. Closing either half ends the
//!   session (the GET once its queued output is written). QuickTime's
//!   re-opened POSTs under the same cookie are not taken back: no current
//!   peer sends them.
//! * Bytes a client sends on the GET after its head are read and dropped.
//! * A GET whose POST does not come within `REQUEST_TIMEOUT` (10 s, as
//!   for an HTTP request head) is closed, so idle GETs cannot hold the
//!   tunnel places.

use std::collections::HashMap;

use rtsp_core::rtsp::Request;
use rtsp_core::tunnel::{self, Base64Decoder, Cookie, Role};
use rtsp_core::Instant;

use crate::server::http::{Answer, HttpConn, REQUEST_TIMEOUT};
use crate::server::{Kind, Server, INPUT_BUFFER};

/// Which half of a tunnel a connection is.
#[derive(Debug)]
pub enum Half {
    /// The GET: the RTSP connection; its session's input comes from `post`.
    Get {
        /// The cookie it was opened with.
        cookie: Cookie,
        /// The POST feeding it, once there is one.
        post: Option<usize>,
        /// Until the POST comes: when the GET is given up.
        post_due: Option<Instant>,
    },
    /// The POST: its body, decoded, is connection `get`'s input.
    Post {
        /// The GET it feeds.
        get: usize,
        /// Where the body's decoding stands.
        decoder: Base64Decoder,
    },
}

/// Open tunnels: the GET connection of each cookie.
#[derive(Debug, Default)]
pub struct Tunnels {
    by_cookie: HashMap<Cookie, usize>,
}

impl Half {
    /// When this half next needs the loop: a GET still waiting for its POST.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Half::Get { post_due, .. } => *post_due,
            Half::Post { .. } => None,
        }
    }
}

impl crate::server::Conn {
    /// Whether bytes read from this connection are its input: not on a
    /// tunnel's GET, whose input is its POST's body.
    pub fn takes_input(&self) -> bool {
        !matches!(self.kind, Kind::Tunnel(Half::Get { .. }))
    }
}

impl Server {
    /// Takes connection `idx` when `req` (whose head has been read; `rest`
    /// is what followed it) opens half of a tunnel, answering it or
    /// refusing it; false for any other HTTP request.
    pub fn take_tunnel(
        &mut self,
        idx: usize,
        req: &Request<'_, '_>,
        rest: &[u8],
        now: Instant,
    ) -> bool {
        let headers = req.headers.iter().map(|h| (h.name, h.value));
        let role = match tunnel::classify(req.method.as_str(), headers) {
            Ok(None) => return false,
            Ok(Some(role)) => role,
            Err(e) => {
                self.refuse_tunnel(idx, 400, &e.to_string());
                return true;
            }
        };
        match role {
            Role::Get(cookie) => self.open_get(idx, req, cookie, now),
            Role::Post(cookie) => self.open_post(idx, cookie, rest, now),
        }
        self.flush_conn(idx);
        true
    }

    fn refuse_tunnel(&mut self, idx: usize, code: u16, why: &str) {
        if let Some(c) = self.conns.slots.get(idx).and_then(Option::as_ref) {
            tracing::info!("{}: tunnel refused with {code}: {why}", c.peer);
        }
        self.send_answer(idx, &Answer::text(code, why));
        self.flush_conn(idx);
    }

    fn open_get(&mut self, idx: usize, req: &Request<'_, '_>, cookie: Cookie, now: Instant) {
        let Some(peer) = self
            .conns
            .slots
            .get(idx)
            .and_then(|c| Some(c.as_ref()?.peer))
        else {
            return;
        };
        if let Some(a) = self.unauthorized(peer, req) {
            self.send_answer(idx, &a);
            return;
        }
        if self.tunnels.by_cookie.contains_key(&cookie) {
            let why = format!("x-sessioncookie {cookie} is in use by another tunnel");
            return self.refuse_tunnel(idx, 409, &why);
        }
        if self.tunnels.by_cookie.len() >= self.cfg.max_sessions {
            let why = format!("{} tunnels open already", self.tunnels.by_cookie.len());
            return self.refuse_tunnel(idx, 503, &why);
        }
        let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        tracing::info!("{}: RTSP-over-HTTP tunnel opened (cookie {cookie})", c.peer);
        self.tunnels.by_cookie.insert(cookie, idx);
        c.kind = Kind::Tunnel(Half::Get {
            cookie,
            post: None,
            post_due: Some(now + REQUEST_TIMEOUT),
        });
        c.input = Vec::new();
        c.out.push(tunnel::GET_OK);
    }

    fn open_post(&mut self, idx: usize, cookie: Cookie, rest: &[u8], now: Instant) {
        let Some(&get) = self.tunnels.by_cookie.get(&cookie) else {
            let why = format!("no tunnel GET with x-sessioncookie {cookie}");
            return self.refuse_tunnel(idx, 404, &why);
        };
        match self.half_mut(get) {
            Some(Half::Get { post: Some(_), .. }) => {
                let why = format!("the tunnel of x-sessioncookie {cookie} has its POST");
                return self.refuse_tunnel(idx, 409, &why);
            }
            Some(Half::Get { post, post_due, .. }) => {
                *post = Some(idx);
                *post_due = None;
            }
            _ => return self.refuse_tunnel(idx, 404, "tunnel GET gone"),
        }
        let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        tracing::debug!("{}: tunnel POST joined (cookie {cookie})", c.peer);
        c.kind = Kind::Tunnel(Half::Post {
            get,
            decoder: Base64Decoder::new(),
        });
        c.input = rest.to_vec();
        self.tunnel_input(idx, now);
    }

    fn half_mut(&mut self, idx: usize) -> Option<&mut Half> {
        match &mut self.conns.slots.get_mut(idx)?.as_mut()?.kind {
            Kind::Tunnel(h) => Some(h),
            _ => None,
        }
    }

    /// Input on a tunnel half: a POST's body is decoded into its GET's
    /// input, which the GET's session then reads (what comes on a GET is
    /// dropped before it gets here, [`Conn::takes_input`]).
    ///
    /// [`Conn::takes_input`]: crate::server::Conn::takes_input
    pub fn tunnel_input(&mut self, idx: usize, now: Instant) {
        let Some(Half::Post { get, .. }) = self.half_mut(idx) else {
            return;
        };
        let get = *get;
        let mut buf = [0u8; 1024];
        let bad = loop {
            let Some((post, g)) = pair_mut(&mut self.conns.slots, idx, get) else {
                return;
            };
            let Kind::Tunnel(Half::Post { decoder, .. }) = &mut post.kind else {
                return;
            };
            let room = INPUT_BUFFER.saturating_sub(g.input.len()).min(buf.len());
            if post.input.is_empty() || room < 3 {
                break None;
            }
            match decoder.decode(&post.input, &mut buf[..room]) {
                Ok(d) if d.consumed > 0 => {
                    g.input.extend_from_slice(&buf[..d.written]);
                    post.input.drain(..d.consumed);
                }
                Ok(_) => break None,
                Err(e) => {
                    post.input.clear();
                    break Some((post.peer, e));
                }
            }
        };
        // The requests before a bad byte are answered first.
        self.handle_input(get, now);
        if let Some((peer, e)) = bad {
            tracing::info!("{peer}: tunnel POST body: {e}: ending the tunnel");
            // The POST leaves the tunnel (its GET closes once its output is
            // written) and is answered as an HTTP request, lingering.
            self.end_tunnel(idx, now);
            if let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) {
                c.kind = Kind::Http(Box::new(HttpConn::answering()));
            }
            self.refuse_tunnel(idx, 400, &e.to_string());
        }
    }

    /// Closes connection `idx` if it is a tunnel GET whose POST did not
    /// come within [`REQUEST_TIMEOUT`] (its 200 was sent: there is no
    /// status left to give).
    pub fn on_tunnel_timers(&mut self, idx: usize, now: Instant) {
        if let Some(Half::Get {
            post_due: Some(t), ..
        }) = self.half_mut(idx)
        {
            if *t <= now {
                self.close(idx, now, "tunnel GET got no POST in time");
            }
        }
    }

    /// Unlinks a closing tunnel half from its partner: a GET forgets its
    /// cookie and closes its POST; a POST leaves its GET to close once its
    /// output is written.
    pub fn end_tunnel(&mut self, idx: usize, now: Instant) {
        let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        match std::mem::take(&mut c.kind) {
            Kind::Tunnel(Half::Get { cookie, post, .. }) => {
                self.tunnels.by_cookie.remove(&cookie);
                if let Some(p) = post {
                    if matches!(self.half_mut(p), Some(Half::Post { get, .. }) if *get == idx) {
                        self.close(p, now, "its tunnel GET closed");
                    }
                }
            }
            Kind::Tunnel(Half::Post { get, .. }) => {
                if let Some(Half::Get { post, .. }) = self.half_mut(get) {
                    if *post == Some(idx) {
                        *post = None;
                        let Some(g) = self.conns.slots.get_mut(get).and_then(Option::as_mut) else {
                            return;
                        };
                        if g.out.is_empty() {
                            self.close(get, now, "its tunnel POST closed");
                        } else {
                            // The GET goes once its queued output is written.
                            g.closing = true;
                            self.flush_conn(get);
                        }
                    }
                }
            }
            other => c.kind = other,
        }
    }
}

/// Connections `a` and `b` (distinct) of `slots`, both open.
fn pair_mut<T>(slots: &mut [Option<T>], a: usize, b: usize) -> Option<(&mut T, &mut T)> {
    if a == b {
        return None;
    }
    let (lo, hi) = (a.min(b), a.max(b));
    let (left, right) = slots.split_at_mut(hi);
    let (x, y) = (left.get_mut(lo)?.as_mut()?, right.first_mut()?.as_mut()?);
    Some(if a < b { (x, y) } else { (y, x) })
}
