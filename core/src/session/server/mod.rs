//! The server side of one RTSP connection (RFC 2326 §A.2 server state
//! machine): `Init → Ready → Playing`, PAUSE back to `Ready`, TEARDOWN or
//! expiry back to `Init`.
//!
//! One [`ServerSession`] serves one RTSP TCP connection and at most one
//! RTSP session on it (one MJPEG stream). It answers OPTIONS, DESCRIBE,
//! SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER and SET_PARAMETER, writes the
//! SDP and every response, owns the RTP sender state (SSRC, sequence
//! numbers, the RTP clock) and the RTCP it must send (SR + SDES every
//! [`Config::report_interval`], BYE on TEARDOWN and expiry).
//!
//! # Call order
//!
//! 1. [`ServerSession::new`] when a TCP connection is accepted.
//! 2. For each chunk read from TCP: [`read_input`](ServerSession::read_input)
//!    (one message per call, a [`Step`] saying what to do with the buffer;
//!    [`handle_input`](ServerSession::handle_input) is the same with the
//!    raw result), and for
//!    each RTCP datagram from the peer: [`handle_rtcp`](ServerSession::handle_rtcp).
//! 3. After each call, drain [`poll_transmit`](ServerSession::poll_transmit)
//!    (responses and RTCP) and [`poll_event`](ServerSession::poll_event).
//! 4. Frames of a clip: while [`poll_frame`](ServerSession::poll_frame)
//!    hands out a due frame (its clip index, position and RTP header),
//!    packetize it with [`jpeg::Packetizer`](crate::jpeg::Packetizer), send
//!    it to [`media_destination`](ServerSession::media_destination), then
//!    report the packets with [`on_rtp_sent`](ServerSession::on_rtp_sent).
//!    The session keeps the clock ([`clock`]: start, seek, pause, lateness,
//!    end and looping); the host only sleeps until
//!    [`poll_timeout`](ServerSession::poll_timeout). Frames of a live
//!    source are sent as they arrive, with
//!    [`frame_header`](ServerSession::frame_header) while
//!    [`is_playing`](ServerSession::is_playing).
//! 5. Call [`handle_timeout`](ServerSession::handle_timeout) and
//!    [`poll_frame`](ServerSession::poll_frame) when
//!    [`poll_timeout`](ServerSession::poll_timeout) is reached.
//!
//! # Decisions
//!
//! * **Status codes:** malformed request 400 (and [`Error::Rtsp`]: close the
//!   connection); missing CSeq 400; unknown path 404; unknown method 501;
//!   known but unsupported methods (ANNOUNCE, RECORD, REDIRECT…) 405 with
//!   `Allow:`; over capacity 453 or 503 as [`Host::admit`] decides; wrong or
//!   missing `Session:` 454; PLAY/PAUSE before SETUP and SETUP while
//!   playing 455; SETUP on the aggregate URL 459 (the stream URL is
//!   `<presentation>/stream=0`, unless [`Config::allow_aggregate_setup`]);
//!   no acceptable transport 461; `Require:` 551 with `Unsupported:`.
//!   Every response echoes `CSeq` when the request had a readable one.
//! * **Destinations:** RTP and RTCP only ever go to the RTSP peer's address.
//!   A `destination=` naming another address makes that alternative
//!   unacceptable; if no alternative is left the answer is **403
//!   Forbidden** (RFC 7826 §18.54), so a client can tell it from 461.
//! * **Multicast:** a `multicast` alternative is accepted when
//!   [`Host::multicast`] names a group for the presentation; a client's
//!   `destination=`/`port=` other than that group is 403 as above (see
//!   [`multicast`] for the shared-stream rules). Without a group it is
//!   unacceptable (461 if nothing else is).
//! * **RTP clock:** the first frame after each PLAY carries exactly the
//!   `seq` and `rtptime` announced in `RTP-Info`; later frames advance the
//!   timestamp by their media time at 90 kHz. After PAUSE, sequence numbers
//!   continue and the timestamp moves on by the wall-clock time paused.
//! * **Authentication:** when [`Host::credentials`] names a user, every
//!   request but OPTIONS needs matching Digest (MD5, with `qop=auth` or
//!   without) or, if allowed, Basic credentials; others get 401 with
//!   `WWW-Authenticate: Digest …, qop="auth"` (and `Basic` if allowed),
//!   before any other check.
//! * **Versions:** RTSP/1.0 only; any other version gets 505.
//! * **Liveness:** any request on the connection or an RTCP packet from the
//!   peer restarts the session timeout (RFC 2326 §12.37).

