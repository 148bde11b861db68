//! A live MJPEG source on standard input (`--live NAME=-`).
//!
//! A thread reads frames with `rtsp_core::mjpeg::Reader` (either container,
//! detected from the bytes) and hands each one to the event loop through a
//! bounded channel, waking the loop. The loop sends the frame at once to
//! every session playing the path, all sharing it, then hands the buffer
//! back for reuse: in steady state no frame allocates. A source faster than
//! the loop can take loses frames here, counted, rather than queueing up
//! delay.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;
use std::thread;

use embedded_io_adapters::std::FromStd;
use mio::Waker;
use rtsp_core::mjpeg;

/// Largest live frame accepted, in bytes (a 4K JPEG at high quality).
const MAX_FRAME: usize = 4 << 20;
/// Frames queued between the reader and the loop before new ones drop.
const QUEUE: usize = 4;

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
pub fn spawn_stdin(name: &str, fps: f64, waker: Arc<Waker>) -> LiveFeed {
    let live = Arc::new(Live {
        name: name.into(),
        fps,
        dims: AtomicU32::new(0),
        frames_in: AtomicU64::new(0),
        frames_dropped: AtomicU64::new(0),
    });
    let (tx, rx) = sync_channel(QUEUE);
    let (back, back_rx) = sync_channel(QUEUE + 2);
    let shared = live.clone();
    thread::Builder::new()
        .name("live-stdin".into())
        .spawn(move || read_loop(&shared, &tx, &back_rx, &waker))
        .map_err(|e| tracing::error!("cannot start the live reader: {e}"))
        .ok();
    LiveFeed { live, rx, back }
}

fn read_loop(live: &Live, tx: &SyncSender<Input>, back: &Receiver<Vec<u8>>, waker: &Waker) {
    let stdin = std::io::stdin().lock();
    let mut reader = mjpeg::Reader::new(FromStd::new(stdin), vec![0u8; MAX_FRAME]);
    let end = loop {
        match reader.next_frame() {
            Ok(Some(frame)) => {
                live.frames_in.fetch_add(1, Ordering::Relaxed);
                let mut buf = match back.try_recv() {
                    Ok(b) => b,
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => {
                        Vec::with_capacity(frame.len())
                    }
                };
                buf.clear();
                buf.extend_from_slice(frame);
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
            Ok(None) => break "end of input".to_string(),
            Err(e) => break format!("input error: {e}"),
        }
    };
    // The end must not be lost to a full queue: block for it.
    let _ = tx.send(Input::End(end));
    let _ = waker.wake();
}
