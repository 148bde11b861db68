//! The client side of an RTSP session (RFC 2326 §A.1 client state
//! machine): `Init → Described → Ready ⇄ Playing`, TEARDOWN back to `Init`.
//!
//! The host states a goal — [`describe`](ClientSession::describe),
//! [`play`](ClientSession::play), [`pause`](ClientSession::pause),
//! [`teardown`](ClientSession::teardown) — and the session sends the
//! requests that reach it, one at a time, in order: OPTIONS (once, to learn
//! `Public:`), DESCRIBE, SETUP (UDP `client_port` pair or TCP interleaved),
//! PLAY, PAUSE, TEARDOWN. It adds `CSeq`, `Session` and `User-Agent`, reads
//! the responses and the SDP (tolerantly: `Content-Base` and `a=control`
//! resolution per RFC 2326 C.1.1), keeps the session alive at `timeout/2`
//! with GET_PARAMETER when `Public:` lists it (else OPTIONS), and sends an
//! RTCP receiver report every [`Config::report_interval`] while playing.
//!
//! # Call order
//!
//! 1. [`ClientSession::new`] with the `rtsp://` URL; connect TCP.
//! 2. State a goal, e.g. [`play`](ClientSession::play).
//! 3. Drain [`poll_transmit`](ClientSession::poll_transmit) (requests go on
//!    TCP, RTCP to UDP or TCP as tagged) and [`poll_event`](ClientSession::poll_event).
//! 4. For each chunk read from TCP: [`handle_input`](ClientSession::handle_input)
//!    while it returns anything but [`Received::Partial`]: a response, or
//!    an interleaved frame (RFC 2326 §10.12) that the session has framed
//!    for the host, RTP for the depacketizer and RTCP (already handled)
//!    for a capture; for each RTCP datagram from the server:
//!    [`handle_rtcp`](ClientSession::handle_rtcp). Then step 3 again.
//! 5. Call [`handle_timeout`](ClientSession::handle_timeout) when
//!    [`poll_timeout`](ClientSession::poll_timeout) is reached, then step 3.
//!
//! Requests from the server on the RTSP connection (RFC 2326 §10 allows a
//! few) are consumed and ignored.
//!
//! # Authentication
//!
//! A `401 Unauthorized` carrying `WWW-Authenticate` (RFC 2326 §12.44) is
//! answered once with the credentials given to
//! [`set_credentials`](ClientSession::set_credentials): the same request is
//! sent again with `Authorization` (RFC 2326 §12.5), using Digest (RFC 2617
//! §3.2.2, MD5, `qop=auth` or none) or, only when it is the only scheme
//! offered, Basic (RFC 2617 §2). Every later request carries
//! `Authorization` too (Digest computed for its method and URI, with the
//! nonce count incremented). A 401 to the answer, or one that cannot be
//! answered, ends the goal with [`Event::Error`] naming the
//! [`AuthError`].
//!
//! The credentials and the challenge take `AUTH` bytes inside the session:
//! [`ClientSession`] (`AUTH` = 0) keeps none, so a client that never
//! authenticates pays nothing; [`AuthClientSession`] has room for
//! [`CLIENT_AUTH_MAX`] bytes and is made with
//! [`with_auth`](ClientSession::with_auth).

mod auth;
mod authorization;
mod publish;
mod request;
mod response;
pub(crate) mod sdp;
mod urls;

use heapless::Deque;

use super::{Destination, Error, MediaTransport, Timers, Transmit};
use crate::limits::{
    CLIENT_AUTH_MAX, RTCP_REPORT_INTERVAL_SECS, RTSP_MAX_HEADERS, SESSION_DEFAULT_TIMEOUT_SECS,
    SESSION_ID_MAX, SESSION_MAX_EVENTS,
};
use crate::rtcp::{self, ReportBlock};
use crate::rtp::{RtpTimestamp, SeqNo, Ssrc};
use crate::rtsp::header::MethodSet;
use crate::rtsp::{self as rtsp_mod, Header, Message, Method, StatusCode};
use crate::{Duration, Instant};

pub use auth::AuthError;
pub use authorization::{DigestHex, DigestInput};
pub use publish::{Publisher, PublisherConfig, ReceptionReport};
pub use sdp::{Described, Encoding};

