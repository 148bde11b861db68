//! The drain client's RTSP side: DESCRIBE, SETUP and PLAY with the core's
//! writer (`rtsp::MessageWriter`, RFC 2326 §6) and the core's parser for
//! the answers (§7; `Content-Length`, `Session`, `Content-Base`), then a
//! GET_PARAMETER keep-alive every 15 s (§10.8).

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use rtsp_core::limits::{RTSP_MAX_HEADERS, RTSP_MAX_MESSAGE};
use rtsp_core::rtsp::header::{self, names};
use rtsp_core::rtsp::{self, Header, Message, MessageWriter, Method, SliceSink, Status};

use crate::drain::{bare_session, Session};

/// An RTSP session of the drain client: its connection, the presentation
/// URL, the session id and the last CSeq.
pub(crate) struct Rtsp {
    tcp: TcpStream,
    url: String,
    id: String,
    cseq: u32,
}

/// What the drain needs from an answer: the session id (RFC 2326 §12.37)
/// and what arrived after it (interleaved media, after PLAY).
struct Answer {
    session: Option<String>,
    rest: Vec<u8>,
}

/// User agent of every request (RFC 2326 §12.41).
const USER_AGENT: &str = "rtsp-load";

/// Writes one request into `out`: method, URL, CSeq, User-Agent, then
/// `extra` (name, value) headers, no body.
fn write_request(
    out: &mut [u8],
    method: Method<'_>,
    url: &str,
    cseq: u32,
    extra: &[(&str, &dyn std::fmt::Display)],
) -> usize {
    let mut w = MessageWriter::request(SliceSink::new(out), method, url);
    w.header(names::CSEQ, cseq);
    w.header(names::USER_AGENT, USER_AGENT);
    for (name, value) in extra {
        w.header(name, value);
    }
    w.finish(b"")
        .unwrap_or_else(|e| panic!("{method} {url}: cannot write the request: {e}"))
}

/// Sends one request and reads its answer, which must be 200 OK. One
/// write per request: writing piece by piece sends each piece as its own
/// segment, and Nagle plus delayed ACKs then hold every request ~40 ms
/// (opening 800 sessions took a minute).
fn request(
    tcp: &mut TcpStream,
    cseq: &mut u32,
    method: Method<'_>,
    url: &str,
    extra: &[(&str, &dyn std::fmt::Display)],
) -> Answer {
    *cseq += 1;
    let mut out = [0u8; RTSP_MAX_MESSAGE];
    let len = write_request(&mut out, method, url, *cseq, extra);
    tcp.write_all(&out[..len]).unwrap();
    // One answer per request: whatever arrives belongs to it.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let mut headers = [Header::EMPTY; RTSP_MAX_HEADERS];
        match rtsp::parse(&buf, &mut headers) {
            Ok(Status::Complete((Message::Response(r), used))) => {
                assert!(
                    r.status.is_success(),
                    "{method} {url}: {} {}",
                    r.status.as_u16(),
                    r.status.reason()
                );
                return Answer {
                    session: r.session().map(|s| s.id.to_string()),
                    rest: buf[used..].to_vec(),
                };
            }
            Ok(Status::Partial) => {}
            Ok(Status::Complete((other, _))) => panic!("{method} {url}: not an answer: {other:?}"),
            Err(e) => panic!("{method} {url}: the answer does not parse: {e}"),
        }
        let n = tcp.read(&mut chunk).unwrap();
        assert!(n > 0, "{method} {url}: connection closed");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// An RTP/RTCP pair on consecutive ports, RTP even (RFC 3550 §11), and the
/// RTP port.
pub(crate) fn bind_pair() -> (UdpSocket, UdpSocket, u16) {
    loop {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let p = a.local_addr().unwrap().port();
        if p % 2 == 0 {
            if let Ok(b) = UdpSocket::bind(("127.0.0.1", p + 1)) {
                return (a, b, p);
            }
        }
    }
}

/// Opens a session to `url` playing over UDP from the start.
pub(crate) fn open_session(url: &str) -> Session {
    let (rtp, rtcp, port) = bind_pair();
    let mut transport = header::Transport::rtp_avp();
    transport.cast = Some(header::Cast::Unicast);
    transport.client_port = Some(header::PortPair::new(port, port + 1));
    let (tcp, id, cseq, _) = play(url, &transport);
    let mut session = bare_session(rtp, rtcp);
    session.rtsp = Some(Rtsp {
        tcp,
        url: url.to_string(),
        id,
        cseq,
    });
    session
}

/// Opens a session to `url` playing RTP/AVP/TCP interleaved (RFC 2326
/// §10.12) from the start: the connection and the bytes after PLAY's
/// answer.
pub(crate) fn open_tcp_session(url: &str) -> (TcpStream, Vec<u8>) {
    let mut transport = header::Transport::rtp_avp();
    transport.lower = Some(header::LowerTransport::Tcp);
    transport.interleaved = Some(header::ChannelPair::new(0, 1));
    let (tcp, _, _, rest) = play(url, &transport);
    (tcp, rest)
}

/// DESCRIBE, SETUP with `transport`, PLAY from the start: the connection,
/// the session id, the last CSeq and what followed PLAY's answer.
fn play(url: &str, transport: &header::Transport<'_>) -> (TcpStream, String, u32, Vec<u8>) {
    let mut tcp =
        TcpStream::connect(url.trim_start_matches("rtsp://").split('/').next().unwrap()).unwrap();
    let _ = tcp.set_nodelay(true);
    let mut cseq = 0;
    request(
        &mut tcp,
        &mut cseq,
        Method::Describe,
        url,
        &[("Accept", &"application/sdp")],
    );
    // Both servers name the stream's control URL relative to the base
    // (RFC 2326 C.1.1).
    let control = format!("{url}/stream=0");
    let set_up = request(
        &mut tcp,
        &mut cseq,
        Method::Setup,
        &control,
        &[(names::TRANSPORT, transport)],
    );
    let id = set_up.session.expect("Session header");
    let from_start = header::Range::Npt {
        start: Some(header::NptTime::At(rtsp_core::Duration::ZERO)),
        end: None,
    };
    let played = request(
        &mut tcp,
        &mut cseq,
        Method::Play,
        url,
        &[(names::SESSION, &id), (names::RANGE, &from_start)],
    );
    (tcp, id, cseq, played.rest)
}

/// Sends GET_PARAMETER (RFC 2326 §10.8) on sessions quiet for 15 s; the
/// answers are left unread (a few hundred bytes each).
pub(crate) fn keep_alive(sessions: &mut [Session]) {
    let mut out = [0u8; RTSP_MAX_MESSAGE];
    for s in sessions {
        if s.kept.elapsed() < Duration::from_secs(15) {
            continue;
        }
        s.kept = Instant::now();
        if let Some(r) = s.rtsp.as_mut() {
            r.cseq += 1;
            let len = write_request(
                &mut out,
                Method::GetParameter,
                &r.url,
                r.cseq,
                &[(names::SESSION, &r.id)],
            );
            let _ = r.tcp.write_all(&out[..len]);
        }
    }
}
