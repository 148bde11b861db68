//! Reception statistics for one RTP stream (RFC 3550 A.1, A.3, A.8), with
//! the same definitions as Wireshark's RTP stream analysis, so the client's
//! figures agree with `tshark -q -z rtp,streams` on the same packets.
//!
//! | figure | definition |
//! |---|---|
//! | received | every packet, duplicates included (RFC 3550 A.3; Wireshark "Pkts") |
//! | expected | extended highest sequence number − first + 1 (A.1, A.3) |
//! | lost | expected − received: may go negative with duplicates, as A.3 says and Wireshark shows ("Lost") |
//! | missing | expected − distinct packets: never negative (use over TCP, where tshark's "Lost" misleads) |
//! | fraction lost | lost in the interval since the last report block, in 1/256 (A.3); since any [`Mark`], in percent |
//! | jitter | A.8 in ms and in RTP units, computed as Wireshark does (see below) |
//! | max/mean jitter, max delta | Wireshark's "Max Jitter", "Mean Jitter", "Max Delta" |
//! | duplicates | a sequence number already received (within [`STATS_SEEN_WINDOW`]) |
//! | reordered | arrived with a sequence number below the highest one seen (not a duplicate) |
//! | frames | complete and dropped, as the depacketizer reports them |
//! | rates | complete frames/s and kbit/s of payload and of whole RTP packets (RTP header included, IP/UDP not), over the last [`STATS_WINDOW_FRAMES`] frames and overall |
//!
//! Wireshark's "expected" uses the sequence number of the *last* packet
//! rather than the highest; the two differ only if the very last packet
//! arrived out of order. Wireshark's jitter takes as previous packet the
//! last one whose timestamp did not go backwards, and leaves packets with
//! the marker bit out of Max/Mean Jitter and Max Delta: feed packets with
//! [`ReceiverStats::on_rtp`] (which sees the marker) to match it exactly.
//!
//! [`STATS_SEEN_WINDOW`]: crate::limits::STATS_SEEN_WINDOW
//! [`STATS_WINDOW_FRAMES`]: crate::limits::STATS_WINDOW_FRAMES

mod jitter;
mod window;

use crate::limits::STATS_SEEN_WINDOW;
use crate::rtcp::{dlsr_from_duration, NtpTimestamp, ReportBlock};
use crate::rtp::{self, RtpTimestamp, SeqExtender, SeqNo, Ssrc};
use crate::time::Instant;
use jitter::Jitter;
use window::{per_second, Window};

/// Words of the duplicate-detection bitmap.
const SEEN_WORDS: usize = STATS_SEEN_WINDOW.div_ceil(64);
/// The bitmap's span in sequence numbers.
const SEEN_SPAN: i64 = (SEEN_WORDS * 64) as i64;

/// `lost` as a percentage of `expected` (0 when nothing was expected): the
/// one loss formula of the statistics, cumulative or per interval.
fn percent(lost: i64, expected: u64) -> f64 {
    match expected {
        0 => 0.0,
        e => lost as f64 * 100.0 / e as f64,
    }
}

/// The counts of a [`ReceiverStats`] at one moment
/// ([`ReceiverStats::mark`]), the start of an interval for
/// [`ReceiverStats::lost_percent_since`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Mark {
    expected: u64,
    received: u64,
}

/// Statistics of one received RTP stream (RFC 3550 A.1/A.3/A.8).
///
/// Call [`on_rtp`](Self::on_rtp) (or [`on_packet`](Self::on_packet)) for
/// every RTP packet as it arrives, [`on_frame`](Self::on_frame) when the
/// depacketizer completes or drops a frame, and
/// [`on_sender_report`](Self::on_sender_report) for each RTCP SR; read the
/// getters at any time, and [`report_block`](Self::report_block) once per
/// RTCP RR (it starts a new A.3 interval). One object per SSRC: start a
/// fresh one when the source changes (RFC 3550 §8.2).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReceiverStats {
    clock_rate: u32,
    seq: SeqExtender,
    seen: [u64; SEEN_WORDS],
    received: u64,
    duplicates: u64,
    reordered: u64,
    /// Distinct packets older than the first one (not expected, A.1).
    before_base: u64,
    payload_bytes: u64,
    packet_bytes: u64,
    first_packet: Option<(Instant, u64, u64)>,
    last_packet: Instant,
    jitter: Jitter,
    expected_prior: u64,
    received_prior: u64,
    frames_complete: u64,
    frames_dropped: u64,
    frame_bytes: u64,
    first_frame: Option<(Instant, bool)>,
    last_frame: Instant,
    window: Window,
    last_sr: Option<(u32, Instant)>,
    now: Instant,
}

