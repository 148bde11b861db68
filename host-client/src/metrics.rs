//! Stream metrics: `rtsp_core::stats::ReceiverStats` (RFC 3550 A.1/A.3/A.8,
//! Wireshark's definitions) fed with host timestamps, plus the per-second
//! samples behind the status line and `--plot`.

use rtsp_core::rtcp::ReportBlock;
use rtsp_core::rtp;
use rtsp_core::session::client::Reception;
use rtsp_core::stats::{Mark, ReceiverStats};
use rtsp_core::Instant;

use crate::report::Sample;

/// One stream's statistics, with the start of the current sample's
/// interval for its loss.
#[derive(Debug)]
pub struct StreamMetrics {
    stats: ReceiverStats,
    /// Counts at the last sample: loss per sample is measured from here.
    last: Mark,
}

impl Default for StreamMetrics {
    fn default() -> Self {
        StreamMetrics {
            stats: ReceiverStats::new(rtsp_core::jpeg::CLOCK_RATE),
            last: Mark::default(),
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

    /// `lost` as a percentage of `expected` (Wireshark's "(x%)").
    pub fn lost_percent(&self) -> f64 {
        self.stats.lost_percent()
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

    /// Complete frames per second from the first frame to the last.
    pub fn fps_overall(&self) -> f64 {
        self.stats.fps_overall()
    }

    /// RTP payload kbit/s from the first packet to the last.
    pub fn payload_kbps_overall(&self) -> f64 {
        self.stats.kbps_overall().0
    }

    /// Complete frames: reassembled whole and opened as JFIF.
    pub fn frames_complete(&self) -> u64 {
        self.stats.frames_complete()
    }

    /// Frames dropped: a gap or inconsistency in reassembly, or a rebuilt
    /// JFIF that does not open.
    pub fn frames_dropped(&self) -> u64 {
        self.stats.frames_dropped()
    }

    /// The figures behind the status line and `--plot` at `now_us`: frame
    /// and payload rates over the core's frames window (stretched to now, so
    /// a stalled stream shows it), loss since the previous sample. `t` is
    /// seconds since playing started.
    pub fn sample(&mut self, now_us: u64, t: f64) -> Sample {
        let now = Instant::from_micros(now_us);
        let loss_percent = self.stats.lost_percent_since(self.last);
        self.last = self.stats.mark();
        Sample {
            t,
            fps: self.stats.fps_window_at(now),
            kbps: self.stats.kbps_window_at(now).0,
            loss_percent,
        }
    }
}

/// Report blocks for the session's RTCP receiver reports (RFC 3550 §6.4.1).
impl Reception for StreamMetrics {
    fn report_block(&mut self, ssrc: rtp::Ssrc) -> Option<ReportBlock> {
        self.stats.report_block(ssrc)
    }
}
