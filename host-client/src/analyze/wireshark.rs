//! The per-stream aggregates Wireshark's RTP stream analysis prints beside
//! loss: maximum delta, mean and maximum jitter.
//!
//! The jitter estimator is RFC 3550 A.8 (J += (|D| - J) / 16), computed in
//! milliseconds in floating point as Wireshark does. Wireshark counts only
//! "regular" packets in the aggregates: not the first packet of the stream,
//! not a packet with the marker bit, and not one whose timestamp goes back
//! in time. Reproducing that rule is what makes our figures equal
//! `tshark -z rtp,streams` on the same capture.

/// Max delta, mean and max jitter of one stream.
#[derive(Debug, Default, Clone)]
pub struct Aggregates {
    /// Largest arrival gap between a regular packet and its predecessor, ms.
    pub max_delta_ms: f64,
    /// Mean of the jitter after each regular packet, ms.
    pub mean_jitter_ms: f64,
    /// Largest jitter after a regular packet, ms.
    pub max_jitter_ms: f64,
    started: bool,
    /// Arrival time of the last in-time-sequence packet, ms.
    time_ms: f64,
    /// Extended RTP timestamp of the last in-time-sequence packet.
    seq_ts: i64,
    /// Last extended timestamp seen (for unwrapping).
    last_ts: i64,
    jitter_ms: f64,
    /// Packets processed so far (Wireshark's total_nr).
    total: u64,
}

impl Aggregates {
    /// Accounts for one RTP packet arriving at `now_us` (capture time).
    pub fn on_packet(&mut self, now_us: u64, _seq: u16, ts: u32, marker: bool, clock_rate: u32) {
        let now_ms = now_us as f64 / 1000.0;
        if !self.started {
            self.started = true;
            self.time_ms = now_ms;
            self.seq_ts = i64::from(ts);
            self.last_ts = i64::from(ts);
            self.total = 1;
            return;
        }
        let ext = unwrap_ts(self.last_ts, ts);
        let in_time_sequence = self.seq_ts <= ext;
        let nominal_ms = (ext - self.seq_ts) as f64 / (f64::from(clock_rate) / 1000.0);
        let expected = self.time_ms + nominal_ms;
        let diff = (now_ms - expected).abs();
        self.jitter_ms = (15.0 * self.jitter_ms + diff) / 16.0;
        let delta = now_ms - self.time_ms;
        if !marker && in_time_sequence {
            if delta > self.max_delta_ms {
                self.max_delta_ms = delta;
            }
            if self.jitter_ms > self.max_jitter_ms {
                self.max_jitter_ms = self.jitter_ms;
            }
            // Wireshark divides by total_nr (packets before this one), so
            // the mean spreads over every packet, regular or not.
            self.mean_jitter_ms = (self.mean_jitter_ms * (self.total - 1) as f64 + self.jitter_ms)
                / self.total as f64;
        }
        if in_time_sequence {
            self.time_ms = now_ms;
            self.seq_ts = ext;
        }
        self.last_ts = ext;
        self.total += 1;
    }
}

/// Extends a 32-bit RTP timestamp to the 64-bit value nearest `last`.
fn unwrap_ts(last: i64, ts: u32) -> i64 {
    let delta = ts.wrapping_sub(last as u32) as i32;
    last + i64::from(delta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_stream_has_no_jitter() {
        let mut a = Aggregates::default();
        for i in 0..100u32 {
            // 25 fps, 90 kHz: 3600 ticks per 40 ms.
            a.on_packet(u64::from(i) * 40_000, i as u16, i * 3600, false, 90_000);
        }
        assert!(a.max_jitter_ms.abs() < 1e-9);
        assert!((a.max_delta_ms - 40.0).abs() < 1e-9);
    }

    #[test]
    fn late_packet_raises_jitter_by_a_sixteenth() {
        let mut a = Aggregates::default();
        a.on_packet(0, 0, 0, false, 90_000);
        a.on_packet(56_000, 1, 3600, false, 90_000); // 16 ms late
        assert!((a.max_jitter_ms - 1.0).abs() < 1e-9);
        assert!((a.max_delta_ms - 56.0).abs() < 1e-9);
    }

    #[test]
    fn timestamp_wrap_is_continuous() {
        assert_eq!(unwrap_ts(0xFFFF_FF00, 0x100), 0x1_0000_0100);
    }
}
