//! Restart intervals on the wire (RFC 2435 §3.1.7): where a frame's scan
//! data may be cut so that every packet carries whole intervals, and how
//! long an interval a sender should choose.
//!
//! A restart interval is `DRI` MCUs of entropy-coded data; T.81 §B.2.1 ends
//! every interval but the frame's last with an RSTn marker (`0xFF 0xD0` to
//! `0xFF 0xD7`). Byte stuffing (`0xFF 0x00`) keeps those two bytes out of
//! the coded data, so they mark the interval ends for certain. A *boundary*
//! here is the scan-data offset just after an RSTn marker: where one
//! interval ends (its marker included) and the next one begins.

use super::{Frame, Type};

/// Largest restart count a restart-aligned packet can carry: 0x3FFF is
/// reserved for "not aligned" (§3.1.7), and the field has 14 bits.
pub const MAX_RESTART_COUNT: u16 = 0x3ffe;

/// How many intervals of the average size a packet's payload should hold,
/// see [`choose_interval`].
pub const INTERVALS_PER_PACKET: usize = 6;

/// Bytes of the headers every restart-aligned packet carries: RTP (RFC 3550
/// §5.1), the main JPEG header (§3.1) and the restart header (§3.1.7).
const PACKET_HEADERS: usize = crate::rtp::HEADER_LEN + 8 + 4;

fn is_rst(pair: &[u8]) -> bool {
    matches!(pair, [0xff, 0xd0..=0xd7])
}

/// The first boundary after `from` (exclusive) in `scan`, or `None`.
pub fn next_boundary(scan: &[u8], from: usize) -> Option<usize> {
    let tail = scan.get(from..)?;
    tail.windows(2).position(is_rst).map(|i| from + i + 2)
}

/// The last boundary `p` with `from < p <= limit` in `scan`, or `None`.
pub fn last_boundary_within(scan: &[u8], from: usize, limit: usize) -> Option<usize> {
    let window = scan.get(from..limit.min(scan.len()))?;
    window.windows(2).rposition(is_rst).map(|i| from + i + 2)
}

/// Whether `at` is a boundary of `scan`: just after an RSTn marker.
pub fn is_boundary(scan: &[u8], at: usize) -> bool {
    at >= 2 && scan.get(at - 2..at).is_some_and(is_rst)
}

/// Number of RSTn markers wholly inside `data`.
pub fn count_markers(data: &[u8]) -> usize {
    data.windows(2).filter(|w| is_rst(w)).count()
}

/// MCUs in a frame (T.81 §A.2.4): 16x8 pixels for type 0 (4:2:2), 16x16
/// for type 1 (4:2:0), partial MCUs at the right and bottom edges counted.
pub fn mcu_count(kind: Type, width: u16, height: u16) -> usize {
    let mcu_height = match kind {
        Type::Yuv422 => 8,
        _ => 16,
    };
    usize::from(width).div_ceil(16) * usize::from(height).div_ceil(mcu_height)
}

impl Frame<'_> {
    /// MCUs in the frame, see [`mcu_count`].
    pub fn mcus(&self) -> usize {
        mcu_count(self.kind(), self.width(), self.height())
    }
}

