//! Responses of the server session (RFC 2326 §7, §10) and the SDP it
//! describes its stream with (RFC 4566, RFC 2435 §3, DESIGN.md).

use core::fmt;

use super::auth::Challenge;
use super::target::STREAM_CONTROL;
use super::{MediaInfo, Nonce, ServerSession};
use crate::limits::RTSP_URL_MAX;
use crate::rtsp::header::{
    names, CSeq, LowerTransport, MethodSet, NptTime, Range, RtpInfo, Session, Transport,
};
use crate::rtsp::{MessageWriter, Method, SliceSink, StatusCode};
use crate::sdp::MjpegDescription;
use crate::session::{Error, MediaTransport};
use crate::{rtp, Duration};

/// `Server:` header value (RFC 2326 §12.36).
pub(crate) const SERVER_NAME: &str = concat!("rtsp-core/", env!("CARGO_PKG_VERSION"));

/// Methods this server implements (RFC 2326 §12.28). GET_PARAMETER is
/// listed because VLC and ffmpeg pick their keep-alive from it.
pub(crate) const PUBLIC: [Method<'static>; 8] = [
    Method::Options,
    Method::Describe,
    Method::Setup,
    Method::Play,
    Method::Pause,
    Method::Teardown,
    Method::GetParameter,
    Method::SetParameter,
];

/// [`PUBLIC`] and the publisher's methods (RFC 2326 §10.3, §10.11).
pub(crate) const PUBLIC_WITH_RECORD: [Method<'static>; 10] = [
    Method::Options,
    Method::Describe,
    Method::Announce,
    Method::Setup,
    Method::Play,
    Method::Pause,
    Method::Record,
    Method::Teardown,
    Method::GetParameter,
    Method::SetParameter,
];

fn public(record: bool) -> MethodSet {
    if record {
        MethodSet::of(&PUBLIC_WITH_RECORD)
    } else {
        MethodSet::of(&PUBLIC)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) enum Kind {
    /// Status line, CSeq, optional Session.
    Plain,
    /// `Public:` (with ANNOUNCE and RECORD for a host that takes
    /// publishers).
    Options { record: bool },
    /// `Allow:` (405), the same list.
    Allow { record: bool },
    /// `Unsupported:` echoing the Require tags kept in `url` (551).
    Unsupported,
    /// `WWW-Authenticate:` challenges for the realm kept in `url` (401).
    Unauthorized { nonce: Nonce, basic: bool },
    /// SDP with `Content-Base: <url>/`.
    Describe(MediaInfo),
    /// `Transport:` for the session's transport.
    Setup { echo_lower: Option<LowerTransport> },
    /// `Range:` and `RTP-Info:`.
    Play {
        seq: rtp::SeqNo,
        rtptime: rtp::RtpTimestamp,
        start: Option<Duration>,
        stream: bool,
        /// The request had `Scale:`: answer with the scale used, 1.
        scale: bool,
    },
}

/// A response waiting for `poll_transmit`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub cseq: Option<u32>,
    pub session: bool,
    pub kind: Kind,
    /// The request URL (Content-Base, RTP-Info) or the Require tags.
    url: heapless::String<RTSP_URL_MAX, u8>,
}

impl Reply {
    pub fn new(status: StatusCode, cseq: u32, kind: Kind) -> Self {
        Reply {
            status,
            cseq: Some(cseq),
            session: false,
            kind,
            url: heapless::String::new(),
        }
    }

    pub fn error(status: StatusCode, cseq: Option<u32>) -> Self {
        Reply {
            status,
            cseq,
            session: false,
            kind: Kind::Plain,
            url: heapless::String::new(),
        }
    }

    /// Keeps `text`, cut to the limit at a character boundary (callers
    /// check URL lengths first and answer 414).
    pub fn set_url(&mut self, text: &str) {
        self.url.clear();
        for c in text.chars() {
            if self.url.push(c).is_err() {
                break;
            }
        }
    }

