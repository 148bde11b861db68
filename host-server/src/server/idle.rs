//! Connections with no session that have gone quiet: no whole first
//! request line yet (neither RTSP nor HTTP, `Kind::Undecided`), or RTSP
//! with no session (an OPTIONS or DESCRIBE, half a request, or after
//! TEARDOWN). Left alone, a peer that connects and sends nothing (or half
//! a line) would hold its socket and slot forever: a slowloris. Such a
//! connection gets
//! [`Config::session_timeout`](crate::server::Config::session_timeout)
//! from the last bytes it sent or the end of its session, whichever is
//! later (so an expired session's client can still be told 454 on the same
//! connection); past it, it is closed without an answer
//! (for an undecided one there is no protocol to answer in) and counted
//! (`rtsp_server_idle_connections_closed_total`). Sessions have the core's
//! expiry, HTTP its own request deadline, tunnels theirs, and a request
//! held for a pull's origin its wait.
//!
//! Why the session timeout and not the 10 s an HTTP request head gets
//! ([`REQUEST_TIMEOUT`](crate::server::http::REQUEST_TIMEOUT)): an RTSP
//! client may connect and only then wait for its user, as the lab's
//! interactive client does (`rtsp-client` without `--play` sends SETUP
//! when `setup` is typed). The session timeout is the silence the server
//! allows an RTSP peer anyway (RFC 2326 §12.37), and `--session-timeout`
//! tunes both.

use rtsp_core::session::server::State;
use rtsp_core::Instant;

use crate::server::{Conn, Kind, Server};

impl Conn {
    /// When this connection is closed unless it sends something, if it
    /// has no session or other deadline that keeps it.
    pub fn idle_timeout(&self) -> Option<Instant> {
        let sessionless = match self.kind {
            Kind::Undecided => true,
            Kind::Rtsp => {
                self.media.is_none()
                    && self.core.state() == State::Init
                    && self.core.poll_timeout().is_none()
            }
            Kind::Http(_) | Kind::Tunnel(_) => false,
        };
        sessionless.then_some(self.idle_until)
    }
}

impl Server {
    /// Closes connection `idx` if it has been idle, with no session, past
    /// its deadline.
    pub fn on_idle_timers(&mut self, idx: usize, now: Instant) {
        let Some(c) = self.conns.slots.get(idx).and_then(Option::as_ref) else {
            return;
        };
        if c.idle_timeout().is_none_or(|t| t > now) || self.relays.holds(idx) {
            return;
        }
        tracing::info!(
            "{}: nothing for {:?} and no session ({}, {} bytes of a request): closed",
            c.peer,
            self.cfg.session_timeout,
            if matches!(c.kind, Kind::Undecided) {
                "no first request line"
            } else {
                "RTSP"
            },
            c.input.len()
        );
        self.totals.idle_closed();
        self.close(idx, now, "idle with no session");
    }
}
