//! The sending side of a publishing client (RFC 2326 §10.11; RFC 3550
//! §6.4.1): which frame is due, the RTP header of its packets, and the
//! RTCP sender reports, kept beside the [`ClientSession`](super::ClientSession)
//! so that a session that only plays pays nothing for it.
//!
//! # Call order
//!
//! 1. [`ClientSession::record`](super::ClientSession::record) with the
//!    stream's [`Described`]; drive the session as for playing.
//! 2. On [`Event::Recording`](super::Event::Recording): [`Publisher::start`].
//! 3. While [`poll_frame`](Publisher::poll_frame) hands out a due frame,
//!    packetize the source's frame `index` with
//!    [`jpeg::Packetizer::new`](crate::jpeg::Packetizer::new) and the
//!    frame's header, send the packets to the session's
//!    [`media_transport`](super::ClientSession::media_transport), then
//!    [`on_rtp_sent`](Publisher::on_rtp_sent).
//! 4. Drain [`poll_transmit`](Publisher::poll_transmit) (sender reports,
//!    and BYE after [`stop`](Publisher::stop)); give RTCP from the server
//!    to [`handle_rtcp`](Publisher::handle_rtcp) for its receiver reports.
//! 5. Sleep until the earlier of [`poll_timeout`](Publisher::poll_timeout)
//!    and the session's.

use super::Described;
use crate::rtp::{self, RtpTimestamp, SeqNo, Ssrc};
use crate::sdp::MjpegDescription;
use crate::session::server::clock::{FrameClock, Tick};
use crate::session::server::{DueFrame, RtpSender};
use crate::session::{Destination, Error, Framerate, MediaTransport, Transmit};
use crate::{Duration, Instant};

/// The `a=control` of the announced stream (RFC 2326 C.1.1): SETUP goes
/// to `<url>/stream=0`.
pub(crate) const STREAM_CONTROL: &str = "stream=0";

/// The SDP of an ANNOUNCE (RFC 2326 §14.6) for `stream`: one JPEG video
/// stream, live (no `a=range`).
pub(crate) fn announced_sdp(stream: Described) -> MjpegDescription<'static> {
    let (width, height) = stream.size.unwrap_or((0, 0));
    MjpegDescription {
        session_id: 0,
        session_version: 1,
        origin: "0.0.0.0",
        session_name: "rtsp-core publisher",
        width,
        height,
        framerate: stream.framerate,
        control: STREAM_CONTROL,
        duration: None,
    }
}

impl Described {
    /// A JPEG stream to announce (RFC 2435 §3: payload type 26, 90 kHz).
    pub fn jpeg(width: u16, height: u16, framerate: Framerate) -> Described {
        Described {
            payload_type: rtp::PayloadType::JPEG,
            clock_rate: 90_000,
            encoding: Some(super::Encoding::new("JPEG")),
            size: Some((width, height)),
            framerate: Some(framerate),
            duration: None,
        }
    }
}

/// Fixed settings of a [`Publisher`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PublisherConfig {
    /// Frames per second the source is sent at (the frame clock).
    pub framerate: Framerate,
    /// Frames in the source clip; `None` for an endless source (a pipe, a
    /// camera): the index then just counts up.
    pub frames: Option<u32>,
    /// At the end of a clip, start it again; else
    /// [`poll_frame`](Publisher::poll_frame) ends (see
    /// [`is_finished`](Publisher::is_finished)).
    pub looping: bool,
    /// Our SSRC and the origins of sequence numbers and timestamps, random
    /// from the host (RFC 3550 §5.1).
    pub ssrc: Ssrc,
    /// The first sequence number.
    pub first_seq: SeqNo,
    /// The first RTP timestamp.
    pub first_ts: RtpTimestamp,
    /// Interval of sender reports (RFC 3550 §6.2).
    pub report_interval: Duration,
    /// SDES CNAME (RFC 3550 §6.5.1).
    pub cname: &'static str,
    /// Unix time of [`Instant::ZERO`] in microseconds, for the NTP time of
    /// sender reports (0: uptime, RFC 3550 §6.4.1 allows it).
    pub unix_time_at_zero_us: u64,
}

/// What the server's receiver report says about our stream (RFC 3550
/// §6.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReceptionReport {
    /// Fraction lost since the last report, /256.
    pub fraction_lost: u8,
    /// Cumulative packets lost.
    pub cumulative_lost: i32,
    /// Interarrival jitter, in 90 kHz RTP units.
    pub jitter: u32,
}

/// RTCP the publisher owes the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Owed {
    None,
    Report,
    Bye,
}

/// The sending side of a publishing client. See the [module docs](self)
/// for the call order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Publisher {
    config: PublisherConfig,
    sender: RtpSender,
    clock: FrameClock,
    /// When the next frame is due, while sending.
    frame_due: Option<Instant>,
    report_due: Option<Instant>,
    owed: Owed,
    finished: bool,
}