    pub fn write(&self, s: &ServerSession, buf: &mut [u8]) -> Result<usize, Error> {
        let mut w = MessageWriter::response(SliceSink::new(buf), self.status);
        if let Some(cseq) = self.cseq {
            w.header(names::CSEQ, CSeq(cseq));
        }
        w.header(names::SERVER, SERVER_NAME);
        if let (true, Some(id)) = (self.session, s.id) {
            let mut text = heapless::String::<16>::new();
            let _ = fmt::Write::write_fmt(&mut text, format_args!("{id}"));
            w.header(
                names::SESSION,
                Session {
                    id: &text,
                    timeout: Some(s.config.timeout_secs),
                },
            );
        }
        match self.kind {
            Kind::Plain => {}
            Kind::Options { record } => {
                w.header(names::PUBLIC, public(record));
            }
            Kind::Allow { record } => {
                w.header(names::ALLOW, public(record));
            }
            Kind::Unsupported => {
                w.header(names::UNSUPPORTED, self.url.as_str());
            }
            Kind::Unauthorized { nonce, basic } => {
                // Strongest first (RFC 2617 §4.6).
                let realm = self.url.as_str();
                w.header(
                    names::WWW_AUTHENTICATE,
                    Challenge::Digest {
                        realm,
                        nonce: &nonce,
                    },
                );
                if basic {
                    w.header(names::WWW_AUTHENTICATE, Challenge::Basic { realm });
                }
            }
            Kind::Describe(info) => {
                let slash = if self.url.ends_with('/') { "" } else { "/" };
                w.header(names::CONTENT_BASE, format_args!("{}{slash}", self.url));
                let sdp = MjpegDescription {
                    session_id: 0,
                    session_version: 1,
                    origin: "0.0.0.0",
                    session_name: "MJPEG stream",
                    width: info.width,
                    height: info.height,
                    framerate: Some(info.framerate),
                    control: STREAM_CONTROL,
                    duration: info.duration,
                };
                let len = sdp.buffer_len();
                return Ok(
                    w.finish_in_place("application/sdp", len, |dst| sdp.write(dst) == Ok(len))?
                );
            }
            Kind::Setup { echo_lower } => {
                if let Some(t) = s.transport {
                    let mut group = heapless::String::<15>::new();
                    let mut out = reply_transport(t, echo_lower, s.sender.ssrc());
                    if s.is_publisher() {
                        // The stream and its SSRC are the publisher's.
                        out.ssrc = None;
                        out.mode = Some(crate::rtsp::header::Mode::Record);
                    }
                    if let Some(g) = s.multicast() {
                        // RFC 2326 §12.39: the answer names the group.
                        let _ = fmt::Write::write_fmt(&mut group, format_args!("{}", g.addr));
                        out.cast = Some(crate::rtsp::header::Cast::Multicast);
                        out.destination = Some(&group);
                        out.ttl = Some(g.ttl);
                        out.port = Some(g.port_pair());
                        out.client_port = None;
                        out.server_port = None;
                    }
                    w.header(names::TRANSPORT, out);
                }
            }
            Kind::Play {
                seq,
                rtptime,
                start,
                stream,
                scale,
            } => {
                if scale {
                    w.header(names::SCALE, "1");
                }
                let duration = s.duration;
                let start = NptTime::At(start.unwrap_or(Duration::ZERO));
                let range = match duration {
                    Some(d) => Range::Npt {
                        start: Some(start),
                        end: Some(NptTime::At(d)),
                    },
                    None => Range::Npt {
                        start: Some(NptTime::Now),
                        end: None,
                    },
                };
                w.header(names::RANGE, range);
                let base = self.url.trim_end_matches('/');
                let mut url = heapless::String::<{ RTSP_URL_MAX + 16 }>::new();
                let _ = url.push_str(base);
                if !stream {
                    let _ = url.push('/');
                    let _ = url.push_str(STREAM_CONTROL);
                }
                // A multicast member joins a running shared stream: the
                // session cannot promise its next packet (see `multicast`).
                let unicast = s.multicast().is_none();
                let info = RtpInfo {
                    url: &url,
                    seq: unicast.then_some(seq.0),
                    rtptime: unicast.then_some(rtptime.0),
                };
                w.header(names::RTP_INFO, info);
            }
        }
        Ok(w.finish(b"")?)
    }
}

fn reply_transport(
    t: MediaTransport,
    echo_lower: Option<LowerTransport>,
    ssrc: rtp::Ssrc,
) -> Transport<'static> {
    let mut out = Transport::rtp_avp();
    out.lower = echo_lower;
    out.cast = Some(crate::rtsp::header::Cast::Unicast);
    match t {
        MediaTransport::Udp { client, server } => {
            out.client_port = Some(client);
            out.server_port = Some(server);
        }
        MediaTransport::Interleaved { channels } => {
            out.lower = Some(LowerTransport::Tcp);
            out.interleaved = Some(channels);
        }
    }
    out.ssrc = Some(ssrc.0);
    out.mode = Some(crate::rtsp::header::Mode::Play);
    out
}

/// Finds `CSeq:` in bytes that did not parse, so even a 400 echoes it
/// (DESIGN.md: CSeq on every response, errors included).
pub(crate) fn sniff_cseq(input: &[u8]) -> Option<u32> {
    let head = input.get(..input.len().min(crate::limits::RTSP_MAX_MESSAGE))?;
    let mut lines = head.split(|&b| b == b'\n');
    lines.find_map(|line| {
        let (name, value) = line.split_at(line.iter().position(|&b| b == b':')?);
        if !core::str::from_utf8(name)
            .ok()?
            .trim()
            .eq_ignore_ascii_case(names::CSEQ)
        {
            return None;
        }
        let value = core::str::from_utf8(value.get(1..)?).ok()?;
        CSeq::parse(value.trim()).ok().map(|c| c.0)
    })
}
