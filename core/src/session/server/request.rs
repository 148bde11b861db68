//! Request handling of the server session (RFC 2326 §10, §A.2).

use super::auth::Verdict;
use super::reply::{Kind, Reply};
use super::target::{target, STREAM_CONTROL};
use super::{
    path_hash, Admission, Event, Host, MediaInfo, MulticastGroup, ServerSession, SessionId, State,
    Timer,
};
use crate::limits::RTSP_URL_MAX;
use crate::rtsp::header::{self, names, ChannelPair, Mode, Profile, Range, Transport, Transports};
use crate::rtsp::{Method, Request, StatusCode, Version};
use crate::session::MediaTransport;
use crate::{rtp, Duration, Instant};

/// The transport the server picked, and how to echo it.
pub(crate) struct Chosen {
    pub transport: MediaTransport,
    pub echo_lower: Option<header::LowerTransport>,
    /// The group, for a multicast transport.
    pub group: Option<MulticastGroup>,
}

impl ServerSession {
    pub(super) fn on_request<H: Host>(
        &mut self,
        now: Instant,
        req: &Request<'_, '_>,
        host: &mut H,
    ) {
        if req.version != Version::RTSP_1_0 {
            // RFC 2326 §7.1, §11.3.14: we speak RTSP/1.0 only (RTSP/2.0,
            // RFC 7826, is not implemented): 505, CSeq echoed if readable.
            self.pending = Some(Reply::error(StatusCode::VersionNotSupported, req.cseq()));
            return;
        }
        let Some(cseq) = req.cseq() else {
            // RFC 2326 §12.17: CSeq is required; without it there is nothing to echo.
            self.pending = Some(Reply::error(StatusCode::BadRequest, None));
            return;
        };
        if let Some(creds) = host.credentials() {
            let verdict = creds.check(req);
            if verdict != Verdict::Allowed {
                // RFC 2326 §11.4.2: no state change, no liveness.
                let mut r = Reply::error(StatusCode::Unauthorized, Some(cseq));
                r.kind = Kind::Unauthorized {
                    nonce: *creds.nonce,
                    basic: creds.basic,
                };
                r.set_url(creds.realm);
                self.pending = Some(r);
                self.push_event(Event::Unauthorized {
                    wrong_credentials: verdict == Verdict::Wrong,
                });
                return;
            }
        }
        self.touch(now);
        let reply = match self.dispatch(now, req, host, cseq) {
            Ok(reply) => reply,
            Err(status) => {
                let mut r = Reply::error(status, Some(cseq));
                if status == StatusCode::MethodNotAllowed {
                    r.kind = Kind::Allow {
                        record: host.accepts_publishers(),
                    };
                }
                r
            }
        };
        self.pending = Some(reply);
    }

    fn dispatch<H: Host>(
        &mut self,
        now: Instant,
        req: &Request<'_, '_>,
        host: &mut H,
        cseq: u32,
    ) -> Result<Reply, StatusCode> {
        if let Some(require) = req.header_str(names::REQUIRE) {
            // RFC 2326 §12.32: we support no option tags.
            let mut r = Reply::error(StatusCode::OptionNotSupported, Some(cseq));
            r.kind = Kind::Unsupported;
            r.set_url(header::trim_str(require));
            return Ok(r);
        }
        match req.method {
            Method::Options => Ok(Reply::new(
                StatusCode::Ok,
                cseq,
                Kind::Options {
                    record: host.accepts_publishers(),
                },
            )),
            Method::Describe => self.describe(req, host, cseq),
            Method::Setup => self.setup(now, req, host, cseq),
            Method::Play => self.play(now, req, cseq),
            Method::Pause => self.pause(now, req, cseq),
            Method::Teardown => self.teardown(req, cseq),
            Method::GetParameter | Method::SetParameter => {
                if req.session().is_some() {
                    self.check_session(req)?;
                }
                if !req.body.iter().all(|b| b.is_ascii_whitespace()) {
                    // We expose no parameters (RFC 2326 §10.8, §11.3.1).
                    return Err(StatusCode::ParameterNotUnderstood);
                }
                Ok(self.with_session(Reply::new(StatusCode::Ok, cseq, Kind::Plain)))
            }
            Method::Announce => self.announce(req, host, cseq),
            Method::Record if host.accepts_publishers() => self.record(now, req, cseq),
            Method::Record | Method::Redirect | Method::PlayNotify => {
                Err(StatusCode::MethodNotAllowed)
            }
            Method::Unknown(_) => Err(StatusCode::NotImplemented),
        }
    }

