//! The frame clock of a clip (RFC 2326 §12.29 positions, RFC 2435 §3
//! timestamps): which frame of the presentation is due when. One policy
//! for every host:
//!
//! * **Start:** PLAY makes the next frame due at once; the host may move it
//!   to its own phase ([`ServerSession::schedule_frames`]), and every later
//!   frame is due one period after the one before, so sessions that share
//!   a phase stay on it and can be served in one wake-up.
//! * **Seek:** `Range: npt=T-` starts at frame ⌊T / period⌋. Without a
//!   range, PLAY resumes at the next frame (after the end of a clip: from
//!   the start).
//! * **Pause** stops the clock; the position is kept.
//! * **Lateness:** frames due in the past are handed out back to back to
//!   catch up, unless the host is more than
//!   [`FRAME_MAX_LATENESS_MS`](crate::limits::FRAME_MAX_LATENESS_MS) behind
//!   (a stopped process, a long stall): then the clock skips to the frame
//!   due now, so receivers see a gap rather than a burst.
//! * **End of clip:** the clip loops when [`Config::looping`](super::Config::looping)
//!   (positions and RTP time keep increasing, RFC 3550 §5.1), else the
//!   clock stops and [`Event::Ended`](super::Event::Ended) says so.
//!
//! Live sources (no duration) have no clock: their frames come when they
//! come, through [`ServerSession::frame_header`].
//!
//! [`ServerSession::schedule_frames`]: super::ServerSession::schedule_frames
//! [`ServerSession::frame_header`]: super::ServerSession::frame_header

use super::MediaInfo;
use crate::limits::FRAME_MAX_LATENESS_MS;
use crate::{rtp, Duration, Instant};

/// A frame of the clip due now, from
/// [`ServerSession::poll_frame`](super::ServerSession::poll_frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DueFrame {
    /// Index of the clip frame to send (`0..frames`).
    pub index: u32,
    /// Its position in the presentation: frames since the start times the
    /// period, growing across loops (the media time of
    /// [`frame_header`](super::ServerSession::frame_header)).
    pub position: Duration,
    /// The RTP header of its first packet: feed it to
    /// [`jpeg::Packetizer::new`](crate::jpeg::Packetizer::new), then report
    /// the packets with [`on_rtp_sent`](super::ServerSession::on_rtp_sent).
    pub header: rtp::Repr,
}

/// Clock state (the due instant lives in the session's timer table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct FrameClock {
    /// Frame period in microseconds; 0 for a live source (no clock).
    period_us: u32,
    /// Frames in the clip.
    frames: u32,
    /// The next frame, counted from the clip's start across loops.
    next: u32,
    /// Frames are being handed out.
    running: bool,
    /// The clip ended (no looping): the next PLAY starts it again.
    ended: bool,
}

/// What one step of the clock gives.
pub(crate) enum Tick {
    /// Nothing due (or no clock).
    Idle,
    /// The clip ended here (no looping).
    Ended,
    /// Frame `next` at `position`; the following one is due at `due`.
    Frame {
        index: u32,
        position: Duration,
        due: Instant,
    },
}

impl FrameClock {
    pub(crate) const fn new() -> Self {
        FrameClock {
            period_us: 0,
            frames: 0,
            next: 0,
            running: false,
            ended: false,
        }
    }

    /// A clock for `info` (none for a live source or a rate of zero).
    pub(crate) fn for_media(info: &MediaInfo) -> Self {
        let mut c = FrameClock::new();
        let (Some(duration), num, den) = (info.duration, info.framerate.num, info.framerate.den)
        else {
            return c;
        };
        if num == 0 || den == 0 {
            return c;
        }
        // Rounded to the microsecond, as hosts compute their period.
        let period = (1_000_000 * u64::from(den) + u64::from(num) / 2) / u64::from(num);
        let Ok(period_us) = u32::try_from(period) else {
            return c;
        };
        if period_us == 0 {
            return c;
        }
        let frames = (duration.as_micros() + period / 2) / period;
        c.period_us = period_us;
        c.frames = u32::try_from(frames).unwrap_or(u32::MAX).max(1);
        c
    }

    /// A clock for `frames` frames at `rate` (a publisher's source, see
    /// [`Publisher`](crate::session::client::Publisher)); none for a rate
    /// of zero.
    pub(crate) fn for_frames(rate: crate::session::Framerate, frames: u32) -> Self {
        let mut c = FrameClock::for_media(&MediaInfo {
            width: 0,
            height: 0,
            framerate: rate,
            duration: Some(Duration::ZERO),
        });
        if c.period_us != 0 {
            c.frames = frames.max(1);
        }
        c
    }

    fn period(&self) -> Duration {
        Duration::from_micros(u64::from(self.period_us))
    }

    pub(crate) fn is_running(&self) -> bool {
        self.running
    }

    /// PLAY: seeks to `start` (or resumes; restarts after the end) and
    /// starts the clock. Returns whether it runs (a clip, not live).
    pub(crate) fn play(&mut self, start: Option<Duration>) -> bool {
        if self.period_us == 0 {
            return false;
        }
        match start {
            Some(t) => {
                let at = t.as_micros() / u64::from(self.period_us);
                self.next = u32::try_from(at).unwrap_or(u32::MAX).min(self.frames);
                self.ended = false;
            }
            None if self.ended => {
                self.next = 0;
                self.ended = false;
            }
            None => {}
        }
        self.running = true;
        true
    }

    pub(crate) fn stop(&mut self) {
        self.running = false;
    }

