//! The drain client: every session's RTP counted (sequence numbers
//! extended by the core's `SeqExtender`, headers read with `rtp::Repr`),
//! sender reports read with `rtcp::Compound` for the latency, and nothing
//! else done with the packets.

use std::net::UdpSocket;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mio::{Events, Poll};
use rtsp_core::rtcp;
use rtsp_core::rtp::{self, SeqExtender};

use crate::rtsp::{keep_alive, Rtsp};
use crate::servers::Server;
use crate::ISOLATED;

/// One session of the drain client.
pub(crate) struct Session {
    /// The RTSP session (none for bare-gso).
    pub(crate) rtsp: Option<Rtsp>,
    /// When the last keep-alive went out.
    pub(crate) kept: Instant,
    pub(crate) rtp: mio::net::UdpSocket,
    pub(crate) rtcp: mio::net::UdpSocket,
    /// The latest sender report's mapping: Unix time (s) ↔ RTP timestamp
    /// (RFC 3550 §6.4.1).
    pub(crate) sr: Option<(f64, u32)>,
    /// Each frame completed in the window: its RTP timestamp and when its
    /// last packet was read (Unix time, s).
    pub(crate) arrivals: Vec<(u32, f64)>,
    /// RTP packets counted in the window.
    pub(crate) received: u64,
    /// The window's sequence numbers, extended (RFC 3550 A.1): what was
    /// expected.
    pub(crate) seq: SeqExtender,
    /// Frames completed (marker bits) in the window, and the RTP
    /// timestamps of the first and last of them.
    pub(crate) frames: u64,
    pub(crate) frame_ts: Option<(u32, u32)>,
}