impl Default for ReceiverStats {
    /// Statistics for a 90 kHz stream (JPEG, RFC 2435 §3).
    fn default() -> Self {
        ReceiverStats::new(90_000)
    }
}

impl ReceiverStats {
    /// Statistics for a stream whose RTP clock runs at `clock_rate` Hz
    /// (from SDP `a=rtpmap`; 90000 for JPEG). A rate below 1000 Hz disables
    /// jitter, as in Wireshark.
    pub fn new(clock_rate: u32) -> Self {
        ReceiverStats {
            clock_rate,
            seq: SeqExtender::new(),
            seen: [0; SEEN_WORDS],
            received: 0,
            duplicates: 0,
            reordered: 0,
            before_base: 0,
            payload_bytes: 0,
            packet_bytes: 0,
            first_packet: None,
            last_packet: Instant::ZERO,
            jitter: Jitter::default(),
            expected_prior: 0,
            received_prior: 0,
            frames_complete: 0,
            frames_dropped: 0,
            frame_bytes: 0,
            first_frame: None,
            last_frame: Instant::ZERO,
            window: Window::default(),
            last_sr: None,
            now: Instant::ZERO,
        }
    }

    /// Accounts for a parsed RTP packet arriving at `now` (uses its marker
    /// bit as Wireshark does).
    pub fn on_rtp<T: AsRef<[u8]>>(&mut self, now: Instant, packet: &rtp::Packet<T>) {
        let len = packet.as_bytes().len();
        self.on_packet_marked(
            now,
            packet.sequence_number(),
            packet.timestamp(),
            packet.marker(),
            packet.payload().len(),
            len,
        );
    }

    /// Accounts for one RTP packet arriving at `now`, without its marker bit
    /// (Max/Mean Jitter then also include the frames' last packets).
    pub fn on_packet(
        &mut self,
        now: Instant,
        seq: SeqNo,
        ts: RtpTimestamp,
        payload_len: usize,
        packet_len: usize,
    ) {
        self.on_packet_marked(now, seq, ts, false, payload_len, packet_len);
    }

    /// Accounts for one RTP packet arriving at `now` (RFC 3550 A.1, A.8).
    pub fn on_packet_marked(
        &mut self,
        now: Instant,
        seq: SeqNo,
        ts: RtpTimestamp,
        marker: bool,
        payload_len: usize,
        packet_len: usize,
    ) {
        self.now = self.now.max(now);
        let (first_at, ..) =
            *self
                .first_packet
                .get_or_insert((now, payload_len as u64, packet_len as u64));
        self.last_packet = self.last_packet.max(now);
        self.received = self.received.saturating_add(1);
        self.payload_bytes = self.payload_bytes.saturating_add(payload_len as u64);
        self.packet_bytes = self.packet_bytes.saturating_add(packet_len as u64);
        self.window.on_packet(payload_len, packet_len);
        self.track_sequence(seq);
        let arrival_ms = now.saturating_since(first_at).as_micros() as f64 / 1000.0;
        self.jitter
            .on_packet(arrival_ms, ts, marker, self.clock_rate);
    }

    /// Duplicate and reorder accounting on a bitmap of recent sequence
    /// numbers behind the highest one.
    fn track_sequence(&mut self, seq: SeqNo) {
        let before = self.seq.highest();
        let ext = self.seq.extend(seq);
        if let Some(highest) = before {
            if ext > highest {
                // Forget the slots the window slides past.
                let from = (highest + 1).max(ext - SEEN_SPAN + 1);
                for e in from..ext {
                    self.set_seen(e, false);
                }
            } else if highest - ext >= SEEN_SPAN {
                // Too old to tell: late, not provably a duplicate.
                self.reordered = self.reordered.saturating_add(1);
                return;
            } else if self.is_seen(ext) {
                self.duplicates = self.duplicates.saturating_add(1);
                return;
            } else {
                self.reordered = self.reordered.saturating_add(1);
                if self.seq.base().is_some_and(|b| ext < i64::from(b.0)) {
                    self.before_base = self.before_base.saturating_add(1);
                }
            }
        }
        self.set_seen(ext, true);
    }

    fn slot(ext: i64) -> (usize, u64) {
        let bit = usize::try_from(ext.rem_euclid(SEEN_SPAN)).unwrap_or(0);
        (bit / 64, 1u64 << (bit % 64))
    }

    fn is_seen(&self, ext: i64) -> bool {
        let (word, mask) = Self::slot(ext);
        self.seen.get(word).is_some_and(|w| w & mask != 0)
    }

