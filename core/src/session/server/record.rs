//! Publishers: the server side of ANNOUNCE, SETUP `mode=record` and
//! RECORD (RFC 2326 §10.3, §10.11, §14.6; §A.2 `Recording`).
//!
//! A connection becomes a publisher with an ANNOUNCE of the presentation
//! it is going to send, then sets up its stream with `mode=record` and
//! starts it with RECORD; the host receives its RTP (UDP from
//! [`ServerSession::publisher_source`], or interleaved as
//! [`Step::Rtp`](super::Step::Rtp)) and hands the frames to the path's
//! players.
//!
//! # Decisions
//!
//! * **ANNOUNCE** must carry `Content-Type: application/sdp` (else **415**,
//!   RFC 2326 §11.3.8 names 415 for a media type the server cannot use)
//!   and a body (an empty one is **400**: there is nothing to announce).
//!   The SDP must parse (**400**) and describe a JPEG video stream at
//!   90 kHz (RFC 2435 §3; anything else is **415**). A body larger than
//!   [`RTSP_MAX_BODY`](crate::limits::RTSP_MAX_BODY) never reaches here:
//!   the parser refuses it with 413 and the connection closes. A
//!   `Content-Length` that does not match the body leaves bytes that are
//!   not a request (400, close) or swallows the next request (its SDP no
//!   longer parses, 400).
//! * **The path** is the host's to give ([`Host::publish`]): a path it
//!   does not let anyone publish is **403 Forbidden**; a path another
//!   connection publishes is **455 Method Not Valid in This State**: the
//!   resource's state (it is being recorded) forbids the method now
//!   (RFC 2326 §11.3.7), an RTSP/1.0 code every client reports, where
//!   HTTP's 409 Conflict is not an RTSP status at all; a host that takes
//!   no publishers answers **405** with `Allow:`, as before.
//! * **SETUP** with `mode=record` is valid only after ANNOUNCE on the same
//!   connection (else **455**), on the announced URL or a stream URL below
//!   it (`<announced>/<control>`, whatever the SDP's `a=control` said;
//!   else **404**). UDP RTP then comes from the publisher's `client_port`
//!   pair to the host's `server_port` pair. A publisher's SETUP without
//!   `mode=record` is **455** too: one connection does one thing.
//! * **RECORD** needs the record session (**455** before SETUP, RFC 2326
//!   §A.2) and starts the flow ([`Event::PublishStarted`]).
//! * **The end:** TEARDOWN, expiry (any request, RTCP or RTP from the
//!   publisher is liveness) or the host dropping the connection end the
//!   publisher ([`Event::PublishStopped`]); the server sends the publisher
//!   no RTCP BYE of its own (it never sent it a stream).

use super::reply::{Kind, Reply};
use super::target::target;
use super::{path_hash, Event, Host, ServerSession, State};
use crate::rtcp;
use crate::rtsp::header::{names, ContentType};
use crate::rtsp::Interleaved;
use crate::rtsp::{Request, StatusCode};
use crate::session::client::sdp::{self, Read};
use crate::session::{Error, MediaDestination, MediaTransport, Transmit};
use crate::Instant;

/// The host's answer to an ANNOUNCE ([`Host::publish`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Publish {
    /// The path is this connection's to publish.
    Accept,
    /// Another publisher has the path: 455.
    Busy,
    /// Nobody may publish this path: 403.
    Forbidden,
    /// This host takes no publishers: 405.
    Unsupported,
}

/// What a connection does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) enum Role {
    /// It plays (or has not said yet).
    Player,
    /// ANNOUNCE was accepted: it publishes the path hashed in
    /// `path_hash`.
    Announced,
}

/// The RTP clock rate of RTP/JPEG (RFC 2435 §3).
const JPEG_CLOCK_RATE: u32 = 90_000;

impl ServerSession {
    /// Whether this connection announced a stream (RFC 2326 §10.3).
    pub fn is_publisher(&self) -> bool {
        self.role == Role::Announced
    }

    /// Where the publisher's media comes from once RECORD was answered:
    /// UDP from the publisher's `client_port` pair on its RTSP address
    /// (RTP from any other address or port is not its stream: the host
    /// ignores and counts it), or interleaved channels.
    pub fn publisher_source(&self) -> Option<MediaDestination> {
        if self.state != State::Recording {
            return None;
        }
        self.media_destination()
    }

    /// RTP from the publisher arrived on UDP (checked against
    /// [`publisher_source`](Self::publisher_source)): liveness (RFC 2326
    /// §12.37), as a publisher may send nothing else for minutes.
    pub fn on_rtp_received(&mut self, now: Instant) {
        if self.state == State::Recording {
            self.touch(now);
        }
    }

    /// The live source this session plays ended for good (its publisher
    /// left or timed out): RTCP BYE goes to the player (RFC 3550 §6.6),
    /// which then knows no more frames will come. The session stays until
    /// the player tears it down or it expires.
    pub fn end_stream(&mut self) {
        if self.state == State::Playing && self.transport.is_some() && !self.is_publisher() {
            self.rtcp = super::stream::RtcpQueue::Bye;
        }
    }