    pub(super) fn with_session(&self, mut r: Reply) -> Reply {
        r.session = self.id.is_some();
        r
    }

    /// RFC 2326 §12.37: a request on a session names it. A missing header
    /// is tolerated when this connection has a session (there is only one),
    /// and is 455 in `Init` (RFC 2326 §A.2); an unknown id is 454.
    pub(super) fn check_session(&self, req: &Request<'_, '_>) -> Result<SessionId, StatusCode> {
        match (req.header_str(names::SESSION), self.id) {
            (Some(value), Some(id)) => match header::Session::parse(value) {
                Ok(s) if id.matches(s.id) => Ok(id),
                _ => Err(StatusCode::SessionNotFound),
            },
            (Some(_), None) => Err(StatusCode::SessionNotFound),
            (None, Some(id)) => Ok(id),
            (None, None) => Err(StatusCode::MethodNotValidInThisState),
        }
    }

    fn check_path(&self, req: &Request<'_, '_>) -> Result<(), StatusCode> {
        let t = target(req.uri).ok_or(StatusCode::BadRequest)?;
        if path_hash(t.path) == self.path_hash {
            Ok(())
        } else {
            Err(StatusCode::NotFound)
        }
    }

    fn describe<H: Host>(
        &mut self,
        req: &Request<'_, '_>,
        host: &mut H,
        cseq: u32,
    ) -> Result<Reply, StatusCode> {
        let t = target(req.uri).ok_or(StatusCode::BadRequest)?;
        let info = host.media(t.path)?;
        if req.uri.len() + 1 > RTSP_URL_MAX {
            return Err(StatusCode::RequestUriTooLong);
        }
        let mut r = Reply::new(StatusCode::Ok, cseq, Kind::Describe(info));
        r.set_url(req.uri);
        Ok(r)
    }

    fn setup<H: Host>(
        &mut self,
        now: Instant,
        req: &Request<'_, '_>,
        host: &mut H,
        cseq: u32,
    ) -> Result<Reply, StatusCode> {
        // One session per connection: a second SETUP applies to it, with or
        // without its Session header (as check_session tolerates).
        let existing = if self.id.is_some() || req.header_str(names::SESSION).is_some() {
            Some(self.check_session(req)?)
        } else {
            None
        };
        if matches!(self.state, State::Playing | State::Recording) {
            // Changing the transport of a flowing stream is not supported.
            return Err(StatusCode::MethodNotValidInThisState);
        }
        let t = target(req.uri).ok_or(StatusCode::BadRequest)?;
        let value = req
            .header_str(names::TRANSPORT)
            .ok_or(StatusCode::UnsupportedTransport)?;
        let transports = Transports::parse(value).map_err(|_| StatusCode::BadRequest)?;
        let record = self.is_publisher();
        let wants_record = transports.iter().any(|t| t.mode == Some(Mode::Record));
        if wants_record != record && (record || host.accepts_publishers()) {
            // RFC 2326 §10.11: record mode follows an ANNOUNCE on this
            // connection, and a publisher only records (see `record`).
            return Err(StatusCode::MethodNotValidInThisState);
        }
        let info = if record {
            if !self.is_announced_url(req.uri) {
                return Err(StatusCode::NotFound);
            }
            // The publisher's stream: no catalogue entry, no clock.
            MediaInfo {
                width: 0,
                height: 0,
                framerate: crate::session::Framerate::fps(0),
                duration: None,
            }
        } else {
            let info = host.media(t.path)?;
            if !t.stream && !self.config.allow_aggregate_setup {
                return Err(StatusCode::AggregateOperationNotAllowed);
            }
            if existing.is_some() && path_hash(t.path) != self.path_hash {
                return Err(StatusCode::NotFound);
            }
            info
        };
        let offer = if record { None } else { host.multicast(t.path) };
        let chosen = self.choose_transport(&transports, offer)?;
        if existing.is_none() {
            match host.admit(t.path) {
                Admission::Accept => {}
                Admission::NotEnoughBandwidth => return Err(StatusCode::NotEnoughBandwidth),
                Admission::Unavailable => return Err(StatusCode::ServiceUnavailable),
            }
            let id = SessionId(u64::from(host.random_u32()) << 32 | u64::from(host.random_u32()));
            let mut ssrc = rtp::Ssrc(host.random_u32());
            if let Some(g) = chosen.group {
                // Every member of a group shares its stream's SSRC.
                ssrc = g.ssrc;
            }
            let r = host.random_u32();
            let seq = rtp::SeqNo((r & 0xffff) as u16);
            let ts = rtp::RtpTimestamp(host.random_u32());
            self.sender = super::RtpSender::new(ssrc, seq, ts);
            self.id = Some(id);
            if !record {
                self.path_hash = path_hash(t.path);
            }
            self.state = State::Ready;
            self.touch(now);
        }
        if existing.is_some() && (chosen.group.is_some() || self.group.is_some()) {
            // A re-SETUP into or out of a group changes the stream, so its
            // SSRC: the group's, or a fresh one (RFC 3550 §8).
            let ssrc = match chosen.group {
                Some(g) => g.ssrc,
                None => rtp::Ssrc(host.random_u32()),
            };
            if ssrc != self.sender.ssrc() {
                let ts = rtp::RtpTimestamp(host.random_u32());
                self.sender = super::RtpSender::new(ssrc, self.sender.next_sequence(), ts);
            }
        }
        self.duration = info.duration;
        self.clock = super::clock::FrameClock::for_media(&info);
        self.timers.stop(Timer::Frame as usize);
        self.transport = Some(chosen.transport);
        self.group = chosen.group.map(|g| (g.addr.octets(), g.ttl));
        if let Some(id) = self.id {
            self.push_event(Event::SetUp {
                id,
                transport: chosen.transport,
            });
        }
        let r = Reply::new(
            StatusCode::Ok,
            cseq,
            Kind::Setup {
                echo_lower: chosen.echo_lower,
            },
        );
        Ok(self.with_session(r))
    }

