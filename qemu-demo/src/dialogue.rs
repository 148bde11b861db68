//! The RTSP dialogue of one client (RFC 2326 §10, state machine of §A.1):
//! Init → Ready (SETUP) → Playing (PLAY) → Ready (PAUSE), TEARDOWN back to
//! Init, with the status codes of DESIGN.md. Requests are parsed by
//! `rtsp_core::rtsp::parse`, typed headers read and responses written with
//! `rtsp_core::rtsp`; the media is one MJPEG stream (RFC 2435) whose SDP
//! (RFC 4566) is written here.

use core::fmt::Write as _;

use rtsp_core::rtp::{RtpTimestamp, SeqNo, Ssrc};
use rtsp_core::rtsp::header::{
    self, names, Cast, ChannelPair, LowerTransport, PortPair, RtpInfo, Transport, Transports,
};
use rtsp_core::rtsp::{MessageWriter, Method, Request, SliceSink, StatusCode};
use smoltcp::wire::{IpAddress, IpEndpoint};

use crate::clip;
use crate::net::{RTCP_PORT, RTP_PORT};
use crate::stream::{Sink, Stream};

/// The presentation's path (RFC 2326 §3.2).
pub const PATH: &str = "/movie.Mjpeg";
/// The stream's control path relative to the presentation (SDP `a=control`).
const TRACK: &str = "trackID=0";
/// Methods we implement, for `Public:` (RFC 2326 §12.28). GET_PARAMETER is
/// listed so clients pick it as their keep-alive.
const PUBLIC: &str =
    "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER";

/// Session state (RFC 2326 §A.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
pub enum State {
    /// No session.
    Init,
    /// Set up, not playing.
    Ready,
    /// Playing.
    Playing,
}

/// One client's session.
#[derive(Debug)]
pub struct Dialogue {
    /// Current state.
    pub state: State,
    /// Session identifier (RFC 2326 §12.37), 8 hex digits.
    id: [u8; 8],
    /// Session timeout, seconds.
    timeout_secs: u32,
    /// The client's stream, from SETUP on.
    pub stream: Option<Stream>,
    /// Time of the last sign of life (request or RTCP), microseconds.
    pub last_seen: u64,
    /// Unique number mixed into session ids and SSRCs.
    nonce: u32,
}

/// What the connection should do after a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum After {
    /// Keep the connection.
    Keep,
    /// Close it once the response is sent (framing lost).
    Close,
}

impl Dialogue {
    /// A fresh client, in Init; `nonce` makes its ids unique.
    pub const fn new(timeout_secs: u32, nonce: u32) -> Self {
        Dialogue {
            state: State::Init,
            id: [b'0'; 8],
            timeout_secs,
            stream: None,
            last_seen: 0,
            nonce,
        }
    }

    fn id(&self) -> &str {
        core::str::from_utf8(&self.id).unwrap_or("00000000")
    }

    /// Whether the session has been silent longer than its timeout.
    pub fn expired(&self, now_us: u64) -> bool {
        self.state != State::Init
            && now_us.saturating_sub(self.last_seen) > u64::from(self.timeout_secs) * 1_000_000
    }

    /// Forgets the session (TEARDOWN, timeout, connection closed).
    pub fn reset(&mut self) {
        self.state = State::Init;
        self.stream = None;
    }

    /// Answers `req` into `out`; returns the response length.
    pub fn handle(
        &mut self,
        now_us: u64,
        peer: IpAddress,
        req: &Request<'_, '_>,
        out: &mut [u8],
    ) -> usize {
        let Some(cseq) = req.cseq() else {
            return error(out, StatusCode::BadRequest, None);
        };
        if let Some(session) = req.session() {
            if self.state == State::Init || session.id != self.id() {
                return error(out, StatusCode::SessionNotFound, Some(cseq));
            }
        }
        let path_ok = req.method == Method::Options && req.uri == "*" || path_of(req.uri).is_some();
        if !path_ok {
            return error(out, StatusCode::NotFound, Some(cseq));
        }
        if self.state != State::Init {
            self.last_seen = now_us;
        }
        match req.method {
            Method::Options => {
                let mut w = start(out, StatusCode::Ok, cseq);
                w.header(names::PUBLIC, PUBLIC);
                finish(w, b"")
            }
            Method::Describe => self.describe(req, cseq, out),
            Method::Setup => self.setup(now_us, peer, req, cseq, out),
            Method::Play
            | Method::Pause
            | Method::Teardown
            | Method::GetParameter
            | Method::SetParameter
                if req.session().is_none() =>
            {
                error(out, StatusCode::SessionNotFound, Some(cseq))
            }
            Method::Play => self.play(now_us, req, cseq, out),
            Method::Pause => {
                if self.state == State::Init {
                    return error(out, StatusCode::MethodNotValidInThisState, Some(cseq));
                }
                if let Some(s) = self.stream.as_mut() {
                    s.pause(now_us);
                }
                self.state = State::Ready;
                self.ok_with_session(cseq, out)
            }
            Method::Teardown => {
                let n = self.ok_with_session(cseq, out);
                self.reset();
                n
            }
            Method::GetParameter | Method::SetParameter => self.ok_with_session(cseq, out),
            _ => {
                let mut w = start(out, StatusCode::NotImplemented, cseq);
                w.header(names::PUBLIC, PUBLIC);
                finish(w, b"")
            }
        }
    }