    /// Writes a receiver report about the publisher's stream (RFC 3550
    /// §6.4.2: RR with `block`, from the host's reception statistics, and
    /// SDES CNAME) for its RTCP port or channel, so it can see what
    /// arrives. The host sends one every
    /// [`Config::report_interval`](super::Config::report_interval) or so
    /// while RTP flows. `Ok(None)` unless recording.
    pub fn publisher_report(
        &self,
        block: Option<crate::rtcp::ReportBlock>,
        buf: &mut [u8],
    ) -> Result<Option<Transmit>, Error> {
        let (State::Recording, Some(transport)) = (self.state, self.transport) else {
            return Ok(None);
        };
        let ssrc = self.sender.ssrc();
        let rr = rtcp::ReceiverReport {
            ssrc,
            reports: rtcp::ReportBlocks::new(block.as_slice()),
        };
        let sdes = rtcp::Sdes::cname(ssrc, self.config.cname);
        let packets = [rtcp::Packet::Rr(rr), rtcp::Packet::Sdes(sdes)];
        let len = crate::session::write_rtcp(&packets, transport, buf)?;
        Ok(Some(Transmit {
            destination: super::destination_of(transport),
            len,
        }))
    }

    /// The interleaved frame's packet if it is the publisher's RTP.
    pub(super) fn publisher_rtp<'i>(
        &mut self,
        now: Instant,
        frame: &Interleaved<'i>,
    ) -> Option<&'i [u8]> {
        match (self.state, self.transport?) {
            (State::Recording, MediaTransport::Interleaved { channels })
                if channels.rtp == frame.channel =>
            {
                self.touch(now);
                Some(frame.payload)
            }
            _ => None,
        }
    }

    pub(super) fn announce<H: Host>(
        &mut self,
        req: &Request<'_, '_>,
        host: &mut H,
        cseq: u32,
    ) -> Result<Reply, StatusCode> {
        if !host.accepts_publishers() {
            return Err(StatusCode::MethodNotAllowed);
        }
        if self.state != State::Init {
            // This connection plays or already records.
            return Err(StatusCode::MethodNotValidInThisState);
        }
        let t = target(req.uri).ok_or(StatusCode::BadRequest)?;
        let sdp_type = req
            .header_str(names::CONTENT_TYPE)
            .and_then(|v| ContentType::parse(v).ok())
            .is_some_and(|c| c.is_sdp());
        if req.body.is_empty() {
            return Err(StatusCode::BadRequest);
        }
        if !sdp_type {
            return Err(StatusCode::UnsupportedMediaType);
        }
        let stream = match sdp::read(req.body) {
            Read::Jpeg(d, _) if d.clock_rate == JPEG_CLOCK_RATE => d,
            Read::Jpeg(..) | Read::OtherVideo(_) | Read::NoVideo => {
                return Err(StatusCode::UnsupportedMediaType)
            }
            Read::Invalid => return Err(StatusCode::BadRequest),
        };
        if self.role == Role::Announced && path_hash(t.path) == self.path_hash {
            // Announced again (a new description of the same stream).
            return Ok(Reply::new(StatusCode::Ok, cseq, Kind::Plain));
        }
        if self.role == Role::Announced {
            return Err(StatusCode::MethodNotValidInThisState);
        }
        match host.publish(t.path, &stream) {
            Publish::Accept => {}
            Publish::Busy => return Err(StatusCode::MethodNotValidInThisState),
            Publish::Forbidden => return Err(StatusCode::Forbidden),
            Publish::Unsupported => return Err(StatusCode::MethodNotAllowed),
        }
        self.role = Role::Announced;
        self.path_hash = path_hash(t.path);
        Ok(Reply::new(StatusCode::Ok, cseq, Kind::Plain))
    }

    /// Whether a SETUP or RECORD URL names the announced presentation or
    /// a stream below it (`<path>/<control>`, RFC 2326 C.1.1).
    pub(super) fn is_announced_url(&self, uri: &str) -> bool {
        let Some(t) = target(uri) else {
            return false;
        };
        let parent = t.path.rsplit_once('/').map(|(p, _)| p);
        path_hash(t.path) == self.path_hash
            || parent.is_some_and(|p| path_hash(p) == self.path_hash)
    }

    pub(super) fn record(
        &mut self,
        now: Instant,
        req: &Request<'_, '_>,
        cseq: u32,
    ) -> Result<Reply, StatusCode> {
        self.check_session(req)?;
        if self.role != Role::Announced || self.state == State::Playing {
            return Err(StatusCode::MethodNotValidInThisState);
        }
        if !self.is_announced_url(req.uri) {
            return Err(StatusCode::NotFound);
        }
        if self.state != State::Recording {
            self.state = State::Recording;
            self.touch(now);
            self.push_event(Event::PublishStarted);
        }
        Ok(self.with_session(Reply::new(StatusCode::Ok, cseq, Kind::Plain)))
    }
}
