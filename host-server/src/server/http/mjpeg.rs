//! Browser video: a path's frames as `multipart/x-mixed-replace` MJPEG
//! (each part one JPEG; every browser shows it in an `<img>` or as a page).
//!
//! * **Pacing:** a clip is paced by the core's frame clock
//!   (`FramePacer`, the policy of an RTSP session's `poll_frame`: the
//!   clip's rate, catch-up within 500 ms, skip beyond, looping or end), on
//!   the connection's phase of the frame grid like an RTSP session; a live
//!   source's frames go out as they arrive.
//! * **Position:** a browser cannot seek, so a looping clip plays as a
//!   channel: every browser sees the frame due at that moment (as if the
//!   clip had played since the server's clock started), so previews and
//!   viewers agree. With `--no-loop` each browser gets the clip once, from
//!   its start.
//! * **Slow browsers** skip frames: a frame goes into the connection's
//!   bounded output queue (`OutBuf`) only whole and only if it fits, so
//!   the queue never grows past one second or so of video; the skipped
//!   frames are counted.
//! * **Sharing:** frames are the clip's (or live source's) bytes, shared
//!   with every RTSP session; each viewer keeps only its clock. A viewer
//!   counts toward `--max-sessions` (503 past it).
//! * **Framing:** the closing boundary follows each frame at once, so a
//!   browser shows a frame as soon as it has it (not when the next one
//!   starts).

use std::sync::Arc;

use rtsp_core::jpeg;
use rtsp_core::limits::JPEG_MAX_HEADER;
use rtsp_core::session::server::FramePacer;
use rtsp_core::{Duration, Instant};

use super::Answer;
use crate::live::Live;
use crate::media::Source;
use crate::server::{Kind, Server};
use crate::session::media_info;

/// The multipart boundary (RFC 2046 §5.1.1), as in [`PART_END`].
pub const BOUNDARY: &str = "mjpegframe";

/// One browser receiving a stream.
#[derive(Debug)]
pub struct Viewer {
    /// The stream's path.
    pub path: String,
    /// What it plays.
    pub source: Source,
    /// The clip's frame clock (none runs for a live source).
    pacer: FramePacer,
    /// Frames queued whole.
    pub frames: u64,
    /// Bytes queued, part headers included.
    pub bytes: u64,
    /// Frames skipped because the browser was not keeping up.
    pub skipped: u64,
}

impl Viewer {
    /// When its next clip frame is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pacer.poll_timeout()
    }
}

/// End of image (T.81 B.1.1.3).
const EOI: [u8; 2] = [0xff, 0xd9];

/// What ends each part: the next boundary (RFC 2046 §5.1.1).
const PART_END: &[u8] = b"\r\n--mjpegframe\r\n";

/// Room for a part's head: 46 bytes of text and up to 20 digits.
const PART_HEAD_MAX: usize = 72;

/// The head of a part, its headers and the blank line, written into `buf`
/// (no allocation per frame).
fn part_head(len: usize, buf: &mut [u8; PART_HEAD_MAX]) -> &[u8] {
    use std::io::Write as _;
    let mut w = &mut buf[..];
    // PART_HEAD_MAX bytes hold the fixed text and any usize.
    let _ = write!(
        w,
        "Content-Type: image/jpeg\r\nContent-Length: {len}\r\n\r\n"
    );
    let left = w.len();
    &buf[..PART_HEAD_MAX - left]
}

