//! The RTSP dialogue as the player sees it: the lab's commands mapped onto
//! `rtsp_core::session::client::ClientSession` (RFC 2326 §10, Appendix
//! A.1), and its events turned into plain words.
//!
//! The core session is goal-driven (describe, play, pause, teardown); the
//! lab's commands are steps, so this layer checks that each command is
//! valid in the current state (and says why not), and reaches "set up but
//! not playing" by switching the goal from *play* to *described* once the
//! SETUP is on its way.
//!
//! Credentials (from the URL or `--user`/`--password`) go to the core
//! session, which answers a 401 by itself (RFC 2326 §12.44, RFC 2617); a
//! 401 it could not answer becomes one line naming the URL (never the
//! password) and what to do.
//!
//! Call order (the core's): feed input ([`Control::handle_input`],
//! [`Control::handle_rtcp`], [`Control::handle_timeout`]), then drain
//! [`Control::poll_transmit`] and [`Control::poll_event`], then sleep until
//! [`Control::poll_timeout`].

use rtsp_core::rtsp::header::MethodSet;
use rtsp_core::session::client::{
    self as client, AuthClientSession, Config, Received, Reception, State, TransportRequest,
};
use rtsp_core::session::{Destination, MediaTransport};
use rtsp_core::{rtp, Duration, Instant};

use crate::cli::Credentials;
use crate::error::{Error, Refusal};

/// How SETUP asks for the media.
pub type Setup = TransportRequest;

/// Something to send, written at the start of the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transmit {
    /// `n` bytes of RTSP for the TCP connection.
    Rtsp(usize),
    /// `n` bytes of RTCP for the server's RTCP `port` over UDP.
    Rtcp {
        /// Bytes.
        len: usize,
        /// The server's RTCP port.
        port: u16,
    },
    /// `n` bytes of `$`-framed RTCP for the RTSP connection.
    Interleaved(usize),
}

/// What happened, for the player to show or act on.
#[derive(Debug, Clone)]
pub enum Event {
    /// A server answer, in plain words.
    Answer(String),
    /// DESCRIBE answered; `size` from SDP `a=x-dimensions`, if any.
    Described {
        /// Frame size announced in the SDP.
        size: Option<(u16, u16)>,
        /// RTP payload type of the stream.
        payload_type: u8,
    },
    /// SETUP accepted.
    SetUp,
    /// PLAY accepted; the RTP time its first packet carries (RTP-Info).
    Playing {
        /// RTP-Info `rtptime` (RFC 2326 §12.33), if the server sent it.
        rtptime: Option<rtsp_core::rtp::RtpTimestamp>,
    },
    /// PAUSE accepted.
    Paused,
    /// TEARDOWN answered.
    TornDown,
    /// A request was refused, or the stream cannot be played.
    Failed(Refusal),
    /// The server ended the stream (RTCP BYE).
    Bye,
}

/// The lab's view of one RTSP session, over the core client session.
#[derive(Debug)]
pub struct Control {
    session: AuthClientSession,
    url: String,
    credentials: Option<Credentials>,
    /// `setup` asked for SETUP only: stop in Ready.
    setup_only: bool,
    /// The last request written, to name it in answers.
    rr_sent: u64,
    keepalives: u64,
    announced_public: bool,
    /// Translated events waiting for the player (an answer, then its event).
    queue: std::collections::VecDeque<Event>,
    /// `--start`: the position the first PLAY starts from.
    start: Option<Duration>,
    /// `start`, until a PLAY has used it.
    start_pending: Option<Duration>,
}

/// The user agent, also our RTCP SDES CNAME (RFC 3550 §6.5.1).
const USER_AGENT: &str = concat!("rtsp-client/", env!("CARGO_PKG_VERSION"));

impl Control {
    /// A session for `url`, asking for media as `how`, answering a 401
    /// with `credentials`.
    pub fn new(
        url: &str,
        how: Setup,
        credentials: Option<Credentials>,
        start: Option<Duration>,
    ) -> Result<Control, Error> {
        Ok(Control {
            session: new_session(url, how, credentials.as_ref())?,
            url: url.to_string(),
            credentials,
            setup_only: false,
            rr_sent: 0,
            keepalives: 0,
            announced_public: false,
            queue: std::collections::VecDeque::new(),
            start,
            start_pending: start,
        })
    }

