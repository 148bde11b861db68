//! An RTSP proxy with a UDP relay in the media path, for loss tests.
//!
//! The client connects to the proxy; the proxy forwards the RTSP bytes to
//! the real server, rewriting `client_port=` in SETUP so the server sends
//! RTP/RTCP to the relay's ports. The relay forwards RTP to the client's
//! ports, except that it drops, duplicates and reorders the packets whose
//! index (0 = first RTP packet relayed) the plan names ([`Plan::seeded`]
//! draws them at random from a seed). Interleaved (TCP) media passes
//! through untouched. Every RTP packet is logged with whether it was
//! forwarded, so a test can work out what the client should have shown.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What the relay does to RTP packets, by index.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Never forwarded.
    pub drop: BTreeSet<u64>,
    /// Forwarded twice.
    pub duplicate: BTreeSet<u64>,
    /// Held back and forwarded right after the next packet.
    pub swap: BTreeSet<u64>,
    /// Forward no UDP at all (to test the fallback to TCP).
    pub block_udp: bool,
}

impl Plan {
    /// Drops and adjacent swaps drawn from `seed` among the packet indices
    /// `from..to`: each packet dropped with probability `drop`, else
    /// swapped with the next with probability `swap`.
    pub fn seeded(seed: u64, from: u64, to: u64, drop: f64, swap: f64) -> Plan {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut next = || {
            // xorshift64*: a fixed, portable sequence per seed.
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut plan = Plan::default();
        let mut i = from;
        while i < to {
            let r = next();
            if r < drop {
                plan.drop.insert(i);
            } else if r < drop + swap && i + 1 < to {
                plan.swap.insert(i);
                i += 1; // the packet it swaps with stays put
            }
            i += 1;
        }
        plan
    }
}

/// One RTP packet the relay got: its bytes, and whether it was forwarded.
pub type Logged = (Vec<u8>, bool);

/// A running proxy; threads stop when the test process ends.
pub struct Relay {
    /// Port the client connects to.
    pub port: u16,
    /// The relay's RTP port (what the server sends to).
    pub rtp_port: u16,
    /// The client's RTP port, once SETUP went through.
    pub client_rtp: Arc<AtomicU16>,
    /// RTP packets received from the server.
    pub received: Arc<AtomicU64>,
    /// Whether a SETUP asking for TCP went through the proxy.
    pub saw_tcp_setup: Arc<AtomicBool>,
    /// RTP timestamps of the frames the plan breaks (a packet dropped; a
    /// packet held back past the next frame's first one breaks nothing:
    /// the client's reorder window restores the order).
    pub broken_frames: Arc<Mutex<BTreeSet<u32>>>,
    /// Every RTP packet from the server, in arrival order.
    pub log: Arc<Mutex<Vec<Logged>>>,
}

fn even_pair() -> (UdpSocket, UdpSocket) {
    loop {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let p = a.local_addr().unwrap().port();
        if p % 2 == 0 {
            if let Ok(b) = UdpSocket::bind(("127.0.0.1", p + 1)) {
                return (a, b);
            }
        }
    }
}

impl Relay {
    /// Starts a proxy in front of the RTSP server at 127.0.0.1:`upstream`.
    pub fn start(upstream: u16, plan: Plan) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (rtp, rtcp) = even_pair();
        let rtp_port = rtp.local_addr().unwrap().port();
        let client_rtp = Arc::new(AtomicU16::new(0));
        let received = Arc::new(AtomicU64::new(0));
        let saw_tcp_setup = Arc::new(AtomicBool::new(false));
        let broken_frames = Arc::new(Mutex::new(BTreeSet::new()));
        let log = Arc::new(Mutex::new(Vec::new()));
        {
            let client_rtp = client_rtp.clone();
            let saw_tcp = saw_tcp_setup.clone();
            thread::spawn(move || {
                for c in listener.incoming() {
                    let Ok(c) = c else { return };
                    let s = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                    pump_requests(
                        c.try_clone().unwrap(),
                        s.try_clone().unwrap(),
                        rtp_port,
                        client_rtp.clone(),
                        saw_tcp.clone(),
                    );
                    pump_raw(s, c);
                }
            });
        }
        {
            let client_rtp = client_rtp.clone();
            let received = received.clone();
            let broken = broken_frames.clone();
            let log = log.clone();
            thread::spawn(move || relay_rtp(rtp, plan, client_rtp, received, broken, log));
        }
        {
            let client_rtp = client_rtp.clone();
            thread::spawn(move || {
                let mut buf = [0u8; 2048];
                while let Ok((n, _)) = rtcp.recv_from(&mut buf) {
                    let p = client_rtp.load(Ordering::SeqCst);
                    if p != 0 {
                        let _ = rtcp.send_to(&buf[..n], ("127.0.0.1", p + 1));
                    }
                }
            });
        }
        Relay {
            port,
            rtp_port,
            client_rtp,
            received,
            saw_tcp_setup,
            broken_frames,
            log,
        }
    }
}

