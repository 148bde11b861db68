//! The server session's frame clock on a virtual clock (RFC 2326 §12.29
//! positions, RFC 2435 §3 timestamps): start, lateness, pause, seek, the
//! end of a clip and looping, and a host's phase. One policy, used by
//! rtsp-server and the firmware alike.

mod session_common;

use rtsp_core::rtp::{RtpTimestamp, SeqNo};
use rtsp_core::session::server::{self, DueFrame, Event, ServerSession};
use rtsp_core::{Duration, Instant};
use session_common::*;

const URL: &str = "rtsp://127.0.0.1/clip25";
const PERIOD: Duration = Duration::from_millis(40);

struct Clip {
    s: ServerSession,
    h: TestHost,
    now: Instant,
    id: String,
}

impl Clip {
    fn new(looping: bool) -> Clip {
        let config = server::Config {
            looping,
            ..server::Config::default()
        };
        let mut c = Clip {
            s: ServerSession::new(config, PEER),
            h: TestHost::default(),
            now: Instant::from_micros(10_000_000),
            id: String::new(),
        };
        let r = c.ask(&format!(
            "SETUP {URL}/stream=0 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n"
        ));
        assert_eq!(status(&r), 200, "{r}");
        c.id = header(&r, "Session")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .into();
        c
    }

    fn ask(&mut self, req: &str) -> String {
        ask(&mut self.s, &mut self.h, self.now, req)
    }

    /// PLAY (with `Range: npt=<range>`); returns RTP-Info's seq and rtptime.
    fn play(&mut self, range: Option<&str>) -> (SeqNo, RtpTimestamp) {
        let range = range.map_or(String::new(), |r| format!("Range: npt={r}\r\n"));
        let r = self.ask(&format!(
            "PLAY {URL} RTSP/1.0\r\nCSeq: 2\r\nSession: {}\r\n{range}\r\n",
            self.id
        ));
        assert_eq!(status(&r), 200, "{r}");
        let info = header(&r, "RTP-Info").unwrap();
        let field = |k: &str| {
            info.split(';')
                .find_map(|p| p.strip_prefix(k))
                .unwrap()
                .parse::<u32>()
                .unwrap()
        };
        (SeqNo(field("seq=") as u16), RtpTimestamp(field("rtptime=")))
    }

    fn pause(&mut self) {
        let r = self.ask(&format!(
            "PAUSE {URL} RTSP/1.0\r\nCSeq: 3\r\nSession: {}\r\n\r\n",
            self.id
        ));
        assert_eq!(status(&r), 200, "{r}");
    }

    /// Every frame due now, each reported sent as 3 packets.
    fn frames(&mut self) -> Vec<DueFrame> {
        let mut out = Vec::new();
        while let Some(f) = self.s.poll_frame(self.now) {
            self.s.on_rtp_sent(self.now, 3, 3000);
            out.push(f);
            assert!(out.len() < 1000, "the clock never stops");
        }
        out
    }

    fn indices(&mut self) -> Vec<u32> {
        self.frames().iter().map(|f| f.index).collect()
    }

    fn advance(&mut self, d: Duration) {
        self.now = self.now + d;
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.s.poll_event()).collect()
    }
}

#[test]
fn play_starts_at_once_and_frames_follow_one_period_apart() {
    let mut c = Clip::new(true);
    assert_eq!(c.s.poll_frame(c.now), None, "not playing yet");
    let (seq, rtptime) = c.play(None);
    assert_eq!(
        c.s.poll_timeout(),
        Some(c.now),
        "the first frame is due now"
    );
    let f = c.frames();
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].index, f[0].position), (0, Duration::ZERO));
    assert_eq!(
        (f[0].header.sequence, f[0].header.timestamp),
        (seq, rtptime),
        "RTP-Info names the first frame"
    );
    assert_eq!(c.s.poll_timeout(), Some(c.now + PERIOD));
    c.advance(Duration::from_millis(39));
    assert!(c.frames().is_empty(), "not before its time");
    c.advance(Duration::from_millis(1));
    let f = c.frames();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].index, 1);
    assert_eq!(f[0].position, PERIOD);
    assert_eq!(f[0].header.sequence, seq.wrapping_add(3));
    assert_eq!(f[0].header.timestamp, rtptime.wrapping_add(3600));
}

#[test]
fn late_frames_catch_up_within_half_a_second_and_skip_beyond() {
    let mut c = Clip::new(true);
    c.play(None);
    assert_eq!(c.indices(), [0]);
    // 200 ms late: the four missed frames and the one due now, back to back.
    c.advance(Duration::from_millis(40 + 160));
    assert_eq!(c.indices(), [1, 2, 3, 4, 5]);
    assert_eq!(c.s.frame_due(), Some(c.now + PERIOD));
    // 2 s late (a stopped process): skip to the frame due now.
    c.advance(Duration::from_millis(40 + 2000));
    let f = c.frames();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].index, 6 + 50);
    assert_eq!(f[0].position, Duration::from_millis(56 * 40));
    // The next one is due a period after the frame due now.
    assert_eq!(c.s.frame_due(), Some(c.now + PERIOD));
}