    /// Picks the first acceptable alternative (RFC 2326 §12.39).
    fn choose_transport(
        &self,
        transports: &Transports<'_>,
        offer: Option<MulticastGroup>,
    ) -> Result<Chosen, StatusCode> {
        let mut forbidden = false;
        for t in transports.iter() {
            match self.accept_transport(t, offer) {
                Ok(chosen) => return Ok(chosen),
                Err(StatusCode::Forbidden) => forbidden = true,
                Err(_) => {}
            }
        }
        Err(if forbidden {
            StatusCode::Forbidden
        } else {
            StatusCode::UnsupportedTransport
        })
    }

    fn accept_transport(
        &self,
        t: &Transport<'_>,
        offer: Option<MulticastGroup>,
    ) -> Result<Chosen, StatusCode> {
        let unsupported = Err(StatusCode::UnsupportedTransport);
        let mode_ok = match t.mode {
            None | Some(Mode::Play) => !self.is_publisher(),
            Some(Mode::Record) => self.is_publisher(),
            Some(Mode::Unknown(_)) => false,
        };
        if t.profile != Profile::Avp || !mode_ok {
            return unsupported;
        }
        if t.is_multicast() {
            // RFC 2326 §12.39: multicast is UDP only, to the host's group.
            let Some(group) = offer.filter(|_| !t.is_tcp()) else {
                return unsupported;
            };
            group.admits(t)?;
            let ports = group.port_pair();
            return Ok(Chosen {
                transport: MediaTransport::Udp {
                    client: ports,
                    server: self.config.server_ports.unwrap_or(ports),
                },
                echo_lower: t.lower,
                group: Some(group),
            });
        }
        if let Some(dest) = t.destination {
            // Media only to the RTSP peer (DESIGN.md; RFC 7826 §18.54 403).
            match dest.parse::<core::net::IpAddr>() {
                Ok(ip) if ip == self.peer => {}
                _ => return Err(StatusCode::Forbidden),
            }
        }
        if t.is_tcp() {
            // Missing `interleaved=`: assign 0-1 (RFC 2326 §10.12 lets the
            // server choose).
            let channels = t.interleaved.unwrap_or(ChannelPair::new(0, 1));
            let channels = ChannelPair::new(channels.rtp, channels.rtcp_channel());
            return Ok(Chosen {
                transport: MediaTransport::Interleaved { channels },
                echo_lower: t.lower,
                group: None,
            });
        }
        match (t.client_port, self.config.server_ports) {
            (Some(client), Some(server)) if client.rtp != 0 => {
                let client = header::PortPair::new(client.rtp, client.rtcp_port());
                let server = header::PortPair::new(server.rtp, server.rtcp_port());
                Ok(Chosen {
                    transport: MediaTransport::Udp { client, server },
                    echo_lower: t.lower,
                    group: None,
                })
            }
            _ => unsupported,
        }
    }

