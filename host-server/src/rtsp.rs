//! RTSP requests on a connection (RFC 2326 §10): parsed with
//! `rtsp_core::rtsp::parse`, answered with `rtsp_core::rtsp::MessageWriter`
//! and the core's typed headers, with the status codes of DESIGN.md.
//!
//! State per RFC 2326 Appendix A: no session (Init), a session after SETUP
//! (Ready), playing after PLAY (Playing); PAUSE goes back to Ready.

use std::net::{IpAddr, SocketAddr};

use rtsp_core::rtsp::header::{self, names, Range, RtpInfo, Transports};
use rtsp_core::rtsp::{
    self, Header, Message, MessageWriter, Method, Request, SliceSink, StatusCode,
};
use rtsp_core::{limits, rtcp, Instant};

use crate::media::{url_path, Source};
use crate::server::Server;
use crate::session::{Playback, Session};
use crate::stream::Dest;

/// Methods we answer (RFC 2326 §12.28 `Public`); GET_PARAMETER must be
/// listed or VLC sends no keep-alive (DESIGN.md).
const PUBLIC: &str =
    "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER";
/// `Server:` header (RFC 2326 §12.36).
const SERVER: &str = concat!("rtsp-server/", env!("CARGO_PKG_VERSION"));
/// Room for one response (headers and SDP).
const RESPONSE_MAX: usize = limits::RTSP_MAX_MESSAGE;

/// A response being built: status, extra headers, body.
struct Reply {
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    content_type: Option<&'static str>,
    close: bool,
}

impl Reply {
    fn new(status: StatusCode) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            content_type: None,
            close: false,
        }
    }

    fn header(mut self, name: &'static str, value: impl std::fmt::Display) -> Reply {
        self.headers.push((name, value.to_string()));
        self
    }

    fn text(mut self, why: &str) -> Reply {
        self.body = format!("{why}\r\n").into_bytes();
        self.content_type = Some("text/plain");
        self
    }
}

impl Server {
    /// Parses and answers every whole message buffered on connection `idx`.
    pub fn handle_input(&mut self, idx: usize, now: Instant) {
        // Take the buffer out so requests can borrow it while the server
        // changes (an empty Box does not allocate).
        let Some(c) = self.conns.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        let input = std::mem::take(&mut c.input);
        let mut len = c.input_len;
        let mut start = 0;
        loop {
            let mut headers = [Header::EMPTY; limits::RTSP_MAX_HEADERS];
            match rtsp::parse(&input[start..len], &mut headers) {
                Ok(rtsp::Status::Partial) => {
                    if len - start == input.len() {
                        self.reply(
                            idx,
                            None,
                            Reply::new(StatusCode::RequestEntityTooLarge).text("request too large"),
                            true,
                        );
                        start = len;
                    }
                    break;
                }
                Ok(rtsp::Status::Complete((msg, used))) => {
                    match msg {
                        Message::Request(req) => self.on_request(idx, &req, now),
                        Message::Interleaved(f) => {
                            self.on_interleaved(idx, f.channel, f.payload, now)
                        }
                        Message::Response(_) => {}
                    }
                    start += used;
                }
                Err(e) => {
                    let cseq = find_cseq(&input[start..len]);
                    let peer = self.conns[idx].as_ref().map(|c| c.peer);
                    tracing::info!("{}: malformed request: {e} -> 400", fmt_peer(peer));
                    let status = match e {
                        rtsp::Error::BodyTooLarge { .. } => StatusCode::RequestEntityTooLarge,
                        rtsp::Error::Version => StatusCode::VersionNotSupported,
                        _ => StatusCode::BadRequest,
                    };
                    // The stream cannot be resynchronised after garbage.
                    self.reply(idx, cseq, Reply::new(status).text(&e.to_string()), true);
                    start = len;
                    break;
                }
            }
            if start == len
                || self
                    .conns
                    .get(idx)
                    .is_none_or(|c| c.as_ref().is_none_or(|c| c.closing))
            {
                break;
            }
        }
        let mut input = input;
        input.copy_within(start..len, 0);
        len -= start;
        if let Some(c) = self.conns.get_mut(idx).and_then(Option::as_mut) {
            c.input = input;
            c.input_len = len;
        }
    }

    /// RTCP from an interleaved client (RFC 2326 §10.12: odd channel).
    fn on_interleaved(&mut self, idx: usize, channel: u8, payload: &[u8], now: Instant) {
        let Some(c) = self.conns.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        let peer = c.peer;
        if let Some(s) = c.session.as_mut() {
            if matches!(s.playback.as_ref().map(|p| p.dest), Some(Dest::Tcp { rtcp, .. }) if rtcp == channel)
            {
                note_receiver_report(peer, s, payload, now);
            }
        }
    }