#[test]
fn pause_keeps_the_position_and_play_resumes_it() {
    let mut c = Clip::new(true);
    c.play(None);
    assert_eq!(c.indices(), [0]);
    c.advance(PERIOD);
    assert_eq!(c.indices(), [1]);
    c.pause();
    assert_eq!(c.events().last(), Some(&Event::Paused));
    c.advance(Duration::from_secs(3));
    assert!(c.frames().is_empty());
    assert_eq!(c.s.frame_due(), None, "no frame timer while paused");
    let (seq, rtptime) = c.play(None);
    let f = c.frames();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].index, 2, "resumes at the next frame");
    assert_eq!(
        (f[0].header.sequence, f[0].header.timestamp),
        (seq, rtptime)
    );
}

#[test]
fn seek_starts_at_the_frame_of_the_range() {
    let mut c = Clip::new(true);
    let (_, rtptime) = c.play(Some("2-"));
    let f = c.frames();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].index, 50, "npt=2 is frame 50 at 25 fps");
    assert_eq!(f[0].position, Duration::from_secs(2));
    assert_eq!(f[0].header.timestamp, rtptime);
    // Seeking while playing moves at once.
    c.advance(Duration::from_millis(10));
    c.play(Some("1.01-"));
    assert_eq!(c.indices(), [25], "⌊1.01 s / 40 ms⌋");
}

#[test]
fn a_clip_without_looping_ends_and_the_next_play_starts_again() {
    let mut c = Clip::new(false);
    c.play(Some("3.92-"));
    assert_eq!(c.indices(), [98]);
    c.advance(PERIOD);
    assert_eq!(c.indices(), [99]);
    c.advance(PERIOD);
    assert!(c.frames().is_empty());
    assert_eq!(c.events().last(), Some(&Event::Ended));
    c.advance(Duration::from_secs(1));
    assert!(c.frames().is_empty(), "stays ended");
    assert_eq!(c.s.frame_due(), None, "no frame timer after the end");
    c.play(None);
    assert_eq!(c.indices(), [0], "PLAY after the end starts again");
}

#[test]
fn a_looping_clip_wraps_with_positions_and_rtp_time_going_on() {
    let mut c = Clip::new(true);
    let (_, rtptime) = c.play(Some("3.96-"));
    assert_eq!(c.indices(), [99]);
    c.advance(PERIOD);
    let f = c.frames();
    assert_eq!(f[0].index, 0, "wrapped");
    assert_eq!(f[0].position, Duration::from_secs(4), "position goes on");
    assert_eq!(f[0].header.timestamp, rtptime.wrapping_add(3600));
    assert!(c.events().iter().all(|e| *e != Event::Ended));
}

#[test]
fn a_host_phase_moves_the_schedule_and_frames_stay_on_it() {
    let mut c = Clip::new(true);
    c.play(None);
    let phase = c.now + Duration::from_millis(15);
    c.s.schedule_frames(phase);
    assert!(c.frames().is_empty(), "moved to the host's phase");
    c.now = phase;
    assert_eq!(c.indices(), [0]);
    for i in 1..5 {
        c.now = phase + Duration::from_millis(40 * i);
        assert_eq!(c.indices(), [i as u32]);
    }
    // Two sessions on one phase are due at the same instants.
    let mut d = Clip::new(true);
    d.now = c.now;
    d.play(None);
    d.s.schedule_frames(c.s.frame_due().unwrap());
    assert_eq!(d.s.poll_timeout(), c.s.poll_timeout());
}

#[test]
fn a_live_source_has_no_clock() {
    let config = server::Config::default();
    let (mut s, mut h, now) = (
        ServerSession::new(config, PEER),
        TestHost::default(),
        Instant::from_micros(1),
    );
    let r = ask(
        &mut s,
        &mut h,
        now,
        "SETUP rtsp://127.0.0.1/live/stream=0 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP\r\n\r\n",
    );
    let id = header(&r, "Session")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let r = ask(
        &mut s,
        &mut h,
        now,
        &format!("PLAY rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 2\r\nSession: {id}\r\n\r\n"),
    );
    assert_eq!(status(&r), 200);
    assert_eq!(s.poll_frame(now + Duration::from_secs(1)), None);
    assert!(
        s.frame_header(Duration::from_secs(1)).is_some(),
        "live frames as they come"
    );
}
