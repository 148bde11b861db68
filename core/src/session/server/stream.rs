//! The server's RTP sender state (RFC 3550 §5.1, §6.4.1) and the RTCP it
//! sends and reads.

use super::Event;
use crate::rtcp::{self, Bye, NtpTimestamp, ReportBlocks, Sdes, SenderReport};
use crate::rtp::{self, RtpTimestamp, SeqNo, Ssrc};
use crate::session::{ticks_90k, Error, MediaTransport};
use crate::{Duration, Instant};

/// "Not set" for a media time (no frame is ever at the end of time).
const UNSET_TIME: Duration = Duration::from_micros(u64::MAX);
/// "Not set" for an instant.
const UNSET_INSTANT: Instant = Instant::from_micros(u64::MAX);

/// RTCP the session owes the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) enum RtcpQueue {
    None,
    /// SR + SDES CNAME (RFC 3550 §6.1).
    Report,
    /// SR + SDES CNAME + BYE (RFC 3550 §6.6).
    Bye,
}

/// One RTP stream as sent: SSRC, next sequence number, the RTP clock and
/// the sender counts of RFC 3550 §6.4.1.
///
/// The RTP clock runs at 90 kHz (RFC 2435 §3). Each PLAY fixes the
/// timestamp of the first frame after it (announced in `RTP-Info`); later
/// frames add their media time since that frame. The wall-clock reference
/// (`ref_at`, `ref_ts`) maps time to RTP for sender reports and moves the
/// clock on by the time spent paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RtpSender {
    ssrc: Ssrc,
    next_seq: SeqNo,
    play_ts: RtpTimestamp,
    /// Media time of the first frame after PLAY; [`UNSET_TIME`] until it
    /// is sent (a sentinel, not an `Option`: it keeps sessions small).
    anchor: Duration,
    frame_ts: RtpTimestamp,
    /// Wall-clock reference of `ref_ts`; [`UNSET_INSTANT`] before the first PLAY.
    ref_at: Instant,
    ref_ts: RtpTimestamp,
    packets: u32,
    octets: u32,
}

impl RtpSender {
    /// A stream with random origins chosen by the host (RFC 3550 §5.1).
    pub fn new(ssrc: Ssrc, first_seq: SeqNo, first_ts: RtpTimestamp) -> Self {
        RtpSender {
            ssrc,
            next_seq: first_seq,
            play_ts: first_ts,
            anchor: UNSET_TIME,
            frame_ts: first_ts,
            ref_at: UNSET_INSTANT,
            ref_ts: first_ts,
            packets: 0,
            octets: 0,
        }
    }

    /// The SSRC (RFC 3550 §8).
    pub fn ssrc(&self) -> Ssrc {
        self.ssrc
    }

    /// Sequence number of the next packet.
    pub fn next_sequence(&self) -> SeqNo {
        self.next_seq
    }

    /// Packets sent (RFC 3550 §6.4.1 sender's packet count).
    pub fn packet_count(&self) -> u32 {
        self.packets
    }

    /// Payload octets sent (RFC 3550 §6.4.1 sender's octet count).
    pub fn octet_count(&self) -> u32 {
        self.octets
    }

    /// RTP time at `now` on the wall-clock reference.
    fn rtp_at(&self, now: Instant) -> RtpTimestamp {
        if self.ref_at == UNSET_INSTANT {
            self.ref_ts
        } else {
            self.ref_ts.wrapping_add(ticks_90k(now - self.ref_at))
        }
    }

    /// Starts or resumes: the next frame gets the returned `seq` and
    /// `rtptime` (RFC 2326 §12.33), which move on by the time since the
    /// last frame.
    pub(crate) fn play(&mut self, now: Instant, _start: Option<Duration>) -> (SeqNo, RtpTimestamp) {
        let ts = self.rtp_at(now);
        self.play_ts = ts;
        self.anchor = UNSET_TIME;
        self.ref_at = now;
        self.ref_ts = ts;
        (self.next_seq, ts)
    }

    /// Stops the media clock's frames; the wall-clock reference stays at
    /// the last frame so a resume moves on by the paused time.
    pub(crate) fn pause(&mut self, _now: Instant) {}