/// A client session with room for credentials and a challenge of
/// [`CLIENT_AUTH_MAX`] bytes (RFC 2617 §2, §3.2.2); make it with
/// [`ClientSession::with_auth`].
pub type AuthClientSession = ClientSession<CLIENT_AUTH_MAX>;

/// How the client asks for media (RFC 2326 §12.39).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TransportRequest {
    /// `RTP/AVP;unicast;client_port=<rtp_port>-<rtp_port+1>`.
    Udp {
        /// The even local port RTP arrives on; RTCP uses the next one.
        rtp_port: u16,
    },
    /// `RTP/AVP/TCP;unicast;interleaved=0-1`.
    Tcp,
}

/// Fixed settings of a client session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Config {
    /// UDP or TCP media.
    pub transport: TransportRequest,
    /// `User-Agent:` value, also the SDES CNAME of our receiver reports
    /// (RFC 3550 §6.5.1).
    pub user_agent: &'static str,
    /// Interval of RTCP receiver reports (RFC 3550 §6.2; DESIGN.md ~5 s).
    pub report_interval: Duration,
    /// Our SSRC in receiver reports (the host picks it at random).
    pub ssrc: Ssrc,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            transport: TransportRequest::Tcp,
            user_agent: "rtsp-core",
            report_interval: Duration::from_secs(RTCP_REPORT_INTERVAL_SECS),
            ssrc: Ssrc(0x5eed_0001),
        }
    }
}

impl Reception for crate::stats::ReceiverStats {
    fn report_block(&mut self, ssrc: Ssrc) -> Option<ReportBlock> {
        // The inherent method (RFC 3550 A.3 interval bookkeeping).
        crate::stats::ReceiverStats::report_block(self, ssrc)
    }
}

/// Where the client's RTCP receiver reports get their report block
/// (RFC 3550 §6.4.2). The host's reception statistics implement it;
/// `()` sends reports without blocks.
pub trait Reception {
    /// A report block about `ssrc` for a report sent now, or `None` if
    /// nothing was received from it.
    fn report_block(&mut self, ssrc: Ssrc) -> Option<ReportBlock>;
}

impl Reception for () {
    fn report_block(&mut self, _ssrc: Ssrc) -> Option<ReportBlock> {
        None
    }
}

/// No seek pending (see `ClientSession::seek`).
const NO_SEEK: Duration = Duration::from_micros(u64::MAX);
/// The latest position a seek can ask for: one below [`NO_SEEK`].
const LATEST_SEEK: Duration = Duration::from_micros(u64::MAX - 1);

/// Client session state (RFC 2326 §A.1, with `Described` for "SDP known").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum State {
    /// Nothing known yet.
    Init,
    /// DESCRIBE answered: the stream is known.
    Described,
    /// SETUP answered (or paused): a session exists, no media flows.
    Ready,
    /// PLAY answered: media flows.
    Playing,
    /// RECORD answered: we publish, media flows to the server (RFC 2326
    /// §10.11).
    Recording,
}

/// What happened, for the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event {
    /// The SDP was read: the stream's format is in
    /// [`ClientSession::described`].
    Described,
    /// The DESCRIBE answer has no JPEG video (RFC 2435), which is all the
    /// session plays: the goal is abandoned. [`ClientSession::described`]
    /// names the video the SDP offers instead (RFC 4566 §6 `a=rtpmap`), or
    /// is `None` when it offers no video at all.
    NotJpeg,
    /// SETUP succeeded with the transport the server chose.
    SetUp {
        /// Where media arrives. The server's SSRC, if it said, is in
        /// [`ClientSession::server_ssrc`].
        transport: MediaTransport,
        /// The session timeout in seconds (RFC 2326 §12.37).
        timeout_secs: u32,
    },
    /// PLAY succeeded; `seq`/`rtptime` are those of the first packet
    /// (RFC 2326 §12.33), if the server sent `RTP-Info`.
    Playing {
        /// First sequence number.
        seq: Option<SeqNo>,
        /// First RTP timestamp.
        rtptime: Option<RtpTimestamp>,
    },
    /// PAUSE succeeded.
    Paused,
    /// TEARDOWN answered (or no session was left to tear down).
    TornDown,
    /// The server answered a request with an error; the current goal is
    /// abandoned.
    Error {
        /// The request.
        request: Request,
        /// The status code (RFC 2326 §7.1.1).
        status: StatusCode,
        /// For `401 Unauthorized` (RFC 2326 §11.4.2): why it could not be
        /// answered (no credentials, wrong ones, an unsupported scheme).
        auth: Option<AuthError>,
    },
    /// The server sent RTCP BYE (RFC 3550 §6.6): the stream ended.
    ServerBye,
    /// RECORD succeeded: send the stream now (see [`Publisher`]).
    Recording,
}

