//! Pull-relays (`--pull NAME=rtsp://origin/path`): another RTSP server's
//! stream, served at NAME like a `--live` source.
//!
//! Each pull has a thread that plays the origin with the core's client
//! session (`rtsp_core::session::client`, the one `rtsp-client` uses) over
//! RTP/AVP/TCP interleaved ([`origin`]), reassembles its RTP/JPEG packets
//! into frames (`jpeg::Depacketizer`) and hands them to the event loop as a
//! live source's frames: every viewer of NAME shares them, packetized once
//! per viewer from the same scan data, which therefore arrives byte for byte
//! as the origin sent it (nothing is decoded or encoded again).
//!
//! Decisions:
//! * **TCP interleaved to the origin** (RFC 2326 §10.12): one connection,
//!   no UDP ports to open towards the origin (relays sit behind NAT and
//!   firewalls), no loss on the way in (a lost packet would cost every
//!   viewer the whole frame), and reading a TCP stream in 64 KiB chunks
//!   costs less per packet than one `recvmsg` per UDP datagram.
//! * **On demand** (the default): the origin is pulled while NAME has
//!   viewers, and TEARDOWN is sent [`LINGER`] after the last one left (so a
//!   player's DESCRIBE → SETUP, or a quick reconnect, does not cycle the
//!   origin). A DESCRIBE or SETUP for NAME while the pull is not up waits
//!   (the connection's requests are held, up to [`WAIT_FOR_ORIGIN`]) until
//!   the origin sent a frame, refused, or could not be reached; then it is
//!   answered: 200 with the origin's frame size, 502 Bad Gateway when the
//!   origin refused (its status is logged), 504 Gateway Time-out when it is
//!   unreachable or silent. `--pull-always` keeps the origin open from start.
//! * **Reconnects** when the origin drops (connection closed, RTCP BYE, no
//!   media for [`MEDIA_TIMEOUT`]), after [`BACKOFF_MIN`] doubling up to
//!   [`BACKOFF_MAX`]: viewers keep their sessions and get frames again at
//!   most `BACKOFF_MAX` plus a setup after the origin is back.
//! * **Credentials** come from the URL's userinfo (`rtsp://user:pass@host/…`,
//!   percent-decoded), answered by the core's Digest/Basic client; the URL
//!   is logged without them.
//! * **RTP timing**: viewers get the relay's own SSRC and sequence numbers,
//!   which run on across origin reconnects, and live RTP timestamps (the
//!   relay's clock when a frame is fanned out, as for `--live`).

mod origin;
mod url;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use mio::Waker;
use rtsp_core::rtsp::StatusCode;

use crate::live::{self, Live, LiveFeed, Producer};

pub use url::{parse_pull, PullSpec};

/// Time between the last viewer leaving and TEARDOWN to the origin.
pub const LINGER: Duration = Duration::from_secs(5);
/// Longest a DESCRIBE or SETUP waits for the origin before 504.
pub const WAIT_FOR_ORIGIN: Duration = Duration::from_secs(10);
/// No RTP from a playing origin for this long: reconnect.
pub const MEDIA_TIMEOUT: Duration = Duration::from_secs(10);
/// First wait before reconnecting.
pub const BACKOFF_MIN: Duration = Duration::from_millis(250);
/// Longest wait between attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(2);

/// Where the pull stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// No connection (no viewer, on demand).
    Idle,
    /// Connecting or setting up.
    Connecting,
    /// PLAY answered: frames flow.
    Up,
    /// The origin answered with an error (RFC 2326 §7.1.1).
    Refused(StatusCode),
    /// The origin could not be reached, or dropped, or went silent.
    Unreachable,
}

/// One pull, shared by its thread and the event loop.
#[derive(Debug)]
pub struct Pull {
    /// The origin and the path it is served at.
    pub spec: PullSpec,
    /// `--pull-always`: pulled whether or not anyone watches.
    pub always: bool,
    /// The live source its frames feed.
    pub live: Arc<Live>,
    status: Mutex<Status>,
    /// Sessions of the path plus requests waiting for the origin.
    viewers: AtomicUsize,
    /// Attempts finished (for requests waiting on a newer verdict).
    attempts: AtomicU64,
    thread: OnceLock<Thread>,
}

impl Pull {
    /// The current status.
    pub fn status(&self) -> Status {
        self.status
            .lock()
            .map(|s| s.clone())
            .unwrap_or(Status::Idle)
    }

    /// Whether frames flow: DESCRIBE can be answered at once.
    pub fn is_ready(&self) -> bool {
        self.status() == Status::Up && self.live.dimensions().is_some()
    }