    pub(crate) fn frame_header(&mut self, media_time: Duration) -> rtp::Repr {
        if self.anchor == UNSET_TIME {
            self.anchor = media_time;
        }
        let anchor = self.anchor;
        let ts = self
            .play_ts
            .wrapping_add(ticks_90k(media_time.saturating_sub_dur(anchor)));
        self.frame_ts = ts;
        rtp::Repr {
            marker: false,
            payload_type: rtp::PayloadType::JPEG,
            sequence: self.next_seq,
            timestamp: ts,
            ssrc: self.ssrc,
        }
    }

    pub(crate) fn on_sent(&mut self, now: Instant, packets: u16, payload_octets: usize) {
        self.next_seq = self.next_seq.wrapping_add(packets);
        self.packets = self.packets.wrapping_add(u32::from(packets));
        // RFC 3550 §6.4.1: the octet count wraps like the packet count.
        self.octets = self.octets.wrapping_add(payload_octets as u32);
        self.ref_at = now;
        self.ref_ts = self.frame_ts;
    }

    /// Writes SR + SDES (+ BYE) for `transport` into `buf`, framed with `$`
    /// for interleaving.
    pub(crate) fn write_rtcp(
        &mut self,
        now: Instant,
        what: RtcpQueue,
        cname: &str,
        unix_at_zero_us: u64,
        transport: MediaTransport,
        buf: &mut [u8],
    ) -> Result<usize, Error> {
        let ntp = NtpTimestamp::from_unix_micros(unix_at_zero_us.saturating_add(now.as_micros()));
        let sr = SenderReport {
            ssrc: self.ssrc,
            ntp_timestamp: ntp,
            rtp_timestamp: self.rtp_at(now),
            packet_count: self.packets,
            octet_count: self.octets,
            reports: ReportBlocks::empty(),
        };
        let sources = [self.ssrc];
        let sdes = Sdes::cname(self.ssrc, cname);
        let mut packets = [
            rtcp::Packet::Sr(sr),
            rtcp::Packet::Sdes(sdes),
            rtcp::Packet::Bye(Bye::new(&sources)),
        ];
        let count = if what == RtcpQueue::Bye { 3 } else { 2 };
        let packets = packets.get_mut(..count).unwrap_or_default();
        crate::session::write_rtcp(packets, transport, buf)
    }

    /// Reads a compound packet from the client; a report block about our
    /// SSRC becomes an event.
    pub(crate) fn read_rtcp(
        &mut self,
        now: Instant,
        packet: &[u8],
        unix_at_zero_us: u64,
    ) -> Option<Event> {
        let b = self.report_about_us(packet)?;
        let arrival =
            NtpTimestamp::from_unix_micros(unix_at_zero_us.saturating_add(now.as_micros()));
        Some(Event::ReceiverReport {
            fraction_lost: b.fraction_lost,
            cumulative_lost: b.cumulative_lost,
            highest_seq: b.highest_seq,
            jitter: b.jitter,
            round_trip_us: rtcp::round_trip(arrival.middle32(), b.last_sr, b.delay_since_last_sr)
                .map(|d| u32::try_from(d.as_micros()).unwrap_or(u32::MAX)),
        })
    }

    /// The first report block about our SSRC in a compound packet from
    /// the receiver (RFC 3550 §6.4.1, §6.4.2), if any.
    pub(crate) fn report_about_us(&self, packet: &[u8]) -> Option<rtcp::ReportBlock> {
        for p in rtcp::Compound::new(packet) {
            let blocks = match p {
                Ok(rtcp::Packet::Rr(rr)) => rr.reports,
                Ok(rtcp::Packet::Sr(sr)) => sr.reports,
                Ok(_) => continue,
                Err(_) => return None,
            };
            if let Some(b) = blocks.iter().find(|b| b.ssrc == self.ssrc) {
                return Some(b);
            }
        }
        None
    }
}

trait SaturatingSub {
    fn saturating_sub_dur(self, other: Duration) -> Duration;
}

impl SaturatingSub for Duration {
    fn saturating_sub_dur(self, other: Duration) -> Duration {
        Duration::from_micros(self.as_micros().saturating_sub(other.as_micros()))
    }
}