/// Client to server: whole requests, with SETUP's client_port rewritten.
fn pump_requests(
    mut from: TcpStream,
    mut to: TcpStream,
    relay_port: u16,
    client_rtp: Arc<AtomicU16>,
    saw_tcp: Arc<AtomicBool>,
) {
    thread::spawn(move || {
        let mut pending: Vec<u8> = Vec::new();
        let mut buf = [0u8; 65536];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            pending.extend_from_slice(&buf[..n]);
            // The client sends RTCP on TCP too ('$' frames); pass them whole.
            loop {
                if pending.first() == Some(&b'$') {
                    if pending.len() < 4 {
                        break;
                    }
                    let len = 4 + usize::from(u16::from_be_bytes([pending[2], pending[3]]));
                    if pending.len() < len {
                        break;
                    }
                    let frame: Vec<u8> = pending.drain(..len).collect();
                    if to.write_all(&frame).is_err() {
                        return;
                    }
                    continue;
                }
                let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") else {
                    break;
                };
                let msg: Vec<u8> = pending.drain(..end + 4).collect();
                let text = String::from_utf8_lossy(&msg).to_string();
                let text = rewrite_setup(&text, relay_port, &client_rtp, &saw_tcp);
                if to.write_all(text.as_bytes()).is_err() {
                    return;
                }
            }
        }
    });
}

fn rewrite_setup(
    msg: &str,
    relay_port: u16,
    client_rtp: &AtomicU16,
    saw_tcp: &AtomicBool,
) -> String {
    if !msg.starts_with("SETUP ") {
        return msg.to_string();
    }
    if msg.contains("RTP/AVP/TCP") {
        saw_tcp.store(true, Ordering::SeqCst);
    }
    let Some(i) = msg.find("client_port=") else {
        return msg.to_string();
    };
    let start = i + "client_port=".len();
    let end = start
        + msg[start..]
            .find(|c: char| c != '-' && !c.is_ascii_digit())
            .unwrap_or(0);
    let theirs: u16 = msg[start..end].split('-').next().unwrap().parse().unwrap();
    client_rtp.store(theirs, Ordering::SeqCst);
    format!(
        "{}{}-{}{}",
        &msg[..start],
        relay_port,
        relay_port + 1,
        &msg[end..]
    )
}

/// Server to client: bytes as they come.
fn pump_raw(mut from: TcpStream, mut to: TcpStream) {
    thread::spawn(move || {
        let mut buf = [0u8; 65536];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
            }
        }
    });
}

fn rtp_ts(pkt: &[u8]) -> u32 {
    u32::from_be_bytes([pkt[4], pkt[5], pkt[6], pkt[7]])
}

fn relay_rtp(
    sock: UdpSocket,
    plan: Plan,
    client_rtp: Arc<AtomicU16>,
    received: Arc<AtomicU64>,
    broken: Arc<Mutex<BTreeSet<u32>>>,
    log: Arc<Mutex<Vec<Logged>>>,
) {
    let mut buf = [0u8; 65536];
    let mut held: Option<Vec<u8>> = None;
    let mut index = 0u64;
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    loop {
        let n = match sock.recv_from(&mut buf) {
            Ok((n, _)) => n,
            Err(_) => continue,
        };
        received.fetch_add(1, Ordering::SeqCst);
        let i = index;
        index += 1;
        let port = client_rtp.load(Ordering::SeqCst);
        if plan.block_udp || port == 0 {
            continue;
        }
        let to: SocketAddr = ([127, 0, 0, 1], port).into();
        let pkt = &buf[..n];
        let dropped = plan.drop.contains(&i);
        log.lock().unwrap().push((pkt.to_vec(), !dropped));
        if dropped {
            broken.lock().unwrap().insert(rtp_ts(pkt));
            continue;
        }
        if plan.swap.contains(&i) {
            held = Some(pkt.to_vec());
            continue;
        }
        let _ = sock.send_to(pkt, to);
        if plan.duplicate.contains(&i) {
            let _ = sock.send_to(pkt, to);
        }
        if let Some(h) = held.take() {
            let _ = sock.send_to(&h, to);
        }
    }
}
