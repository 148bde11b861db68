//! RTP's own quantities (RFC 3550 §5.1) and sequence-number arithmetic with
//! extended sequence numbers (RFC 3550 §6.4.1 and Appendix A.1).

use core::fmt;
use core::ops::{Add, Sub};

/// Synchronization source identifier (RFC 3550 §5.1, "SSRC").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ssrc(pub u32);

impl fmt::Display for Ssrc {
    /// Formats as `0x` and 8 hex digits, as Wireshark and RTSP headers show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08x}", self.0)
    }
}

/// 16-bit RTP sequence number (RFC 3550 §5.1). It wraps: compare two of them
/// with [`SeqNo::distance`], never with `<`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SeqNo(pub u16);

impl SeqNo {
    /// The sequence number `n` packets later, modulo 2^16 (RFC 3550 §5.1:
    /// "increments by one for each RTP data packet sent").
    #[must_use]
    pub const fn wrapping_add(self, n: u16) -> SeqNo {
        SeqNo(self.0.wrapping_add(n))
    }

    /// The next sequence number.
    #[must_use]
    pub const fn next(self) -> SeqNo {
        self.wrapping_add(1)
    }

    /// Signed distance from `earlier` to `self` in the circular space of
    /// 2^16 (RFC 3550 A.1): positive when `self` comes after `earlier`,
    /// negative when before. Distances of exactly 2^15 read as negative.
    #[must_use]
    pub const fn distance(self, earlier: SeqNo) -> i16 {
        // Reinterpreting the wrapped difference as two's complement is the
        // whole point: it picks the nearer of the two directions.
        self.0.wrapping_sub(earlier.0) as i16
    }

    /// Whether `self` comes strictly after `other` (nearer direction).
    #[must_use]
    pub const fn is_after(self, other: SeqNo) -> bool {
        self.distance(other) > 0
    }
}

impl Add<u16> for SeqNo {
    type Output = SeqNo;
    fn add(self, rhs: u16) -> SeqNo {
        self.wrapping_add(rhs)
    }
}

impl Sub for SeqNo {
    type Output = i16;
    /// Same as [`SeqNo::distance`].
    fn sub(self, rhs: SeqNo) -> i16 {
        self.distance(rhs)
    }
}

impl fmt::Display for SeqNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// 32-bit RTP timestamp in the payload's clock (RFC 3550 §5.1; 90 kHz for
/// JPEG per RFC 2435 §3). It wraps like [`SeqNo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RtpTimestamp(pub u32);

impl RtpTimestamp {
    /// The timestamp `ticks` clock units later, modulo 2^32.
    #[must_use]
    pub const fn wrapping_add(self, ticks: u32) -> RtpTimestamp {
        RtpTimestamp(self.0.wrapping_add(ticks))
    }

    /// Signed distance in clock units from `earlier` to `self`, taking the
    /// nearer direction around the 2^32 circle.
    #[must_use]
    pub const fn distance(self, earlier: RtpTimestamp) -> i32 {
        // Two's complement reinterpretation, as for SeqNo::distance.
        self.0.wrapping_sub(earlier.0) as i32
    }
}

impl Add<u32> for RtpTimestamp {
    type Output = RtpTimestamp;
    fn add(self, rhs: u32) -> RtpTimestamp {
        self.wrapping_add(rhs)
    }
}

impl fmt::Display for RtpTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Turns 16-bit sequence numbers into extended ones that count wraps
/// (RFC 3550 §6.4.1 "extended highest sequence number received" and A.1).
///
/// Each packet is placed at the extension nearest to the highest one seen so
/// far: a jump forward of less than 2^15 is progress (with loss), anything
/// else is a late or duplicated packet. This subsumes A.1's MAX_DROPOUT and
/// MAX_MISORDER windows for the stream sizes we handle, without A.1's
/// probation, so the very first packet already counts (as Wireshark does).
///
/// The first packet's extended number is its own 16-bit value (cycle 0). A
/// late packet from before that cycle (e.g. 65535 arriving after 0) extends
/// to a negative number; it is still reported, never dropped.
///
/// A sender that restarts its numbering shows up as a jump (counted as loss
/// or lateness, as Wireshark counts it); A.1's resynchronisation after two
/// sequential packets is the caller's choice: a new SSRC deserves a new
/// extender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SeqExtender {
    /// Base and highest extended numbers, once a first packet was seen.
    state: Option<(SeqNo, i64)>,
}

