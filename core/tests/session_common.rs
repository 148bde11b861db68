//! Shared harness for the session tests: a server session and a client
//! session wired back to back on a virtual clock, with no sockets.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};

use rtsp_core::rtsp::StatusCode;
use rtsp_core::session::client::{self, ClientSession};
use rtsp_core::session::server::{self, Admission, MediaInfo, ServerSession};
use rtsp_core::session::{Destination, Framerate, Input, MediaTransport};
use rtsp_core::{Duration, Instant};

pub const PEER: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The server host: two presentations, a capacity, a deterministic RNG.
#[derive(Debug)]
pub struct TestHost {
    pub rng: u32,
    pub capacity: usize,
    pub sessions: usize,
    pub refusal: Admission,
    /// The user required of clients: (user, password, Basic allowed, nonce).
    pub auth: Option<(String, String, bool, server::Nonce)>,
    /// Take publishers (ANNOUNCE/RECORD) on paths starting `pub/` or named
    /// `cam`.
    pub publishers: bool,
    /// Paths a publisher claimed (freed on `PublishStopped`).
    pub claimed: Vec<String>,
}

impl Default for TestHost {
    fn default() -> Self {
        TestHost {
            rng: 0x1234_5678,
            capacity: 8,
            sessions: 0,
            refusal: Admission::NotEnoughBandwidth,
            auth: None,
            publishers: false,
            claimed: Vec::new(),
        }
    }
}

impl server::Host for TestHost {
    fn media(&mut self, path: &str) -> Result<MediaInfo, StatusCode> {
        match path {
            "live" | "cam" => Ok(MediaInfo {
                width: 640,
                height: 480,
                framerate: Framerate::fps(25),
                duration: None,
            }),
            "clip.mjpeg" | "sub/clip" => Ok(MediaInfo {
                width: 2560,
                height: 1440,
                framerate: Framerate {
                    num: 30000,
                    den: 1001,
                },
                duration: Some(Duration::from_secs(10)),
            }),
            // 100 frames at 25 fps, for the frame clock tests.
            "clip25" => Ok(MediaInfo {
                width: 320,
                height: 240,
                framerate: Framerate::fps(25),
                duration: Some(Duration::from_secs(4)),
            }),
            // A file the host found but cannot send as RTP/JPEG.
            "progressive.mjpeg" => Err(StatusCode::UnsupportedMediaType),
            _ => Err(StatusCode::NotFound),
        }
    }

    fn admit(&mut self, _path: &str) -> Admission {
        if self.sessions >= self.capacity {
            return self.refusal;
        }
        self.sessions += 1;
        Admission::Accept
    }

    fn credentials(&self) -> Option<server::Credentials<'_>> {
        let (user, password, basic, nonce) = self.auth.as_ref()?;
        Some(server::Credentials {
            realm: "test realm",
            user,
            password,
            nonce,
            basic: *basic,
        })
    }

    fn accepts_publishers(&self) -> bool {
        self.publishers
    }

    fn publish(&mut self, path: &str, _stream: &client::Described) -> server::Publish {
        if !(path == "cam" || path.starts_with("pub/")) {
            return server::Publish::Forbidden;
        }
        if self.claimed.iter().any(|p| p == path) {
            return server::Publish::Busy;
        }
        self.claimed.push(path.to_string());
        server::Publish::Accept
    }

    fn random_u32(&mut self) -> u32 {
        // xorshift32
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        x
    }
}

/// Everything that crossed the wire, for assertions.
#[derive(Default, Debug)]
pub struct Wire {
    /// Requests the client sent, as text.
    pub requests: Vec<String>,
    /// Responses the server sent, as text.
    pub responses: Vec<String>,
    /// RTCP from the server: (destination, bytes).
    pub server_rtcp: Vec<(Destination, Vec<u8>)>,
    /// RTCP from the client.
    pub client_rtcp: Vec<(Destination, Vec<u8>)>,
    pub client_events: Vec<client::Event>,
    pub server_events: Vec<server::Event>,
}

#[derive(Debug)]
pub struct Pair {
    pub now: Instant,
    pub server: ServerSession,
    pub client: ClientSession,
    pub host: TestHost,
    pub wire: Wire,
    /// What the client received as interleaved RTP.
    pub rtp_received: Vec<Vec<u8>>,
    /// What the server received as interleaved RTP (from a publisher).
    pub rtp_published: Vec<Vec<u8>>,
}

impl Pair {
    pub fn new(transport: client::TransportRequest, url: &str) -> Pair {
        Self::with(
            transport,
            url,
            server::Config {
                server_ports: Some(rtsp_core::rtsp::header::PortPair::new(6970, 6971)),
                ..server::Config::default()
            },
        )
    }

    pub fn with(transport: client::TransportRequest, url: &str, config: server::Config) -> Pair {
        let client_config = client::Config {
            transport,
            ..client::Config::default()
        };
        Pair {
            now: Instant::from_micros(1_000_000),
            server: ServerSession::new(config, PEER),
            client: ClientSession::new(client_config, url).unwrap(),
            host: TestHost::default(),
            wire: Wire::default(),
            rtp_received: Vec::new(),
            rtp_published: Vec::new(),
        }
    }

