//! The loop's side of pull-relays (`crate::pull`): which paths are pulled,
//! their viewers (sessions of the path, which keep an on-demand pull open),
//! and requests held until the origin has answered.
//!
//! A DESCRIBE or SETUP for a pulled path whose origin is not up yet is not
//! handed to the connection's session: the connection's input waits (it
//! counts as a viewer, so the pull starts) until the origin sent a frame,
//! an attempt ended (refused or unreachable), or
//! [`WAIT_FOR_ORIGIN`](crate::pull::WAIT_FOR_ORIGIN) passed; then the
//! request goes through and `Host::media` answers from the pull's status
//! (`Pull::answer`: 200, 502 or 504).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use mio::Waker;
use rtsp_core::limits::RTSP_MAX_HEADERS;
use rtsp_core::rtsp::{self, Header, Message, Method};
use rtsp_core::session::server::request_path;
use rtsp_core::{Duration, Instant};

use crate::media::Source;
use crate::pull::{self, Pull, PullSpec};
use crate::server::Server;

/// The pulls and the requests waiting for them.
#[derive(Debug, Default)]
pub struct Relays {
    /// Pull by path.
    pulls: HashMap<String, Arc<Pull>>,
    /// Connections whose next request waits for a pull.
    held: HashMap<usize, Held>,
    /// Connections whose next request goes through (it waited already).
    released: HashSet<usize>,
}

#[derive(Debug)]
struct Held {
    pull: Arc<Pull>,
    /// Attempts the pull had finished when the request arrived.
    attempts: u64,
    until: Instant,
}

impl Held {
    fn done(&self, now: Instant) -> bool {
        self.pull.is_ready() || self.pull.attempts() > self.attempts || now >= self.until
    }
}

impl Relays {
    /// The pull serving `source`, if it is one.
    pub fn pull_of(&self, source: &Source) -> Option<&Arc<Pull>> {
        match source {
            Source::Live(l) => self.pulls.get(&l.name).filter(|p| Arc::ptr_eq(&p.live, l)),
            _ => None,
        }
    }

    /// Whether connection `idx`'s next request waits for a pull.
    pub fn holds(&self, idx: usize) -> bool {
        self.held.contains_key(&idx)
    }

    /// The earliest deadline of a held request.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.held.values().map(|h| h.until).min()
    }
}

impl Server {
    /// Pulls `spec` and serves it at its name (`--pull`).
    pub fn serve_pull(&mut self, spec: PullSpec, always: bool, waker: Arc<Waker>) {
        let name = spec.name.clone();
        let (feed, pull) = pull::spawn(spec, always, self.cfg.fps, waker);
        self.serve_live(&name, feed);
        self.relays.pulls.insert(name, pull);
    }

    /// Whether connection `idx`'s next request (at the start of `input`)
    /// must wait for a pull's origin; starts the pull if so.
    pub fn hold_for_origin(&mut self, idx: usize, input: &[u8], now: Instant) -> bool {
        if self.relays.pulls.is_empty() || self.relays.released.remove(&idx) {
            return false;
        }
        if self.relays.held.contains_key(&idx) {
            return true;
        }
        let mut headers = [Header::EMPTY; RTSP_MAX_HEADERS];
        let Ok(rtsp::Status::Complete((Message::Request(req), _))) =
            rtsp::parse(input, &mut headers)
        else {
            return false;
        };
        if !matches!(req.method, Method::Describe | Method::Setup) {
            return false;
        }
        let Some(source) = request_path(req.uri).and_then(|p| self.catalog.get(p)) else {
            return false;
        };
        let Some(pull) = self.relays.pull_of(source).cloned() else {
            return false;
        };
        if pull.is_ready() {
            return false;
        }
        if let Some(c) = self.conns.slots.get(idx).and_then(Option::as_ref) {
            tracing::info!(
                "{}: {} {} waits for its origin {}",
                c.peer,
                req.method,
                pull.spec.name,
                pull.spec.shown
            );
        }
        pull.join();
        let wait = Duration::from_micros(pull::WAIT_FOR_ORIGIN.as_micros() as u64);
        self.relays.held.insert(
            idx,
            Held {
                attempts: pull.attempts(),
                pull,
                until: now + wait,
            },
        );
        true
    }

    /// Lets through every held request whose pull is up, failed, or
    /// waited long enough.
    pub fn release_held(&mut self, now: Instant) {
        let done: Vec<usize> = self
            .relays
            .held
            .iter()
            .filter(|(_, h)| h.done(now))
            .map(|(&idx, _)| idx)
            .collect();
        for idx in done {
            if let Some(h) = self.relays.held.remove(&idx) {
                h.pull.leave();
            }
            self.relays.released.insert(idx);
            self.handle_input(idx, now);
            self.flush_conn(idx);
        }
    }

    /// Connection `idx` is gone: it waits for nothing any more.
    pub fn forget_held(&mut self, idx: usize) {
        if let Some(h) = self.relays.held.remove(&idx) {
            h.pull.leave();
        }
        self.relays.released.remove(&idx);
    }
}