    fn ok_with_session(&self, cseq: u32, out: &mut [u8]) -> usize {
        let mut w = start(out, StatusCode::Ok, cseq);
        w.header(
            names::SESSION,
            header::Session {
                id: self.id(),
                timeout: Some(self.timeout_secs),
            },
        );
        finish(w, b"")
    }

    fn describe(&self, req: &Request<'_, '_>, cseq: u32, out: &mut [u8]) -> usize {
        let mut sdp = Sdp::default();
        let _ = write!(
            sdp,
            "v=0\r\no=- {n} 1 IN IP4 10.0.2.15\r\ns=qemu-demo\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\na=control:*\r\n\
             m=video 0 RTP/AVP 26\r\na=rtpmap:26 JPEG/90000\r\na=framerate:{fps}\r\na=control:{TRACK}\r\n",
            n = self.nonce,
            fps = clip::FPS,
        );
        let mut w = start(out, StatusCode::Ok, cseq);
        w.header(names::CONTENT_TYPE, "application/sdp");
        w.header(names::CONTENT_BASE, Base(req.uri));
        finish(w, sdp.as_bytes())
    }

    fn setup(
        &mut self,
        now_us: u64,
        peer: IpAddress,
        req: &Request<'_, '_>,
        cseq: u32,
        out: &mut [u8],
    ) -> usize {
        if self.state == State::Playing {
            // Changing transport while playing is not supported (§10.4).
            return error(out, StatusCode::MethodNotValidInThisState, Some(cseq));
        }
        let Some(Ok(specs)) = req.header_str(names::TRANSPORT).map(Transports::parse) else {
            return error(out, StatusCode::UnsupportedTransport, Some(cseq));
        };
        // The first alternative we can serve (§12.39): unicast RTP/AVP over
        // UDP with client ports, or over TCP interleaved.
        let Some((sink, reply)) = specs.0.iter().find_map(|t| choose(t, peer)) else {
            return error(out, StatusCode::UnsupportedTransport, Some(cseq));
        };
        if self.state == State::Init {
            self.nonce = self
                .nonce
                .wrapping_mul(2_654_435_761)
                .wrapping_add(now_us as u32)
                | 1;
            let _ = write!(IdWriter(&mut self.id, 0), "{:08x}", self.nonce);
        }
        let ssrc = Ssrc(self.nonce.rotate_left(13) ^ 0x5157_4d44);
        let seq = SeqNo((self.nonce >> 7) as u16);
        let ts = RtpTimestamp(self.nonce.rotate_left(5));
        self.stream = Some(Stream::new(sink, ssrc, seq, ts));
        self.state = State::Ready;
        self.last_seen = now_us;
        let reply = Transport {
            ssrc: Some(ssrc.0),
            ..reply
        };
        let mut w = start(out, StatusCode::Ok, cseq);
        w.header(names::TRANSPORT, reply);
        w.header(
            names::SESSION,
            header::Session {
                id: self.id(),
                timeout: Some(self.timeout_secs),
            },
        );
        finish(w, b"")
    }

