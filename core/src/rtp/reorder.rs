//! A bounded reorder window: RTP packets back in sequence-number order
//! (RFC 3550 §5.1: "the sequence number ... may be used by the receiver ...
//! to restore packet sequence"), before the depacketizer sees them.
//!
//! Packets are released in order as soon as they can be: a packet that is
//! the next expected one passes straight through, without a copy. When one
//! is missing, the packets after it are held in caller-owned slots until
//! the gap fills, or until the window gives up on it:
//!
//! * **in packets:** a packet `max_packets` or more past the gap, or
//! * **in time:** the oldest held packet has waited `max_delay`.
//!
//! The missing packet is then skipped (counted [`lost`]) and released
//! packets continue from the next one held. It comes late, if it comes at
//! all: counted [`late`] and ignored, as is a packet that was already
//! released ([`duplicates`]). So the window adds latency only while a packet
//! is missing, and never more than `max_delay`; a receiver picks one frame
//! period (the default).
//!
//! Sequence numbers wrap (RFC 3550 A.1): every comparison is
//! [`SeqNo::distance`]. A jump of more than [`RTP_REORDER_MAX_DROPOUT`]
//! ahead, or two consecutive packets more than
//! [`RTP_REORDER_MAX_MISORDER`] behind (A.1's `bad_seq` rule), is the sender
//! restarting its numbering: the window releases what it holds and follows.
//!
//! [`lost`]: ReorderWindow::lost
//! [`late`]: ReorderWindow::late
//! [`duplicates`]: ReorderWindow::duplicates

use super::{Packet, SeqNo};
use crate::limits::{RTP_REORDER_MAX_DROPOUT, RTP_REORDER_MAX_MISORDER, RTP_REORDER_MAX_SLOTS};
use crate::time::{Duration, Instant};

/// One held packet.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Held {
    seq: SeqNo,
    len: usize,
    arrived: Instant,
}

/// Restores RTP packet order within a bounded window (see the module docs).
///
/// The caller owns the storage: `buf` is cut into slots of `slot_size`
/// bytes, one held packet each (at most [`RTP_REORDER_MAX_SLOTS`]). A
/// packet larger than a slot is released if it is in order and counted lost
/// if it would have to be held.
///
/// Call [`push`](Self::push) for every packet, and
/// [`poll`](Self::poll) at [`poll_timeout`](Self::poll_timeout).
#[derive(Debug)]
pub struct ReorderWindow<B> {
    buf: B,
    slot_size: usize,
    slots: [Option<Held>; RTP_REORDER_MAX_SLOTS],
    /// Usable slots: fit in `buf`, at most `max_packets`.
    capacity: usize,
    max_delay: Duration,
    /// The next sequence number to release, once a packet was seen.
    next: Option<SeqNo>,
    held: usize,
    /// Bit k: whether `next - 1 - k` was released (1) or skipped (0), so a
    /// packet behind the window reads as a duplicate or as late.
    recent: u64,
    /// A.1 `bad_seq`: a far-behind packet's successor, which, arriving
    /// next, says the sender restarted.
    bad_seq: Option<SeqNo>,
    released: u64,
    lost: u64,
    late: u64,
    duplicates: u64,
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> ReorderWindow<B> {
    /// A window over `buf` holding up to `max_packets` packets (bounded by
    /// the slots `buf` holds and [`RTP_REORDER_MAX_SLOTS`]) for up to
    /// `max_delay`. `max_packets` 0 or 1 (or a zero `max_delay`) turns
    /// reordering off: every gap is skipped at once.
    pub fn new(buf: B, slot_size: usize, max_packets: usize, max_delay: Duration) -> Self {
        let fit = buf.as_ref().len().checked_div(slot_size).unwrap_or(0);
        ReorderWindow {
            buf,
            slot_size,
            slots: [None; RTP_REORDER_MAX_SLOTS],
            capacity: fit.min(max_packets).min(RTP_REORDER_MAX_SLOTS),
            max_delay,
            next: None,
            held: 0,
            recent: 0,
            bad_seq: None,
            released: 0,
            lost: 0,
            late: 0,
            duplicates: 0,
        }
    }

    /// Changes how long a gap is waited for (e.g. to one frame period,
    /// once the frame rate is known).
    pub fn set_max_delay(&mut self, max_delay: Duration) {
        self.max_delay = max_delay;
    }

    /// Packets released in order.
    pub fn released(&self) -> u64 {
        self.released
    }

    /// Sequence numbers the window gave up waiting for.
    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// Packets that arrived after the window gave up on them (ignored).
    pub fn late(&self) -> u64 {
        self.late
    }

    /// Packets ignored because the same sequence number was already held
    /// or released.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Packets held now, waiting for a gap before them.
    pub fn held(&self) -> usize {
        self.held
    }

    /// When [`poll`](Self::poll) will give up on the current gap, if
    /// packets are held.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.oldest().map(|t| t + self.max_delay)
    }