    /// Moves every pending byte and event until both sides are quiet.
    pub fn pump(&mut self) {
        let mut buf = vec![0u8; rtsp_core::limits::RTSP_MAX_MESSAGE];
        for _ in 0..64 {
            let mut moved = false;
            while let Some(tx) = self
                .client
                .poll_transmit(self.now, &mut buf, &mut ())
                .unwrap()
            {
                moved = true;
                let bytes = buf[..tx.len].to_vec();
                match tx.destination {
                    Destination::Rtsp => {
                        self.wire
                            .requests
                            .push(String::from_utf8(bytes.clone()).unwrap());
                        self.server_input(&bytes);
                    }
                    Destination::Interleaved { .. } => {
                        self.wire.client_rtcp.push((tx.destination, bytes.clone()));
                        self.server_input(&bytes);
                    }
                    Destination::Rtcp { .. } => {
                        self.wire.client_rtcp.push((tx.destination, bytes.clone()));
                        self.server.handle_rtcp(self.now, &bytes);
                    }
                }
            }
            while let Some(tx) = self.server.poll_transmit(self.now, &mut buf).unwrap() {
                moved = true;
                let bytes = buf[..tx.len].to_vec();
                match tx.destination {
                    Destination::Rtsp => {
                        self.wire
                            .responses
                            .push(String::from_utf8(bytes.clone()).unwrap());
                        self.client_input(&bytes);
                    }
                    Destination::Interleaved { .. } => {
                        self.wire.server_rtcp.push((tx.destination, bytes.clone()));
                        self.client_input(&bytes);
                    }
                    Destination::Rtcp { .. } => {
                        self.wire.server_rtcp.push((tx.destination, bytes.clone()));
                        self.client.handle_rtcp(self.now, &bytes);
                    }
                }
            }
            while let Some(ev) = self.client.poll_event() {
                moved = true;
                self.wire.client_events.push(ev);
            }
            while let Some(ev) = self.server.poll_event() {
                moved = true;
                if matches!(ev, server::Event::TornDown | server::Event::Expired) {
                    self.host.sessions -= 1;
                }
                if ev == server::Event::PublishStopped {
                    // One publisher per pair: its claim goes.
                    self.host.claimed.clear();
                }
                self.wire.server_events.push(ev);
            }
            if !moved {
                return;
            }
        }
        panic!("the sessions never went quiet");
    }

    /// Feeds bytes to the server; every message must be consumed whole.
    pub fn server_input(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match self
                .server
                .handle_input(self.now, bytes, &mut self.host)
                .unwrap()
            {
                Input::Consumed(n) | Input::Rtcp { consumed: n, .. } => bytes = &bytes[n..],
                Input::Rtp { consumed, packet } => {
                    self.rtp_published.push(packet.to_vec());
                    bytes = &bytes[consumed..];
                }
                Input::Partial => panic!("server input ends inside a message"),
            }
            // Responses must go out before the next message is read.
            self.drain_server_to_client();
        }
    }

    fn drain_server_to_client(&mut self) {
        let mut buf = vec![0u8; rtsp_core::limits::RTSP_MAX_MESSAGE];
        while let Some(tx) = self.server.poll_transmit(self.now, &mut buf).unwrap() {
            let bytes = buf[..tx.len].to_vec();
            match tx.destination {
                Destination::Rtsp => {
                    self.wire
                        .responses
                        .push(String::from_utf8(bytes.clone()).unwrap());
                    self.client_input(&bytes);
                }
                Destination::Interleaved { .. } => {
                    self.wire.server_rtcp.push((tx.destination, bytes.clone()));
                    self.client_input(&bytes);
                }
                Destination::Rtcp { .. } => {
                    self.wire.server_rtcp.push((tx.destination, bytes.clone()));
                    self.client.handle_rtcp(self.now, &bytes);
                }
            }
        }
    }

    pub fn client_input(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match self.client.handle_input(self.now, bytes).unwrap() {
                client::Received::Consumed(n) => bytes = &bytes[n..],
                client::Received::Rtp { consumed, packet } => {
                    self.rtp_received.push(packet.to_vec());
                    bytes = &bytes[consumed..];
                }
                client::Received::Rtcp { consumed, .. } => bytes = &bytes[consumed..],
                client::Received::Partial => panic!("partial client input"),
            }
        }
    }

    /// Advances the virtual clock by `d`, firing timers on the way.
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            let next = [self.server.poll_timeout(), self.client.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= end => {
                    self.now = t.max(self.now);
                    self.server.handle_timeout(self.now);
                    self.client.handle_timeout(self.now);
                    self.pump();
                }
                _ => break,
            }
        }
        self.now = end;
        self.pump();
    }

    /// Sends one frame of `packets` packets (payload `octets`) as the host
    /// would, at media time `media`; returns the RTP header of its first
    /// packet.
    pub fn send_frame(
        &mut self,
        media: Duration,
        packets: u16,
        octets: usize,
    ) -> Option<rtsp_core::rtp::Repr> {
        let repr = self.server.frame_header(media)?;
        if let Some(MediaTransport::Interleaved { channels }) = self.server.media_transport() {
            for i in 0..packets {
                let mut r = repr;
                r.sequence = r.sequence.wrapping_add(i);
                r.marker = i + 1 == packets;
                let mut pkt = vec![0u8; 12 + 4];
                r.emit(&mut pkt).unwrap();
                let mut framed = rtsp_core::rtsp::interleaved_header(channels.rtp, pkt.len())
                    .unwrap()
                    .to_vec();
                framed.extend_from_slice(&pkt);
                self.client_input(&framed);
            }
        }
        self.server.on_rtp_sent(self.now, packets, octets);
        Some(repr)
    }
}

