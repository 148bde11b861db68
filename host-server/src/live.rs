//! A live MJPEG source on standard input (`--live NAME=-`).
//!
//! A thread reads frames with `rtsp_core::mjpeg::Reader` (either container,
//! detected from the bytes), makes each one carriable once, as clips are at
//! load ([`Preparer`]: sent as is, re-coded losslessly, or converted to
//! 4:2:0), and hands it to the event loop through a bounded channel, waking
//! the loop. Damage (garbage, a broken frame) is skipped and counted and the
//! stream carries on; what was done is logged at most every
//! [`LOG_EVERY`]. The loop sends the frame at once to
//! every session playing the path, all sharing it, then hands the buffer
//! back for reuse: in steady state no frame allocates. A source faster than
//! the loop can take loses frames here, counted, rather than queueing up
//! delay.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use embedded_io_adapters::std::FromStd;
use mio::Waker;
use rtsp_core::mjpeg;

use crate::media::prepare::{Done, Failure, Preparer, Tally};

/// Largest live frame accepted, in bytes (a 4K JPEG at high quality).
const MAX_FRAME: usize = 4 << 20;
/// Frames queued between the reader and the loop before new ones drop.
const QUEUE: usize = 4;
/// Least time between two log lines about what was done to live frames.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// What the event loop knows about a live source; shared with sessions.
#[derive(Debug)]
pub struct Live {
    /// Request path.
    pub name: String,
    /// Nominal rate for SDP `a=framerate` (RFC 4566 §6).
    pub fps: f64,
    /// Width and height of the latest frame, 0 before the first one.
    dims: AtomicU32,
    /// Frames read from the input.
    pub frames_in: AtomicU64,
    /// Frames lost because the loop was behind.
    pub frames_dropped: AtomicU64,
    /// Media time of the last frame sent, in µs (kept increasing).
    pub last_media_us: AtomicU64,
    /// Damaged frames and stretches of garbage skipped, and, with
    /// `--strict`, frames only a lossy conversion could carry.
    pub frames_damaged: AtomicU64,
}

impl Live {
    /// Width and height of the latest frame, if any arrived yet.
    pub fn dimensions(&self) -> Option<(u16, u16)> {
        let d = self.dims.load(Ordering::Relaxed);
        (d != 0).then_some(((d >> 16) as u16, d as u16))
    }

    /// Records the size of the latest frame.
    pub fn set_dimensions(&self, w: u16, h: u16) {
        self.dims
            .store(u32::from(w) << 16 | u32::from(h), Ordering::Relaxed);
    }
}

/// A message from the reader thread.
#[derive(Debug)]
pub enum Input {
    /// One JPEG frame (not yet checked against RFC 2435).
    Frame(Vec<u8>),
    /// The input ended; the reason is for the log.
    End(String),
}

/// The loop's end of a live source.
#[derive(Debug)]
pub struct LiveFeed {
    /// The shared description.
    pub live: Arc<Live>,
    /// Frames from the reader.
    pub rx: Receiver<Input>,
    /// Buffers handed back for reuse.
    pub back: SyncSender<Vec<u8>>,
}

impl LiveFeed {
    /// Returns a frame buffer to the reader for reuse.
    pub fn recycle(&self, buf: Vec<u8>) {
        let _ = self.back.try_send(buf);
    }
}

/// Starts reading standard input on its own thread; `waker` wakes the loop
/// for every frame.
/// `strict` skips frames only a lossy conversion could carry.
pub fn spawn_stdin(name: &str, fps: f64, strict: bool, waker: Arc<Waker>) -> LiveFeed {
    let live = Arc::new(Live {
        name: name.into(),
        fps,
        dims: AtomicU32::new(0),
        frames_in: AtomicU64::new(0),
        frames_dropped: AtomicU64::new(0),
        frames_damaged: AtomicU64::new(0),
        last_media_us: AtomicU64::new(0),
    });
    let (tx, rx) = sync_channel(QUEUE);
    let (back, back_rx) = sync_channel(QUEUE + 2);
    let shared = live.clone();
    thread::Builder::new()
        .name("live-stdin".into())
        .spawn(move || read_loop(&shared, strict, &tx, &back_rx, &waker))
        .map_err(|e| tracing::error!("cannot start the live reader: {e}"))
        .ok();
    LiveFeed { live, rx, back }
}

fn read_loop(
    live: &Live,
    strict: bool,
    tx: &SyncSender<Input>,
    back: &Receiver<Vec<u8>>,
    waker: &Waker,
) {
    let stdin = std::io::stdin().lock();
    let mut reader = mjpeg::Reader::new(FromStd::new(stdin), vec![0u8; MAX_FRAME]);
    let mut prep = Preparer::new(strict);
    let mut log = RateLog::default();
    // A buffer whose frame was not sent, kept for the next one.
    let mut spare: Option<Vec<u8>> = None;
    let end = loop {
        match reader.next_frame() {
            Ok(Some(frame)) => {
                let n = live.frames_in.fetch_add(1, Ordering::Relaxed);
                let mut buf = spare
                    .take()
                    .or_else(|| back.try_recv().ok())
                    .unwrap_or_else(|| Vec::with_capacity(frame.len()));
                buf.clear();
                match prep.prepare(frame, &mut buf) {
                    Ok(done) => {
                        if done == Done::Carried {
                            buf.extend_from_slice(frame);
                        }
                        log.tally.done(&done);
                        match tx.try_send(Input::Frame(buf)) {
                            Ok(()) => {
                                let _ = waker.wake();
                            }
                            Err(TrySendError::Full(_)) => {
                                live.frames_dropped.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(TrySendError::Disconnected(_)) => return,
                        }
                    }
                    Err(Failure::Strict(why)) => {
                        live.frames_damaged.fetch_add(1, Ordering::Relaxed);
                        log.tally.refused(&why);
                        spare = Some(buf);
                    }
                    Err(Failure::Damaged(why) | Failure::Undecodable(why)) => {
                        live.frames_damaged.fetch_add(1, Ordering::Relaxed);
                        log.tally.damaged(format!("frame {n}"), &why);
                        spare = Some(buf);
                    }
                }
            }
            Err(mjpeg::Error::Skipped(s)) => {
                live.frames_damaged.fetch_add(1, Ordering::Relaxed);
                log.tally.skipped(&s);
            }
            Ok(None) => break "end of input".to_string(),
            Err(e) => break format!("input error: {e}"),
        }
        log.maybe_log(&live.name, false);
    };
    log.maybe_log(&live.name, true);
    // The end must not be lost to a full queue: block for it.
    let _ = tx.send(Input::End(end));
    let _ = waker.wake();
}

/// What was done to live frames since the last log line; logged at once the
/// first time, then at most every [`LOG_EVERY`].
#[derive(Debug, Default)]
struct RateLog {
    tally: Tally,
    last: Option<Instant>,
}

impl RateLog {
    fn maybe_log(&mut self, name: &str, force: bool) {
        if self.tally.is_plain() {
            return;
        }
        let now = Instant::now();
        if !force && self.last.is_some_and(|t| now.duration_since(t) < LOG_EVERY) {
            return;
        }
        let since = match self.last {
            Some(t) => format!("last {:.0} s", now.duration_since(t).as_secs_f64()),
            None => "so far".into(),
        };
        let line = self.tally.summary();
        if self.tally.damaged > 0 || self.tally.refused > 0 {
            tracing::warn!("live {name} ({since}): {line}");
        } else {
            tracing::info!("live {name} ({since}): {line}");
        }
        self.tally = Tally::default();
        self.last = Some(now);
    }
}
