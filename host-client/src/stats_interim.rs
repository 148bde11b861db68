//! Interim receiver statistics with the contract's `ReceiverStats` shape,
//! used until `rtsp_core::stats` lands; `metrics.rs` switches by one `use`.
//!
//! RFC 3550 A.1 (extended sequence numbers, via `rtp::SeqExtender`), A.3
//! (expected and lost), A.8 (interarrival jitter in timestamp units).

use rtsp_core::rtp::{RtpTimestamp, SeqExtender, SeqNo};
use rtsp_core::Instant;

/// Window of sequence numbers remembered for duplicate detection.
const SEEN_WINDOW: i64 = 1024;

/// Per-stream receiver statistics (RFC 3550 A.1/A.3/A.8).
#[derive(Debug, Clone)]
pub struct ReceiverStats {
    ext: SeqExtender,
    seen: [u64; (SEEN_WINDOW / 64) as usize],
    received: u64,
    duplicates: u64,
    reordered: u64,
    payload_bytes: u64,
    /// Jitter in RTP timestamp units, ×16 (RFC 3550 A.8 integer form).
    jitter_x16: u64,
    transit: Option<i64>,
    frames_complete: u64,
    frames_dropped: u64,
}

impl Default for ReceiverStats {
    fn default() -> Self {
        ReceiverStats {
            ext: SeqExtender::new(),
            seen: [0; (SEEN_WINDOW / 64) as usize],
            received: 0,
            duplicates: 0,
            reordered: 0,
            payload_bytes: 0,
            jitter_x16: 0,
            transit: None,
            frames_complete: 0,
            frames_dropped: 0,
        }
    }
}

impl ReceiverStats {
    /// One RTP packet arrived at `now`.
    pub fn on_packet(
        &mut self,
        now: Instant,
        seq: SeqNo,
        ts: RtpTimestamp,
        payload_len: usize,
        _len: usize,
    ) {
        let before = self.ext.highest();
        let ext = self.ext.extend(seq);
        self.received += 1;
        self.payload_bytes += payload_len as u64;
        let slot = ext.rem_euclid(SEEN_WINDOW) as usize;
        let (word, bit) = (slot / 64, 1u64 << (slot % 64));
        if let Some(h) = before {
            if ext > h {
                // Forget the slots the window slid past.
                for e in (h + 1).max(ext - SEEN_WINDOW + 1)..ext {
                    let s = e.rem_euclid(SEEN_WINDOW) as usize;
                    self.seen[s / 64] &= !(1u64 << (s % 64));
                }
            } else if self.seen[word] & bit != 0 {
                self.duplicates += 1;
                return;
            } else {
                self.reordered += 1;
            }
        }
        self.seen[word] |= bit;
        // RFC 3550 A.8: transit in 90 kHz units; J += (|D| - J) / 16.
        let arrival = (now.as_micros() as i128 * 90_000 / 1_000_000) as i64;
        let transit = arrival - i64::from(ts.0);
        if let Some(prev) = self.transit {
            let d = (transit - prev).unsigned_abs();
            let j = self.jitter_x16 as i64;
            self.jitter_x16 = (j + d as i64 - ((j + 8) >> 4)).max(0) as u64;
        }
        self.transit = Some(transit);
    }

    /// A frame was completed (or dropped).
    pub fn on_frame(&mut self, _now: Instant, complete: bool, _bytes: usize) {
        if complete {
            self.frames_complete += 1;
        } else {
            self.frames_dropped += 1;
        }
    }

    /// Packets received (duplicates included, RFC 3550 A.3).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Expected from the extended highest sequence number.
    pub fn expected(&self) -> u64 {
        self.ext.expected()
    }

    /// Expected minus received.
    pub fn lost(&self) -> i64 {
        self.expected() as i64 - self.received as i64
    }

    /// Duplicates seen.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Packets older than the highest seen.
    pub fn reordered(&self) -> u64 {
        self.reordered
    }

    /// Jitter in ms.
    pub fn jitter_ms(&self) -> f64 {
        (self.jitter_x16 >> 4) as f64 / 90.0
    }

    /// Jitter in RTP units.
    pub fn jitter(&self) -> u32 {
        (self.jitter_x16 >> 4) as u32
    }

    /// Payload bytes.
    pub fn payload_bytes(&self) -> u64 {
        self.payload_bytes
    }

    /// Complete frames.
    pub fn frames_complete(&self) -> u64 {
        self.frames_complete
    }

    /// Extended highest sequence number.
    pub fn extended_highest(&self) -> u32 {
        self.ext.highest().unwrap_or(0) as u32
    }
}
