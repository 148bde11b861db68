//! Shared pieces of the rtsp-server end-to-end tests: starting the real
//! binary on free ports, and a deliberately small, independent RTSP client
//! (plain text over a TcpStream, RTP headers read by hand) so the tests
//! check the server against the RFCs rather than against our own core.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant};

use rtsp_e2e::{bin, free_tcp_port, wait_for_tcp, Proc, DEADLINE};

/// A running rtsp-server on a free port of 127.0.0.1.
pub struct Server {
    pub proc: Proc,
    pub port: u16,
}

impl Server {
    /// Starts the server with `args` (after `--bind 127.0.0.1 --port P`)
    /// and waits for its banner and its listening socket.
    pub fn start(args: &[&str]) -> Server {
        Server::start_on(free_tcp_port(), args)
    }

    /// [`Server::start`] on `port` (e.g. again after a stop, where a
    /// client expects it).
    pub fn start_on(port: u16, args: &[&str]) -> Server {
        let mut cmd = Command::new(bin("rtsp-server"));
        cmd.args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(args);
        cmd.env("RUST_LOG", "debug");
        let proc = Proc::spawn("rtsp-server", &mut cmd);
        proc.wait_for_line(&format!("rtsp://127.0.0.1:{port}/"), DEADLINE);
        wait_for_tcp(port, DEADLINE);
        Server { proc, port }
    }

    /// URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("rtsp://127.0.0.1:{}/{path}", self.port)
    }
}

/// An RTSP response as read off the wire.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// First header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The session id without its `;timeout=` parameter.
    pub fn session(&self) -> String {
        let s = self.header("Session").expect("Session header");
        s.split(';').next().unwrap().trim().to_string()
    }

    /// A `key=value` parameter of a `;`-separated header value.
    pub fn param(&self, header: &str, key: &str) -> Option<String> {
        param(self.header(header)?, key)
    }
}

/// A `key=value` parameter of a `;`-separated value.
pub fn param(value: &str, key: &str) -> Option<String> {
    value.split([';', ',']).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case(key).then(|| v.trim().to_string())
    })
}

/// One RTP packet's fixed header (RFC 3550 §5.1), read by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rtp {
    pub marker: bool,
    pub pt: u8,
    pub seq: u16,
    pub ts: u32,
    pub ssrc: u32,
    pub len: usize,
}

impl Rtp {
    pub fn parse(p: &[u8]) -> Option<Rtp> {
        if p.len() < 12 || p[0] >> 6 != 2 {
            return None;
        }
        Some(Rtp {
            marker: p[1] & 0x80 != 0,
            pt: p[1] & 0x7f,
            seq: u16::from_be_bytes([p[2], p[3]]),
            ts: u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
            ssrc: u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
            len: p.len(),
        })
    }
}

/// Appends what `stream` has next to `buf`; false at its end.
pub fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 65536];
    match stream.read(&mut chunk) {
        Ok(0) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
        Err(e) => panic!("reading from rtsp-server: {e}"),
    }
}

/// A raw RTSP/1.0 client on one TCP connection.
pub struct Client {
    pub stream: TcpStream,
    pub url: String,
    cseq: u32,
    buf: Vec<u8>,
    /// Interleaved frames (channel, payload) seen while reading responses
    /// or by [`Client::read_interleaved`].
    pub interleaved: Vec<(u8, Vec<u8>)>,
}