    /// Starts over on the same connection with another transport (the
    /// UDP-to-TCP fallback); the next `play` sets up again.
    pub fn restart(&mut self, how: Setup) -> Result<(), Error> {
        self.session = new_session(&self.url, how, self.credentials.as_ref())?;
        self.setup_only = false;
        // Nothing played over the first transport: start where asked.
        self.start_pending = self.start;
        Ok(())
    }

    /// The state in the words of RFC 2326 Appendix A.1 ("Described" is
    /// still Init there: no session yet).
    pub fn state_name(&self) -> &'static str {
        match self.session.state() {
            State::Init | State::Described => "Init",
            State::Ready => "Ready",
            State::Playing => "Playing",
            State::Recording => "Recording",
        }
    }

    /// Whether PLAY was accepted and no PAUSE/TEARDOWN since.
    pub fn is_playing(&self) -> bool {
        self.session.state() == State::Playing
    }

    /// Whether a session exists (SETUP accepted, no TEARDOWN yet).
    pub fn has_session(&self) -> bool {
        self.session.state() >= State::Ready
    }

    /// Whether no session is left and nothing is in flight.
    pub fn is_closed(&self) -> bool {
        !self.has_session() && !self.session.is_busy()
    }

    /// The interleaved channel for RTCP, when media is on TCP.
    pub fn interleaved_rtcp_channel(&self) -> Option<u8> {
        match self.session.media_transport() {
            Some(MediaTransport::Interleaved { channels }) => Some(channels.rtcp_channel()),
            _ => None,
        }
    }

    /// The interleaved channel for RTP, when media is on TCP.
    pub fn interleaved_rtp_channel(&self) -> Option<u8> {
        match self.session.media_transport() {
            Some(MediaTransport::Interleaved { channels }) => Some(channels.rtp),
            _ => None,
        }
    }

    /// RTCP receiver reports sent.
    pub fn receiver_reports_sent(&self) -> u64 {
        self.rr_sent
    }

    /// Keep-alive requests sent.
    pub fn keepalives_sent(&self) -> u64 {
        self.keepalives
    }

    /// `options`: what the server supports (OPTIONS is sent once, first).
    pub fn options(&mut self, now: Instant) -> Option<String> {
        let public = self.session.public();
        if public != MethodSet::EMPTY {
            return Some(format!("the server supports {public}"));
        }
        self.session.describe(now);
        None
    }

    /// `describe`: the stream, from DESCRIBE (sent once).
    pub fn describe(&mut self, now: Instant) -> Option<String> {
        if let Some(d) = self.session.described() {
            return Some(describe_words(&d));
        }
        self.session.describe(now);
        None
    }

    /// `setup`: OPTIONS, DESCRIBE and SETUP as needed, then stop in Ready.
    pub fn setup(&mut self, now: Instant) -> Result<(), NotNow> {
        if self.has_session() {
            return Err(NotNow::AlreadySetUp);
        }
        if self.session.is_busy() && self.setup_only {
            return Err(NotNow::SetupOnItsWay);
        }
        self.setup_only = true;
        self.session.play(now);
        if self.session.state() == State::Described {
            // Already described: SETUP is now queued; make it the last step.
            self.session.describe(now);
        }
        Ok(())
    }

    /// `play`: PLAY a session that is set up (the lab's order).
    pub fn play(&mut self, now: Instant) -> Result<(), NotNow> {
        match self.session.state() {
            State::Init | State::Described => Err(NotNow::NoSession),
            State::Playing | State::Recording => Err(NotNow::AlreadyPlaying),
            State::Ready => {
                self.setup_only = false;
                self.play_or_start(now);
                Ok(())
            }
        }
    }

    /// `--play`: everything up to PLAY at once.
    pub fn play_now(&mut self, now: Instant) {
        self.setup_only = false;
        self.play_or_start(now);
    }

    /// `seek SECS`: PLAY from `at` (`Range: npt=SECS-`, RFC 2326 §12.29);
    /// a playing session is paused first (the core's `play_from`).
    pub fn seek(&mut self, now: Instant, at: std::time::Duration) -> Result<(), NotNow> {
        if !self.has_session() {
            return Err(NotNow::NoSession);
        }
        self.setup_only = false;
        self.start_pending = None;
        self.session.play_from(now, duration(at));
        Ok(())
    }

    /// PLAY, from `--start` the first time.
    fn play_or_start(&mut self, now: Instant) {
        match self.start_pending.take() {
            Some(at) => self.session.play_from(now, at),
            None => self.session.play(now),
        }
    }

    /// `pause`: PAUSE a playing session.
    pub fn pause(&mut self, now: Instant) -> Result<(), NotNow> {
        match self.session.state() {
            State::Init | State::Described => Err(NotNow::NoSession),
            State::Ready | State::Recording => Err(NotNow::NotPlaying),
            State::Playing => self.session.pause(now).map_err(NotNow::Session),
        }
    }

    /// `teardown`: TEARDOWN the session.
    pub fn teardown(&mut self, now: Instant) -> Result<(), NotNow> {
        if !self.has_session() {
            return Err(NotNow::NothingToTearDown);
        }
        self.session.teardown(now);
        Ok(())
    }

    /// Bytes from the RTSP connection (see the core's `handle_input`).
    pub fn handle_input<'a>(
        &mut self,
        now: Instant,
        input: &'a [u8],
    ) -> Result<Received<'a>, Error> {
        self.session
            .handle_input(now, input)
            .map_err(Error::NotRtsp)
    }

    /// An RTCP packet from the server (sender reports, BYE).
    pub fn handle_rtcp(&mut self, now: Instant, packet: &[u8]) {
        self.session.handle_rtcp(now, packet);
    }

    /// Keep-alive and receiver-report timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.session.poll_timeout().is_some_and(|t| t <= now) {
            self.session.handle_timeout(now);
        }
    }

    /// The next time [`Control::handle_timeout`] has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.session.poll_timeout()
    }

    /// The next message to send, written into `buf`.
    pub fn poll_transmit<R: Reception>(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        reception: &mut R,
    ) -> Result<Option<Transmit>, Error> {
        let Some(t) = self
            .session
            .poll_transmit(now, buf, reception)
            .map_err(Error::Session)?
        else {
            return Ok(None);
        };
        Ok(Some(match t.destination {
            Destination::Rtsp => {
                if self.session.in_flight() == Some(client::Request::KeepAlive) {
                    self.keepalives += 1;
                }
                Transmit::Rtsp(t.len)
            }
            Destination::Rtcp { port } => {
                self.rr_sent += 1;
                Transmit::Rtcp { len: t.len, port }
            }
            Destination::Interleaved { .. } => {
                self.rr_sent += 1;
                Transmit::Interleaved(t.len)
            }
        }))
    }

    /// The next event, in the player's terms.
    pub fn poll_event(&mut self, now: Instant) -> Option<Event> {
        if let Some(e) = self.queue.pop_front() {
            return Some(e);
        }
        let ev = self.translate(now)?;
        if let Some(e) = self.queue.pop_front() {
            self.queue.push_back(ev);
            return Some(e);
        }
        Some(ev)
    }

    /// One core event in the player's terms; an answer in plain words, if
    /// any, is queued to come first.
    fn translate(&mut self, now: Instant) -> Option<Event> {
        let ev = self.session.poll_event()?;
        let ok = |what: &str| format!("server: 200 OK to {what}: {}", crate::words::meaning(200));
        Some(match ev {
            client::Event::Described => {
                let d = self.session.described();
                if self.setup_only {
                    // SETUP is queued; make it the last step.
                    self.session.describe(now);
                }
                let mut text = ok("DESCRIBE");
                if !self.announced_public {
                    self.announced_public = true;
                    text = format!("{}; the server supports {}", text, self.session.public());
                }
                if let Some(d) = d {
                    text = format!("{text}; {}", describe_words(&d));
                    self.pending_answer(text);
                    return Some(Event::Described {
                        size: d.size,
                        payload_type: d.payload_type,
                    });
                }
                Event::Answer(text)
            }
            client::Event::SetUp {
                transport,
                timeout_secs,
            } => {
                let how = match transport {
                    MediaTransport::Interleaved { channels } => {
                        format!("RTP interleaved on the RTSP connection, channels {channels}")
                    }
                    MediaTransport::Udp { server, .. } => {
                        format!("RTP over UDP from server ports {server}")
                    }
                };
                let id = self.session.session_id().unwrap_or("?").to_string();
                self.pending_answer(format!(
                    "{}; session {id}, {how}, timeout {timeout_secs} s",
                    ok("SETUP")
                ));
                Event::SetUp
            }
            client::Event::Playing { seq, rtptime, .. } => {
                let from = seq
                    .map(|s| format!(" from sequence number {}", s.0))
                    .unwrap_or_default();
                self.pending_answer(format!("{}; playing{from}", ok("PLAY")));
                Event::Playing { rtptime }
            }
            client::Event::Paused => {
                self.pending_answer(format!("{}; paused", ok("PAUSE")));
                Event::Paused
            }
            client::Event::TornDown => {
                self.setup_only = false;
                self.pending_answer(format!("{}; session closed", ok("TEARDOWN")));
                Event::TornDown
            }
            client::Event::Error {
                request,
                status,
                auth,
            } => {
                self.setup_only = false;
                Event::Failed(match auth {
                    Some(why) => Refusal::Auth {
                        url: self.url.clone(),
                        status,
                        why,
                    },
                    None => Refusal::Status { request, status },
                })
            }
            client::Event::NotJpeg => {
                self.setup_only = false;
                Event::Failed(Refusal::NotMjpeg(self.session.described()))
            }
            client::Event::ServerBye => Event::Bye,
            // The player never records (see `publish`).
            client::Event::Recording => Event::Answer(ok("RECORD")),
        })
    }

    /// Answers are printed before the event they go with.
    fn pending_answer(&mut self, text: String) {
        self.queue.push_back(Event::Answer(text));
    }
}