/// What [`ClientSession::handle_input`] read from the start of the bytes
/// of the RTSP connection, where responses and `$`-framed interleaved data
/// share the stream (RFC 2326 §10.12). The session reads the framing; the
/// host only drops `consumed` bytes and hands packets on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Received<'a> {
    /// The bytes end inside a message or frame: read more and call again
    /// with the whole (extended) buffer.
    Partial,
    /// A response (or a request from the server, ignored, or a frame on a
    /// channel that is not ours) was used: drop this many bytes.
    Consumed(usize),
    /// Interleaved RTP for the host's depacketizer.
    Rtp {
        /// Bytes to drop from the input.
        consumed: usize,
        /// The RTP packet (RFC 3550 §5.1).
        packet: &'a [u8],
    },
    /// Interleaved RTCP from the server, already handled as by
    /// [`ClientSession::handle_rtcp`]; the packet is there for a capture.
    Rtcp {
        /// Bytes to drop from the input.
        consumed: usize,
        /// The RTCP compound packet (RFC 3550 §6.1).
        packet: &'a [u8],
    },
}

impl Received<'_> {
    /// Bytes to drop from the input; `None` for [`Received::Partial`].
    pub fn consumed(&self) -> Option<usize> {
        match *self {
            Received::Partial => None,
            Received::Consumed(n)
            | Received::Rtp { consumed: n, .. }
            | Received::Rtcp { consumed: n, .. } => Some(n),
        }
    }
}

/// Requests the client sends (RFC 2326 §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Request {
    /// OPTIONS, once at the start (learns `Public:`).
    Options,
    /// DESCRIBE.
    Describe,
    /// SETUP.
    Setup,
    /// PLAY.
    Play,
    /// PAUSE.
    Pause,
    /// TEARDOWN.
    Teardown,
    /// The keep-alive (GET_PARAMETER or OPTIONS).
    KeepAlive,
    /// ANNOUNCE, the publisher's SDP (RFC 2326 §10.3).
    Announce,
    /// RECORD (RFC 2326 §10.11).
    Record,
}

/// Where the host wants the session to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Goal {
    None,
    Described,
    Playing,
    Paused,
    TornDown,
    Recording,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(usize)]
enum Timer {
    KeepAlive = 0,
    Report = 1,
}

/// The client side of one RTSP session. See the [module docs](self) for
/// the call order, and for `AUTH`, the bytes kept for credentials.
#[derive(Debug)]
pub struct ClientSession<const AUTH: usize = 0> {
    config: Config,
    urls: urls::Urls,
    session: heapless::String<SESSION_ID_MAX>,
    timeout_secs: u32,
    cseq: u32,
    outstanding: Option<(u32, Request)>,
    next: Option<Request>,
    options_done: bool,
    report_due: bool,
    /// PAUSE succeeded since the last PLAY: the next PLAY resumes (no Range).
    resuming: bool,
    /// A position asked for by [`play_from`](Self::play_from) that no PLAY
    /// has reached yet: the next PLAY carries `Range: npt=<it>-`.
    /// [`NO_SEEK`] when there is none (a sentinel rather than an `Option`
    /// keeps the session within 512 bytes).
    seek: Duration,
    state: State,
    goal: Goal,
    public: MethodSet,
    described: Option<Described>,
    transport: Option<MediaTransport>,
    server_ssrc: Option<Ssrc>,
    /// LSR (middle 32 bits of the last SR's NTP time) and when it came;
    /// LSR 0 means none (RFC 3550 §6.4.1).
    last_sr: (u32, Instant),
    timers: Timers<2>,
    events: Deque<Event, SESSION_MAX_EVENTS>,
    auth: auth::Auth<AUTH>,
}