    /// RTCP from a UDP client: a receiver report keeps its session alive
    /// (DESIGN.md) and is logged.
    pub fn on_rtcp(&mut self, from: SocketAddr, payload: &[u8], now: Instant) {
        let Some(&idx) = self.rtcp_peers.get(&from) else {
            return;
        };
        let Some(c) = self.conns.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        let peer = c.peer;
        if let Some(s) = c.session.as_mut() {
            note_receiver_report(peer, s, payload, now);
        }
    }

    fn reply(&mut self, idx: usize, cseq: Option<u32>, r: Reply, close: bool) {
        let Some(c) = self.conns.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        let mut buf = [0u8; RESPONSE_MAX];
        let mut w = MessageWriter::response(SliceSink::new(&mut buf), r.status);
        if let Some(n) = cseq {
            w.header(names::CSEQ, n);
        }
        w.header(names::SERVER, SERVER);
        for (k, v) in &r.headers {
            w.header(k, v);
        }
        if let Some(ct) = r.content_type {
            w.header(names::CONTENT_TYPE, ct);
        }
        match w.finish(&r.body) {
            Ok(n) => c.out.push(&buf[..n]),
            Err(e) => tracing::error!("{}: response does not fit: {e}", c.peer),
        }
        c.closing |= close || r.close;
    }

