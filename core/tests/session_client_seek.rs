//! Seeking with the client session against the server session, on a
//! virtual clock: `play_from` sends `Range: npt=<position>-` (RFC 2326
//! §12.29) from Init (after SETUP), from Ready (after PAUSE, where `play`
//! would resume without a Range) and while playing (PAUSE first, RFC 2326
//! §10.5), and the server starts at that position.

mod session_common;

use rtsp_core::session::client::{self, Request, TransportRequest};
use rtsp_core::session::server;
use rtsp_core::Duration;
use session_common::*;

const CLIP: &str = "rtsp://127.0.0.1:8554/clip.mjpeg";

/// The `Range` of the last request, which must be a PLAY.
fn last_play_range(p: &Pair) -> Option<&str> {
    let last = p.wire.requests.last().unwrap();
    assert!(last.starts_with("PLAY "), "{last}");
    header(last, "Range")
}

/// The start of the server's last `Playing` event.
fn server_start(p: &Pair) -> Option<Duration> {
    p.wire.server_events.iter().rev().find_map(|e| match e {
        server::Event::Playing { start } => Some(*start),
        _ => None,
    })?
}

#[test]
fn play_from_sets_up_and_plays_from_the_position() {
    for transport in [
        TransportRequest::Tcp,
        TransportRequest::Udp { rtp_port: 5000 },
    ] {
        let mut p = Pair::new(transport, CLIP);
        p.client.play_from(p.now, Duration::from_millis(2_500));
        p.pump();
        assert_eq!(methods(&p), ["OPTIONS", "DESCRIBE", "SETUP", "PLAY"]);
        assert_eq!(last_play_range(&p), Some("npt=2.500-"));
        assert_eq!(p.client.state(), client::State::Playing);
        assert_eq!(server_start(&p), Some(Duration::from_millis(2_500)));
    }
}

#[test]
fn play_from_after_pause_seeks_where_play_resumes() {
    let mut p = Pair::new(TransportRequest::Tcp, CLIP);
    p.client.play(p.now);
    p.pump();
    assert_eq!(last_play_range(&p), Some("npt=0.000-"), "from the start");
    p.client.pause(p.now).unwrap();
    p.pump();
    // Resuming after PAUSE: no Range (RFC 2326 §10.5).
    p.client.play(p.now);
    p.pump();
    assert_eq!(last_play_range(&p), None);
    p.client.pause(p.now).unwrap();
    p.pump();
    // Seeking after PAUSE: the Range names the position.
    p.client.play_from(p.now, Duration::from_secs(7));
    p.pump();
    assert_eq!(last_play_range(&p), Some("npt=7.000-"));
    assert_eq!(server_start(&p), Some(Duration::from_secs(7)));
    // The seek is spent: pausing and playing again resumes.
    p.client.pause(p.now).unwrap();
    p.pump();
    p.client.play(p.now);
    p.pump();
    assert_eq!(last_play_range(&p), None);
}

#[test]
fn play_from_while_playing_pauses_then_plays_from_the_position() {
    let mut p = Pair::new(TransportRequest::Udp { rtp_port: 5000 }, CLIP);
    p.client.play(p.now);
    p.pump();
    let before = p.wire.client_events.len();
    p.client.play_from(p.now, Duration::from_millis(1_200));
    p.pump();
    assert_eq!(
        methods(&p),
        ["OPTIONS", "DESCRIBE", "SETUP", "PLAY", "PAUSE", "PLAY"]
    );
    assert_eq!(last_play_range(&p), Some("npt=1.200-"));
    assert_eq!(server_start(&p), Some(Duration::from_millis(1_200)));
    let events = &p.wire.client_events[before..];
    assert!(matches!(
        events,
        [client::Event::Paused, client::Event::Playing { .. }]
    ));
    assert_eq!(p.client.state(), client::State::Playing);
}

#[test]
fn a_refused_seek_is_an_error_and_is_forgotten() {
    let mut p = Pair::new(TransportRequest::Tcp, CLIP);
    p.client.play(p.now);
    p.pump();
    p.client.pause(p.now).unwrap();
    p.pump();
    // Beyond the 10 s clip: 457 Invalid Range (RFC 2326 §11.3.7).
    p.client.play_from(p.now, Duration::from_secs(60));
    p.pump();
    assert_eq!(last_play_range(&p), Some("npt=60.000-"));
    assert!(matches!(
        p.wire.client_events.last(),
        Some(client::Event::Error {
            request: Request::Play,
            status,
            ..
        }) if status.as_u16() == 457
    ));
    assert_eq!(p.client.state(), client::State::Ready);
    p.client.play(p.now);
    p.pump();
    assert_eq!(last_play_range(&p), None, "resumes, the seek is gone");
    assert_eq!(p.client.state(), client::State::Playing);
}

#[test]
fn any_position_is_written_without_panic() {
    // The largest position is kept one below the "no seek" sentinel.
    for us in [u64::MAX, u64::MAX - 1, 1] {
        let mut p = Pair::new(TransportRequest::Tcp, CLIP);
        p.client.play_from(p.now, Duration::from_micros(us));
        p.pump();
        let range = last_play_range(&p).expect("a Range").to_string();
        assert!(range.starts_with("npt=") && range.ends_with('-'), "{range}");
        // Past the clip's end: refused by the server, and forgotten.
        if us > 10_000_000 {
            assert_eq!(p.client.state(), client::State::Ready);
        }
    }
}