mod auth;
pub(crate) mod clock;
pub mod multicast;
mod record;
mod reply;
mod request;
mod stream;
mod target;

use core::fmt;
use core::net::{IpAddr, SocketAddr};

use heapless::Deque;

use super::{
    Destination, Error, Framerate, Input, MediaDestination, MediaTransport, Timers, Transmit,
};
use crate::limits::{
    RTCP_REPORT_INTERVAL_SECS, RTSP_MAX_BODY, RTSP_MAX_HEADERS, RTSP_MAX_MESSAGE,
    SESSION_DEFAULT_TIMEOUT_SECS, SESSION_MAX_EVENTS,
};
use crate::rtsp::{self, header::PortPair, Header, Message, StatusCode};
use crate::{rtp, Duration, Instant};

pub use auth::{Challenge, Credentials, Nonce, Verdict};
pub use clock::{DueFrame, FramePacer};
pub use multicast::MulticastGroup;
pub use record::Publish;
pub(crate) use stream::RtcpQueue;
pub use stream::RtpSender;
pub use target::request_path;

/// What the host tells the session about a presentation (RFC 2326 §10.2):
/// enough for the SDP (RFC 4566, RFC 2435 §3) and the `Range:` of PLAY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MediaInfo {
    /// Frame width in pixels.
    pub width: u16,
    /// Frame height in pixels.
    pub height: u16,
    /// Nominal frame rate.
    pub framerate: Framerate,
    /// `None` for a live source; the clip length for a file (announced as
    /// `a=range:npt=0-<duration>` and in PLAY's `Range:`).
    pub duration: Option<Duration>,
}

/// A session's frame position, from [`ServerSession::frame_position`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FramePosition {
    clock: clock::FrameClock,
    due: Option<Instant>,
}

/// What a host does next with its receive buffer, from
/// [`ServerSession::read_input`]: the one input loop of every host (read,
/// step, drain, repeat), so no host decides what to do with bad input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Step {
    /// No whole message is buffered: read more from the connection.
    NeedMore,
    /// One message (or interleaved frame) was used: drop this many bytes
    /// from the front, drain the session, step again.
    Used(usize),
    /// The input cannot be read: the answer (400, 413 or 505) is queued.
    /// Drain it, drop all buffered input and close the connection once it
    /// is sent (the message boundary is lost).
    Close(rtsp::Error),
    /// An earlier answer is still queued (the host did not drain): drain,
    /// then step again.
    Drain,
    /// A publisher's interleaved RTP packet (RFC 2326 §10.12) was used:
    /// the packet is `input[4..n]` (after the `$`, channel and length
    /// bytes); hand it to the path's depacketizer, then drop `n` bytes.
    Rtp(usize),
}

/// The host's answer to a new session (RFC 2326 §11.3.3, §11.5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Admission {
    /// Create the session.
    Accept,
    /// Refuse with 453 Not Enough Bandwidth.
    NotEnoughBandwidth,
    /// Refuse with 503 Service Unavailable.
    Unavailable,
}

/// What the host provides while a request is handled: its catalogue, its
/// capacity policy and randomness (the core has no RNG).
pub trait Host {
    /// The presentation at `path` (the request URL's path without the
    /// leading `/` and without the `/stream=0` control suffix), or the
    /// status DESCRIBE and SETUP answer with: 404 Not Found for no such
    /// path, 415 Unsupported Media Type for one that exists but cannot be
    /// sent as RTP/JPEG (RFC 2326 §11.3.8 names 415 for that), 503 for one
    /// not available now.
    fn media(&mut self, path: &str) -> Result<MediaInfo, StatusCode>;