    fn on_request(&mut self, idx: usize, req: &Request<'_, '_>, now: Instant) {
        let Some(c) = self.conns.get(idx).and_then(Option::as_ref) else {
            return;
        };
        let peer = c.peer;
        let cseq_count = req
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(names::CSEQ))
            .count();
        let cseq = req.cseq();
        let reply = if cseq.is_none() || cseq_count != 1 {
            Reply::new(StatusCode::BadRequest)
                .text("exactly one valid CSeq header is required (RFC 2326 §12.17)")
        } else {
            self.dispatch(idx, req, now)
        };
        let status = reply.status.as_u16();
        let sid = self.conns[idx]
            .as_ref()
            .and_then(|c| c.session.as_ref())
            .map(|s| s.id.clone());
        let msg = format!(
            "{peer}: {} {} -> {} {}{}",
            req.method.as_str(),
            url_path(req.uri),
            status,
            reply.status.reason(),
            sid.map(|s| format!(" (session {s})")).unwrap_or_default()
        );
        if matches!(
            req.method,
            Method::GetParameter | Method::SetParameter | Method::Options
        ) && status == 200
        {
            tracing::debug!("{msg}");
        } else {
            tracing::info!("{msg}");
        }
        self.reply(idx, if cseq_count == 1 { cseq } else { None }, reply, false);
    }

    /// The session named by the request, if it is this connection's.
    fn check_session(
        &mut self,
        idx: usize,
        req: &Request<'_, '_>,
        now: Instant,
    ) -> Result<(), Reply> {
        let Some(c) = self.conns.get_mut(idx).and_then(Option::as_mut) else {
            return Err(Reply::new(StatusCode::InternalServerError));
        };
        let Some(asked) = req.session() else {
            return Err(match c.session {
                // RFC 2326 App. A: PLAY/PAUSE before SETUP.
                None => Reply::new(StatusCode::MethodNotValidInThisState).text("SETUP first"),
                Some(_) => Reply::new(StatusCode::SessionNotFound).text("Session header required"),
            });
        };
        match c.session.as_mut() {
            Some(s) if s.id == asked.id => {
                s.last_seen = now;
                Ok(())
            }
            _ => Err(Reply::new(StatusCode::SessionNotFound)),
        }
    }

    fn dispatch(&mut self, idx: usize, req: &Request<'_, '_>, now: Instant) -> Reply {
        match req.method {
            Method::Options => {
                self.touch(idx, req, now);
                Reply::new(StatusCode::Ok).header(names::PUBLIC, PUBLIC)
            }
            Method::Describe => self.describe(req),
            Method::Setup => self.setup(idx, req, now),
            Method::Play => match self.check_session(idx, req, now) {
                Ok(()) => self.play(idx, req, now),
                Err(r) => r,
            },
            Method::Pause => match self.check_session(idx, req, now) {
                Ok(()) => self.pause(idx),
                Err(r) => r,
            },
            Method::Teardown => match self.check_session(idx, req, now) {
                Ok(()) => {
                    let Some(c) = self.conns.get_mut(idx).and_then(Option::as_mut) else {
                        return Reply::new(StatusCode::InternalServerError);
                    };
                    let peer = c.peer;
                    if let Some(s) = c.session.take() {
                        self.end_session(s, idx, peer, now, "TEARDOWN");
                    }
                    Reply::new(StatusCode::Ok)
                }
                Err(r) => r,
            },
            // Keep-alives (RFC 2326 §10.8, §10.9): no parameters are
            // exposed, an empty request just refreshes the session.
            Method::GetParameter | Method::SetParameter => {
                if req.session().is_some() {
                    if let Err(r) = self.check_session(idx, req, now) {
                        return r;
                    }
                }
                if req.method == Method::SetParameter && !req.body.is_empty() {
                    return Reply::new(StatusCode::ParameterNotUnderstood);
                }
                let mut r = Reply::new(StatusCode::Ok);
                if let Some(sid) = self.session_header(idx) {
                    r = r.header(names::SESSION, sid);
                }
                r
            }
            Method::Announce | Method::Record => Reply::new(StatusCode::MethodNotAllowed)
                .header(names::ALLOW, PUBLIC)
                .text("this server only plays"),
            _ => Reply::new(StatusCode::NotImplemented).header(names::PUBLIC, PUBLIC),
        }
    }

    /// Any request carrying the right session refreshes it.
    fn touch(&mut self, idx: usize, req: &Request<'_, '_>, now: Instant) {
        if let (Some(c), Some(asked)) = (
            self.conns.get_mut(idx).and_then(Option::as_mut),
            req.session(),
        ) {
            if let Some(s) = c.session.as_mut().filter(|s| s.id == asked.id) {
                s.last_seen = now;
            }
        }
    }

    fn session_header(&self, idx: usize) -> Option<String> {
        let s = self.conns.get(idx)?.as_ref()?.session.as_ref()?;
        Some(format!("{};timeout={}", s.id, s.timeout.as_secs()))
    }

    fn describe(&mut self, req: &Request<'_, '_>) -> Reply {
        let Some((name, src)) = self.catalog.resolve(req.uri) else {
            return Reply::new(StatusCode::NotFound);
        };
        let (w, h, fps) = match src {
            Source::Clip(c) => (c.width, c.height, c.fps),
            Source::Live(l) => {
                let (w, h) = l.dimensions().unwrap_or((0, 0));
                (w, h, l.fps)
            }
            Source::Refused(why) => {
                // RFC 2326 §11.3.8 (via HTTP 415): we cannot send this clip.
                return Reply::new(StatusCode::UnsupportedMediaType).text(why);
            }
        };
        let base = content_base(req.uri, name);
        let sdp = crate::sdp::describe(w, h, fps, self.rtp_addr_ip());
        Reply {
            body: sdp.into_bytes(),
            content_type: Some("application/sdp"),
            ..Reply::new(StatusCode::Ok)
        }
        .header(names::CONTENT_BASE, base)
    }

    fn rtp_addr_ip(&self) -> IpAddr {
        self.rtp
            .socket()
            .local_addr()
            .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip())
    }
}

/// `Content-Base` (RFC 2326 §12.11): the stream URL with a trailing slash,
/// so relative `a=control:` URLs resolve below it.
fn content_base(uri: &str, name: &str) -> String {
    match uri.find(name) {
        Some(i) => format!("{}/", &uri[..i + name.len()]),
        None => format!("{}/", uri.trim_end_matches('/')),
    }
}

/// Reads a receiver report: liveness, and its loss and jitter for the log.
fn note_receiver_report(peer: SocketAddr, s: &mut Session, payload: &[u8], now: Instant) {
    let mut saw_report = false;
    for p in rtcp::Compound::new(payload) {
        match p {
            Ok(rtcp::Packet::Rr(rr)) => {
                saw_report = true;
                for b in rr.reports.iter() {
                    tracing::debug!(
                        "{peer}: session {}: receiver report: {:.1}% lost recently, {} lost in all, jitter {} ({:.1} ms)",
                        s.id,
                        f64::from(b.fraction_lost) * 100.0 / 256.0,
                        b.cumulative_lost,
                        b.jitter,
                        f64::from(b.jitter) / 90.0
                    );
                }
            }
            Ok(rtcp::Packet::Bye(_)) => {
                saw_report = true;
                tracing::debug!("{peer}: session {}: RTCP BYE from the client", s.id);
            }
            Ok(_) => saw_report = true,
            Err(_) => break,
        }
    }
    if saw_report {
        s.reports += 1;
        s.last_seen = now;
    }
}

