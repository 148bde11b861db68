//! The RTSP dialogue as the player sees it (RFC 2326 §10, Appendix A):
//! commands in, requests and RTCP out, events back.
//!
//! Requests are written and responses read with `rtsp_core::rtsp`
//! (MessageWriter, parse, typed headers). The player calls, in each turn,
//! `handle_*` for its input, then drains [`Control::poll_transmit`] and
//! [`Control::poll_event`] and sleeps until [`Control::poll_timeout`].
//!
//! State (RFC 2326 Appendix A.1, client): Init → (SETUP) → Ready →
//! (PLAY) → Playing → (PAUSE) → Ready; TEARDOWN → Init.

mod rr;
mod sdp;
mod words;

use std::collections::VecDeque;
use std::fmt::Write as _;

use rtsp_core::rtsp::header::{names, ChannelPair, MethodSet, PortPair, Transport, Transports};
use rtsp_core::rtsp::{MessageWriter, Method, Request, Response, SliceSink};
use rtsp_core::{Duration, Instant};

pub use sdp::Described;

/// How SETUP asks for the media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// RTP/AVP over UDP to our `rtp_port` (RTCP on the next port).
    Udp {
        /// Our even RTP port.
        rtp_port: u16,
    },
    /// RTP/AVP/TCP interleaved on the RTSP connection (RFC 2326 §10.12).
    Tcp,
}

/// Something to send: an RTSP message on the connection or an RTCP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transmit {
    /// `n` bytes of RTSP for the TCP connection.
    Rtsp(usize),
    /// `n` bytes of RTCP for the server's RTCP port or channel.
    Rtcp(usize),
}

/// What an interleaved channel carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// RTP packets.
    Rtp,
    /// RTCP packets.
    Rtcp,
}

/// What happened, for the player to show or act on.
#[derive(Debug, Clone)]
pub enum Event {
    /// A server answer, in plain words.
    Answer(String),
    /// DESCRIBE answered with an SDP we read.
    Described(Described),
    /// SETUP accepted.
    SetUp,
    /// PLAY accepted.
    Playing,
    /// PAUSE accepted.
    Paused,
    /// TEARDOWN answered (or the session is gone).
    TornDown,
    /// A request was refused; the text says why.
    Failed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Init,
    Ready,
    Playing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Req {
    Options,
    Describe,
    Setup,
    Play,
    Pause,
    Teardown,
    KeepAlive,
}

/// Negotiated media transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    Udp { server: Option<PortPair> },
    Tcp { channels: ChannelPair },
}

/// The client side of one RTSP session.
#[derive(Debug)]
pub struct Control {
    base: String,
    cseq: u32,
    state: State,
    session: Option<String>,
    timeout: Duration,
    public: Option<MethodSet>,
    described: Option<Described>,
    media: Option<Media>,
    in_flight: VecDeque<(u32, Req)>,
    out: VecDeque<(bool, Vec<u8>)>,
    events: VecDeque<Event>,
    keepalive_at: Option<Instant>,
    pending_setup: bool,
    played_once: bool,
    closed: bool,
    rr_sent: u64,
    keepalives: u64,
}

impl Control {
    /// A session for the presentation at `url`.
    pub fn new(url: &str) -> Control {
        Control {
            base: url.to_string(),
            cseq: 0,
            state: State::Init,
            session: None,
            timeout: Duration::from_secs(60),
            public: None,
            described: None,
            media: None,
            in_flight: VecDeque::new(),
            out: VecDeque::new(),
            events: VecDeque::new(),
            keepalive_at: None,
            pending_setup: false,
            played_once: false,
            closed: false,
            rr_sent: 0,
            keepalives: 0,
        }
    }

    /// Back to Init for a new SETUP on the same connection (the TCP fallback).
    pub fn reset(&mut self) {
        self.state = State::Init;
        self.session = None;
        self.media = None;
        self.keepalive_at = None;
        self.played_once = false;
        self.closed = false;
    }

