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

use crate::media::prepare::{Done, Failure, Options, Preparer, Tally};

/// Largest live frame accepted, in bytes (a 4K JPEG at high quality).
pub const MAX_FRAME: usize = 4 << 20;
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

impl Live {
    /// A live source at path `name`, announced at `fps`, with no frame yet.
    pub fn new(name: &str, fps: f64) -> Live {
        Live {
            name: name.into(),
            fps,
            dims: AtomicU32::new(0),
            frames_in: AtomicU64::new(0),
            frames_dropped: AtomicU64::new(0),
            frames_damaged: AtomicU64::new(0),
            last_media_us: AtomicU64::new(0),
        }
    }
}

/// The producing end of a live source, for the thread that makes its
/// frames (standard input, a relay's origin): frames go to the loop
/// through a bounded queue, and their buffers come back for reuse.
#[derive(Debug)]
pub struct Producer {
    /// The shared description.
    pub live: Arc<Live>,
    tx: SyncSender<Input>,
    back: Receiver<Vec<u8>>,
    waker: Arc<Waker>,
}

impl Producer {
    /// A buffer to write the next frame into: a recycled one if the loop
    /// gave one back.
    pub fn buffer(&self, len: usize) -> Vec<u8> {
        let mut buf = self
            .back
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(len));
        buf.clear();
        buf
    }

    /// Hands a frame to the loop and wakes it; a frame the loop has no
    /// room for is dropped and counted (`frames_dropped`). `false` once
    /// the loop is gone.
    pub fn send(&self, frame: Vec<u8>) -> bool {
        match self.tx.try_send(Input::Frame(frame)) {
            Ok(()) => {
                let _ = self.waker.wake();
                true
            }
            Err(TrySendError::Full(_)) => {
                self.live.frames_dropped.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    }

    /// Wakes the loop without a frame (the source's state changed).
    pub fn wake(&self) {
        let _ = self.waker.wake();
    }

    /// Ends the source; the reason is for the log. Blocks for room: the
    /// end must not be lost to a full queue.
    pub fn end(&self, why: String) {
        let _ = self.tx.send(Input::End(why));
        let _ = self.waker.wake();
    }
}

/// A live source `live` fed by a thread: the loop's end and the
/// producer's; `waker` wakes the loop for every frame.
pub fn channel(live: Live, waker: Arc<Waker>) -> (LiveFeed, Producer) {
    let live = Arc::new(live);
    let (tx, rx) = sync_channel(QUEUE);
    let (back, back_rx) = sync_channel(QUEUE + 2);
    let feed = LiveFeed {
        live: live.clone(),
        rx,
        back,
    };
    let producer = Producer {
        live,
        tx,
        back: back_rx,
        waker,
    };
    (feed, producer)
}

/// Starts reading standard input on its own thread; `waker` wakes the loop
/// for every frame.
/// Frames are prepared as `options` say (`strict` skips frames only a lossy
/// conversion could carry; `restart_mtu` gives each a restart interval).
pub fn spawn_stdin(name: &str, fps: f64, options: Options, waker: Arc<Waker>) -> LiveFeed {
    let (feed, producer) = channel(Live::new(name, fps), waker);
    thread::Builder::new()
        .name("live-stdin".into())
        .spawn(move || read_loop(&producer, options))
        .map_err(|e| tracing::error!("cannot start the live reader: {e}"))
        .ok();
    feed
}

fn read_loop(producer: &Producer, options: Options) {
    let live = &producer.live;
    let stdin = std::io::stdin().lock();
    let mut reader = mjpeg::Reader::new(FromStd::new(stdin), vec![0u8; MAX_FRAME]);
    let mut prep = Preparer::new(options);
    let mut log = RateLog::default();
    // A buffer whose frame was not sent, kept for the next one.
    let mut spare: Option<Vec<u8>> = None;
    let end = loop {
        match reader.next_frame() {
            Ok(Some(frame)) => {
                let n = live.frames_in.fetch_add(1, Ordering::Relaxed);
                let mut buf = spare.take().unwrap_or_else(|| producer.buffer(frame.len()));
                buf.clear();
                match prep.prepare(frame, &mut buf) {
                    Ok(done) => {
                        if done == Done::Carried {
                            buf.extend_from_slice(frame);
                        }
                        log.tally.done(&done);
                        if !producer.send(buf) {
                            return;
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
    producer.end(end);
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
