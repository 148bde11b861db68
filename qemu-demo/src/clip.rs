//! The MJPEG clip in flash (`clip.mjpeg`, made by `make-clip.sh`), played in
//! a loop. Frames are borrowed straight from flash: nothing is copied into
//! RAM before the packetizer cuts them into RTP packets (RFC 2435 §3).

use rtsp_core::{jpeg, mjpeg};

/// The clip: raw concatenated baseline JPEG, 320x240 4:2:0, standard
/// Huffman tables (see `make-clip.sh`).
pub static CLIP: &[u8] = include_bytes!("../clip.mjpeg");
/// Frames per second the clip was made at (`make-clip.sh`).
pub const FPS: u32 = 10;
/// Microseconds between frames at the clip's rate.
pub const FRAME_MICROS: u64 = 1_000_000 / FPS as u64;

/// What [`check`] found in the clip.
#[derive(Clone, Copy, Debug, defmt::Format)]
pub struct Summary {
    /// Number of frames.
    pub frames: u32,
    /// Width in pixels (of the first frame).
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Largest frame, bytes.
    pub max_frame: usize,
}

/// Walks the whole clip once: every frame must be one RFC 2435 can carry.
/// Returns the reason (as the core names it) for the first one it cannot.
pub fn check() -> Result<Summary, jpeg::Error> {
    let mut summary = Summary {
        frames: 0,
        width: 0,
        height: 0,
        max_frame: 0,
    };
    for bytes in mjpeg::Frames::new(CLIP) {
        // Damage between frames is passed over (the reader goes on after a
        // skip); any other container error ends the clip.
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) if e.is_skip() => continue,
            Err(_) => break,
        };
        let frame = jpeg::Frame::parse(bytes)?;
        if summary.frames == 0 {
            summary.width = frame.width();
            summary.height = frame.height();
        }
        summary.frames += 1;
        summary.max_frame = summary.max_frame.max(bytes.len());
    }
    Ok(summary)
}

/// The clip's frames, forever: after the last frame (or a container error,
/// which [`check`] rules out at boot) it starts again from the first.
#[derive(Debug)]
pub struct Looping {
    frames: mjpeg::Frames<'static>,
}

impl Default for Looping {
    fn default() -> Self {
        Looping {
            frames: mjpeg::Frames::new(CLIP),
        }
    }
}

impl Looping {
    /// The next frame, parsed for RFC 2435.
    pub fn next_frame(&mut self) -> Option<jpeg::Frame<'static>> {
        // Two passes at most: the rest of this loop of the clip, then a
        // fresh one. A clip with no carriable frame yields `None`.
        for _ in 0..2 {
            for bytes in self.frames.by_ref() {
                match bytes.map(jpeg::Frame::parse) {
                    Ok(Ok(frame)) => return Some(frame),
                    Ok(Err(e)) => defmt::warn!("clip frame skipped: {}", e),
                    Err(e) if e.is_skip() => defmt::warn!("clip damage skipped: {}", e),
                    Err(e) => {
                        defmt::warn!("clip container error: {}", e);
                        break;
                    }
                }
            }
            self.frames = mjpeg::Frames::new(CLIP);
        }
        None
    }
}

/// The clip's frames by index (the core's frame clock says which is due,
/// RFC 2326 §12.29 seeks included), read in order from flash: the next
/// index costs one step; any other (a seek, a skip, a loop) reads again
/// from the start, which takes well under a frame period for this clip.
#[derive(Debug)]
pub struct Frames {
    frames: mjpeg::Frames<'static>,
    /// Index of the frame `frames` yields next.
    next: u32,
}

impl Default for Frames {
    fn default() -> Self {
        Frames {
            frames: mjpeg::Frames::new(CLIP),
            next: 0,
        }
    }
}

impl Frames {
    /// Frame `index` of the clip (as [`check`] counts them), parsed for
    /// RFC 2435; `None` past the end.
    pub fn frame_at(&mut self, index: u32) -> Option<jpeg::Frame<'static>> {
        if index < self.next {
            *self = Frames::default();
        }
        for bytes in self.frames.by_ref() {
            let bytes = match bytes {
                Ok(b) => b,
                // As `check`: damage between frames is passed over.
                Err(e) if e.is_skip() => continue,
                Err(_) => break,
            };
            let this = self.next;
            self.next += 1;
            if this == index {
                // `check` parsed every frame at boot: this cannot fail.
                return jpeg::Frame::parse(bytes).ok();
            }
        }
        None
    }
}