    /// Called on a SETUP that would create a session. The host counts
    /// sessions and releases one on [`Event::TornDown`], [`Event::Expired`]
    /// or when it drops a session whose [`ServerSession::session_id`] is
    /// `Some`.
    fn admit(&mut self, path: &str) -> Admission;

    /// 32 random bits for session identifiers, SSRCs and initial sequence
    /// numbers and timestamps (RFC 3550 §5.1 wants them unpredictable).
    fn random_u32(&mut self) -> u32;

    /// The multicast group `path` is sent to (RFC 2326 §12.39), or `None`
    /// (the default) when it is offered by unicast only: `multicast`
    /// alternatives are then unacceptable.
    fn multicast(&mut self, path: &str) -> Option<MulticastGroup> {
        let _ = path;
        None
    }

    /// The user every request but OPTIONS must authenticate as (RFC 2326
    /// §12.5), or `None` (the default) to let everyone in. The session
    /// checks `Authorization` and answers 401 with the challenges itself.
    fn credentials(&self) -> Option<Credentials<'_>> {
        None
    }

    /// Whether this host takes publishers at all (RFC 2326 §10.3, §10.11):
    /// `Public:` then lists ANNOUNCE and RECORD. `false` (the default)
    /// answers both 405, as a server that only plays.
    fn accepts_publishers(&self) -> bool {
        false
    }

    /// An ANNOUNCE of a JPEG stream (already checked: `application/sdp`,
    /// RTP/JPEG at 90 kHz, see [`record`]) for `path`: may this
    /// connection publish there? The host claims the path for this
    /// connection on [`Publish::Accept`] and frees it on
    /// [`Event::PublishStopped`] or when it drops the connection. The
    /// session turns the answer into the status code (403, 455, 405).
    fn publish(&mut self, path: &str, stream: &crate::session::client::Described) -> Publish {
        let _ = (path, stream);
        Publish::Unsupported
    }
}

/// Fixed settings of a server session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Config {
    /// Idle time before the session expires, announced as
    /// `Session: id;timeout=` (RFC 2326 §12.37).
    pub timeout_secs: u32,
    /// The host's RTP/RTCP UDP ports, announced as `server_port=`; `None`
    /// refuses UDP transports (TCP interleaving only).
    pub server_ports: Option<PortPair>,
    /// Interval of RTCP sender reports (RFC 3550 §6.2).
    pub report_interval: Duration,
    /// SDES CNAME (RFC 3550 §6.5.1), e.g. `"rtsp@camera"`.
    pub cname: &'static str,
    /// Unix time of [`Instant::ZERO`], in microseconds, for the NTP
    /// timestamps of sender reports (RFC 3550 §6.4.1). A host without a
    /// wall clock leaves 0: the NTP time is then its uptime, as §6.4.1 allows.
    pub unix_time_at_zero_us: u64,
    /// Accept SETUP on the presentation URL itself (for minimal clients);
    /// off by default, so such a SETUP gets 459 (RFC 2326 §11.3.10).
    pub allow_aggregate_setup: bool,
    /// Bytes of the host's receive buffer: input this long that still
    /// holds no whole message can never complete, and is answered 413
    /// (see [`ServerSession::handle_input`]).
    pub input_capacity: u32,
    /// At the end of a clip, start it again (the default); else the frame
    /// clock stops there ([`Event::Ended`]).
    pub looping: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            timeout_secs: SESSION_DEFAULT_TIMEOUT_SECS,
            server_ports: None,
            report_interval: Duration::from_secs(RTCP_REPORT_INTERVAL_SECS),
            cname: "rtsp-core",
            unix_time_at_zero_us: 0,
            allow_aggregate_setup: false,
            input_capacity: (RTSP_MAX_MESSAGE + RTSP_MAX_BODY) as u32,
            looping: true,
        }
    }
}