    /// One step at `now` with the next frame due at `due`.
    pub(crate) fn tick(&mut self, now: Instant, mut due: Instant, looping: bool) -> Tick {
        if !self.running || due > now {
            return Tick::Idle;
        }
        let period = u64::from(self.period_us.max(1));
        let late = now.saturating_since(due);
        if late > Duration::from_millis(FRAME_MAX_LATENESS_MS) {
            let skip = late.as_micros() / period;
            due = due + Duration::from_micros(skip * period);
            self.next = self
                .next
                .saturating_add(u32::try_from(skip).unwrap_or(u32::MAX));
        }
        if self.next >= self.frames && !looping {
            self.running = false;
            self.ended = true;
            return Tick::Ended;
        }
        let index = self.next % self.frames.max(1);
        let position = Duration::from_micros(u64::from(self.next) * period);
        self.next = self.next.saturating_add(1);
        Tick::Frame {
            index,
            position,
            due: due + self.period(),
        }
    }

    /// Takes `leader`'s position (a multicast member taking over a shared
    /// stream).
    pub(crate) fn follow(&mut self, leader: &FrameClock) {
        if self.running && self.period_us == leader.period_us && self.frames == leader.frames {
            self.next = leader.next;
            self.ended = leader.ended;
        }
    }
}

/// The frame clock on its own, for a host that paces a clip to a viewer
/// without an RTSP session (rtsp-server's browsers, MJPEG over HTTP): the
/// same policy as [`ServerSession::poll_frame`](super::ServerSession::poll_frame)
/// (start, lateness, looping or end), without RTP. 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FramePacer {
    clock: FrameClock,
    /// When the next frame is due, while the clock runs.
    due: Option<Instant>,
    looping: bool,
}

impl FramePacer {
    /// A clock for `info`, stopped; `looping` as
    /// [`Config::looping`](super::Config::looping). A live source (no
    /// duration) has no clock: [`start`](Self::start) does nothing.
    pub fn new(info: &MediaInfo, looping: bool) -> Self {
        FramePacer {
            clock: FrameClock::for_media(info),
            due: None,
            looping,
        }
    }

    /// Starts at `position` in the clip (wrapped to the clip's length when
    /// looping, else clamped to its end) with that frame due at `at`;
    /// later frames follow one period apart.
    pub fn start(&mut self, at: Instant, position: Duration) {
        let length = u64::from(self.clock.period_us) * u64::from(self.clock.frames);
        let position = match length {
            0 => position,
            _ if self.looping => Duration::from_micros(position.as_micros() % length),
            _ => position,
        };
        if self.clock.play(Some(position)) {
            self.due = Some(at);
        }
    }

    /// The index of the clip frame due at `now`, if any: call until `None`
    /// (frames up to [`FRAME_MAX_LATENESS_MS`] late come back to back,
    /// later ones are skipped). At the end of a clip that does not loop the
    /// clock stops ([`poll_timeout`](Self::poll_timeout) is then `None`).
    #[must_use = "a frame handed out and not sent is lost"]
    pub fn poll_frame(&mut self, now: Instant) -> Option<u32> {
        match self.clock.tick(now, self.due?, self.looping) {
            Tick::Idle => None,
            Tick::Ended => {
                self.due = None;
                None
            }
            Tick::Frame { index, due, .. } => {
                self.due = Some(due);
                Some(index)
            }
        }
    }

    /// When the next frame is due, while the clock runs.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.due
    }
}

#[cfg(test)]
mod pacer_tests {
    use super::*;
    use crate::session::Framerate;

    fn clip(frames: u64) -> MediaInfo {
        MediaInfo {
            width: 320,
            height: 240,
            framerate: Framerate::fps(25),
            duration: Some(Duration::from_millis(40 * frames)),
        }
    }

    #[test]
    fn paces_loops_and_skips_like_a_session() {
        let t0 = Instant::from_micros(1_000_000);
        let mut p = FramePacer::new(&clip(3), true);
        assert_eq!(p.poll_frame(t0), None, "stopped until started");
        // 5 frames in: the clip has 3, so it starts at frame 2.
        p.start(t0, Duration::from_millis(200));
        assert_eq!(p.poll_frame(t0), Some(2));
        p.start(t0, Duration::ZERO);
        assert_eq!(p.poll_frame(t0), Some(0));
        assert_eq!(p.poll_frame(t0), None);
        assert_eq!(p.poll_timeout(), Some(t0 + Duration::from_millis(40)));
        // 100 ms late: two frames back to back, then wait; it loops.
        let t = t0 + Duration::from_millis(120);
        assert_eq!(p.poll_frame(t), Some(1));
        assert_eq!(p.poll_frame(t), Some(2));
        assert_eq!(p.poll_frame(t), Some(0));
        assert_eq!(p.poll_frame(t), None);
        // A stall of 2 s skips to the frame due now (49 periods on).
        let t = t0 + Duration::from_millis(2120);
        assert_eq!(p.poll_frame(t), Some((4 + 49) % 3));
        assert_eq!(p.poll_frame(t), None);
    }

    #[test]
    fn stops_at_the_end_without_looping_and_live_has_no_clock() {
        let t0 = Instant::from_micros(5);
        let mut p = FramePacer::new(&clip(2), false);
        p.start(t0, Duration::ZERO);
        let t = t0 + Duration::from_millis(80);
        assert_eq!(p.poll_frame(t), Some(0));
        assert_eq!(p.poll_frame(t), Some(1));
        assert_eq!(p.poll_frame(t), None);
        assert_eq!(p.poll_timeout(), None);
        let mut live = FramePacer::new(
            &MediaInfo {
                duration: None,
                ..clip(1)
            },
            true,
        );
        live.start(t0, Duration::ZERO);
        assert_eq!((live.poll_timeout(), live.poll_frame(t)), (None, None));
    }
}