/// A CSeq value found in raw bytes, to echo even on a malformed request
/// (DESIGN.md: CSeq on every response, errors included).
fn find_cseq(buf: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(buf.get(..buf.len().min(limits::RTSP_MAX_MESSAGE))?).ok()?;
    let head = text.split("\r\n\r\n").next()?;
    let mut found = head.lines().filter_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("cseq")
            .then(|| header::CSeq::parse(v.trim()).ok().map(|c| c.0))?
    });
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

fn fmt_peer(p: Option<SocketAddr>) -> String {
    p.map_or_else(|| "?".into(), |p| p.to_string())
}

/// What a SETUP's `Transport:` alternatives allow (RFC 2326 §12.39).
pub enum Chosen {
    /// Use this destination.
    Dest(Dest),
    /// Refuse with this reply.
    Refuse(StatusCode, String),
}

/// Picks the first alternative we can serve: UDP unicast to the peer's own
/// address, or TCP interleaved (channels assigned when missing).
pub fn choose_transport(value: &str, peer: SocketAddr) -> Chosen {
    let Ok(alts) = Transports::parse(value) else {
        return Chosen::Refuse(
            StatusCode::UnsupportedTransport,
            "unreadable Transport header".into(),
        );
    };
    let mut why = String::from("only RTP/AVP over UDP unicast or TCP interleaved is served");
    for t in alts.iter() {
        if t.profile != header::Profile::Avp || t.is_multicast() {
            continue;
        }
        if t.mode.is_some_and(|m| m != header::Mode::Play) {
            continue;
        }
        if t.is_tcp() {
            let ch = t.interleaved.unwrap_or(header::ChannelPair::new(0, 1));
            return Chosen::Dest(Dest::Tcp {
                rtp: ch.rtp,
                rtcp: ch.rtcp_channel(),
            });
        }
        if let Some(d) = t.destination {
            let same = d.parse::<IpAddr>().is_ok_and(|ip| ip == peer.ip());
            if !same {
                // DESIGN.md: never send UDP anywhere but to the RTSP peer.
                return Chosen::Refuse(
                    StatusCode::Forbidden,
                    format!(
                        "destination={d} refused: media only goes to the RTSP client's own address"
                    ),
                );
            }
        }
        let Some(ports) = t.client_port else {
            why = "UDP needs client_port=RTP-RTCP".into();
            continue;
        };
        return Chosen::Dest(Dest::Udp {
            rtp: SocketAddr::new(peer.ip(), ports.rtp),
            rtcp: SocketAddr::new(peer.ip(), ports.rtcp_port()),
        });
    }
    Chosen::Refuse(StatusCode::UnsupportedTransport, why)
}

impl Server {
    fn setup(&mut self, idx: usize, req: &Request<'_, '_>, now: Instant) -> Reply {
        let Some(c) = self.conns.get(idx).and_then(Option::as_ref) else {
            return Reply::new(StatusCode::InternalServerError);
        };
        let peer = c.peer;
        if c.session.is_some() {
            // One stream per session: a second SETUP would be an aggregate.
            return match req.session() {
                Some(s) if c.session.as_ref().is_some_and(|x| x.id == s.id) => {
                    Reply::new(StatusCode::AggregateOperationNotAllowed)
                        .text("this session already has its stream")
                }
                Some(_) => Reply::new(StatusCode::SessionNotFound),
                None => Reply::new(StatusCode::MethodNotValidInThisState)
                    .text("this connection already has a session"),
            };
        }
        if req.session().is_some() {
            return Reply::new(StatusCode::SessionNotFound);
        }
        let Some((name, src)) = self.catalog.resolve(req.uri) else {
            return Reply::new(StatusCode::NotFound);
        };
        if let Source::Refused(why) = src {
            return Reply::new(StatusCode::UnsupportedMediaType).text(why);
        }
        let (name, src) = (name.to_string(), src.clone());
        let Some(value) = req.header_str(names::TRANSPORT) else {
            return Reply::new(StatusCode::UnsupportedTransport).text("Transport header required");
        };
        let dest = match choose_transport(value, peer) {
            Chosen::Dest(d) => d,
            Chosen::Refuse(code, why) => return Reply::new(code).text(&why),
        };
        if self.sessions >= self.cfg.max_sessions {
            return Reply::new(StatusCode::NotEnoughBandwidth)
                .text("too many sessions (--max-sessions)");
        }
        let mut s = Session::new(&name, now, self.cfg.session_timeout);
        let pb = Playback::new(src, dest, now);
        let transport = match dest {
            Dest::Udp { rtp, rtcp } => {
                self.rtcp_peers.insert(rtcp, idx);
                format!(
                    "RTP/AVP;unicast;client_port={}-{};server_port={}-{};ssrc={:08X}",
                    rtp.port(),
                    rtcp.port(),
                    self.rtp_port,
                    self.rtp_port + 1,
                    pb.tx.ssrc.0
                )
            }
            Dest::Tcp { rtp, rtcp } => format!(
                "RTP/AVP/TCP;unicast;interleaved={rtp}-{rtcp};ssrc={:08X}",
                pb.tx.ssrc.0
            ),
        };
        s.playback = Some(pb);
        let session = format!("{};timeout={}", s.id, s.timeout.as_secs());
        tracing::info!("{peer}: session {} set up for {name}: {transport}", s.id);
        self.sessions += 1;
        if let Some(c) = self.conns.get_mut(idx).and_then(Option::as_mut) {
            c.session = Some(s);
        }
        Reply::new(StatusCode::Ok)
            .header(names::TRANSPORT, transport)
            .header(names::SESSION, session)
    }