/// Now as Unix time in seconds (the clock sender reports are stamped with:
/// the senders run on this machine).
fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Reads every RTCP datagram waiting on a session's RTCP socket and keeps
/// the last sender report's NTP ↔ RTP mapping.
fn read_rtcp(s: &mut Session, buf: &mut [u8]) {
    while let Ok(len) = s.rtcp.recv(buf) {
        for p in rtcp::Compound::new(&buf[..len]) {
            match p {
                Ok(rtcp::Packet::Sr(sr)) => {
                    if let Some(us) = sr.ntp_timestamp.to_unix_micros() {
                        s.sr = Some((us as f64 / 1e6, sr.rtp_timestamp.0));
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }
}

/// Latency of each frame from when it was due at the sender (its RTP
/// timestamp placed on the wall clock by the sender's own reports) to its
/// last packet read by the drain: p50 and p99 in ms over all sessions with
/// a sender report.
pub(crate) fn latency(sessions: &[Session]) -> Option<(f64, f64)> {
    let mut all: Vec<f64> = sessions
        .iter()
        .filter_map(|s| s.sr.map(|sr| (s, sr)))
        .flat_map(|(s, (sr_unix, sr_rtp))| {
            s.arrivals.iter().map(move |&(ts, t)| {
                let due = sr_unix + f64::from(ts.wrapping_sub(sr_rtp) as i32) / 90_000.0;
                (t - due) * 1e3
            })
        })
        .collect();
    if all.is_empty() {
        return None;
    }
    all.sort_by(f64::total_cmp);
    let at = |q: f64| all[((all.len() - 1) as f64 * q).round() as usize];
    Some((at(0.5), at(0.99)))
}

impl Session {
    /// Counts one RTP packet (RFC 3550 §5.1 header).
    fn count(&mut self, h: &rtp::Repr) {
        if h.marker {
            let ts = h.timestamp.0;
            self.frames += 1;
            self.arrivals.push((ts, unix_now()));
            let first = self.frame_ts.map_or(ts, |(f, _)| f);
            self.frame_ts = Some((first, ts));
        }
        self.seq.extend(h.sequence);
        self.received += 1;
    }

    /// Starts the measurement window: what came before is forgotten.
    pub(crate) fn restart_window(&mut self) {
        self.received = 0;
        self.seq = SeqExtender::new();
        self.frames = 0;
        self.frame_ts = None;
        self.arrivals.clear();
    }

    /// Packets lost in the window: expected from the extended sequence
    /// numbers minus received (RFC 3550 A.3), never negative.
    pub(crate) fn lost(&self) -> u64 {
        self.seq.expected().saturating_sub(self.received)
    }
}

/// One read from a drain socket: the length and the size of the datagrams
/// it holds (UDP_GRO's segment size, or the length if it is one datagram).
pub(crate) fn recv_gro(
    sock: &mio::net::UdpSocket,
    buf: &mut [u8],
) -> std::io::Result<(usize, usize)> {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags, SockaddrStorage};
    use std::os::fd::AsRawFd;
    let mut cmsg = nix::cmsg_space!(i32);
    let mut iov = [std::io::IoSliceMut::new(buf)];
    let msg = recvmsg::<SockaddrStorage>(
        sock.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::empty(),
    )?;
    let len = msg.bytes;
    let seg = msg
        .cmsgs()
        .ok()
        .and_then(|mut c| {
            c.find_map(|m| match m {
                ControlMessageOwned::UdpGroSegments(n) => usize::try_from(n).ok(),
                _ => None,
            })
        })
        .unwrap_or(len);
    Ok((len, seg))
}

/// A drain socket pair with no RTSP session (for the bare GSO sender).
pub(crate) fn bare_session(rtp: UdpSocket, rtcp: UdpSocket) -> Session {
    rtp.set_nonblocking(true).unwrap();
    // Room for a second of a 5 Mbit/s stream per client.
    let _ = nix::sys::socket::setsockopt(&rtp, nix::sys::socket::sockopt::RcvBufForce, &(1 << 20));
    if ISOLATED.load(Ordering::Relaxed) {
        // A GSO batch then arrives whole, one read per frame, so the drain's
        // core keeps up with thousands of clients. Individual datagrams
        // (GStreamer's) are not coalesced on loopback.
        nix::sys::socket::setsockopt(&rtp, nix::sys::socket::sockopt::UdpGroSegment, &true)
            .expect("UDP_GRO");
    }
    Session {
        rtsp: None,
        kept: Instant::now(),
        rtp: mio::net::UdpSocket::from_std(rtp),
        rtcp: {
            rtcp.set_nonblocking(true).unwrap();
            mio::net::UdpSocket::from_std(rtcp)
        },
        sr: None,
        arrivals: Vec::with_capacity(1024),
        received: 0,
        seq: SeqExtender::new(),
        frames: 0,
        frame_ts: None,
    }
}

/// What the drain client measures.
pub(crate) enum Target<'a> {
    /// An RTSP server.
    Rtsp(&'a Server),
    /// The bare GSO sender, started on the drain's ports (the clip path).
    Bare(&'a Path),
}

/// Sends due keep-alives, waits up to 20 ms for traffic and reads it all:
/// sender reports always, RTP packets counted when `counting` (else read
/// and dropped, to keep the queues short).
pub(crate) fn drain(
    poll: &mut Poll,
    events: &mut Events,
    sessions: &mut [Session],
    buf: &mut [u8],
    counting: bool,
) {
    keep_alive(sessions);
    poll.poll(events, Some(Duration::from_millis(20))).unwrap();
    for ev in events.iter() {
        let s = &mut sessions[ev.token().0 / 2];
        if ev.token().0 % 2 == 1 {
            read_rtcp(s, buf);
            continue;
        }
        while let Ok((len, seg)) = recv_gro(&s.rtp, buf) {
            if !counting {
                continue;
            }
            // With UDP_GRO one read may hold several datagrams of `seg`
            // bytes each (the last one shorter).
            for d in buf[..len].chunks(seg.max(1)) {
                let header = rtp::Packet::new_checked(d).and_then(|p| rtp::Repr::parse(&p));
                if let Ok(h) = header {
                    s.count(&h);
                }
            }
        }
    }
}
