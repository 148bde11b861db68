//! Frame and data rates over the last [`STATS_WINDOW_FRAMES`] frames.

use crate::limits::STATS_WINDOW_FRAMES;
use crate::time::Instant;
use heapless::Deque;

/// One frame boundary and the bytes that arrived since the previous one.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Slot {
    at: Instant,
    complete: bool,
    payload: u64,
    packet: u64,
}

/// Rates over a sliding window of frames.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    slots: Deque<Slot, STATS_WINDOW_FRAMES>,
    pending_payload: u64,
    pending_packet: u64,
}

// heapless's Deque has no defmt support: log the summary instead.
#[cfg(feature = "defmt")]
impl defmt::Format for Window {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Window {{ frames: {=usize} }}", self.slots.len());
    }
}

impl Default for Window {
    fn default() -> Self {
        Window {
            slots: Deque::new(),
            pending_payload: 0,
            pending_packet: 0,
        }
    }
}

/// Rates over a span, from counts after its first boundary.
pub(crate) fn per_second(count: f64, from: Instant, to: Instant) -> f64 {
    let micros = to.saturating_since(from).as_micros();
    if micros == 0 {
        0.0
    } else {
        count * 1_000_000.0 / micros as f64
    }
}

impl Window {
    pub(crate) fn on_packet(&mut self, payload: usize, packet: usize) {
        self.pending_payload = self.pending_payload.saturating_add(payload as u64);
        self.pending_packet = self.pending_packet.saturating_add(packet as u64);
    }

    pub(crate) fn on_frame(&mut self, at: Instant, complete: bool) {
        if self.slots.is_full() {
            self.slots.pop_front();
        }
        let slot = Slot {
            at,
            complete,
            payload: self.pending_payload,
            packet: self.pending_packet,
        };
        // Cannot fail: a slot was freed above if the deque was full.
        let _ = self.slots.push_back(slot);
        self.pending_payload = 0;
        self.pending_packet = 0;
    }

    /// First and last boundary, and the sums over the slots after the first
    /// (what arrived inside the span).
    fn span(&self) -> Option<(Instant, Instant, u64, u64, u64)> {
        let first = self.slots.front()?;
        let last = self.slots.back()?;
        let (mut frames, mut payload, mut packet) = (0u64, 0u64, 0u64);
        for s in self.slots.iter().skip(1) {
            frames += u64::from(s.complete);
            payload = payload.saturating_add(s.payload);
            packet = packet.saturating_add(s.packet);
        }
        Some((first.at, last.at, frames, payload, packet))
    }

    /// Complete frames per second over the window, whose span ends at the
    /// last frame or at `until` if that is later.
    pub(crate) fn fps(&self, until: Option<Instant>) -> f64 {
        self.span().map_or(0.0, |(a, b, frames, _, _)| {
            per_second(frames as f64, a, until.map_or(b, |u| u.max(b)))
        })
    }

    /// Payload and whole-packet kbit/s over the window (span as for
    /// [`fps`](Self::fps)).
    pub(crate) fn kbps(&self, until: Option<Instant>) -> (f64, f64) {
        self.span()
            .map_or((0.0, 0.0), |(a, b, _, payload, packet)| {
                let b = until.map_or(b, |u| u.max(b));
                (
                    per_second(payload as f64 * 8.0 / 1000.0, a, b),
                    per_second(packet as f64 * 8.0 / 1000.0, a, b),
                )
            })
    }
}