    fn set_seen(&mut self, ext: i64, on: bool) {
        let (word, mask) = Self::slot(ext);
        if let Some(w) = self.seen.get_mut(word) {
            if on {
                *w |= mask;
            } else {
                *w &= !mask;
            }
        }
    }

    /// A frame was completed (`complete`) or dropped by the depacketizer at
    /// `now`; `bytes` is its size when complete.
    pub fn on_frame(&mut self, now: Instant, complete: bool, bytes: usize) {
        self.now = self.now.max(now);
        if complete {
            self.frames_complete = self.frames_complete.saturating_add(1);
            self.frame_bytes = self.frame_bytes.saturating_add(bytes as u64);
        } else {
            self.frames_dropped = self.frames_dropped.saturating_add(1);
        }
        self.first_frame.get_or_insert((now, complete));
        self.last_frame = self.last_frame.max(now);
        self.window.on_frame(now, complete);
    }

    /// An RTCP SR from the sender arrived at `now` (RFC 3550 §6.4.1): its
    /// NTP time becomes the next report block's LSR.
    pub fn on_sender_report(&mut self, now: Instant, ntp: NtpTimestamp) {
        self.now = self.now.max(now);
        self.last_sr = Some((ntp.middle32(), now));
    }

    /// Packets received, duplicates included (RFC 3550 A.3).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Packets expected: extended highest sequence number − first + 1
    /// (RFC 3550 A.3).
    pub fn expected(&self) -> u64 {
        self.seq.expected()
    }

    /// Cumulative packets lost, expected − received (RFC 3550 A.3;
    /// Wireshark's "Lost"). Negative when duplicates outnumber losses.
    pub fn lost(&self) -> i64 {
        i64::try_from(self.expected()).unwrap_or(i64::MAX)
            - i64::try_from(self.received).unwrap_or(i64::MAX)
    }

    /// Packets never received: expected − distinct packets from the first
    /// one on; never negative.
    pub fn missing(&self) -> u64 {
        let distinct = self.received.saturating_sub(self.duplicates);
        // Packets from before the first one are not expected (A.1 base).
        self.expected()
            .saturating_sub(distinct.saturating_sub(self.before_base))
    }

    /// `lost()` as a percentage of `expected()` (Wireshark's "(x%)").
    pub fn lost_percent(&self) -> f64 {
        percent(self.lost(), self.expected())
    }

    /// Where the counts stand now, to measure loss over the interval that
    /// starts here with [`lost_percent_since`](Self::lost_percent_since).
    pub fn mark(&self) -> Mark {
        Mark {
            expected: self.expected(),
            received: self.received,
        }
    }

    /// Packets lost since `mark` as a percentage of those expected since
    /// then: the fraction lost of RFC 3550 A.3 over an interval of the
    /// host's choosing (a status line, a plot), in percent. Never negative:
    /// duplicates in the interval do not make up for losses before it (A.3).
    pub fn lost_percent_since(&self, mark: Mark) -> f64 {
        let expected = self.expected().saturating_sub(mark.expected);
        let received = self.received.saturating_sub(mark.received);
        let lost = i64::try_from(expected.saturating_sub(received)).unwrap_or(i64::MAX);
        percent(lost, expected)
    }

    /// Extended highest sequence number received (RFC 3550 §6.4.1: cycles
    /// in the high 16 bits); 0 before the first packet.
    pub fn extended_highest(&self) -> u32 {
        // The RR field is the low 32 bits of the extended number.
        self.seq.highest().map_or(0, |h| h as u32)
    }

    /// Packets that repeated a sequence number already received.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Packets that arrived with a sequence number below the highest seen.
    pub fn reordered(&self) -> u64 {
        self.reordered
    }

    /// Interarrival jitter in ms (RFC 3550 A.8; Wireshark's current jitter).
    pub fn jitter_ms(&self) -> f64 {
        self.jitter.jitter_ms
    }

    /// Interarrival jitter in RTP timestamp units, as an RR carries it
    /// (RFC 3550 §6.4.1).
    pub fn jitter(&self) -> u32 {
        let units = self.jitter.jitter_ms * f64::from(self.clock_rate / 1000);
        // Float to int casts saturate; jitter is never negative.
        (units + 0.5) as u32
    }

    /// Largest jitter over regular packets, ms (Wireshark "Max Jitter").
    pub fn max_jitter_ms(&self) -> f64 {
        self.jitter.max_jitter_ms
    }

    /// Mean jitter, ms (Wireshark "Mean Jitter").
    pub fn mean_jitter_ms(&self) -> f64 {
        self.jitter.mean_jitter_ms
    }

    /// Smallest jitter over regular packets, ms (Wireshark "Min Jitter").
    pub fn min_jitter_ms(&self) -> Option<f64> {
        self.jitter.min_jitter_ms
    }

