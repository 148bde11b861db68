//! Stream metrics: `rtsp_core::stats::ReceiverStats` (RFC 3550 A.1/A.3/A.8,
//! Wireshark's definitions) fed with host timestamps, plus the per-second
//! samples behind the status line and `--plot`.

use rtsp_core::rtcp::ReportBlock;
use rtsp_core::rtp;
use rtsp_core::session::client::Reception;
use rtsp_core::stats::ReceiverStats;
use rtsp_core::Instant;

use crate::report::Sample;

/// One stream's statistics, with the interval snapshots for rates.
#[derive(Debug)]
pub struct StreamMetrics {
    stats: ReceiverStats,
    /// Received/expected/payload/frames at the last sample, for rates.
    last: Snapshot,
}

#[derive(Debug, Default, Clone, Copy)]
struct Snapshot {
    at_us: u64,
    received: u64,
    expected: u64,
    frames: u64,
    payload: u64,
}

impl Default for StreamMetrics {
    fn default() -> Self {
        StreamMetrics {
            stats: ReceiverStats::new(rtsp_core::jpeg::CLOCK_RATE),
            last: Snapshot::default(),
        }
    }
}

impl StreamMetrics {
    /// Fresh statistics for a 90 kHz (JPEG) stream.
    pub fn new() -> StreamMetrics {
        StreamMetrics::default()
    }

    /// Accounts for one RTP packet arriving at `now_us` (its marker bit
    /// included, as Wireshark's aggregates need).
    pub fn on_packet<T: AsRef<[u8]>>(&mut self, now_us: u64, pkt: &rtp::Packet<T>) {
        self.stats.on_rtp(Instant::from_micros(now_us), pkt);
    }

    /// Accounts for one reassembled frame (`complete` false: dropped).
    pub fn on_frame(&mut self, now_us: u64, complete: bool, bytes: usize) {
        self.stats
            .on_frame(Instant::from_micros(now_us), complete, bytes);
    }

    /// Packets received, duplicates included (RFC 3550 A.3).
    pub fn received(&self) -> u64 {
        self.stats.received()
    }

    /// Packets expected from the extended sequence numbers (RFC 3550 A.3).
    pub fn expected(&self) -> u64 {
        self.stats.expected()
    }

    /// Expected minus received (negative with duplicates).
    pub fn lost(&self) -> i64 {
        self.stats.lost()
    }

    /// Duplicated packets.
    pub fn duplicates(&self) -> u64 {
        self.stats.duplicates()
    }

    /// Packets that arrived after a later sequence number.
    pub fn reordered(&self) -> u64 {
        self.stats.reordered()
    }

    /// Interarrival jitter now, ms (RFC 3550 A.8).
    pub fn jitter_ms(&self) -> f64 {
        self.stats.jitter_ms()
    }

    /// Wireshark's "Max Delta": the largest gap before a regular packet, ms.
    pub fn max_delta_ms(&self) -> f64 {
        self.stats.max_delta_ms()
    }

    /// Wireshark's "Mean Jitter", ms.
    pub fn mean_jitter_ms(&self) -> f64 {
        self.stats.mean_jitter_ms()
    }

    /// Wireshark's "Max Jitter", ms.
    pub fn max_jitter_ms(&self) -> f64 {
        self.stats.max_jitter_ms()
    }

    /// RTP payload bytes received.
    pub fn payload_bytes(&self) -> u64 {
        self.stats.payload_bytes()
    }

    /// Complete frames counted.
    pub fn frames_complete(&self) -> u64 {
        self.stats.frames_complete()
    }

    /// Rates over the interval since the previous call: the status line and
    /// the `--plot` series. `t` is seconds since playing started.
    pub fn sample(&mut self, now_us: u64, t: f64) -> Sample {
        let now = Snapshot {
            at_us: now_us,
            received: self.received(),
            expected: self.expected(),
            frames: self.frames_complete(),
            payload: self.payload_bytes(),
        };
        let prev = self.last;
        self.last = now;
        let dt = now.at_us.saturating_sub(prev.at_us) as f64 / 1e6;
        if prev.at_us == 0 || dt <= 0.0 {
            return Sample {
                t,
                ..Sample::default()
            };
        }
        let exp = now.expected.saturating_sub(prev.expected);
        let rec = now.received.saturating_sub(prev.received);
        Sample {
            t,
            fps: now.frames.saturating_sub(prev.frames) as f64 / dt,
            kbps: now.payload.saturating_sub(prev.payload) as f64 * 8.0 / dt / 1000.0,
            loss_percent: if exp > 0 {
                exp.saturating_sub(rec) as f64 * 100.0 / exp as f64
            } else {
                0.0
            },
        }
    }
}

/// Report blocks for the session's RTCP receiver reports (RFC 3550 §6.4.1).
impl Reception for StreamMetrics {
    fn report_block(&mut self, ssrc: rtp::Ssrc) -> Option<ReportBlock> {
        self.stats.report_block(ssrc)
    }
}
