//! Stream metrics: `rtsp_core::stats::ReceiverStats` (RFC 3550 A.1/A.3/A.8,
//! Wireshark's definitions) fed with host timestamps, plus the per-second
//! samples behind the status line and `--plot`.

use rtsp_core::rtcp::ReportBlock;
use rtsp_core::rtp;
use rtsp_core::session::client::Reception;
use rtsp_core::Instant;

pub use crate::stats_interim::ReceiverStats;

use crate::report::Sample;

/// One stream's statistics, with host-side conveniences.
#[derive(Debug, Default)]
pub struct StreamMetrics {
    stats: ReceiverStats,
    /// Expected and received at the previous receiver report (RFC 3550 A.3).
    rr_prior: (u64, u64),
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

impl StreamMetrics {
    /// Fresh statistics.
    pub fn new() -> StreamMetrics {
        StreamMetrics::default()
    }

    /// Accounts for one RTP packet of `packet_len` bytes arriving at `now_us`.
    pub fn on_packet<T: AsRef<[u8]>>(
        &mut self,
        now_us: u64,
        pkt: &rtp::Packet<T>,
        packet_len: usize,
    ) {
        self.stats.on_packet(
            Instant::from_micros(now_us),
            pkt.sequence_number(),
            pkt.timestamp(),
            pkt.payload().len(),
            packet_len,
        );
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

    /// Interarrival jitter now, ms (RFC 3550 A.8, 90 kHz clock).
    pub fn jitter_ms(&self) -> f64 {
        self.stats.jitter_ms()
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

/// Report blocks for the session's RTCP receiver reports (RFC 3550 §6.4.1,
/// fraction lost over the interval since the previous report, A.3).
impl Reception for StreamMetrics {
    fn report_block(&mut self, ssrc: rtp::Ssrc) -> Option<ReportBlock> {
        if self.received() == 0 {
            return None;
        }
        let (expected, received) = (self.expected(), self.received());
        let exp_int = expected.saturating_sub(self.rr_prior.0);
        let rec_int = received.saturating_sub(self.rr_prior.1);
        self.rr_prior = (expected, received);
        let lost_int = exp_int.saturating_sub(rec_int);
        let fraction_lost = if exp_int == 0 {
            0
        } else {
            ((lost_int << 8) / exp_int).min(255) as u8
        };
        Some(ReportBlock {
            ssrc,
            fraction_lost,
            // 24-bit signed field (RFC 3550 §6.4.1): clamp.
            cumulative_lost: self.lost().clamp(-0x80_0000, 0x7f_ffff) as i32,
            highest_seq: self.stats.extended_highest(),
            jitter: self.stats.jitter(),
            last_sr: 0,
            delay_since_last_sr: 0,
        })
    }
}