/// The restart interval (in MCUs) a sender should give a frame of `mcus`
/// MCUs and `scan_len` bytes of entropy-coded data, for packets of at most
/// `mtu` bytes (RTP header included), so that restart-aligned packets
/// (RFC 2435 §3.1.7) lose little to overhead and rarely split an interval.
///
/// The choice: an interval of *average* size should be about
/// 1/[`INTERVALS_PER_PACKET`] (1/6) of a packet's payload room, about 230
/// bytes at a 1400-byte MTU. What each part costs:
///
/// * **In the scan data**, per interval: the RSTn marker (2 bytes), the
///   bits padding the interval to a whole byte (T.81 §F.1.2.3, 0.5 byte on
///   average) and the DC predictions starting again from 0 (T.81 §F.1.1.5.1:
///   the first MCU codes three DC values in full, 2 to 3 bytes). About 5
///   bytes an interval, 2 % at 230 bytes; longer intervals cost less.
/// * **Per packet**: the restart header (4 bytes, 0.3 %), and more packets:
///   a packet ends at the last whole interval that fits, leaving on average
///   half an interval of room unused (about 1/12 of it).
/// * **Room for busy regions**: MCUs are not all the same size (a detailed
///   region takes several times the average), and an interval longer than
///   the room must be split across packets, where losing any one of them
///   loses the whole interval. Six times the average leaves that margin.
///
/// Measured on a moving 640×480 clip (ffmpeg `testsrc2`, `-q:v 4`, 28 kB a
/// frame, 1400-byte MTU): intervals of 10 to 12 MCUs, +2.0 % bytes and +17 %
/// packets against packets cut at the MTU; 1/8 cost +2.9 % (more intervals),
/// 1/4 +2.0 % bytes but +28 % packets (more intervals split). `rtsp-server`
/// measures and logs the figure for every clip.
///
/// The interval is at least 1 MCU, at most the frame's MCUs, and long enough
/// for the frame's intervals to fit the 14-bit restart count
/// ([`MAX_RESTART_COUNT`]). `mcus` of 0 gives 0: no restart interval.
pub fn choose_interval(mtu: usize, mcus: usize, scan_len: usize) -> u16 {
    if mcus == 0 {
        return 0;
    }
    let room = mtu.saturating_sub(PACKET_HEADERS).max(1);
    let per_mcu = scan_len.div_ceil(mcus).max(1);
    let wanted = (room / (INTERVALS_PER_PACKET * per_mcu)).max(1);
    let fewest = mcus.div_ceil(usize::from(MAX_RESTART_COUNT) + 1);
    let n = wanted.max(fewest).min(mcus);
    u16::try_from(n).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_follow_rst_markers_only() {
        // Stuffed 0xFF 0x00 and other markers are not boundaries.
        let scan = [
            1, 0xff, 0x00, 2, 0xff, 0xd0, 3, 0xff, 0xd9, 0xff, 0xff, 0xd7, 4,
        ];
        assert_eq!(next_boundary(&scan, 0), Some(6));
        assert_eq!(next_boundary(&scan, 6), Some(12));
        assert_eq!(next_boundary(&scan, 12), None);
        assert_eq!(next_boundary(&scan, 99), None);
        assert_eq!(last_boundary_within(&scan, 0, 13), Some(12));
        assert_eq!(last_boundary_within(&scan, 0, 11), Some(6));
        assert_eq!(last_boundary_within(&scan, 0, 5), None);
        assert_eq!(last_boundary_within(&scan, 6, 11), None);
        assert_eq!(last_boundary_within(&scan, 20, 30), None);
        assert_eq!(count_markers(&scan), 2);
        assert!(is_boundary(&scan, 6) && is_boundary(&scan, 12));
        assert!(!is_boundary(&scan, 0) && !is_boundary(&scan, 5) && !is_boundary(&scan, 99));
        assert_eq!(count_markers(&scan[..5]), 0);
    }

    #[test]
    fn mcus_by_type() {
        assert_eq!(mcu_count(Type::Yuv420, 640, 480), 40 * 30);
        assert_eq!(mcu_count(Type::Yuv422, 640, 480), 40 * 60);
        assert_eq!(mcu_count(Type::Yuv420, 17, 1), 2);
    }

    #[test]
    fn interval_choice() {
        // 640x480 4:2:0, 30 kB of scan: 25 bytes per MCU, room 1376:
        // 1376 / (6 * 25) = 9 MCUs, about 225 bytes.
        assert_eq!(choose_interval(1400, 1200, 30_000), 9);
        // A tiny frame: the whole frame is at most one interval.
        assert_eq!(choose_interval(1400, 4, 10), 4);
        // Huge, detailed frames: at least 1 MCU, and few enough intervals
        // for the 14-bit count.
        assert_eq!(choose_interval(1400, 1200, 10_000_000), 1);
        assert_eq!(choose_interval(1400, 65_000, 16_000_000), 4);
        assert_eq!(choose_interval(1400, 0, 100), 0);
        assert_eq!(choose_interval(0, 10, 0), 1);
    }
}
