//! Interarrival jitter (RFC 3550 §6.4.1 and A.8) computed the way
//! Wireshark's RTP stream analysis does (`ui/tap-rtp-analysis.c`,
//! `rtppacket_analyse`), so that `tshark -z rtp,streams` prints the same
//! Max Delta, Mean Jitter and Max Jitter for the same packets.
//!
//! A.8 defines, for packets i-1 and i with arrival times R and RTP
//! timestamps S, `D(i-1,i) = (Rj - Ri) - (Sj - Si)` and
//! `J(i) = J(i-1) + (|D(i-1,i)| - J(i-1)) / 16`. Wireshark evaluates it in
//! milliseconds with floating point, converts timestamps with the integer
//! `clock_rate / 1000`, and takes as "previous" the last packet whose
//! timestamp did not go backwards. It then keeps the maximum and a running
//! mean of J, and of the arrival gap ("delta"), over the "regular" packets
//! only: not the first, not one with the marker bit set, and not one whose
//! timestamp went backwards. We do exactly the same.

use crate::rtp::RtpTimestamp;

/// Extends 32-bit RTP timestamps across wraps, nearest to the last one
/// (as Wireshark's RTP dissector extends `info_extended_timestamp`).
#[derive(Debug, Clone, Copy, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct TimestampExtender {
    last: Option<i64>,
}

impl TimestampExtender {
    fn extend(&mut self, ts: RtpTimestamp) -> i64 {
        let ext = match self.last {
            None => i64::from(ts.0),
            Some(last) => {
                // The low 32 bits of `last` are the previous timestamp.
                let low = RtpTimestamp(u32::try_from(last.rem_euclid(1 << 32)).unwrap_or(0));
                last.saturating_add(i64::from(ts.distance(low)))
            }
        };
        self.last = Some(ext);
        ext
    }
}

fn abs(x: f64) -> f64 {
    if x < 0.0 {
        -x
    } else {
        x
    }
}

/// Jitter and delta state for one stream.
#[derive(Debug, Clone, Copy, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Jitter {
    timestamps: TimestampExtender,
    /// Arrival (ms) and extended timestamp of the last in-order packet.
    reference: Option<(f64, i64)>,
    /// Packets seen (Wireshark's `total_nr`).
    count: u64,
    /// Current J, in ms.
    pub(crate) jitter_ms: f64,
    pub(crate) max_jitter_ms: f64,
    pub(crate) mean_jitter_ms: f64,
    pub(crate) min_jitter_ms: Option<f64>,
    pub(crate) max_delta_ms: f64,
    pub(crate) mean_delta_ms: f64,
    pub(crate) min_delta_ms: Option<f64>,
}

impl Jitter {
    /// Accounts for one packet arriving at `arrival_ms` (relative to any
    /// fixed origin) with timestamp `ts`, in a stream of `clock_rate` Hz.
    pub(crate) fn on_packet(
        &mut self,
        arrival_ms: f64,
        ts: RtpTimestamp,
        marker: bool,
        clock_rate: u32,
    ) {
        let ts = self.timestamps.extend(ts);
        self.count = self.count.saturating_add(1);
        let Some((ref_ms, ref_ts)) = self.reference else {
            self.reference = Some((arrival_ms, ts));
            return;
        };
        // Wireshark: "in_time_sequence", the timestamp did not go back.
        let in_order = ref_ts <= ts;
        // Integer division, as Wireshark does (90 for 90 kHz).
        let khz = clock_rate / 1000;
        let delta = arrival_ms - ref_ms;
        let mut current = self.jitter_ms;
        if khz != 0 {
            // The timestamp difference converted to ms, then A.8's |D|.
            let nominal_ms = ts.saturating_sub(ref_ts) as f64 / f64::from(khz);
            let diff = abs(arrival_ms - (ref_ms + nominal_ms));
            current = (15.0 * self.jitter_ms + diff) / 16.0;
            self.jitter_ms = current;
        }
        if !marker && in_order {
            // Running means over packets 2..n, weighted by the count of
            // packets before this one (Wireshark's `total_nr - 1`).
            let before = self.count.saturating_sub(1) as f64;
            let n = before.max(1.0);
            if delta > self.max_delta_ms {
                self.max_delta_ms = delta;
            }
            self.min_delta_ms = Some(self.min_delta_ms.map_or(delta, |m| m.min(delta)));
            self.mean_delta_ms = (self.mean_delta_ms * (n - 1.0) + delta) / n;
            if khz != 0 {
                if self.jitter_ms > self.max_jitter_ms {
                    self.max_jitter_ms = self.jitter_ms;
                }
                self.mean_jitter_ms = (self.mean_jitter_ms * (n - 1.0) + current) / n;
                let j = self.jitter_ms;
                self.min_jitter_ms = Some(self.min_jitter_ms.map_or(j, |m| m.min(j)));
            }
        }
        if in_order {
            self.reference = Some((arrival_ms, ts));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_extend_across_wrap() {
        let mut ext = TimestampExtender::default();
        assert_eq!(
            ext.extend(RtpTimestamp(u32::MAX - 10)),
            i64::from(u32::MAX) - 10
        );
        assert_eq!(ext.extend(RtpTimestamp(5)), i64::from(u32::MAX) + 6);
        assert_eq!(ext.extend(RtpTimestamp(u32::MAX)), i64::from(u32::MAX));
    }
}