impl Client {
    pub fn connect(port: u16, url: &str) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to rtsp-server");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        Client {
            stream,
            url: url.into(),
            cseq: 0,
            buf: Vec::new(),
            interleaved: Vec::new(),
        }
    }

    /// Sends raw bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Sends `method url` with a fresh CSeq and `headers`; returns the CSeq.
    pub fn send(&mut self, method: &str, url: &str, headers: &[(&str, &str)]) -> u32 {
        self.cseq += 1;
        let mut req = format!(
            "{method} {url} RTSP/1.0\r\nCSeq: {}\r\nUser-Agent: e2e-raw\r\n",
            self.cseq
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        self.send_raw(req.as_bytes());
        self.cseq
    }

    /// Sends a request and reads its response, checking the CSeq echo.
    pub fn request(&mut self, method: &str, url: &str, headers: &[(&str, &str)]) -> Response {
        let cseq = self.send(method, url, headers);
        let r = self.read_response();
        assert_eq!(
            r.header("CSeq"),
            Some(cseq.to_string().as_str()),
            "CSeq echoed on {method}: {r:?}"
        );
        r
    }

    fn fill(&mut self) -> bool {
        read_more(&mut self.stream, &mut self.buf)
    }

    /// A client whose session plays `url` over UDP to the returned pair.
    pub fn playing_udp(port: u16, url: &str) -> (Client, UdpPair, String) {
        let mut c = Client::connect(port, url);
        let pair = UdpPair::bind();
        let session = c.setup_udp(&pair).session();
        let p = c.request("PLAY", url, &[("Session", &session)]);
        assert_eq!(p.status, 200, "PLAY: {p:?}");
        (c, pair, session)
    }

    /// Takes one interleaved frame off the front of the buffer, if whole.
    fn take_interleaved(&mut self) -> Option<(u8, Vec<u8>)> {
        if self.buf.len() >= 4 && self.buf[0] == b'$' {
            let len = u16::from_be_bytes([self.buf[2], self.buf[3]]) as usize;
            if self.buf.len() >= 4 + len {
                let ch = self.buf[1];
                let payload = self.buf[4..4 + len].to_vec();
                self.buf.drain(..4 + len);
                return Some((ch, payload));
            }
        }
        None
    }

    /// Reads the next response, keeping interleaved frames that come first.
    pub fn read_response(&mut self) -> Response {
        loop {
            while let Some(f) = self.take_interleaved() {
                self.interleaved.push(f);
            }
            if self.buf.first().is_some_and(|&b| b != b'$') {
                if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&self.buf[..end]).to_string();
                    let mut lines = head.split("\r\n");
                    let status_line = lines.next().unwrap();
                    let status: u16 = status_line
                        .split(' ')
                        .nth(1)
                        .and_then(|s| s.parse().ok())
                        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
                    let headers: Vec<(String, String)> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                        .collect();
                    let clen: usize = headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("Content-Length"))
                        .map_or(0, |(_, v)| v.parse().unwrap());
                    while self.buf.len() < end + 4 + clen {
                        assert!(self.fill(), "connection closed inside a response body");
                    }
                    let body = self.buf[end + 4..end + 4 + clen].to_vec();
                    self.buf.drain(..end + 4 + clen);
                    return Response {
                        status,
                        headers,
                        body,
                    };
                }
            }
            assert!(self.fill(), "connection closed before a response");
        }
    }

    /// Reads interleaved frames until `deadline` passes; returns them.
    pub fn read_interleaved(&mut self, deadline: Duration) -> Vec<(u8, Vec<u8>)> {
        let end = Instant::now() + deadline;
        let mut out = std::mem::take(&mut self.interleaved);
        self.stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        while Instant::now() < end {
            while let Some(f) = self.take_interleaved() {
                out.push(f);
            }
            let mut chunk = [0u8; 65536];
            match self.stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("reading interleaved data: {e}"),
            }
        }
        while let Some(f) = self.take_interleaved() {
            out.push(f);
        }
        self.stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        out
    }

    /// OPTIONS, DESCRIBE and SETUP over UDP to `rtp`'s port pair; returns
    /// the SETUP response.
    pub fn setup_udp(&mut self, rtp: &UdpPair) -> Response {
        let d = self.request(
            "DESCRIBE",
            &self.url.clone(),
            &[("Accept", "application/sdp")],
        );
        assert_eq!(d.status, 200, "DESCRIBE: {d:?}");
        let t = format!("RTP/AVP;unicast;client_port={}-{}", rtp.port, rtp.port + 1);
        let url = self.url.clone();
        let s = self.request("SETUP", &url, &[("Transport", &t)]);
        assert_eq!(s.status, 200, "SETUP: {s:?}");
        s
    }

    /// DESCRIBE and SETUP over TCP interleaved (channels 0-1).
    pub fn setup_tcp(&mut self) -> Response {
        let url = self.url.clone();
        let d = self.request("DESCRIBE", &url, &[("Accept", "application/sdp")]);
        assert_eq!(d.status, 200, "DESCRIBE: {d:?}");
        let s = self.request(
            "SETUP",
            &url,
            &[("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")],
        );
        assert_eq!(s.status, 200, "SETUP: {s:?}");
        s
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A bound RTP/RTCP pair of UDP sockets on 127.0.0.1 (even port, port+1).
pub struct UdpPair {
    pub rtp: UdpSocket,
    pub rtcp: UdpSocket,
    pub port: u16,
}

impl UdpPair {
    pub fn bind() -> UdpPair {
        for _ in 0..500 {
            let a = UdpSocket::bind("127.0.0.1:0").unwrap();
            let p = a.local_addr().unwrap().port();
            if p % 2 == 0 && p < 65534 {
                if let Ok(b) = UdpSocket::bind(("127.0.0.1", p + 1)) {
                    a.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
                    b.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
                    return UdpPair {
                        rtp: a,
                        rtcp: b,
                        port: p,
                    };
                }
            }
        }
        panic!("no free UDP pair");
    }

    /// Every RTP datagram arriving within `d`, with its arrival time.
    pub fn recv_for(&self, d: Duration) -> Vec<(Instant, Vec<u8>, SocketAddr)> {
        let end = Instant::now() + d;
        let mut out = Vec::new();
        let mut buf = [0u8; 65536];
        while Instant::now() < end {
            if let Ok((n, from)) = self.rtp.recv_from(&mut buf) {
                out.push((Instant::now(), buf[..n].to_vec(), from));
            }
        }
        out
    }

    /// Every RTCP datagram arriving within `d`.
    pub fn recv_rtcp_for(&self, d: Duration) -> Vec<Vec<u8>> {
        let end = Instant::now() + d;
        let mut out = Vec::new();
        let mut buf = [0u8; 2048];
        while Instant::now() < end {
            if let Ok(n) = self.rtcp.recv(&mut buf) {
                out.push(buf[..n].to_vec());
            }
        }
        out
    }
}

/// Complete frames (marker bits) in a packet list.
pub fn frames(pkts: &[Rtp]) -> usize {
    pkts.iter().filter(|p| p.marker).count()
}

/// Asserts sequence numbers increase by one with no gap.
pub fn assert_no_gaps(pkts: &[Rtp], what: &str) {
    for w in pkts.windows(2) {
        assert_eq!(
            w[1].seq,
            w[0].seq.wrapping_add(1),
            "{what}: sequence gap {} -> {}",
            w[0].seq,
            w[1].seq
        );
    }
}