    /// Attempts finished so far.
    pub fn attempts(&self) -> u64 {
        self.attempts.load(Ordering::Acquire)
    }

    /// A viewer (session or waiting request) arrived: wakes the thread.
    pub fn join(&self) {
        if self.viewers.fetch_add(1, Ordering::AcqRel) == 0 {
            if let Some(t) = self.thread.get() {
                t.unpark();
            }
        }
    }

    /// A viewer left.
    pub fn leave(&self) {
        let _ = self
            .viewers
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| v.checked_sub(1));
    }

    /// Whether the origin should be open now.
    fn wanted(&self) -> bool {
        self.always || self.viewers.load(Ordering::Acquire) > 0
    }

    fn set_status(&self, s: Status, producer: &Producer) {
        if let Ok(mut g) = self.status.lock() {
            *g = s;
        }
        // Waiting requests are answered from the loop.
        producer.wake();
    }

    /// How a DESCRIBE or SETUP of the path is answered now (RFC 2326
    /// §7.1.1: 502 when the origin refused, 504 when it cannot be reached
    /// or sent nothing).
    pub fn answer(&self) -> Result<(), StatusCode> {
        match self.status() {
            _ if self.is_ready() => Ok(()),
            Status::Refused(_) => Err(StatusCode::BadGateway),
            _ => Err(StatusCode::GatewayTimeout),
        }
    }
}

/// Starts pulling `spec` (at once with `always`, else on the first
/// viewer); returns the live feed for the loop and the shared state.
pub fn spawn(spec: PullSpec, always: bool, fps: f64, waker: Arc<Waker>) -> (LiveFeed, Arc<Pull>) {
    let (feed, producer) = live::channel(Live::new(&spec.name, fps), waker);
    let pull = Arc::new(Pull {
        spec,
        always,
        live: feed.live.clone(),
        status: Mutex::new(Status::Idle),
        viewers: AtomicUsize::new(0),
        attempts: AtomicU64::new(0),
        thread: OnceLock::new(),
    });
    let shared = pull.clone();
    match thread::Builder::new()
        .name(format!("pull-{}", pull.spec.name))
        .spawn(move || run(&shared, &producer))
    {
        Ok(h) => {
            let _ = pull.thread.set(h.thread().clone());
        }
        Err(e) => tracing::error!("cannot start the pull of {}: {e}", pull.spec.name),
    }
    (feed, pull)
}

/// The pull's thread: wait for demand, play the origin until it drops or
/// nobody watches, back off, again.
fn run(pull: &Pull, producer: &Producer) {
    let name = &pull.spec.name;
    let shown = &pull.spec.shown;
    let mut backoff = BACKOFF_MIN;
    // The last failure logged: the same one again (an origin down for a
    // while, a path not published yet) goes to the debug log, not every
    // 2 s to the warnings.
    let mut last_failure = String::new();
    loop {
        while !pull.wanted() {
            thread::park();
        }
        pull.set_status(Status::Connecting, producer);
        let started = Instant::now();
        let played = std::cell::Cell::new(false);
        let end = origin::play(pull, producer, |s| {
            if s == Status::Up {
                tracing::info!("pull {name}: playing {shown}");
                played.set(true);
            }
            pull.set_status(s, producer);
        });
        if played.get() {
            // A failure after a good run is news again.
            last_failure.clear();
        }
        pull.attempts.fetch_add(1, Ordering::AcqRel);
        if started.elapsed() > 2 * MEDIA_TIMEOUT {
            // It worked for a while: start the backoff over.
            backoff = BACKOFF_MIN;
        }
        match end {
            origin::End::NoDemand => {
                tracing::info!(
                    "pull {name}: no viewer for {} s: closed {shown}",
                    LINGER.as_secs()
                );
                pull.set_status(Status::Idle, producer);
                backoff = BACKOFF_MIN;
                continue;
            }
            origin::End::Refused(status, why) => {
                let line = format!("pull {name}: {shown} refused: {why}");
                log_failure(line, &mut last_failure);
                pull.set_status(Status::Refused(status), producer);
            }
            origin::End::Lost(why) => {
                log_failure(format!("pull {name}: {shown}: {why}"), &mut last_failure);
                pull.set_status(Status::Unreachable, producer);
            }
        }
        if !pull.wanted() {
            continue;
        }
        tracing::debug!("pull {name}: retrying in {:.2} s", backoff.as_secs_f64());
        let until = Instant::now() + backoff;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            thread::park_timeout(left);
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// Logs a failure as a warning, or at debug level when it repeats the last.
fn log_failure(line: String, last: &mut String) {
    if line == *last {
        tracing::debug!("{line}");
    } else {
        tracing::warn!("{line}");
        *last = line;
    }
}