    /// Takes one RTP packet arriving at `now`; hands every packet that is
    /// now in order to `release`, oldest first. Bytes that are not an RTP
    /// packet are ignored (the caller checked them already).
    pub fn push(&mut self, now: Instant, data: &[u8], mut release: impl FnMut(&[u8])) {
        self.take(now, data, &mut release);
    }

    fn take(&mut self, now: Instant, data: &[u8], release: &mut dyn FnMut(&[u8])) {
        let Ok(packet) = Packet::new_checked(data) else {
            return;
        };
        let seq = packet.sequence_number();
        let Some(next) = self.next else {
            self.pass(seq, data, release);
            return;
        };
        let d = seq.distance(next);
        if d < 0 {
            self.behind(now, seq, d, data, release);
            return;
        }
        self.bad_seq = None;
        // Non-negative: fits.
        let ahead = usize::from(d.unsigned_abs());
        if ahead == 0 && self.held == 0 {
            self.pass(seq, data, release);
            return;
        }
        if ahead > usize::from(RTP_REORDER_MAX_DROPOUT) {
            // A.1: a jump this large is a restart, not loss.
            self.flush_dyn(release);
            self.pass(seq, data, release);
            return;
        }
        // The packet must land within the window: give up on the oldest
        // gaps until it does.
        while usize::from(seq.distance(self.next.unwrap_or(seq)).unsigned_abs()) >= self.capacity
            && self.held > 0
        {
            self.skip_one(release);
        }
        let next = self.next.unwrap_or(seq);
        let ahead = usize::from(seq.distance(next).unsigned_abs());
        if self.is_held(seq) {
            self.duplicates += 1;
        } else if ahead == 0 {
            self.pass(seq, data, release);
        } else if ahead >= self.capacity || data.len() > self.slot_size {
            // No room to wait for the gap (reordering off, or a packet too
            // large for a slot): give up on it now.
            while self.next != Some(seq) {
                self.skip_one(release);
            }
            self.pass(seq, data, release);
        } else {
            self.hold(now, seq, data);
        }
        self.drain(now, release);
    }

    /// Releases what has waited long enough at `now` (see
    /// [`poll_timeout`](Self::poll_timeout)).
    pub fn poll(&mut self, now: Instant, mut release: impl FnMut(&[u8])) {
        self.drain(now, &mut release);
    }

    /// Releases every held packet in order, skipping the gaps (end of the
    /// stream, or a pause).
    pub fn flush(&mut self, mut release: impl FnMut(&[u8])) {
        self.flush_dyn(&mut release);
    }

    fn flush_dyn(&mut self, release: &mut dyn FnMut(&[u8])) {
        while self.held > 0 {
            self.skip_one(release);
        }
    }

    /// Forgets the stream (e.g. a new PLAY range with a new RTP-Info).
    pub fn reset(&mut self) {
        self.slots = [None; RTP_REORDER_MAX_SLOTS];
        self.held = 0;
        self.next = None;
        self.recent = 0;
        self.bad_seq = None;
    }