/// A std duration as the core's (microseconds; a position past u64
/// microseconds, 584,000 years, is clamped).
pub fn duration(d: std::time::Duration) -> Duration {
    Duration::from_micros(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

fn new_session(
    url: &str,
    how: Setup,
    credentials: Option<&Credentials>,
) -> Result<AuthClientSession, Error> {
    let ssrc = rtp::Ssrc(random_ssrc());
    let config = Config {
        transport: how,
        user_agent: USER_AGENT,
        ssrc,
        ..Config::default()
    };
    let mut session = AuthClientSession::with_auth(config, url).map_err(|source| Error::Url {
        url: url.into(),
        source,
    })?;
    if let Some(c) = credentials {
        session
            .set_credentials(&c.user, &c.password)
            .map_err(|source| Error::Credentials {
                url: url.into(),
                source,
            })?;
    }
    Ok(session)
}

/// Our SSRC (and a publisher's sequence and timestamp origins): random
/// per RFC 3550 §8.1 (std's hasher is seeded randomly per process).
pub(crate) fn random_ssrc() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish() as u32
}

fn describe_words(d: &client::Described) -> String {
    let mut s = format!("stream: payload type {}", d.payload_type);
    if d.payload_type == rtsp_core::jpeg::PAYLOAD_TYPE {
        s = "stream: JPEG (payload type 26)".into();
    }
    if let Some(f) = d.framerate {
        s += &format!(", {} fps", f.num as f64 / f.den.max(1) as f64);
    }
    if let Some((w, h)) = d.size {
        s += &format!(", {w}x{h}");
    }
    s
}

/// Why a command cannot be carried out in the session's state (RFC 2326
/// A.1); the prompt prints it after `cannot <command>:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotNow {
    /// No SETUP yet (Init).
    NoSession,
    /// SETUP again while set up.
    AlreadySetUp,
    /// `setup` while its SETUP is in flight.
    SetupOnItsWay,
    /// `play` while playing.
    AlreadyPlaying,
    /// `pause` while not playing.
    NotPlaying,
    /// `teardown` without a session.
    NothingToTearDown,
    /// The core refused the goal.
    Session(rtsp_core::session::Error),
}

impl std::fmt::Display for NotNow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotNow::NoSession => f.write_str("no session yet: setup first"),
            NotNow::AlreadySetUp => f.write_str("already set up: teardown first"),
            NotNow::SetupOnItsWay => f.write_str("a SETUP is already on its way"),
            NotNow::AlreadyPlaying => f.write_str("already playing"),
            NotNow::NotPlaying => f.write_str("not playing"),
            NotNow::NothingToTearDown => f.write_str("no session to tear down"),
            NotNow::Session(e) => e.fmt(f),
        }
    }
}