    fn play(&mut self, now_us: u64, req: &Request<'_, '_>, cseq: u32, out: &mut [u8]) -> usize {
        let Some(stream) = self.stream.as_mut() else {
            return error(out, StatusCode::MethodNotValidInThisState, Some(cseq));
        };
        if self.state != State::Playing {
            stream.play(now_us);
        }
        let (seq, ts) = stream.position();
        self.state = State::Playing;
        let mut w = start(out, StatusCode::Ok, cseq);
        w.header(
            names::SESSION,
            header::Session {
                id: self.id(),
                timeout: Some(self.timeout_secs),
            },
        );
        w.header(names::RANGE, "npt=0.000-");
        w.header(
            names::RTP_INFO,
            RtpInfo {
                url: req.uri,
                seq: Some(seq.0),
                rtptime: Some(ts.0),
            },
        );
        finish(w, b"")
    }
}

/// Picks a transport we serve from one alternative; returns the sink and
/// the spec to echo (RFC 2326 §12.39: echo client_port, add server_port).
fn choose<'a>(t: &Transport<'a>, peer: IpAddress) -> Option<(Sink, Transport<'a>)> {
    if t.is_multicast() || t.profile != header::Profile::Avp {
        return None;
    }
    if t.is_tcp() {
        let ch = t.interleaved.unwrap_or(ChannelPair {
            rtp: 0,
            rtcp: Some(1),
        });
        let sink = Sink::Interleaved {
            rtp: ch.rtp,
            rtcp: ch.rtcp_channel(),
        };
        let reply = Transport {
            cast: Some(Cast::Unicast),
            interleaved: Some(ch),
            lower: Some(LowerTransport::Tcp),
            ..Transport::rtp_avp()
        };
        return Some((sink, reply));
    }
    let ports = t.client_port?;
    let sink = Sink::Udp {
        rtp: IpEndpoint::new(peer, ports.rtp),
        rtcp: IpEndpoint::new(peer, ports.rtcp_port()),
    };
    let reply = Transport {
        cast: Some(Cast::Unicast),
        client_port: Some(ports),
        server_port: Some(PortPair {
            rtp: RTP_PORT,
            rtcp: Some(RTCP_PORT),
        }),
        ..Transport::rtp_avp()
    };
    Some((sink, reply))
}

/// The path of an absolute `rtsp://host[:port]/path` URL if it names our
/// presentation or its stream.
fn path_of(uri: &str) -> Option<&str> {
    let rest = uri
        .strip_prefix("rtsp://")
        .or_else(|| uri.strip_prefix("rtspu://"))?;
    let path = &rest[rest.find('/')?..];
    let path = path.trim_end_matches('/');
    let track = path.strip_prefix(PATH)?;
    (track.is_empty() || track.trim_start_matches('/') == TRACK).then_some(path)
}

fn start(out: &mut [u8], status: StatusCode, cseq: u32) -> MessageWriter<SliceSink<'_>> {
    let mut w = MessageWriter::response(SliceSink::new(out), status);
    w.header(names::CSEQ, cseq);
    w.header(names::SERVER, "qemu-demo (rtsp-core)");
    w
}

fn finish(w: MessageWriter<SliceSink<'_>>, body: &[u8]) -> usize {
    // Responses are a few hundred bytes; the buffer is sized for the
    // largest (DESCRIBE), so this only fails on a sizing bug.
    w.finish(body).unwrap_or(0)
}

/// An error response, echoing CSeq when the request had one (RFC 2326 §12.17).
pub fn error(out: &mut [u8], status: StatusCode, cseq: Option<u32>) -> usize {
    let mut w = MessageWriter::response(SliceSink::new(out), status);
    if let Some(c) = cseq {
        w.header(names::CSEQ, c);
    }
    finish(w, b"")
}

/// `Content-Base`: the request URL with a trailing slash (RFC 2326 §C.1.1).
struct Base<'a>(&'a str);

impl core::fmt::Display for Base<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.0.trim_end_matches('/'))?;
        f.write_str("/")
    }
}

/// A small SDP text buffer.
#[derive(Default)]
struct Sdp {
    buf: heapless::Vec<u8, 320>,
}

impl Sdp {
    fn as_bytes(&self) -> &[u8] {
        &self.buf
    }
}

impl core::fmt::Write for Sdp {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.buf
            .extend_from_slice(s.as_bytes())
            .map_err(|_| core::fmt::Error)
    }
}

/// Writes ASCII into a fixed id buffer.
struct IdWriter<'a>(&'a mut [u8; 8], usize);

impl core::fmt::Write for IdWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for b in s.bytes() {
            *self.0.get_mut(self.1).ok_or(core::fmt::Error)? = b;
            self.1 += 1;
        }
        Ok(())
    }
}