    fn behind(
        &mut self,
        now: Instant,
        seq: SeqNo,
        d: i16,
        data: &[u8],
        release: &mut dyn FnMut(&[u8]),
    ) {
        let back = usize::from(d.unsigned_abs());
        if back > usize::from(RTP_REORDER_MAX_MISORDER) {
            if self.bad_seq == Some(seq) {
                // Two in a row: the sender restarted its numbering (A.1).
                self.flush_dyn(release);
                self.bad_seq = None;
                self.next = None;
                self.take(now, data, release);
            } else {
                self.bad_seq = Some(seq.next());
                self.late += 1;
            }
            return;
        }
        let released = back <= 64 && (self.recent >> (back - 1)) & 1 == 1;
        if released {
            self.duplicates += 1;
        } else {
            self.late += 1;
        }
    }

    /// Releases `seq`, which is the next one (or the first ever).
    fn pass(&mut self, seq: SeqNo, data: &[u8], release: &mut dyn FnMut(&[u8])) {
        release(data);
        self.advance(seq, true);
    }

    fn advance(&mut self, seq: SeqNo, released: bool) {
        self.next = Some(seq.next());
        self.recent = (self.recent << 1) | u64::from(released);
        if released {
            self.released += 1;
        } else {
            self.lost += 1;
        }
    }

    fn index(&self, seq: SeqNo) -> usize {
        usize::from(seq.0) % self.capacity.max(1)
    }

    fn is_held(&self, seq: SeqNo) -> bool {
        matches!(self.slots.get(self.index(seq)), Some(Some(h)) if h.seq == seq)
    }

    fn hold(&mut self, now: Instant, seq: SeqNo, data: &[u8]) {
        let i = self.index(seq);
        if let Some(Some(h)) = self.slots.get(i) {
            // Within the window one slot holds one sequence number.
            if h.seq == seq {
                self.duplicates += 1;
            }
            return;
        }
        let at = i * self.slot_size;
        let Some(dst) = self.buf.as_mut().get_mut(at..at + data.len()) else {
            return;
        };
        dst.copy_from_slice(data);
        if let Some(slot) = self.slots.get_mut(i) {
            *slot = Some(Held {
                seq,
                len: data.len(),
                arrived: now,
            });
            self.held += 1;
        }
    }

    /// Releases the next packet if held, else gives up on it.
    fn skip_one(&mut self, release: &mut dyn FnMut(&[u8])) {
        let Some(next) = self.next else { return };
        if !self.release_held(next, release) {
            self.advance(next, false);
        }
    }

    /// Releases `seq` from its slot; false if it is not held.
    fn release_held(&mut self, seq: SeqNo, release: &mut dyn FnMut(&[u8])) -> bool {
        let i = self.index(seq);
        let Some(slot) = self.slots.get_mut(i) else {
            return false;
        };
        let Some(h) = slot.filter(|h| h.seq == seq) else {
            return false;
        };
        *slot = None;
        self.held -= 1;
        let at = i * self.slot_size;
        if let Some(data) = self.buf.as_ref().get(at..at + h.len) {
            release(data);
        }
        self.advance(seq, true);
        true
    }

    /// Releases what is in order, and gives up on gaps that waited long
    /// enough.
    fn drain(&mut self, now: Instant, release: &mut dyn FnMut(&[u8])) {
        while let Some(next) = self.next {
            if self.release_held(next, release) {
                continue;
            }
            let expired = self
                .oldest()
                .is_some_and(|t| now.saturating_since(t) >= self.max_delay);
            if !expired {
                break;
            }
            self.advance(next, false);
        }
    }

    fn oldest(&self) -> Option<Instant> {
        if self.held == 0 {
            return None;
        }
        self.slots.iter().flatten().map(|h| h.arrived).min()
    }
}

#[cfg(test)]
mod tests;
