//! What the prompt, the window keys and Ctrl-C ask of the network loop:
//! one type that the three of them and the loop share, so that none of them
//! depends on another.

use std::time::Duration;

/// What the prompt, the window keys and Ctrl-C ask of the network loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// SETUP (after DESCRIBE if the SDP is not known yet).
    Setup,
    /// PLAY.
    Play,
    /// PAUSE.
    Pause,
    /// PLAY from a position (`Range: npt=SECS-`), pausing first if playing.
    Seek(Duration),
    /// PLAY when paused or ready, PAUSE when playing (window key P/Space).
    TogglePlay,
    /// TEARDOWN.
    Teardown,
    /// DESCRIBE.
    Describe,
    /// OPTIONS.
    Options,
    /// Print the metrics now.
    Stats,
    /// TEARDOWN if needed, then exit.
    Quit,
    /// Ctrl-C: like Quit.
    Interrupt,
}

/// A position in seconds (`2`, `2.5`), as the `Range: npt=` of RFC 2326
/// §3.6 counts it; `None` if it is not a finite number of seconds ≥ 0.
pub fn parse_seconds(text: &str) -> Option<std::time::Duration> {
    let secs: f64 = text.parse().ok()?;
    std::time::Duration::try_from_secs_f64(secs).ok()
}
