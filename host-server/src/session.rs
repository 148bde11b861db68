//! The host side of a session. The RTSP state machine, the responses, the
//! SDP, the RTP sender state (SSRC, sequence numbers, RTP clock) and RTCP
//! all belong to `rtsp_core::session::server::ServerSession`; this module
//! keeps what only the host knows: which clip a session plays and where its
//! packets go (the core's frame clock says which frame is due when), and it
//! implements the core's [`Host`] trait (catalogue, admission, randomness,
//! credentials).

use std::hash::{BuildHasher, Hasher};

use rtsp_core::rtsp::StatusCode;
use rtsp_core::session::client::Described;
use rtsp_core::session::server::{
    Admission, Credentials, Host, MediaInfo, MulticastGroup, Publish,
};
use rtsp_core::session::Framerate;
use rtsp_core::Duration;

use crate::media::{Catalog, Source};
use rtsp_core::session::MediaDestination;

/// Media state of a set-up session.
#[derive(Debug)]
pub struct Media {
    /// The session identifier, for the log.
    pub id: String,
    /// The stream's request path.
    pub path: String,
    /// What it plays.
    pub source: Source,
    /// Where RTP goes.
    pub dest: MediaDestination,
    /// Whether this session sends the frames its core hands out: false
    /// for a multicast member that joined a running group stream (the
    /// group's driver sends it, see `crate::multicast`) and for a paused
    /// member. Which frame is due when is the core's (`poll_frame`).
    pub drives: bool,
    /// Frames sent whole.
    pub frames: u64,
    /// RTP packets sent.
    pub packets: u64,
    /// RTP payload bytes sent.
    pub octets: u64,
    /// Frames lost: full TCP queue or full socket buffer.
    pub frames_dropped: u64,
    /// RTCP receiver reports received.
    pub reports: u64,
    /// The latest receiver report on our stream (RFC 3550 §6.4.2).
    pub last_report: Option<Report>,
}

/// What a receiver reported (RFC 3550 §6.4.1 report block).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Fraction lost since the previous report, in 1/256.
    pub fraction_lost: u8,
    /// Packets lost since the start.
    pub cumulative_lost: i32,
    /// Interarrival jitter, in RTP timestamp units (90 kHz).
    pub jitter: u32,
}

impl Media {
    /// A stream of `source` to `dest`.
    pub fn new(id: String, path: String, source: Source, dest: MediaDestination) -> Media {
        Media {
            id,
            path,
            source,
            dest,
            drives: true,
            frames: 0,
            packets: 0,
            octets: 0,
            frames_dropped: 0,
            reports: 0,
            last_report: None,
        }
    }
}

/// Our answers to the core's questions during one request.
#[derive(Debug)]
pub struct HostCtx<'a> {
    /// What is served.
    pub catalog: &'a Catalog,
    /// Sessions alive now.
    pub sessions: usize,
    /// `--max-sessions`.
    pub max_sessions: usize,
    /// The path a SETUP was admitted for (the SetUp event names no path).
    pub admitted: Option<String>,
    /// `--multicast` groups, if on.
    pub multicast: Option<&'a mut crate::server::multicast::Groups>,
    /// `--user`: the credentials required, if any.
    pub auth: Option<&'a crate::auth::Auth>,
    /// `--pull` sources, answered from their origin's status.
    pub relays: &'a crate::server::relay::Relays,
    /// Publishers, and which paths they may take.
    pub publishers: &'a crate::server::publish::Publishers,
    /// The connection asking.
    pub conn: usize,
    /// The path an ANNOUNCE was accepted for, and its frame rate if the
    /// SDP said (the core's answer names no path).
    pub announced: Option<(String, Option<f64>)>,
}

impl Host for HostCtx<'_> {
    fn media(&mut self, path: &str) -> Result<MediaInfo, StatusCode> {
        let source = self.catalog.get(path).ok_or(StatusCode::NotFound)?;
        if let Some(pull) = self.relays.pull_of(source) {
            pull.answer().inspect_err(|status| {
                tracing::warn!(
                    "{path}: answered {status}: its origin {} is {:?}",
                    pull.spec.shown,
                    pull.status()
                );
            })?;
        }
        media_info(path, source)
    }

    fn admit(&mut self, path: &str) -> Admission {
        if self.sessions >= self.max_sessions {
            tracing::warn!(
                "SETUP {path} refused: {} sessions, the --max-sessions limit",
                self.sessions
            );
            return Admission::NotEnoughBandwidth;
        }
        self.admitted = Some(path.to_string());
        Admission::Accept
    }

    fn random_u32(&mut self) -> u32 {
        random() as u32
    }

    fn multicast(&mut self, path: &str) -> Option<MulticastGroup> {
        self.catalog.get(path)?;
        self.multicast.as_mut()?.group(path)
    }

    fn credentials(&self) -> Option<Credentials<'_>> {
        self.auth.map(crate::auth::Auth::credentials)
    }

    fn accepts_publishers(&self) -> bool {
        self.publishers.any()
    }

    fn publish(&mut self, path: &str, stream: &Described) -> Publish {
        let answer = self.publishers.decide(self.catalog, self.conn, path);
        if answer == Publish::Accept {
            let fps = stream
                .framerate
                .filter(|f| f.num > 0 && f.den > 0)
                .map(|f| f64::from(f.num) / f64::from(f.den));
            self.announced = Some((path.to_string(), fps));
        } else {
            tracing::warn!("ANNOUNCE {path} refused: {answer:?}");
        }
        answer
    }
}

/// What the core needs to know of `source` at `path` (size, rate, length);
/// 415 for a source that cannot be streamed.
pub fn media_info(path: &str, source: &Source) -> Result<MediaInfo, StatusCode> {
    match source {
        Source::Clip(c) => Ok(MediaInfo {
            width: c.width,
            height: c.height,
            framerate: framerate(c.fps),
            duration: Some(Duration::from_micros((c.duration_secs() * 1e6) as u64)),
        }),
        Source::Live(l) => {
            let (width, height) = l.dimensions().unwrap_or((0, 0));
            Ok(MediaInfo {
                width,
                height,
                framerate: framerate(l.fps),
                duration: None,
            })
        }
        Source::Refused(why) => {
            tracing::warn!("{path} asked for, but it cannot be streamed: {why}");
            Err(StatusCode::UnsupportedMediaType)
        }
    }
}

/// A frame rate as the fraction SDP wants (RFC 4566 §6 `a=framerate`).
pub fn framerate(fps: f64) -> Framerate {
    Framerate::from_millis((fps * 1000.0).round() as u32)
}

/// 64 random bits from the standard library's per-process random hasher
/// keys (no extra dependency; not for cryptography).
pub fn random() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(N.fetch_add(1, Ordering::Relaxed));
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framerates() {
        assert_eq!(framerate(25.0), Framerate::fps(25));
        assert_eq!(
            framerate(29.97),
            Framerate {
                num: 29970,
                den: 1000
            }
        );
        assert_ne!(random(), random());
    }
}