    /// The state, in the words of RFC 2326 Appendix A.
    pub fn state_name(&self) -> &'static str {
        match self.state {
            State::Init => "Init",
            State::Ready => "Ready",
            State::Playing => "Playing",
        }
    }

    /// Whether PLAY was accepted and no PAUSE/TEARDOWN since.
    pub fn is_playing(&self) -> bool {
        self.state == State::Playing
    }

    /// Whether a session exists (SETUP accepted, no TEARDOWN yet).
    pub fn has_session(&self) -> bool {
        self.session.is_some()
    }

    /// Whether TEARDOWN was answered.
    pub fn is_closed(&self) -> bool {
        self.closed
            || (self.session.is_none() && !self.in_flight.iter().any(|r| r.1 == Req::Teardown))
    }

    /// Whether the SDP is known.
    pub fn has_description(&self) -> bool {
        self.described.is_some()
    }

    /// Remember to SETUP as soon as DESCRIBE is answered.
    pub fn set_pending_setup(&mut self, on: bool) {
        self.pending_setup = on;
    }

    /// Takes the pending-SETUP flag.
    pub fn take_pending_setup(&mut self) -> bool {
        std::mem::take(&mut self.pending_setup)
    }

    /// The interleaved channel for RTCP, when media is on TCP.
    pub fn interleaved_rtcp_channel(&self) -> Option<u8> {
        match self.media {
            Some(Media::Tcp { channels }) => Some(channels.rtcp_channel()),
            _ => None,
        }
    }

    /// The server's RTCP port, when media is on UDP.
    pub fn server_rtcp_port(&self) -> Option<u16> {
        match self.media {
            Some(Media::Udp { server: Some(p) }) => Some(p.rtcp_port()),
            _ => None,
        }
    }

    /// What an interleaved channel carries.
    pub fn channel_kind(&self, ch: u8) -> Option<TransportKind> {
        match self.media {
            Some(Media::Tcp { channels }) if ch == channels.rtp => Some(TransportKind::Rtp),
            Some(Media::Tcp { channels }) if ch == channels.rtcp_channel() => {
                Some(TransportKind::Rtcp)
            }
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

    fn busy_with(&self, r: Req) -> bool {
        self.in_flight.iter().any(|(_, x)| *x == r)
    }

    /// OPTIONS (RFC 2326 §10.1).
    pub fn options(&mut self, now: Instant) -> Result<(), String> {
        self.send(now, Method::Options, Req::Options, |_| {})
    }

    /// DESCRIBE (RFC 2326 §10.2); OPTIONS first if `Public:` is unknown, to
    /// choose the keep-alive.
    pub fn describe(&mut self, now: Instant) -> Result<(), String> {
        if self.public.is_none() && !self.busy_with(Req::Options) {
            self.options(now)?;
        }
        self.send(now, Method::Describe, Req::Describe, |w| {
            w.header("Accept", "application/sdp");
        })
    }

    /// SETUP (RFC 2326 §10.4) with the given transport.
    pub fn setup(&mut self, now: Instant, how: Setup) -> Result<(), String> {
        if self.state != State::Init {
            return Err("already set up: teardown first".into());
        }
        if self.busy_with(Req::Setup) {
            return Err("a SETUP is already waiting for its answer".into());
        }
        let mut t = Transport::rtp_avp();
        t.cast = Some(rtsp_core::rtsp::header::Cast::Unicast);
        match how {
            Setup::Udp { rtp_port } => {
                t.client_port = Some(PortPair::new(rtp_port, rtp_port.wrapping_add(1)))
            }
            Setup::Tcp => {
                t.lower = Some(rtsp_core::rtsp::header::LowerTransport::Tcp);
                t.interleaved = Some(ChannelPair::new(0, 1));
            }
        }
        let transport = t.to_string();
        let uri = self.media_url();
        self.send_to(now, Method::Setup, Req::Setup, &uri, |w| {
            w.header(names::TRANSPORT, &transport);
        })
    }

    /// PLAY (RFC 2326 §10.5).
    pub fn play(&mut self, now: Instant) -> Result<(), String> {
        match self.state {
            State::Init => return Err("no session yet: setup first".into()),
            State::Playing => return Err("already playing".into()),
            State::Ready => {}
        }
        let first = !self.played_once;
        self.send(now, Method::Play, Req::Play, |w| {
            if first {
                w.header(names::RANGE, "npt=0.000-");
            }
        })
    }

    /// PAUSE (RFC 2326 §10.6).
    pub fn pause(&mut self, now: Instant) -> Result<(), String> {
        match self.state {
            State::Init => Err("no session yet: setup first".into()),
            State::Ready => Err("not playing".into()),
            State::Playing => self.send(now, Method::Pause, Req::Pause, |_| {}),
        }
    }

    /// TEARDOWN (RFC 2326 §10.7).
    pub fn teardown(&mut self, now: Instant) -> Result<(), String> {
        if self.session.is_none() {
            return Err("no session to tear down".into());
        }
        self.send(now, Method::Teardown, Req::Teardown, |_| {})
    }

    /// Writes a request for the aggregate URL with CSeq and Session.
    fn send(
        &mut self,
        now: Instant,
        method: Method<'_>,
        req: Req,
        extra: impl FnOnce(&mut MessageWriter<SliceSink<'_>>),
    ) -> Result<(), String> {
        let uri = self.base.clone();
        self.send_to(now, method, req, &uri, extra)
    }

    fn send_to(
        &mut self,
        now: Instant,
        method: Method<'_>,
        req: Req,
        uri: &str,
        extra: impl FnOnce(&mut MessageWriter<SliceSink<'_>>),
    ) -> Result<(), String> {
        self.cseq += 1;
        let mut buf = vec![0u8; rtsp_core::limits::RTSP_MAX_MESSAGE];
        let mut w = MessageWriter::request(SliceSink::new(&mut buf), method, uri);
        w.header(names::CSEQ, self.cseq);
        w.header(
            names::USER_AGENT,
            concat!("rtsp-client/", env!("CARGO_PKG_VERSION")),
        );
        if let Some(s) = &self.session {
            w.header(names::SESSION, s);
        }
        extra(&mut w);
        let n = w.finish(b"").map_err(|e| e.to_string())?;
        buf.truncate(n);
        self.out.push_back((true, buf));
        self.in_flight.push_back((self.cseq, req));
        self.rearm_keepalive(now);
        Ok(())
    }

    /// Any request counts as liveness (RFC 2326 §12.37), so the keep-alive
    /// timer restarts with each one.
    fn rearm_keepalive(&mut self, now: Instant) {
        if self.session.is_some() {
            self.keepalive_at = Some(now + Duration::from_micros(self.timeout.as_micros() / 2));
        }
    }

    /// SETUP's URL: the SDP media `a=control` resolved against the base.
    fn media_url(&self) -> String {
        match self.described.as_ref().and_then(|d| d.control.as_deref()) {
            None | Some("*") | Some("") => self.base.clone(),
            Some(c) if c.contains("://") => c.to_string(),
            Some(c) => {
                let mut u = self.base.trim_end_matches('/').to_string();
                let _ = write!(u, "/{}", c.trim_start_matches('/'));
                u
            }
        }
    }

    /// A response from the server.
    pub fn handle_response(&mut self, now: Instant, r: &Response<'_, '_>) {
        let cseq = r.cseq();
        let pos = self.in_flight.iter().position(|(c, _)| Some(*c) == cseq);
        let Some(pos) = pos.or(if cseq.is_none() && !self.in_flight.is_empty() {
            Some(0)
        } else {
            None
        }) else {
            return;
        };
        let Some((_, req)) = self.in_flight.remove(pos) else {
            return;
        };
        let code = r.status.as_u16();
        let ok = r.status.is_success();
        let what = req_name(req);
        let answer = format!(
            "server: {code} {} to {what}: {}",
            r.reason,
            words::meaning(code)
        );
        if !ok {
            if req == Req::KeepAlive {
                return;
            }
            if req == Req::Teardown {
                self.closed = true;
                self.session = None;
                self.state = State::Init;
                self.events.push_back(Event::TornDown);
            }
            self.events.push_back(Event::Failed(answer));
            return;
        }
        if let Some(s) = r.session() {
            self.session = Some(s.id.to_string());
            if let Some(t) = s.timeout {
                self.timeout = Duration::from_secs(u64::from(t.max(2)));
            }
        }
        match req {
            Req::KeepAlive => return,
            Req::Options => {
                self.public = Some(
                    r.header_str(names::PUBLIC)
                        .and_then(|p| MethodSet::parse(p).ok())
                        .unwrap_or_default(),
                );
                let public = r.header_str(names::PUBLIC).unwrap_or("(none)");
                self.events.push_back(Event::Answer(format!(
                    "{answer}; the server supports {public}"
                )));
            }
            Req::Describe => {
                if let Some(b) = r.header_str(names::CONTENT_BASE) {
                    self.base = b.trim().to_string();
                }
                match sdp::describe(r.body) {
                    Ok(d) => {
                        self.events
                            .push_back(Event::Answer(format!("{answer}; {}", d.summary())));
                        self.described = Some(d.clone());
                        self.events.push_back(Event::Described(d));
                    }
                    Err(e) => self
                        .events
                        .push_back(Event::Failed(format!("{answer}, but {e}"))),
                }
            }
            Req::Setup => {
                self.media = transport_of(r);
                self.state = State::Ready;
                let how = match self.media {
                    Some(Media::Tcp { channels }) => {
                        format!("RTP interleaved on the RTSP connection, channels {channels}")
                    }
                    Some(Media::Udp { server: Some(p) }) => {
                        format!("RTP over UDP from server ports {p}")
                    }
                    _ => "RTP over UDP".to_string(),
                };
                let id = self.session.clone().unwrap_or_default();
                self.events.push_back(Event::Answer(format!(
                    "{answer}; session {id}, {how}, timeout {} s",
                    self.timeout.as_secs()
                )));
                self.events.push_back(Event::SetUp);
            }
            Req::Play => {
                self.state = State::Playing;
                self.played_once = true;
                self.events
                    .push_back(Event::Answer(format!("{answer}; playing")));
                self.events.push_back(Event::Playing);
            }
            Req::Pause => {
                self.state = State::Ready;
                self.events
                    .push_back(Event::Answer(format!("{answer}; paused")));
                self.events.push_back(Event::Paused);
            }
            Req::Teardown => {
                self.state = State::Init;
                self.session = None;
                self.closed = true;
                self.keepalive_at = None;
                self.events
                    .push_back(Event::Answer(format!("{answer}; session closed")));
                self.events.push_back(Event::TornDown);
            }
        }
        self.rearm_keepalive(now);
    }

    /// A request from the server (RFC 2326 §10: servers may send OPTIONS,
    /// ANNOUNCE, GET_PARAMETER...): answered 501 unless it is OPTIONS.
    pub fn handle_request(&mut self, _now: Instant, r: &Request<'_, '_>) {
        let mut buf = vec![0u8; 512];
        let status = if r.method == Method::Options {
            rtsp_core::rtsp::StatusCode::from_u16(200)
        } else {
            rtsp_core::rtsp::StatusCode::from_u16(501)
        };
        let mut w = MessageWriter::response(SliceSink::new(&mut buf), status);
        if let Some(c) = r.cseq() {
            w.header(names::CSEQ, c);
        }
        if let Ok(n) = w.finish(b"") {
            buf.truncate(n);
            self.out.push_back((true, buf));
        }
    }

    /// Fires the keep-alive when due: GET_PARAMETER if the server lists it
    /// in `Public:`, else OPTIONS (as VLC and ffmpeg choose).
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(at) = self.keepalive_at else { return };
        if now < at || self.session.is_none() {
            return;
        }
        let get = self
            .public
            .is_some_and(|p| p.contains(Method::GetParameter));
        let method = if get {
            Method::GetParameter
        } else {
            Method::Options
        };
        if self.send(now, method, Req::KeepAlive, |_| {}).is_ok() {
            self.keepalives += 1;
        }
    }

    /// The next time [`Control::handle_timeout`] has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.keepalive_at
    }

    /// The next message to send, written into `buf`.
    pub fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let (rtsp, msg) = self.out.pop_front()?;
        let n = msg.len().min(buf.len());
        buf[..n].copy_from_slice(&msg[..n]);
        Some(if rtsp {
            Transmit::Rtsp(n)
        } else {
            Transmit::Rtcp(n)
        })
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Queues an RTCP receiver report (RFC 3550 §6.4.2).
    pub fn send_receiver_report(
        &mut self,
        now: Instant,
        stats: &crate::metrics::ReceiverStats,
        ssrc: Option<rtsp_core::rtp::Ssrc>,
        last_sr: Option<(u32, u64)>,
    ) {
        if let Some(pkt) = rr::build(now, stats, ssrc, last_sr) {
            self.out.push_back((false, pkt));
            self.rr_sent += 1;
        }
    }
}

fn req_name(r: Req) -> &'static str {
    match r {
        Req::Options => "OPTIONS",
        Req::Describe => "DESCRIBE",
        Req::Setup => "SETUP",
        Req::Play => "PLAY",
        Req::Pause => "PAUSE",
        Req::Teardown => "TEARDOWN",
        Req::KeepAlive => "keep-alive",
    }
}

/// The transport the server chose (RFC 2326 §12.39: one spec in the reply).
fn transport_of(r: &Response<'_, '_>) -> Option<Media> {
    let value = r.header_str(names::TRANSPORT)?;
    let ts = Transports::parse(value).ok()?;
    let t = ts.iter().next()?;
    Some(if t.is_tcp() {
        Media::Tcp {
            channels: t.interleaved.unwrap_or(ChannelPair::new(0, 1)),
        }
    } else {
        Media::Udp {
            server: t.server_port,
        }
    })
}
