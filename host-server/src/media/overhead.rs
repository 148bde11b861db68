//! What restart-aligned packets (RFC 2435 §3.1.7) cost a clip: the bytes
//! and packets of its frames as sent, against what `--no-restart` would send
//! for the same clip (no restart markers added, packets cut at the MTU).
//!
//! The cost has three parts: the RSTn markers in the scan data (2 bytes an
//! interval, plus the bits padding each interval to a byte, T.81 §F.1.2.3),
//! the restart header (4 bytes a packet), and the extra packets (each with
//! its headers) that cutting at interval boundaries rather than at the MTU
//! takes.

use rtsp_core::jpeg::{Frame, Packetizer, PAYLOAD_TYPE};
use rtsp_core::rtp;

/// Totals over a clip's frames, sent both ways.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Overhead {
    /// Smallest and largest restart interval sent, in MCUs.
    pub intervals: Option<(u16, u16)>,
    /// RTP bytes (headers included) as sent.
    pub bytes: u64,
    /// RTP packets as sent.
    pub packets: u64,
    /// RTP bytes `--no-restart` would send.
    pub plain_bytes: u64,
    /// RTP packets `--no-restart` would send.
    pub plain_packets: u64,
}

/// Any RTP header: only lengths are measured.
const HEADER: rtp::Repr = rtp::Repr {
    marker: false,
    payload_type: PAYLOAD_TYPE,
    sequence: rtp::SeqNo(0),
    timestamp: rtp::RtpTimestamp(0),
    ssrc: rtp::Ssrc(0),
};

impl Overhead {
    /// Adds one frame: `sent` as it goes out, `plain` as `--no-restart`
    /// would send it.
    pub fn add(&mut self, sent: &Frame<'_>, plain: &Frame<'_>, mtu: usize) {
        if let (Ok(s), Ok(p)) = (
            Packetizer::new(sent, mtu, HEADER),
            Packetizer::unaligned(plain, mtu, HEADER),
        ) {
            self.bytes += s.total_len() as u64;
            self.packets += s.packet_count() as u64;
            self.plain_bytes += p.total_len() as u64;
            self.plain_packets += p.packet_count() as u64;
        }
        if sent.restart() {
            let n = sent.restart_interval();
            let (lo, hi) = self.intervals.unwrap_or((n, n));
            self.intervals = Some((lo.min(n), hi.max(n)));
        }
    }

    /// Bytes sent over bytes `--no-restart` would send, less one: 0.014 is
    /// 1.4 % more.
    pub fn ratio(&self) -> f64 {
        if self.plain_bytes == 0 {
            return 0.0;
        }
        self.bytes as f64 / self.plain_bytes as f64 - 1.0
    }

    /// E.g. `restart-aligned packets (interval 6–9 MCUs): +1.4 % bytes,
    /// 212 → 224 packets vs --no-restart`.
    pub fn summary(&self) -> String {
        let interval = match self.intervals {
            None => return "no restart intervals".into(),
            Some((lo, hi)) if lo == hi => format!("{lo} MCUs"),
            Some((lo, hi)) => format!("{lo}–{hi} MCUs"),
        };
        format!(
            "restart-aligned packets (interval {interval}): {:+.1} % bytes ({} → {} B), \
             {} → {} packets vs --no-restart",
            self.ratio() * 100.0,
            self.plain_bytes,
            self.bytes,
            self.plain_packets,
            self.packets
        )
    }
}