    fn play(
        &mut self,
        now: Instant,
        req: &Request<'_, '_>,
        cseq: u32,
    ) -> Result<Reply, StatusCode> {
        self.check_session(req)?;
        if self.is_publisher() {
            // A publisher's session records; it has nothing to play.
            return Err(StatusCode::MethodNotValidInThisState);
        }
        self.check_path(req)?;
        let duration = self.duration;
        let start = match req.header_str(names::RANGE).map(Range::parse) {
            None => None,
            Some(Ok(Range::Npt { start, .. })) => match start {
                Some(header::NptTime::At(t)) => Some(t),
                Some(header::NptTime::Now) | None => None,
            },
            Some(Ok(Range::Other(_))) | Some(Err(_)) => return Err(StatusCode::InvalidRange),
        };
        // A live source has no positions: ignore a start, as live555 does.
        let start = if duration.is_some() { start } else { None };
        if let (Some(s), Some(d)) = (start, duration) {
            if s > d {
                return Err(StatusCode::InvalidRange);
            }
        }
        let (seq, rtptime) = self.sender.play(now, start);
        let was_running = self.state == State::Playing && self.clock.is_running();
        if self.clock.play(start) && (!was_running || start.is_some()) {
            // The first frame after PLAY is due at once (a host may move
            // it to its phase with `schedule_frames`).
            self.timers.set(Timer::Frame as usize, now);
        }
        self.state = State::Playing;
        let first_report = now + self.config.report_interval.min(Duration::from_secs(1));
        self.timers.set(Timer::Report as usize, first_report);
        self.push_event(Event::Playing { start });
        let stream = target(req.uri).is_some_and(|t| t.stream);
        // RFC 2326 §12.34: we play at normal speed only; a request for
        // another scale is served at 1 and the response says so.
        let scale = req.header_str(names::SCALE).is_some();
        let mut r = Reply::new(
            StatusCode::Ok,
            cseq,
            Kind::Play {
                seq,
                rtptime,
                start,
                stream,
                scale,
            },
        );
        if req.uri.len() + 1 + STREAM_CONTROL.len() > RTSP_URL_MAX {
            return Err(StatusCode::RequestUriTooLong);
        }
        r.set_url(req.uri);
        Ok(self.with_session(r))
    }

    fn pause(
        &mut self,
        now: Instant,
        req: &Request<'_, '_>,
        cseq: u32,
    ) -> Result<Reply, StatusCode> {
        self.check_session(req)?;
        self.check_path(req)?;
        if self.state == State::Playing {
            self.sender.pause(now);
            self.state = State::Ready;
            self.clock.stop();
            self.timers.stop(Timer::Frame as usize);
            self.timers.stop(Timer::Report as usize);
            self.push_event(Event::Paused);
        }
        Ok(self.with_session(Reply::new(StatusCode::Ok, cseq, Kind::Plain)))
    }

    fn teardown(&mut self, req: &Request<'_, '_>, cseq: u32) -> Result<Reply, StatusCode> {
        if self.id.is_none() && req.header_str(names::SESSION).is_none() {
            // RFC 2326 §A.2: TEARDOWN in Init stays in Init (an
            // announced path is given up).
            self.end_session();
            return Ok(Reply::new(StatusCode::Ok, cseq, Kind::Plain));
        }
        self.check_session(req)?;
        if self.transport.is_some() && !self.is_publisher() {
            self.rtcp = super::stream::RtcpQueue::Bye;
        }
        self.end_session();
        self.push_event(Event::TornDown);
        Ok(Reply::new(StatusCode::Ok, cseq, Kind::Plain))
    }
}
