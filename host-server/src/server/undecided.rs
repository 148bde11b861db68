//! Connections that have not said what they speak yet: no whole first
//! request line, so neither RTSP nor HTTP (`Kind::Undecided`). Left alone,
//! a peer that connects and sends nothing (or half a line) would hold its
//! socket and slot forever: a slowloris. Each gets
//! [`Config::session_timeout`](crate::server::Config::session_timeout)
//! from its connection to send a first line; past it, the connection is
//! closed without an answer (there is no protocol to answer in) and
//! counted (`rtsp_server_undecided_connections_closed_total`).
//!
//! Why the session timeout and not the 10 s an HTTP request head gets
//! ([`REQUEST_TIMEOUT`](crate::server::http::REQUEST_TIMEOUT)): an RTSP
//! client may connect and only then wait for its user, as the lab's
//! interactive client does (`rtsp-client` without `--play` sends SETUP
//! when `setup` is typed). The session timeout is the silence the server
//! allows an RTSP peer anyway (RFC 2326 §12.37), and `--session-timeout`
//! tunes both.

use rtsp_core::Instant;

use crate::server::{Conn, Kind, Server};

impl Conn {
    /// When this connection must have sent its first request line.
    pub fn undecided_timeout(&self) -> Option<Instant> {
        matches!(self.kind, Kind::Undecided).then_some(self.decide_by)
    }
}

impl Server {
    /// Closes connection `idx` if it is undecided past its deadline.
    pub fn on_undecided_timers(&mut self, idx: usize, now: Instant) {
        let Some(c) = self.conns.slots.get(idx).and_then(Option::as_ref) else {
            return;
        };
        if c.undecided_timeout().is_some_and(|t| t <= now) {
            tracing::info!(
                "{}: no first request line in {:?}, {} bytes of one: closed",
                c.peer,
                self.cfg.session_timeout,
                c.input.len()
            );
            self.totals.undecided_closed();
            self.close(idx, now, "no first request line in time");
        }
    }
}
