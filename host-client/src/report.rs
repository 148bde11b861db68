//! Metrics output: the once-a-second status line, the end summary, the
//! `--report` JSON and the time series behind `--plot`.
//!
//! Definitions follow DESIGN.md (Wireshark's RTP stream analysis): loss from
//! extended sequence numbers (RFC 3550 A.3), interarrival jitter per
//! RFC 3550 A.8, frame rate of complete frames, data rate of RTP payload.

use std::path::Path;

use serde::Serialize;

/// The final metrics, written by `--report FILE.json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The presentation URL played.
    pub url: String,
    /// `udp` or `tcp` (interleaved).
    pub transport: String,
    /// Complete frames reassembled (the same as `frames_complete`, kept
    /// for older readers).
    pub frames_received: u64,
    /// Frames reassembled whole.
    pub frames_complete: u64,
    /// Frames shown with missing restart intervals concealed from the
    /// previous frame (RFC 2435 §3.1.7).
    pub frames_concealed: u64,
    /// Frames dropped as incomplete or corrupt (never displayed).
    pub frames_dropped: u64,
    /// Restart intervals missing from the concealed frames.
    pub intervals_lost: u64,
    /// Frame width in pixels (0 before the first frame).
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Complete frames per second over the playing time.
    pub fps: f64,
    /// RTP payload data rate, kbit/s.
    pub payload_kbps: f64,
    /// RTP packets received (duplicates included, as RFC 3550 A.3 counts).
    pub packets_received: u64,
    /// Packets expected from the extended highest sequence number.
    pub packets_expected: u64,
    /// Expected minus received (RFC 3550 A.3; negative with duplicates).
    pub packets_lost: i64,
    /// Lost as a percentage of expected.
    pub loss_percent: f64,
    /// Interarrival jitter at the end, ms (RFC 3550 A.8).
    pub jitter_ms: f64,
    /// Duplicated packets.
    pub duplicates: u64,
    /// Packets that arrived after a later sequence number.
    pub reordered: u64,
    /// Packets that arrived after the reorder window gave up waiting for
    /// them: received for RFC 3550, lost for the picture.
    pub packets_late: u64,
    /// Seconds spent playing.
    pub duration_s: f64,
    /// Sender SSRC (hex), if any packet arrived.
    pub ssrc: String,
    /// RTCP receiver reports sent.
    pub rtcp_rr_sent: u64,
    /// Keep-alive requests sent.
    pub keepalives_sent: u64,
}

impl Report {
    /// The one-line status shown about once a second while playing.
    pub fn status_line(&self, window_fps: f64, window_kbps: f64) -> String {
        format!(
            "{:>6.1} fps {:>8.0} kbit/s  loss {:>5.2}%  jitter {:>6.2} ms  dropped {:>4}  frames {:>6}  concealed {:>4}  intervals lost {:>5}",
            window_fps,
            window_kbps,
            self.loss_percent,
            self.jitter_ms,
            self.frames_dropped,
            self.frames_complete,
            self.frames_concealed,
            self.intervals_lost
        )
    }

    /// The multi-line summary printed at the end.
    pub fn summary(&self) -> String {
        format!(
            "summary: {} frames received, {} concealed, {} dropped, {}x{}, {:.2} fps, {:.0} kbit/s payload over {:.1} s ({})\n\
             packets: {} received, {} expected, {} lost ({:.2}%), {} duplicates, {} reordered, {} late, jitter {:.2} ms",
            self.frames_received,
            self.frames_concealed,
            self.frames_dropped,
            self.width,
            self.height,
            self.fps,
            self.payload_kbps,
            self.duration_s,
            self.transport,
            self.packets_received,
            self.packets_expected,
            self.packets_lost,
            self.loss_percent,
            self.duplicates,
            self.reordered,
            self.packets_late,
            self.jitter_ms
        )
    }

    /// Writes the JSON report.
    pub fn write_json(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

/// One point of the `--plot` time series, sampled about once a second.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// Seconds since playing started.
    pub t: f64,
    /// Frames per second over the last interval.
    pub fps: f64,
    /// Payload kbit/s over the last interval.
    pub kbps: f64,
    /// Loss percentage over the last interval.
    pub loss_percent: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_the_documented_fields() {
        let r = Report {
            frames_received: 250,
            width: 640,
            height: 480,
            ..Report::default()
        };
        let v: serde_json::Value = serde_json::to_value(&r).unwrap();
        for k in [
            "frames_received",
            "frames_complete",
            "frames_concealed",
            "frames_dropped",
            "intervals_lost",
            "width",
            "height",
            "fps",
            "payload_kbps",
            "packets_received",
            "packets_expected",
            "packets_lost",
            "loss_percent",
            "jitter_ms",
            "duplicates",
            "reordered",
            "packets_late",
            "duration_s",
        ] {
            assert!(v.get(k).is_some(), "missing {k}");
        }
        assert_eq!(v["width"], 640);
    }
}