// Manual: the event queue and `IpAddr` have no defmt impl; the state is
// what a log line needs.
#[cfg(feature = "defmt")]
impl<const AUTH: usize> defmt::Format for ClientSession<AUTH> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "ClientSession {{ state: {}, transport: {} }}",
            self.state,
            self.transport
        )
    }
}

impl ClientSession {
    /// A session for `url` (`rtsp://host[:port]/path`) that keeps no
    /// credentials: a 401 ends the goal with [`AuthError::NoCredentials`].
    pub fn new(config: Config, url: &str) -> Result<Self, Error> {
        Self::with_auth(config, url)
    }
}

impl<const AUTH: usize> ClientSession<AUTH> {
    /// A session for `url` (`rtsp://host[:port]/path`) with room for
    /// `AUTH` bytes of credentials and challenge (e.g.
    /// `AuthClientSession::with_auth`).
    pub fn with_auth(config: Config, url: &str) -> Result<Self, Error> {
        Ok(ClientSession {
            config,
            urls: urls::Urls::new(url)?,
            session: heapless::String::new(),
            timeout_secs: SESSION_DEFAULT_TIMEOUT_SECS,
            cseq: 0,
            outstanding: None,
            next: None,
            options_done: false,
            report_due: false,
            resuming: false,
            seek: NO_SEEK,
            state: State::Init,
            goal: Goal::None,
            public: MethodSet::EMPTY,
            described: None,
            transport: None,
            server_ssrc: None,
            last_sr: (0, Instant::ZERO),
            timers: Timers::new(),
            events: Deque::new(),
            auth: auth::Auth::new(),
        })
    }

    /// The user and password to answer a `401 Unauthorized` with (RFC 2326
    /// §12.5; RFC 2617 §2, §3.2.2), copied into the session. Replaces any
    /// earlier ones and forgets the last challenge.
    pub fn set_credentials(&mut self, user: &str, password: &str) -> Result<(), AuthError> {
        self.auth.set(user, password)
    }

    /// Goal: learn the stream (OPTIONS, DESCRIBE) and stop there.
    pub fn describe(&mut self, _now: Instant) {
        self.goal = Goal::Described;
        self.advance();
    }

    /// Goal: play (OPTIONS, DESCRIBE, SETUP, PLAY as needed; PLAY resumes
    /// after PAUSE).
    pub fn play(&mut self, _now: Instant) {
        self.goal = Goal::Playing;
        self.advance();
    }

    /// Goal: play from `position` in the presentation (a seek): the next
    /// PLAY carries `Range: npt=<position>-` (RFC 2326 §12.29), also after
    /// a PAUSE, where [`play`](Self::play) would resume. From `Init` it
    /// sets up first, as `play` does. A playing session is paused first:
    /// RFC 2326 §10.5 queues a PLAY that arrives while one is active, so
    /// PAUSE then PLAY is the seek that every RFC 2326 server understands
    /// (ffmpeg seeks the same way). The events are those of the steps:
    /// [`Event::Paused`], then [`Event::Playing`].
    pub fn play_from(&mut self, _now: Instant, position: Duration) {
        self.goal = Goal::Playing;
        self.seek = position.min(LATEST_SEEK);
        self.advance();
    }

    /// Goal: pause a playing session. [`Error::InvalidState`] unless
    /// playing or on the way to it.
    pub fn pause(&mut self, _now: Instant) -> Result<(), Error> {
        if self.state != State::Playing && self.goal != Goal::Playing {
            return Err(Error::InvalidState);
        }
        self.goal = Goal::Paused;
        self.seek = NO_SEEK;
        self.advance();
        Ok(())
    }

    /// Goal: publish `stream` (RFC 2326 §10.3, §10.11): OPTIONS, ANNOUNCE
    /// with its SDP (the core's [`MjpegDescription`](crate::sdp::MjpegDescription),
    /// `a=control:stream=0`), SETUP of `<url>/stream=0` with `mode=record`
    /// (UDP `client_port`, the ports we send from, or TCP interleaved),
    /// then RECORD. [`Event::Recording`] says when to send: the frames'
    /// RTP and the sender reports come from a [`Publisher`], which the
    /// host keeps beside the session. Keep-alives, 401 answers and
    /// TEARDOWN work as for playing.
    pub fn record(&mut self, _now: Instant, stream: Described) -> Result<(), Error> {
        if self.state >= State::Ready {
            return Err(Error::InvalidState);
        }
        self.urls.set_control(publish::STREAM_CONTROL)?;
        self.described = Some(stream);
        // A description of our own: ANNOUNCE it (again).
        self.state = State::Init;
        self.goal = Goal::Recording;
        self.advance();
        Ok(())
    }

