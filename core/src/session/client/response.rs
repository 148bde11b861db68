//! Responses to the client's requests (RFC 2326 §7, §10).

use super::{sdp, AuthError, ClientSession, Event, Goal, Request, State, Timer};
use crate::rtp::{RtpTimestamp, SeqNo, Ssrc};
use crate::rtsp::header::{self, names, MethodSet, RtpInfoList, Transports};
use crate::rtsp::{Response, StatusCode};
use crate::session::MediaTransport;
use crate::Instant;

impl<const AUTH: usize> ClientSession<AUTH> {
    pub(super) fn on_response(&mut self, now: Instant, resp: &Response<'_, '_>) {
        let Some((cseq, step)) = self.outstanding else {
            return;
        };
        if resp.cseq() != Some(cseq) {
            // A stale or unsolicited response (RFC 2326 §12.17): ignore.
            return;
        }
        self.outstanding = None;
        if let Some(s) = resp.session() {
            if let Some(t) = s.timeout {
                self.timeout_secs = t.max(2);
            }
        }
        let mut auth = None;
        if resp.status == StatusCode::Unauthorized {
            // RFC 2326 §12.44: answer the challenge by sending the same
            // request again, once.
            match self.auth.challenged(resp.headers) {
                Ok(()) => {
                    self.next = Some(step);
                    return;
                }
                Err(why) => auth = Some(why),
            }
        } else {
            self.auth.answered();
        }
        if !resp.status.is_success() {
            self.on_failure(step, resp.status, auth);
        } else {
            match step {
                Request::Options => {
                    self.options_done = true;
                    if let Some(p) = resp
                        .header_str(names::PUBLIC)
                        .and_then(|v| MethodSet::parse(v).ok())
                    {
                        self.public = p;
                    }
                }
                Request::Describe => self.on_describe(resp),
                Request::Setup => self.on_setup(now, resp),
                Request::Play => self.on_play(now, resp),
                Request::Pause => {
                    self.state = State::Ready;
                    self.timers.stop(Timer::Report as usize);
                    self.report_due = false;
                    self.resuming = true;
                    self.push_event(Event::Paused);
                }
                Request::Teardown => self.torn_down(),
                Request::KeepAlive => {}
                // The server has our description (RFC 2326 §10.3).
                Request::Announce => self.state = State::Described,
                Request::Record => {
                    // No receiver reports: we send; the host's Publisher
                    // sends the sender reports (RFC 3550 §6.4.1).
                    self.state = State::Recording;
                    self.push_event(Event::Recording);
                }
            }
        }
        self.advance();
    }

    fn on_failure(&mut self, step: Request, status: StatusCode, auth: Option<AuthError>) {
        if matches!(step, Request::Play | Request::Pause) {
            // The seek failed with its step: the host asks again if it wants.
            self.seek = super::NO_SEEK;
        }
        match step {
            // Servers that do not implement OPTIONS can still DESCRIBE.
            Request::Options => self.options_done = true,
            // A keep-alive method the server refuses: fall back to OPTIONS.
            Request::KeepAlive
                if matches!(
                    status,
                    StatusCode::MethodNotAllowed | StatusCode::NotImplemented
                ) =>
            {
                self.public = MethodSet::EMPTY;
            }
            // The session is gone either way (RFC 2326 §10.7).
            Request::Teardown => self.torn_down(),
            _ => {
                if step == Request::KeepAlive && status == StatusCode::SessionNotFound {
                    self.session.clear();
                    self.state = State::Described.min(self.state);
                    self.timers.stop(Timer::KeepAlive as usize);
                    self.timers.stop(Timer::Report as usize);
                }
                self.goal = Goal::None;
                self.push_event(Event::Error {
                    request: step,
                    status,
                    auth,
                });
            }
        }
    }

