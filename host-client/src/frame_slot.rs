//! The newest complete frame, handed from the network thread (which
//! publishes each one with a single copy into a reused buffer) to the
//! window (which decodes only the newest), with the title text and the
//! "session ended" flag.

use std::sync::Mutex;

/// The newest complete frame, shared between the network thread and the
/// window.
#[derive(Debug, Default)]
pub struct FrameSlot {
    inner: Mutex<SlotInner>,
}

#[derive(Debug, Default)]
struct SlotInner {
    /// A JFIF, or packed RGB when `rgb_size` is set (a concealed frame).
    jpeg: Vec<u8>,
    rgb_size: Option<(usize, usize)>,
    serial: u64,
    title: String,
    closed: bool,
}

impl FrameSlot {
    /// Replaces the frame (copying into the reused buffer).
    pub fn publish(&self, jfif: &[u8]) {
        if let Ok(mut s) = self.inner.lock() {
            s.jpeg.clear();
            s.jpeg.extend_from_slice(jfif);
            s.rgb_size = None;
            s.serial += 1;
        }
    }

    /// Replaces the frame with decoded pixels (a concealed frame, already
    /// decoded on the network side).
    pub fn publish_rgb(&self, rgb: &[u8], width: usize, height: usize) {
        if let Ok(mut s) = self.inner.lock() {
            s.jpeg.clear();
            s.jpeg.extend_from_slice(rgb);
            s.rgb_size = Some((width, height));
            s.serial += 1;
        }
    }

    /// Sets the window title text (fps, kbit/s, loss).
    pub fn set_title(&self, title: &str) {
        if let Ok(mut s) = self.inner.lock() {
            s.title.clear();
            s.title.push_str(title);
        }
    }

    /// Asks the window to close (the session has ended).
    pub fn close(&self) {
        if let Ok(mut s) = self.inner.lock() {
            s.closed = true;
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.inner.lock().map(|s| s.closed).unwrap_or(true)
    }

    /// Swaps the newest frame into `out` if it is newer than `seen`: its
    /// serial, and its size when `out` holds RGB rather than a JFIF.
    pub(crate) fn take_newer(
        &self,
        seen: u64,
        out: &mut Vec<u8>,
        title: &mut String,
    ) -> Option<(u64, Option<(usize, usize)>)> {
        let mut s = self.inner.lock().ok()?;
        if title != &s.title {
            title.clone_from(&s.title);
        }
        if s.serial == seen {
            return None;
        }
        std::mem::swap(&mut s.jpeg, out);
        Some((s.serial, s.rgb_size))
    }
}
