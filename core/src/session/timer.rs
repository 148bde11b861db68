//! A fixed timer table indexed by an enum (quinn-proto `connection/timer.rs`):
//! no heap, and `poll_timeout` is the earliest armed entry. Disarmed
//! entries hold `u64::MAX` rather than an `Option`, which halves the table.

use crate::Instant;

const OFF: Instant = Instant::from_micros(u64::MAX);

/// Timers of one session, indexed by `kind as usize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Timers<const N: usize> {
    at: [Instant; N],
}

impl<const N: usize> Timers<N> {
    /// No timer armed.
    pub(crate) const fn new() -> Self {
        Timers { at: [OFF; N] }
    }

    /// Arms timer `i` at `t` (an instant at the end of time stays disarmed).
    pub(crate) fn set(&mut self, i: usize, t: Instant) {
        if let Some(slot) = self.at.get_mut(i) {
            *slot = t;
        }
    }

    /// Disarms timer `i`.
    pub(crate) fn stop(&mut self, i: usize) {
        self.set(i, OFF);
    }

    /// Whether timer `i` is armed and due at `now`; disarms it if so.
    pub(crate) fn expired(&mut self, i: usize, now: Instant) -> bool {
        match self.at.get_mut(i) {
            Some(slot) if *slot != OFF && *slot <= now => {
                *slot = OFF;
                true
            }
            _ => false,
        }
    }

    /// When timer `i` is due, if armed.
    pub(crate) fn get(&self, i: usize) -> Option<Instant> {
        self.at.get(i).copied().filter(|t| *t != OFF)
    }

    /// The earliest armed timer.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.at.iter().copied().filter(|t| *t != OFF).min()
    }
}