/// RTSP session state (RFC 2326 §A.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum State {
    /// No session (before SETUP, after TEARDOWN or expiry).
    Init,
    /// Set up or paused: no media flows.
    Ready,
    /// Media flows.
    Playing,
    /// RECORD answered: media flows from the peer, a publisher (RFC 2326
    /// §A.2 `Recording`).
    Recording,
}

/// An RTSP session identifier (RFC 2326 §3.4), written as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SessionId(pub u64);

impl SessionId {
    /// Whether `text` is this identifier as written by `Display`.
    pub fn matches(&self, text: &str) -> bool {
        text.len() == 16 && u64::from_str_radix(text, 16).is_ok_and(|v| v == self.0)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016X}", self.0)
    }
}

/// What happened, for the host's log and bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event {
    /// SETUP created a session.
    SetUp {
        /// Its identifier.
        id: SessionId,
        /// Where media goes.
        transport: MediaTransport,
    },
    /// PLAY started or resumed: send frames from `start` (an NPT position
    /// for a file; `None`: carry on from where it was, or live).
    Playing {
        /// Seek position from `Range: npt=<start>-`.
        start: Option<Duration>,
    },
    /// PAUSE: stop sending; keep the position.
    Paused,
    /// The clip's last frame was handed out and it does not loop
    /// ([`Config::looping`]): no more frames until the next PLAY.
    Ended,
    /// TEARDOWN ended the session: release its capacity.
    TornDown,
    /// RECORD was answered: the publisher's RTP for the announced path
    /// flows now (from [`ServerSession::publisher_source`]).
    PublishStarted,
    /// The publisher of this connection left (TEARDOWN) or timed out: its
    /// players get RTCP BYE, and the path is free again. Comes with
    /// [`Event::TornDown`] or [`Event::Expired`] when a session existed.
    PublishStopped,
    /// A request was answered `401 Unauthorized` (RFC 2326 §11.4.2).
    Unauthorized {
        /// It carried credentials, which did not match (else it had none).
        wrong_credentials: bool,
    },
    /// The session timed out: release its capacity and, for TCP
    /// interleaving, close the connection.
    Expired,
    /// The client's RTCP receiver report about our stream (RFC 3550 §6.4.2).
    ReceiverReport {
        /// Fraction lost since the last report, /256.
        fraction_lost: u8,
        /// Cumulative packets lost.
        cumulative_lost: i32,
        /// Extended highest sequence number received.
        highest_seq: u32,
        /// Interarrival jitter, in 90 kHz RTP units.
        jitter: u32,
        /// Round-trip time in microseconds from LSR/DLSR (RFC 3550
        /// §6.4.1), if computable (kept as `u32` so events stay small).
        round_trip_us: Option<u32>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(usize)]
enum Timer {
    Expiry = 0,
    Report = 1,
    /// The next clip frame is due (see [`clock`]).
    Frame = 2,
}

/// The server side of one RTSP connection. See the [module docs](self) for
/// the call order.
#[derive(Debug)]
pub struct ServerSession {
    config: Config,
    peer: IpAddr,
    state: State,
    id: Option<SessionId>,
    /// Hash of the presentation path the session was set up for.
    path_hash: u32,
    /// Length of the set-up presentation (`None`: live).
    duration: Option<Duration>,
    transport: Option<MediaTransport>,
    /// Group address and TTL when the transport is multicast (the ports
    /// are the transport's `client`, the SSRC the sender's: the session
    /// stays small).
    group: Option<([u8; 4], u8)>,
    sender: RtpSender,
    /// Whether this connection plays or publishes (ANNOUNCE made it a
    /// publisher; see [`record`]).
    role: record::Role,
    pending: Option<reply::Reply>,
    rtcp: stream::RtcpQueue,
    timers: Timers<3>,
    clock: clock::FrameClock,
    events: Deque<Event, SESSION_MAX_EVENTS>,
}