impl SeqExtender {
    /// An extender that has seen no packet yet.
    pub const fn new() -> Self {
        SeqExtender { state: None }
    }

    /// Extends `seq` and records it; returns its extended sequence number.
    pub fn extend(&mut self, seq: SeqNo) -> i64 {
        match self.state {
            None => {
                let ext = i64::from(seq.0);
                self.state = Some((seq, ext));
                ext
            }
            Some((base, highest)) => {
                let ext = self.peek(seq).unwrap_or(highest);
                if ext > highest {
                    self.state = Some((base, ext));
                }
                ext
            }
        }
    }

    /// The extended number `seq` would get, without recording it; `None`
    /// before the first packet.
    pub fn peek(&self, seq: SeqNo) -> Option<i64> {
        let (_, highest) = self.state?;
        // `highest` is an extension of some 16-bit value; its low 16 bits are
        // that value (rem_euclid keeps this right for negative numbers too).
        let low = u16::try_from(highest.rem_euclid(65_536)).unwrap_or(0);
        Some(highest.saturating_add(i64::from(seq.distance(SeqNo(low)))))
    }

    /// The first sequence number seen (RFC 3550 A.1 `base_seq`).
    pub fn base(&self) -> Option<SeqNo> {
        self.state.map(|(base, _)| base)
    }

    /// The extended highest sequence number seen (RFC 3550 A.1 `cycles +
    /// max_seq`).
    pub fn highest(&self) -> Option<i64> {
        self.state.map(|(_, highest)| highest)
    }

    /// Wrap count of the highest sequence number (RFC 3550 A.1 `cycles`,
    /// unshifted); zero before the first packet.
    pub fn cycles(&self) -> u32 {
        self.highest()
            .map_or(0, |h| u32::try_from(h.div_euclid(65_536)).unwrap_or(0))
    }

    /// Packets expected so far: extended highest minus base plus one
    /// (RFC 3550 A.3); zero before the first packet.
    pub fn expected(&self) -> u64 {
        match self.state {
            Some((base, highest)) => {
                u64::try_from(highest.saturating_sub(i64::from(base.0)).saturating_add(1))
                    .unwrap_or(0)
            }
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_wraps() {
        assert_eq!(SeqNo(2).distance(SeqNo(65_534)), 4);
        assert_eq!(SeqNo(65_534).distance(SeqNo(2)), -4);
        assert!(SeqNo(0).is_after(SeqNo(65_535)));
        assert_eq!(SeqNo(65_535) + 2, SeqNo(1));
        assert_eq!(RtpTimestamp(10).distance(RtpTimestamp(u32::MAX - 9)), 20);
        assert_eq!(RtpTimestamp(u32::MAX) + 3, RtpTimestamp(2));
    }

    #[test]
    fn extender_counts_cycles_across_wrap() {
        let mut ext = SeqExtender::new();
        assert_eq!(ext.extend(SeqNo(65_533)), 65_533);
        assert_eq!(ext.extend(SeqNo(65_535)), 65_535);
        assert_eq!(ext.extend(SeqNo(1)), 65_537);
        // Late packet from before the wrap keeps its old cycle.
        assert_eq!(ext.extend(SeqNo(65_534)), 65_534);
        assert_eq!(ext.highest(), Some(65_537));
        assert_eq!(ext.cycles(), 1);
        assert_eq!(ext.expected(), 5);
        assert_eq!(ext.base(), Some(SeqNo(65_533)));
    }

    #[test]
    fn late_packet_before_first_is_negative() {
        let mut ext = SeqExtender::new();
        assert_eq!(ext.extend(SeqNo(0)), 0);
        assert_eq!(ext.extend(SeqNo(65_535)), -1);
        assert_eq!(ext.highest(), Some(0));
        assert_eq!(ext.expected(), 1);
    }

    #[test]
    fn long_run_counts_many_cycles() {
        let mut ext = SeqExtender::new();
        let mut seq = SeqNo(100);
        for _ in 0..(3 * 65_536) {
            ext.extend(seq);
            seq = seq.next();
        }
        assert_eq!(ext.cycles(), 3);
        assert_eq!(ext.expected(), 3 * 65_536);
    }
}
