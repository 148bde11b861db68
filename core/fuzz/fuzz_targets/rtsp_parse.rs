//! Fuzzes the RTSP message parser (RFC 2326 §4, §6, §7, §10.12), the typed
//! headers of whatever parses, and the sessions that read the same bytes:
//! none may panic, and a complete message never claims more bytes than given.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rtsp_core::limits::RTSP_MAX_HEADERS;
use rtsp_core::rtsp::{self, header, Header, Message, Status};
use rtsp_core::session::{client, server, Input};
use rtsp_core::{Duration, Instant};

struct Host(u32);

impl server::Host for Host {
    fn media(&mut self, path: &str) -> Result<server::MediaInfo, rtsp::StatusCode> {
        (path == "live" || path == "clip")
            .then_some(server::MediaInfo {
                width: 640,
                height: 480,
                framerate: rtsp_core::session::Framerate::fps(25),
                duration: (path == "clip").then_some(Duration::from_secs(10)),
            })
            .ok_or(rtsp::StatusCode::NotFound)
    }
    fn admit(&mut self, _path: &str) -> server::Admission {
        server::Admission::Accept
    }
    fn random_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(1_103_515_245).wrapping_add(12345);
        self.0
    }
    fn accepts_publishers(&self) -> bool {
        true
    }
    fn publish(&mut self, path: &str, _stream: &client::Described) -> server::Publish {
        match path {
            "cam" => server::Publish::Accept,
            "busy" => server::Publish::Busy,
            _ => server::Publish::Forbidden,
        }
    }
}

fn typed(headers: &[Header<'_>]) {
    for h in headers {
        let Some(v) = h.value_str() else { continue };
        let _ = header::Transports::parse(v);
        let _ = header::Range::parse(v);
        let _ = header::RtpInfoList::parse(v).map(|l| l.iter().count());
        let _ = header::Session::parse(v);
        let _ = header::CSeq::parse(v);
        let _ = header::MethodSet::parse(v);
        let _ = header::Challenge::parse(v).map(|c| c.params.nonce());
        let _ = header::Authorization::parse(v).map(|a| a.digest().map(|d| d.response()));
        let _ = header::OptionTags::parse(v).map(|t| t.iter().count());
        let _ = header::ContentType::parse(v);
        let _ = header::ContentBase::parse(v);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut headers = [Header::EMPTY; RTSP_MAX_HEADERS];
    if let Ok(Status::Complete((msg, used))) = rtsp::parse(data, &mut headers) {
        assert!(used <= data.len());
        match msg {
            Message::Request(r) => typed(r.headers),
            Message::Response(r) => typed(r.headers),
            Message::Interleaved(_) => {}
        }
    }

    let now = Instant::from_micros(1);
    let mut buf = [0u8; 8192];
    let config = server::Config {
        server_ports: Some(header::PortPair::new(6970, 6971)),
        ..server::Config::default()
    };
    let mut s = server::ServerSession::new(config, core::net::IpAddr::from([127, 0, 0, 1]));
    let mut host = Host(1);
    let mut rest = data;
    for _ in 0..16 {
        let n = match s.handle_input(now, rest, &mut host) {
            Ok(Input::Consumed(n) | Input::Rtp { consumed: n, .. }) => n,
            _ => break,
        };
        while let Ok(Some(_)) = s.poll_transmit(now, &mut buf) {}
        rest = rest.get(n..).unwrap_or_default();
    }
    while let Ok(Some(_)) = s.poll_transmit(now, &mut buf) {}
    s.handle_rtcp(now, data);
    let _ = s.frame_header(Duration::from_secs(1));
    s.handle_timeout(now + Duration::from_secs(1000));
    while let Ok(Some(_)) = s.poll_transmit(now, &mut buf) {}

    let mut c = client::ClientSession::new(client::Config::default(), "rtsp://h/live").unwrap();
    c.play(now);
    read_responses(&mut c, data);
    c.handle_rtcp(now, data);

    // A publisher reading the same bytes as the server's answers.
    let mut c = client::ClientSession::new(client::Config::default(), "rtsp://h/cam").unwrap();
    let stream = client::Described::jpeg(640, 480, rtsp_core::session::Framerate::fps(25));
    let _ = c.record(now, stream);
    read_responses(&mut c, data);
});

/// Feeds `data` to a client session as responses, sending what it asks.
fn read_responses(c: &mut client::ClientSession, data: &[u8]) {
    let now = Instant::from_micros(1);
    let mut buf = [0u8; 8192];
    let _ = c.poll_transmit(now, &mut buf, &mut ());
    let mut rest = data;
    for _ in 0..16 {
        match c.handle_input(now, rest) {
            Ok(r) => match r.consumed() {
                Some(n) => rest = rest.get(n..).unwrap_or_default(),
                None => break,
            },
            Err(_) => break,
        }
        while let Ok(Some(_)) = c.poll_transmit(now, &mut buf, &mut ()) {}
    }
}