    fn play(&mut self, idx: usize, req: &Request<'_, '_>, now: Instant) -> Reply {
        let first_due = self.grid_after(now);
        let fps = self.cfg.fps;
        let Some(c) = self.conns.get_mut(idx).and_then(Option::as_mut) else {
            return Reply::new(StatusCode::InternalServerError);
        };
        let Some(s) = c.session.as_mut() else {
            return Reply::new(StatusCode::SessionNotFound);
        };
        let session = format!("{};timeout={}", s.id, s.timeout.as_secs());
        let Some(pb) = s.playback.as_mut() else {
            return Reply::new(StatusCode::MethodNotValidInThisState);
        };
        let range = match req.header_str(names::RANGE).map(Range::parse) {
            None => None,
            Some(Ok(r)) => Some(r),
            Some(Err(_)) => return Reply::new(StatusCode::InvalidRange),
        };
        let mut r = Reply::new(StatusCode::Ok);
        let url = req.uri.trim_end_matches('/');
        match pb.clip_len() {
            Some(frames) => {
                let dur = frames as f64 / fps;
                if let Some(Range::Npt {
                    start: Some(header::NptTime::At(t)),
                    ..
                }) = range
                {
                    let secs = t.as_micros() as f64 / 1e6;
                    if secs > dur {
                        return Reply::new(StatusCode::InvalidRange)
                            .text("start beyond the end of the clip");
                    }
                    pb.pos = (secs * fps).floor() as usize;
                    pb.ended = false;
                } else if pb.ended {
                    pb.pos = 0;
                    pb.ended = false;
                }
                let pos = (pb.pos % frames) as f64 / fps;
                r = r.header(names::RANGE, format!("npt={pos:.3}-{dur:.3}"));
                if !pb.playing {
                    pb.next_due = first_due;
                }
                let info = RtpInfo {
                    url,
                    seq: Some(pb.tx.seq.0),
                    rtptime: Some(pb.rtp_time(pb.next_due).0),
                };
                r = r.header(names::RTP_INFO, info);
            }
            None => {
                // Live: the next frame's arrival time is unknown, so only
                // the sequence number is promised (RFC 2326 §12.33).
                r = r.header(names::RANGE, "npt=now-");
                r = r.header(
                    names::RTP_INFO,
                    RtpInfo {
                        url,
                        seq: Some(pb.tx.seq.0),
                        rtptime: None,
                    },
                );
            }
        }
        if !pb.playing {
            pb.playing = true;
            pb.next_sr = now + crate::server::SR_INTERVAL.min(rtsp_core::Duration::from_secs(1));
        }
        r.header(names::SESSION, session)
    }

    fn pause(&mut self, idx: usize) -> Reply {
        let Some(s) = self
            .conns
            .get_mut(idx)
            .and_then(Option::as_mut)
            .and_then(|c| c.session.as_mut())
        else {
            return Reply::new(StatusCode::SessionNotFound);
        };
        let session = format!("{};timeout={}", s.id, s.timeout.as_secs());
        if let Some(pb) = s.playback.as_mut() {
            pb.playing = false;
        }
        Reply::new(StatusCode::Ok).header(names::SESSION, session)
    }
}