    /// Goal: end the session with TEARDOWN ([`Event::TornDown`] at once if
    /// there is no session).
    pub fn teardown(&mut self, _now: Instant) {
        self.goal = Goal::TornDown;
        self.advance();
    }

    /// Reads one response or interleaved frame from the start of `input`.
    /// Interleaved RTP comes back as [`Received::Rtp`]; interleaved RTCP is
    /// handled as by [`handle_rtcp`](Self::handle_rtcp) and comes back as
    /// [`Received::Rtcp`].
    pub fn handle_input<'a>(
        &mut self,
        now: Instant,
        input: &'a [u8],
    ) -> Result<Received<'a>, Error> {
        let mut headers = [Header::EMPTY; RTSP_MAX_HEADERS];
        match rtsp_mod::parse(input, &mut headers)? {
            rtsp_mod::Status::Partial => Ok(Received::Partial),
            rtsp_mod::Status::Complete((message, used)) => match message {
                Message::Response(resp) => {
                    self.on_response(now, &resp);
                    Ok(Received::Consumed(used))
                }
                Message::Interleaved(frame) => match self.transport {
                    Some(MediaTransport::Interleaved { channels })
                        if frame.channel == channels.rtp =>
                    {
                        Ok(Received::Rtp {
                            consumed: used,
                            packet: frame.payload,
                        })
                    }
                    Some(MediaTransport::Interleaved { channels })
                        if frame.channel == channels.rtcp_channel() =>
                    {
                        self.handle_rtcp(now, frame.payload);
                        Ok(Received::Rtcp {
                            consumed: used,
                            packet: frame.payload,
                        })
                    }
                    _ => Ok(Received::Consumed(used)),
                },
                Message::Request(_) => Ok(Received::Consumed(used)),
            },
        }
    }

    /// Reads an RTCP compound packet from the server: a sender report is
    /// remembered for the LSR/DLSR fields of our reports (RFC 3550
    /// §6.4.1); a BYE becomes [`Event::ServerBye`].
    pub fn handle_rtcp(&mut self, now: Instant, packet: &[u8]) {
        for p in rtcp::Compound::new(packet) {
            match p {
                Ok(rtcp::Packet::Sr(sr)) => {
                    self.server_ssrc.get_or_insert(sr.ssrc);
                    self.last_sr = (sr.ntp_timestamp.middle32(), now);
                }
                Ok(rtcp::Packet::Bye(_)) => self.push_event(Event::ServerBye),
                Ok(_) => {}
                Err(_) => return,
            }
        }
    }

    /// Fires due timers: the keep-alive (RFC 2326 §12.37, at timeout/2)
    /// and the receiver report.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.timers.expired(Timer::KeepAlive as usize, now) && self.state >= State::Ready {
            if self.outstanding.is_none() && self.next.is_none() {
                self.next = Some(Request::KeepAlive);
            } else {
                // A request is in flight and itself shows liveness.
                self.arm_keepalive(now);
            }
        }
        if self.timers.expired(Timer::Report as usize, now) && self.state == State::Playing {
            self.report_due = true;
            self.timers
                .set(Timer::Report as usize, now + self.config.report_interval);
        }
    }

    /// Writes the next request or RTCP report into `buf`. `Ok(None)` when
    /// there is nothing to send. `reception` supplies the report block.
    #[must_use = "a transmit that is not sent is lost"]
    pub fn poll_transmit<R: Reception>(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        reception: &mut R,
    ) -> Result<Option<Transmit>, Error> {
        if let Some(step) = self.next {
            let cseq = self.cseq.wrapping_add(1);
            let len = self.write_request(step, cseq, buf)?;
            self.cseq = cseq;
            self.next = None;
            self.auth.sent();
            self.outstanding = Some((cseq, step));
            if self.state >= State::Ready {
                self.arm_keepalive(now);
            }
            return Ok(Some(Transmit {
                destination: Destination::Rtsp,
                len,
            }));
        }
        if self.report_due {
            let Some(transport) = self.transport else {
                self.report_due = false;
                return Ok(None);
            };
            let len = self.write_report(now, transport, buf, reception)?;
            self.report_due = false;
            let destination = match transport {
                MediaTransport::Udp { server, .. } => Destination::Rtcp {
                    port: server.rtcp_port(),
                },
                MediaTransport::Interleaved { channels } => Destination::Interleaved {
                    channel: channels.rtcp_channel(),
                },
            };
            return Ok(Some(Transmit { destination, len }));
        }
        Ok(None)
    }

    /// The next event, if any.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// Session state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The stream, once described; after [`Event::NotJpeg`], the video
    /// offered instead.
    pub fn described(&self) -> Option<Described> {
        self.described
    }

    /// The transport the server chose, once set up.
    pub fn media_transport(&self) -> Option<MediaTransport> {
        self.transport
    }

    /// The server's SSRC, once known (SETUP reply or first SR).
    pub fn server_ssrc(&self) -> Option<Ssrc> {
        self.server_ssrc
    }

    /// Methods the server listed in `Public:` (RFC 2326 §12.28).
    pub fn public(&self) -> MethodSet {
        self.public
    }

    /// The session identifier, once set up.
    pub fn session_id(&self) -> Option<&str> {
        (!self.session.is_empty()).then_some(self.session.as_str())
    }

    /// The request sent last and not answered yet: after a
    /// [`Destination::Rtsp`] transmit, the one just written (a host counts
    /// its keep-alives by it, without reading the bytes).
    pub fn in_flight(&self) -> Option<Request> {
        self.outstanding.map(|(_, request)| request)
    }

    /// Whether a request is in flight or queued.
    pub fn is_busy(&self) -> bool {
        self.outstanding.is_some() || self.next.is_some()
    }

    /// The keep-alive method: GET_PARAMETER if `Public:` lists it, else
    /// OPTIONS (as VLC and ffmpeg choose).
    pub fn keepalive_method(&self) -> Method<'static> {
        if self.public.contains(Method::GetParameter) {
            Method::GetParameter
        } else {
            Method::Options
        }
    }

    /// Queues the request that moves towards the goal, if none is in flight.
    fn advance(&mut self) {
        if self.outstanding.is_some() || self.next.is_some() {
            return;
        }
        let step = match (self.goal, self.state) {
            (Goal::None, _) => None,
            (Goal::Described | Goal::Playing, State::Init) if !self.options_done => {
                Some(Request::Options)
            }
            (Goal::Described | Goal::Playing, State::Init) => Some(Request::Describe),
            (Goal::Recording, State::Init) if !self.options_done => Some(Request::Options),
            (Goal::Recording, State::Init) => Some(Request::Announce),
            (Goal::Recording, State::Described) => Some(Request::Setup),
            (Goal::Recording, State::Ready) => Some(Request::Record),
            (Goal::Playing, State::Described) => Some(Request::Setup),
            (Goal::Playing, State::Ready) => Some(Request::Play),
            (Goal::Playing, State::Playing) if self.seek_pending().is_some() => {
                Some(Request::Pause)
            }
            (Goal::Paused, State::Playing) => Some(Request::Pause),
            (Goal::TornDown, State::Ready | State::Playing | State::Recording) => {
                Some(Request::Teardown)
            }
            (Goal::TornDown, State::Init | State::Described) => {
                self.goal = Goal::None;
                self.push_event(Event::TornDown);
                None
            }
            _ => None,
        };
        self.next = step;
    }

    /// The position the next PLAY starts from, if a seek asked for one.
    fn seek_pending(&self) -> Option<Duration> {
        (self.seek != NO_SEEK).then_some(self.seek)
    }

    fn arm_keepalive(&mut self, now: Instant) {
        let half = Duration::from_millis(u64::from(self.timeout_secs) * 500);
        self.timers.set(Timer::KeepAlive as usize, now + half);
    }

    fn push_event(&mut self, ev: Event) {
        if self.events.is_full() {
            self.events.pop_front();
        }
        let _ = self.events.push_back(ev);
    }
}