impl Publisher {
    /// A publisher that sends nothing until [`start`](Self::start).
    pub fn new(config: PublisherConfig) -> Self {
        // An endless source is a clip too long to end.
        let clock = FrameClock::for_frames(config.framerate, config.frames.unwrap_or(u32::MAX));
        Publisher {
            sender: RtpSender::new(config.ssrc, config.first_seq, config.first_ts),
            config,
            clock,
            frame_due: None,
            report_due: None,
            owed: Owed::None,
            finished: false,
        }
    }

    /// RECORD was answered: the first frame is due now, and the first
    /// sender report within a second (so a receiver can map RTP time to
    /// wall-clock time early).
    pub fn start(&mut self, now: Instant) {
        self.sender.play(now, None);
        if self.clock.play(Some(Duration::ZERO)) {
            self.frame_due = Some(now);
        }
        self.finished = false;
        self.report_due = Some(now + self.config.report_interval.min(Duration::from_secs(1)));
    }

    /// Stops sending and queues RTCP BYE (RFC 3550 §6.6), sent before the
    /// host's TEARDOWN.
    pub fn stop(&mut self) {
        self.clock.stop();
        self.frame_due = None;
        self.report_due = None;
        if self.sender.packet_count() > 0 {
            self.owed = Owed::Bye;
        }
    }

    /// The next frame of the source if it is due at `now` (the frame
    /// clock of the server's clips: catch up within
    /// [`FRAME_MAX_LATENESS_MS`](crate::limits::FRAME_MAX_LATENESS_MS),
    /// skip beyond). A frame handed out and not sent is lost.
    #[must_use = "a frame handed out and not sent is lost"]
    pub fn poll_frame(&mut self, now: Instant) -> Option<DueFrame> {
        let due = self.frame_due?;
        match self.clock.tick(now, due, self.config.looping) {
            Tick::Idle => None,
            Tick::Ended => {
                self.frame_due = None;
                self.finished = true;
                None
            }
            Tick::Frame {
                index,
                position,
                due,
            } => {
                self.frame_due = Some(due);
                Some(DueFrame {
                    index,
                    position,
                    header: self.sender.frame_header(position),
                })
            }
        }
    }

    /// The RTP header of a frame at `media_time`, for a host that paces
    /// frames itself (e.g. as they arrive from a camera); then call
    /// [`on_rtp_sent`](Self::on_rtp_sent).
    pub fn frame_header(&mut self, media_time: Duration) -> rtp::Repr {
        self.sender.frame_header(media_time)
    }

    /// The frame from the last `poll_frame` or `frame_header` went out as
    /// `packets` packets with `payload_octets` bytes of payload.
    pub fn on_rtp_sent(&mut self, now: Instant, packets: u16, payload_octets: usize) {
        self.sender.on_sent(now, packets, payload_octets);
    }

    /// A clip that does not loop was sent to its end.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The sender state (SSRC, packet and octet counts).
    pub fn sender(&self) -> &RtpSender {
        &self.sender
    }

    /// When the next frame or sender report is due.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.frame_due, self.report_due]
            .into_iter()
            .flatten()
            .min()
    }

    /// Writes the sender report (SR + SDES, RFC 3550 §6.4.1) when due, or
    /// the BYE after [`stop`](Self::stop), for `transport` (the session's
    /// [`media_transport`](super::ClientSession::media_transport)).
    #[must_use = "a transmit that is not sent is lost"]
    pub fn poll_transmit(
        &mut self,
        now: Instant,
        transport: MediaTransport,
        buf: &mut [u8],
    ) -> Result<Option<Transmit>, Error> {
        if let Some(at) = self.report_due.filter(|at| *at <= now) {
            let next = at + self.config.report_interval;
            self.report_due = Some(if next <= now {
                now + self.config.report_interval
            } else {
                next
            });
            if self.owed == Owed::None {
                self.owed = Owed::Report;
            }
        }
        let what = match self.owed {
            Owed::None => return Ok(None),
            Owed::Report => crate::session::server::RtcpQueue::Report,
            Owed::Bye => crate::session::server::RtcpQueue::Bye,
        };
        let len = self.sender.write_rtcp(
            now,
            what,
            self.config.cname,
            self.config.unix_time_at_zero_us,
            transport,
            buf,
        )?;
        self.owed = Owed::None;
        let destination = match transport {
            MediaTransport::Udp { server, .. } => Destination::Rtcp {
                port: server.rtcp_port(),
            },
            MediaTransport::Interleaved { channels } => Destination::Interleaved {
                channel: channels.rtcp_channel(),
            },
        };
        Ok(Some(Transmit { destination, len }))
    }

    /// Reads RTCP from the server: its receiver report about our stream,
    /// if it sent one.
    pub fn handle_rtcp(&mut self, packet: &[u8]) -> Option<ReceptionReport> {
        let b = self.sender.report_about_us(packet)?;
        Some(ReceptionReport {
            fraction_lost: b.fraction_lost,
            cumulative_lost: b.cumulative_lost,
            jitter: b.jitter,
        })
    }
}