    /// Largest gap between arrivals, ms (Wireshark "Max Delta").
    pub fn max_delta_ms(&self) -> f64 {
        self.jitter.max_delta_ms
    }

    /// Mean gap between arrivals, ms (Wireshark "Mean Delta").
    pub fn mean_delta_ms(&self) -> f64 {
        self.jitter.mean_delta_ms
    }

    /// Smallest gap between arrivals, ms (Wireshark "Min Delta").
    pub fn min_delta_ms(&self) -> Option<f64> {
        self.jitter.min_delta_ms
    }

    /// RTP payload bytes received.
    pub fn payload_bytes(&self) -> u64 {
        self.payload_bytes
    }

    /// Whole RTP packet bytes received (header included).
    pub fn packet_bytes(&self) -> u64 {
        self.packet_bytes
    }

    /// Frames reassembled whole.
    pub fn frames_complete(&self) -> u64 {
        self.frames_complete
    }

    /// Frames dropped for a gap (never shown as whole).
    pub fn frames_dropped(&self) -> u64 {
        self.frames_dropped
    }

    /// Bytes of the complete frames.
    pub fn frame_bytes(&self) -> u64 {
        self.frame_bytes
    }

    /// Complete frames per second over the last frames window.
    pub fn fps_window(&self) -> f64 {
        self.window.fps(None)
    }

    /// [`fps_window`](Self::fps_window) with the window stretched to `now`:
    /// a stream that stopped sending decays towards 0 instead of showing
    /// its last rate (a status line's honest figure).
    pub fn fps_window_at(&self, now: Instant) -> f64 {
        self.window.fps(Some(now))
    }

    /// Complete frames per second from the first frame to the last.
    pub fn fps_overall(&self) -> f64 {
        let Some((first, first_complete)) = self.first_frame else {
            return 0.0;
        };
        let after_first = self
            .frames_complete
            .saturating_sub(u64::from(first_complete));
        per_second(after_first as f64, first, self.last_frame)
    }

    /// Payload and whole-packet kbit/s over the last frames window.
    pub fn kbps_window(&self) -> (f64, f64) {
        self.window.kbps(None)
    }

    /// [`kbps_window`](Self::kbps_window) with the window stretched to
    /// `now`, as [`fps_window_at`](Self::fps_window_at).
    pub fn kbps_window_at(&self, now: Instant) -> (f64, f64) {
        self.window.kbps(Some(now))
    }

    /// Payload and whole-packet kbit/s from the first packet to the last
    /// (bytes after the first packet over that span).
    pub fn kbps_overall(&self) -> (f64, f64) {
        let Some((first, payload0, packet0)) = self.first_packet else {
            return (0.0, 0.0);
        };
        let payload = self.payload_bytes.saturating_sub(payload0) as f64 * 8.0 / 1000.0;
        let packet = self.packet_bytes.saturating_sub(packet0) as f64 * 8.0 / 1000.0;
        (
            per_second(payload, first, self.last_packet),
            per_second(packet, first, self.last_packet),
        )
    }

    /// The RR report block about `ssrc` for a report sent at the latest time
    /// this object has seen (RFC 3550 §6.4.1, A.3); `None` before any
    /// packet. Starts a new interval for the fraction lost.
    pub fn report_block(&mut self, ssrc: Ssrc) -> Option<ReportBlock> {
        self.report_block_at(self.now, ssrc)
    }

    /// [`report_block`](Self::report_block) for a report sent at `now`.
    pub fn report_block_at(&mut self, now: Instant, ssrc: Ssrc) -> Option<ReportBlock> {
        self.seq.highest()?;
        let expected = self.expected();
        let expected_interval = expected.saturating_sub(self.expected_prior);
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        // A.3: lost_interval <= 0 (duplicates) reports 0.
        let lost_interval = i128::from(expected_interval) - i128::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            u8::try_from((lost_interval << 8) / i128::from(expected_interval)).unwrap_or(u8::MAX)
        };
        let (last_sr, delay_since_last_sr) = match self.last_sr {
            Some((lsr, at)) => (lsr, dlsr_from_duration(now.saturating_since(at))),
            None => (0, 0),
        };
        Some(ReportBlock {
            ssrc,
            fraction_lost,
            // The block's field clamps to 24 bits when emitted.
            cumulative_lost: i32::try_from(self.lost()).unwrap_or(if self.lost() < 0 {
                i32::MIN
            } else {
                i32::MAX
            }),
            highest_seq: self.extended_highest(),
            jitter: self.jitter(),
            last_sr,
            delay_since_last_sr,
        })
    }
}

#[cfg(test)]
mod tests;