/// The methods of the requests the client sent, in order.
pub fn methods(p: &Pair) -> Vec<&str> {
    p.wire
        .requests
        .iter()
        .map(|r| r.split(' ').next().unwrap())
        .collect()
}

pub fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The session id of a SETUP reply's `Session:` header.
pub fn session_of(reply: &str) -> String {
    header(reply, "Session")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

pub fn status(message: &str) -> u16 {
    message.split(' ').nth(1).unwrap().parse().unwrap()
}

/// Sends raw request bytes to `server` and returns every response text
/// (each message of `bytes` must be consumed whole).
pub fn exchange(
    server: &mut ServerSession,
    host: &mut TestHost,
    now: Instant,
    bytes: &[u8],
) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut buf = vec![0u8; rtsp_core::limits::RTSP_MAX_MESSAGE];
    while !rest.is_empty() {
        let result = server.handle_input(now, rest, host);
        let consumed = match result {
            Ok(Input::Consumed(n)) => n,
            Ok(other) => panic!("{other:?}"),
            Err(_) => rest.len(),
        };
        while let Some(tx) = server.poll_transmit(now, &mut buf).unwrap() {
            if tx.destination == Destination::Rtsp {
                out.push(String::from_utf8(buf[..tx.len].to_vec()).unwrap());
            }
        }
        rest = &rest[consumed..];
    }
    out
}

/// One request, one response.
pub fn ask(server: &mut ServerSession, host: &mut TestHost, now: Instant, request: &str) -> String {
    let mut replies = exchange(server, host, now, request.as_bytes());
    assert_eq!(replies.len(), 1, "{replies:?}");
    replies.remove(0)
}

/// A client session driven against canned responses, one per request in
/// order, on a virtual clock; what it sends is kept for the assertions.
#[derive(Debug)]
pub struct Scripted<const AUTH: usize> {
    pub now: Instant,
    pub client: ClientSession<AUTH>,
    pub replies: std::collections::VecDeque<Vec<u8>>,
    pub requests: Vec<String>,
    pub rtcp: Vec<(Destination, Vec<u8>)>,
    pub events: Vec<client::Event>,
}

impl<const AUTH: usize> Scripted<AUTH> {
    pub fn new(client: ClientSession<AUTH>, replies: Vec<Vec<u8>>) -> Self {
        Scripted {
            now: Instant::from_micros(10_000_000),
            client,
            replies: replies.into(),
            requests: Vec::new(),
            rtcp: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Sends every queued request, answering each with the next reply
    /// while the script lasts.
    pub fn run(&mut self) {
        let mut buf = [0u8; 2048];
        while let Some(tx) = self
            .client
            .poll_transmit(self.now, &mut buf, &mut ())
            .unwrap()
        {
            if tx.destination != Destination::Rtsp {
                self.rtcp.push((tx.destination, buf[..tx.len].to_vec()));
                continue;
            }
            self.requests
                .push(String::from_utf8(buf[..tx.len].to_vec()).unwrap());
            // Out of script: the request stays outstanding.
            let Some(reply) = self.replies.pop_front() else {
                return;
            };
            assert_eq!(
                self.client.handle_input(self.now, &reply).unwrap(),
                client::Received::Consumed(reply.len())
            );
            while let Some(ev) = self.client.poll_event() {
                self.events.push(ev);
            }
        }
        while let Some(ev) = self.client.poll_event() {
            self.events.push(ev);
        }
    }

    /// Fires the timers due within `d`.
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        while let Some(t) = self.client.poll_timeout().filter(|t| *t <= end) {
            self.now = t;
            self.client.handle_timeout(t);
            self.run();
        }
        self.now = end;
    }

    /// The first line of request `i`.
    pub fn request_line(&self, i: usize) -> &str {
        self.requests[i].lines().next().unwrap()
    }

    /// Header `name` of request `i`.
    pub fn header(&self, i: usize, name: &str) -> Option<&str> {
        header(&self.requests[i], name)
    }
}