    fn on_describe(&mut self, resp: &Response<'_, '_>) {
        if let Some(base) = resp
            .header_str(names::CONTENT_BASE)
            .and_then(|v| header::ContentBase::parse(v).ok())
        {
            if self.urls.set_base(base.0).is_err() {
                self.fail(Request::Describe, StatusCode::RequestUriTooLong);
                return;
            }
        }
        let (described, control) = match sdp::read(resp.body) {
            sdp::Read::Jpeg(described, control) => (described, control),
            sdp::Read::OtherVideo(other) => return self.not_jpeg(Some(other)),
            sdp::Read::NoVideo => return self.not_jpeg(None),
            sdp::Read::Invalid => {
                self.fail(Request::Describe, StatusCode::UnsupportedMediaType);
                return;
            }
        };
        if self.urls.set_control(control).is_err() {
            self.fail(Request::Describe, StatusCode::RequestUriTooLong);
            return;
        }
        self.described = Some(described);
        self.state = State::Described;
        self.push_event(Event::Described);
    }

    /// A description we cannot play: keep what it offers for the host to
    /// name, and give up the goal.
    fn not_jpeg(&mut self, offered: Option<sdp::Described>) {
        self.described = offered;
        self.goal = Goal::None;
        self.seek = super::NO_SEEK;
        self.push_event(Event::NotJpeg);
    }

    fn on_setup(&mut self, now: Instant, resp: &Response<'_, '_>) {
        let Some(session) = resp.session() else {
            self.fail(Request::Setup, StatusCode::SessionNotFound);
            return;
        };
        self.session.clear();
        if self.session.push_str(session.id).is_err() {
            self.fail(Request::Setup, StatusCode::SessionNotFound);
            return;
        }
        let chosen = resp
            .header_str(names::TRANSPORT)
            .and_then(|v| Transports::parse(v).ok());
        let chosen = chosen.as_ref().and_then(|t| t.iter().next().copied());
        let transport = match (self.config.transport, chosen) {
            (super::TransportRequest::Tcp, t) => {
                let channels = t
                    .and_then(|t| t.interleaved)
                    .unwrap_or(header::ChannelPair::new(0, 1));
                MediaTransport::Interleaved {
                    channels: header::ChannelPair::new(channels.rtp, channels.rtcp_channel()),
                }
            }
            (super::TransportRequest::Udp { rtp_port }, t) => {
                let server = t.and_then(|t| t.server_port).unwrap_or(header::PortPair {
                    rtp: 0,
                    rtcp: Some(0),
                });
                MediaTransport::Udp {
                    client: header::PortPair::new(rtp_port, rtp_port.wrapping_add(1)),
                    server: header::PortPair::new(server.rtp, server.rtcp_port()),
                }
            }
        };
        let ssrc = chosen.and_then(|t| t.ssrc).map(Ssrc);
        if ssrc.is_some() {
            self.server_ssrc = ssrc;
        }
        self.transport = Some(transport);
        self.state = State::Ready;
        self.arm_keepalive(now);
        self.push_event(Event::SetUp {
            transport,
            timeout_secs: self.timeout_secs,
        });
    }

    fn on_play(&mut self, now: Instant, resp: &Response<'_, '_>) {
        let info = resp
            .header_str(names::RTP_INFO)
            .and_then(|v| RtpInfoList::parse(v).ok());
        let control = self.urls.control();
        let control = control.rsplit('/').next().unwrap_or(control);
        let info = info.and_then(|l| l.find(control));
        self.state = State::Playing;
        self.seek = super::NO_SEEK;
        self.timers
            .set(Timer::Report as usize, now + self.config.report_interval);
        self.push_event(Event::Playing {
            seq: info.and_then(|i| i.seq).map(SeqNo),
            rtptime: info.and_then(|i| i.rtptime).map(RtpTimestamp),
        });
    }

    fn torn_down(&mut self) {
        self.session.clear();
        self.transport = None;
        let published = self.goal == Goal::Recording || self.state == State::Recording;
        self.state = if !published && self.described.is_some_and(|d| d.is_jpeg()) {
            State::Described
        } else {
            State::Init
        };
        self.timers.stop(Timer::KeepAlive as usize);
        self.timers.stop(Timer::Report as usize);
        self.report_due = false;
        self.resuming = false;
        self.seek = super::NO_SEEK;
        self.goal = Goal::None;
        self.push_event(Event::TornDown);
    }

    fn fail(&mut self, request: Request, status: StatusCode) {
        self.goal = Goal::None;
        self.seek = super::NO_SEEK;
        self.push_event(Event::Error {
            request,
            status,
            auth: None,
        });
    }
}