// Manual: the event queue and `IpAddr` have no defmt impl; the state is
// what a log line needs.
#[cfg(feature = "defmt")]
impl defmt::Format for ServerSession {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "ServerSession {{ state: {}, id: {}, transport: {} }}",
            self.state,
            self.id,
            self.transport
        )
    }
}

impl ServerSession {
    /// A session for a connection from `peer` (the only address media is
    /// ever sent to).
    pub fn new(config: Config, peer: IpAddr) -> Self {
        ServerSession {
            config,
            peer,
            state: State::Init,
            id: None,
            path_hash: 0,
            duration: None,
            transport: None,
            group: None,
            sender: RtpSender::new(rtp::Ssrc(0), rtp::SeqNo(0), rtp::RtpTimestamp(0)),
            role: record::Role::Player,
            pending: None,
            rtcp: stream::RtcpQueue::None,
            timers: Timers::new(),
            clock: clock::FrameClock::new(),
            events: Deque::new(),
        }
    }

    /// Reads one message (or interleaved frame) from the start of `input`
    /// and acts on it; requests queue their response for
    /// [`poll_transmit`](Self::poll_transmit). Interleaved RTCP from the
    /// client is handled as by [`handle_rtcp`](Self::handle_rtcp).
    ///
    /// Input that cannot be read queues an error response and returns
    /// [`Error::Rtsp`]: send the response, then close the connection (the
    /// message boundary is lost). The status is decided here, once for
    /// every host: 505 for a version token other than `RTSP/d.d` (e.g.
    /// `HTTP/1.1`, RFC 2326 §11.3.14); 413 for a request over the limits,
    /// or one that fills [`Config::input_capacity`] without ending (RFC
    /// 2326 §11.4.12); 400 for anything else. CSeq is echoed when it can
    /// be found.
    pub fn handle_input<'i, H: Host>(
        &mut self,
        now: Instant,
        input: &'i [u8],
        host: &mut H,
    ) -> Result<Input<'i>, Error> {
        if self.pending.is_some() {
            return Err(Error::TransmitPending);
        }
        let mut headers = [Header::EMPTY; RTSP_MAX_HEADERS];
        match rtsp::parse(input, &mut headers) {
            Ok(rtsp::Status::Partial) if input.len() >= self.config.input_capacity as usize => {
                let limit = self.config.input_capacity as usize;
                self.refuse_input(input, rtsp::Error::MessageTooLarge { limit })
            }
            Ok(rtsp::Status::Partial) => Ok(Input::Partial),
            Ok(rtsp::Status::Complete((message, used))) => {
                match message {
                    Message::Request(req) => self.on_request(now, &req, host),
                    Message::Interleaved(frame) => {
                        if let Some(packet) = self.publisher_rtp(now, &frame) {
                            return Ok(Input::Rtp {
                                consumed: used,
                                packet,
                            });
                        }
                        if self.rtcp_channel() == Some(frame.channel) {
                            self.handle_rtcp(now, frame.payload);
                            return Ok(Input::Rtcp {
                                consumed: used,
                                packet: frame.payload,
                            });
                        }
                    }
                    // A client never sends responses we asked for; ignore.
                    Message::Response(_) => {}
                }
                Ok(Input::Consumed(used))
            }
            Err(e) => self.refuse_input(input, e),
        }
    }

    /// [`handle_input`](Self::handle_input) as the one decision a host's
    /// input loop needs (see [`Step`]).
    pub fn read_input<H: Host>(&mut self, now: Instant, input: &[u8], host: &mut H) -> Step {
        match self.handle_input(now, input, host) {
            Ok(Input::Partial) => Step::NeedMore,
            Ok(Input::Consumed(n) | Input::Rtcp { consumed: n, .. }) => Step::Used(n),
            Ok(Input::Rtp { consumed, .. }) => Step::Rtp(consumed),
            Err(Error::Rtsp(e)) => Step::Close(e),
            Err(_) => Step::Drain,
        }
    }

    /// Queues the answer to input that cannot be read (see
    /// [`handle_input`](Self::handle_input)).
    fn refuse_input<'i>(&mut self, input: &[u8], e: rtsp::Error) -> Result<Input<'i>, Error> {
        let status = match e {
            rtsp::Error::Version => StatusCode::VersionNotSupported,
            rtsp::Error::MessageTooLarge { .. } | rtsp::Error::BodyTooLarge { .. } => {
                StatusCode::RequestEntityTooLarge
            }
            _ => StatusCode::BadRequest,
        };
        self.pending = Some(reply::Reply::error(status, reply::sniff_cseq(input)));
        Err(Error::Rtsp(e))
    }

    /// Reads an RTCP compound packet from the peer (RFC 3550 §6.4.2): any
    /// packet restarts the session timeout; receiver reports about our SSRC
    /// become [`Event::ReceiverReport`]. Malformed packets are ignored.
    pub fn handle_rtcp(&mut self, now: Instant, packet: &[u8]) {
        if self.state == State::Init {
            return;
        }
        self.touch(now);
        if let Some(ev) = self
            .sender
            .read_rtcp(now, packet, self.config.unix_time_at_zero_us)
        {
            self.push_event(ev);
        }
    }

    /// Fires due timers: session expiry (RFC 2326 §12.37) and RTCP reports.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.timers.expired(Timer::Expiry as usize, now)
            && (self.state != State::Init || self.role == record::Role::Announced)
        {
            let had_session = self.state != State::Init;
            if self.transport.is_some() && self.role == record::Role::Player {
                self.rtcp = stream::RtcpQueue::Bye;
            }
            self.end_session();
            if had_session {
                self.push_event(Event::Expired);
            }
        }
        if self.timers.expired(Timer::Report as usize, now) && self.state == State::Playing {
            if !matches!(self.rtcp, stream::RtcpQueue::Bye) {
                self.rtcp = stream::RtcpQueue::Report;
            }
            self.timers
                .set(Timer::Report as usize, now + self.config.report_interval);
        }
    }

    /// Writes the next thing to send into `buf`: the pending response first,
    /// then RTCP. `Ok(None)` when there is nothing left.
    #[must_use = "a transmit that is not sent is lost"]
    pub fn poll_transmit(
        &mut self,
        now: Instant,
        buf: &mut [u8],
    ) -> Result<Option<Transmit>, Error> {
        if let Some(reply) = &self.pending {
            let len = reply.write(self, buf)?;
            self.pending = None;
            return Ok(Some(Transmit {
                destination: Destination::Rtsp,
                len,
            }));
        }
        let queued = self.rtcp;
        if queued == stream::RtcpQueue::None {
            return Ok(None);
        }
        let Some(transport) = self.transport_for_rtcp() else {
            self.rtcp = stream::RtcpQueue::None;
            return Ok(None);
        };
        let len = self.sender.write_rtcp(
            now,
            queued,
            self.config.cname,
            self.config.unix_time_at_zero_us,
            transport,
            buf,
        )?;
        self.rtcp = stream::RtcpQueue::None;
        if queued == stream::RtcpQueue::Bye {
            self.transport = None;
        }
        Ok(Some(Transmit {
            destination: destination_of(transport),
            len,
        }))
    }

    /// The next event, if any.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When the session next needs the host: [`handle_timeout`](Self::handle_timeout)
    /// for expiry and RTCP, or [`poll_frame`](Self::poll_frame) for the
    /// next clip frame (call both when it is reached).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The next frame of a clip if it is due at `now` (see [`clock`] for
    /// the policy on start, seek, pause, lateness and the end): call until
    /// `None`, sending each frame and reporting it with
    /// [`on_rtp_sent`](Self::on_rtp_sent). A frame handed out and not
    /// sent is lost (its position is passed). `None` while not playing and
    /// for live sources, whose frames go through
    /// [`frame_header`](Self::frame_header).
    #[must_use = "a frame handed out and not sent is lost"]
    pub fn poll_frame(&mut self, now: Instant) -> Option<DueFrame> {
        if self.state != State::Playing {
            return None;
        }
        let due = self.timers.get(Timer::Frame as usize)?;
        match self.clock.tick(now, due, self.config.looping) {
            clock::Tick::Idle => None,
            clock::Tick::Ended => {
                self.timers.stop(Timer::Frame as usize);
                self.push_event(Event::Ended);
                None
            }
            clock::Tick::Frame {
                index,
                position,
                due,
            } => {
                self.timers.set(Timer::Frame as usize, due);
                Some(DueFrame {
                    index,
                    position,
                    header: self.sender.frame_header(position),
                })
            }
        }
    }

    /// When the next clip frame is due, while the frame clock runs.
    pub fn frame_due(&self) -> Option<Instant> {
        self.timers.get(Timer::Frame as usize)
    }

    /// Makes the next clip frame due at `at` instead (a host's phase for
    /// batching sessions into one wake-up); later frames follow one period
    /// apart. Ignored unless the frame clock runs.
    pub fn schedule_frames(&mut self, at: Instant) {
        if self.clock.is_running() && self.state == State::Playing {
            self.timers.set(Timer::Frame as usize, at);
        }
    }

    /// The frame clock's position and next due time, for another member
    /// of a multicast group to [`follow_frames`](Self::follow_frames).
    pub fn frame_position(&self) -> FramePosition {
        FramePosition {
            clock: self.clock,
            due: self.frame_due(),
        }
    }

    /// Takes over `leader`'s frame position (the next frame and when it is
    /// due): a multicast member taking over the group's shared stream
    /// continues where it was (RFC 2326 §10.4). Ignored unless this
    /// session's clock runs for the same clip.
    pub fn follow_frames(&mut self, leader: FramePosition) {
        if !self.clock.is_running() {
            return;
        }
        self.clock.follow(&leader.clock);
        if let Some(due) = leader.due {
            self.timers.set(Timer::Frame as usize, due);
        }
    }

    /// The RTP header of the first packet of a frame at `media_time` (the
    /// frame's position in the presentation; any monotonic clock for live
    /// media), or `None` unless playing. Feed it to
    /// [`jpeg::Packetizer::new`](crate::jpeg::Packetizer::new), then call
    /// [`on_rtp_sent`](Self::on_rtp_sent).
    pub fn frame_header(&mut self, media_time: Duration) -> Option<rtp::Repr> {
        (self.state == State::Playing).then(|| self.sender.frame_header(media_time))
    }

    /// Records that the frame from the last [`frame_header`](Self::frame_header)
    /// went out as `packets` RTP packets carrying `payload_octets` bytes of
    /// payload (RFC 3550 §6.4.1 sender counts).
    pub fn on_rtp_sent(&mut self, now: Instant, packets: u16, payload_octets: usize) {
        self.sender.on_sent(now, packets, payload_octets);
    }

    /// Session state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether frames should be sent now.
    pub fn is_playing(&self) -> bool {
        self.state == State::Playing
    }

    /// The current session identifier, once SETUP succeeded.
    pub fn session_id(&self) -> Option<SessionId> {
        self.id
    }

    /// Where RTP goes, once SETUP succeeded. UDP ports are on the RTSP
    /// peer's address, unless [`multicast`](Self::multicast) is `Some`:
    /// then `Udp { client }` holds the group's ports and RTP goes to the
    /// group.
    pub fn media_transport(&self) -> Option<MediaTransport> {
        if self.state == State::Init {
            None
        } else {
            self.transport
        }
    }

    /// Where media goes, once SETUP succeeded, as addresses: UDP to the
    /// RTSP peer's ports or to the multicast group, or interleaved
    /// channels. RTP and RTCP go nowhere else.
    pub fn media_destination(&self) -> Option<MediaDestination> {
        Some(match self.media_transport()? {
            MediaTransport::Udp { client, .. } => {
                let ip = match self.multicast() {
                    Some(g) => IpAddr::V4(g.addr),
                    None => self.peer,
                };
                MediaDestination::Udp {
                    rtp: SocketAddr::new(ip, client.rtp),
                    rtcp: SocketAddr::new(ip, client.rtcp_port()),
                }
            }
            MediaTransport::Interleaved { channels } => MediaDestination::Interleaved {
                rtp: channels.rtp,
                rtcp: channels.rtcp_channel(),
            },
        })
    }

    /// The RTP sender state (SSRC, next sequence number, counts).
    pub fn sender(&self) -> &RtpSender {
        &self.sender
    }

    /// The multicast group media goes to, when SETUP chose a `multicast`
    /// transport (RFC 2326 §12.39): RTP to `addr:ports.rtp` and RTCP
    /// (every [`Destination::Rtcp`] of this session) to
    /// `addr:ports.rtcp`, one copy for all members (RFC 2326 §10.4).
    pub fn multicast(&self) -> Option<MulticastGroup> {
        if self.state == State::Init {
            return None;
        }
        let (addr, ttl) = self.group?;
        let MediaTransport::Udp { client, .. } = self.transport? else {
            return None;
        };
        Some(MulticastGroup {
            addr: addr.into(),
            ports: client,
            ttl,
            ssrc: self.sender.ssrc(),
        })
    }

    /// Makes this multicast member's sender state that of the group's
    /// shared stream, `leader` (another member's [`sender`](Self::sender)
    /// after it sent a frame), so this member's sender reports describe
    /// the packets its client actually receives (RFC 3550 §6.4.1). Ignored
    /// unless this session is a member of a group with `leader`'s SSRC.
    pub fn follow(&mut self, leader: &RtpSender) {
        if self.group.is_some() && self.sender.ssrc() == leader.ssrc() {
            self.sender = *leader;
        }
    }

    /// The RTSP peer's address.
    pub fn peer(&self) -> IpAddr {
        self.peer
    }

    fn rtcp_channel(&self) -> Option<u8> {
        match self.transport? {
            MediaTransport::Interleaved { channels } => Some(channels.rtcp_channel()),
            MediaTransport::Udp { .. } => None,
        }
    }

    fn transport_for_rtcp(&self) -> Option<MediaTransport> {
        self.transport
    }

    fn touch(&mut self, now: Instant) {
        if self.state != State::Init || self.role != record::Role::Player {
            let timeout = Duration::from_secs(u64::from(self.config.timeout_secs));
            self.timers.set(Timer::Expiry as usize, now + timeout);
        }
    }

    fn end_session(&mut self) {
        if self.role != record::Role::Player {
            self.role = record::Role::Player;
            self.push_event(Event::PublishStopped);
        }
        self.state = State::Init;
        self.id = None;
        self.duration = None;
        self.clock.stop();
        self.timers.stop(Timer::Expiry as usize);
        self.timers.stop(Timer::Report as usize);
        self.timers.stop(Timer::Frame as usize);
    }

    fn push_event(&mut self, ev: Event) {
        // When the host does not drain events, the oldest is dropped: a
        // late host must not make the session fail.
        if self.events.is_full() {
            self.events.pop_front();
        }
        let _ = self.events.push_back(ev);
    }
}

fn destination_of(t: MediaTransport) -> Destination {
    match t {
        MediaTransport::Udp { client, .. } => Destination::Rtcp {
            port: client.rtcp_port(),
        },
        MediaTransport::Interleaved { channels } => Destination::Interleaved {
            channel: channels.rtcp_channel(),
        },
    }
}

/// FNV-1a, to remember a presentation path without storing it.
fn path_hash(path: &str) -> u32 {
    path.bytes().fold(0x811c_9dc5, |h: u32, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}