impl Server {
    /// Starts streaming `path` to connection `idx`; an answer if it cannot.
    pub(super) fn start_viewer(&mut self, idx: usize, path: &str, now: Instant) -> Option<Answer> {
        let Some(source) = self.catalog.get(path).cloned() else {
            return Some(Answer::text(404, "no such stream or page"));
        };
        let info = match media_info(path, &source) {
            Ok(i) => i,
            Err(_) => return Some(Answer::text(415, "this stream cannot be played")),
        };
        if self.conns.sessions >= self.cfg.max_sessions {
            tracing::warn!(
                "HTTP {path} refused: {} sessions, the --max-sessions limit",
                self.conns.sessions
            );
            let mut a = Answer::text(503, "too many viewers");
            a.headers.push_str("Retry-After: 5\r\n");
            return Some(a);
        }
        // A pull stays open while its path has viewers, browsers included.
        if let Some(pull) = self.relays.pull_of(&source) {
            pull.join();
        }
        let first_due = self.grid_after(now, idx);
        let c = self.conns.slots.get_mut(idx)?.as_mut()?;
        let Kind::Http(h) = &mut c.kind else {
            return None;
        };
        let mut pacer = FramePacer::new(&info, self.cfg.looping);
        // A looping clip is a channel for browsers: all see the same frame
        // at the same time, as if it had played since the clock's start.
        let position = if self.cfg.looping {
            Duration::from_micros(first_due.as_micros())
        } else {
            Duration::ZERO
        };
        pacer.start(first_due, position);
        c.out.push(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary={BOUNDARY}\r\n\
                 Cache-Control: no-store\r\nPragma: no-cache\r\nConnection: close\r\n\r\n--{BOUNDARY}\r\n"
            )
            .as_bytes(),
        );
        tracing::info!("{}: MJPEG viewer of {path}", c.peer);
        h.viewer = Some(Viewer {
            path: path.to_string(),
            source,
            pacer,
            frames: 0,
            bytes: 0,
            skipped: 0,
        });
        self.conns.sessions += 1;
        None
    }

    /// Sends the clip frames due by `now` to connection `idx`'s viewer.
    pub fn send_due_mjpeg(&mut self, idx: usize, now: Instant) {
        let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        let Kind::Http(h) = &mut c.kind else { return };
        let Some(v) = h.viewer.as_mut() else { return };
        let Source::Clip(clip) = &v.source else {
            return;
        };
        let clip = clip.clone();
        let mut sent = false;
        while let Some(i) = v.pacer.poll_frame(now) {
            sent |= queue_frame(v, &mut c.out, clip.frame(i as usize));
        }
        if v.pacer.poll_timeout().is_none() && !c.closing {
            // The clip ended (--no-loop): the stream ends with it, and the
            // browser keeps showing the last frame.
            tracing::info!(
                "{}: end of {} for its MJPEG viewer (--no-loop)",
                c.peer,
                v.path
            );
            c.closing = true;
            sent = true;
        }
        if sent {
            self.flush_conn(idx);
        }
    }

    /// A live frame to every viewer of `live` (from `fan_out_live`, the
    /// entry point of every live source).
    pub fn fan_out_live_mjpeg(&mut self, live: &Arc<Live>, frame: &jpeg::Frame<'_>) {
        for idx in 0..self.conns.slots.len() {
            let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
                continue;
            };
            let Kind::Http(h) = &mut c.kind else { continue };
            let Some(v) = h.viewer.as_mut() else { continue };
            if !matches!(&v.source, Source::Live(l) if Arc::ptr_eq(l, live)) {
                continue;
            }
            if queue_frame(v, &mut c.out, frame) {
                self.flush_conn(idx);
            }
        }
    }

    /// `live` ended for good (its publisher left): its viewers' streams end
    /// as RTSP players get RTCP BYE, and the browsers keep showing the last
    /// frame. A later publisher of the path is a new source.
    pub fn end_live_viewers(&mut self, live: &Arc<Live>) {
        for idx in 0..self.conns.slots.len() {
            let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
                continue;
            };
            let Kind::Http(h) = &c.kind else { continue };
            let Some(v) = h.viewer.as_ref() else { continue };
            if matches!(&v.source, Source::Live(l) if Arc::ptr_eq(l, live)) && !c.closing {
                tracing::info!("{}: end of {} for its MJPEG viewer", c.peer, v.path);
                c.closing = true;
                self.flush_conn(idx);
            }
        }
    }

    /// Forgets connection `idx`'s viewer (it is closing): releases its
    /// capacity, counts what it got, logs a summary.
    pub(crate) fn end_viewer(&mut self, idx: usize, why: &str) {
        let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        let Kind::Http(h) = &mut c.kind else { return };
        let Some(v) = h.viewer.take() else { return };
        self.conns.sessions = self.conns.sessions.saturating_sub(1);
        self.totals.viewer_ended(&v);
        if let Some(pull) = self.relays.pull_of(&v.source) {
            pull.leave();
        }
        tracing::info!(
            "{}: MJPEG viewer of {} ended ({why}): {} frames, {} bytes sent, {} frames skipped",
            c.peer,
            v.path,
            v.frames,
            v.bytes,
            v.skipped
        );
    }
}

/// Queues one frame as a part, whole, if the queue has room for it (or is
/// empty: a frame larger than the queue still goes out alone); else counts
/// it skipped. Whether it was queued. The JPEG is the one RTP/JPEG
/// receivers rebuild (RFC 2435 Appendix B headers, the frame's scan data,
/// EOI), so browsers and RTSP clients see the same picture, whatever the
/// source (clip, standard input, pull, publisher).
fn queue_frame(v: &mut Viewer, out: &mut crate::outbuf::OutBuf, frame: &jpeg::Frame<'_>) -> bool {
    let mut jfif = [0u8; JPEG_MAX_HEADER];
    let Ok(n) = jpeg::JfifHeader::of_frame(frame).emit(&mut jfif) else {
        // Frames that parsed have at most two 128-byte tables: the
        // headers always fit.
        v.skipped += 1;
        return false;
    };
    let jfif = &jfif[..n];
    let scan = frame.scan_data();
    let jpeg_len = jfif.len() + scan.len() + EOI.len();
    let mut buf = [0u8; PART_HEAD_MAX];
    let head = part_head(jpeg_len, &mut buf);
    let len = head.len() + jpeg_len + PART_END.len();
    if !out.is_empty() && !out.has_room(len) {
        v.skipped += 1;
        return false;
    }
    for piece in [head, jfif, scan, &EOI, PART_END] {
        out.push(piece);
    }
    v.frames += 1;
    v.bytes += len as u64;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_end_with_the_boundary() {
        assert_eq!(PART_END, format!("\r\n--{BOUNDARY}\r\n").as_bytes());
        let mut buf = [0u8; PART_HEAD_MAX];
        assert_eq!(
            part_head(usize::MAX, &mut buf),
            format!(
                "Content-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
                usize::MAX
            )
            .as_bytes()
        );
    }
}
