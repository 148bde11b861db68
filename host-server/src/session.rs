//! A session's host-side state: where its media goes, its position, its
//! RTP clock, and its timers (frame pacing, RTCP sender reports, the
//! session timeout of RFC 2326 §12.37).

use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;

use rtsp_core::rtcp;
use rtsp_core::rtp::{RtpTimestamp, SeqNo, Ssrc};
use rtsp_core::{Duration, Instant};

use crate::media::Source;
use crate::server::{Server, SR_INTERVAL};
use crate::stream::{send_rtcp, Dest, Sender};

/// One RTSP session (RFC 2326 §3.4), bound to the connection that set it up.
#[derive(Debug)]
pub struct Session {
    /// Identifier sent in `Session:`: 16 hex digits.
    pub id: String,
    /// The stream's request path.
    pub path: String,
    /// Last sign of life: a request or an RTCP receiver report.
    pub last_seen: Instant,
    /// Idle time after which the session is reclaimed.
    pub timeout: Duration,
    /// Receiver reports received.
    pub reports: u64,
    /// Media state once SETUP chose a transport.
    pub playback: Option<Playback>,
}

/// Media state of a session.
#[derive(Debug)]
pub struct Playback {
    /// What it plays.
    pub source: Source,
    /// Where RTP and RTCP go.
    pub dest: Dest,
    /// RTP sender state.
    pub tx: Sender,
    /// Index of the next clip frame (not wrapped; frame = pos % len).
    pub pos: usize,
    /// Sending (PLAY) or not (after SETUP, PAUSE, or the end of a clip).
    pub playing: bool,
    /// The clip ended without --loop.
    pub ended: bool,
    /// When the next clip frame is due.
    pub next_due: Instant,
    /// RTP timestamp at `anchor_at`; the RTP clock runs at 90 kHz from there
    /// (RFC 2435 §3), paused time included, so a resumed stream's
    /// timestamps move on by the time it was paused.
    anchor_ts: u32,
    anchor_at: Instant,
    /// When the next RTCP sender report is due.
    pub next_sr: Instant,
}

impl Playback {
    /// A stopped playback with random SSRC, sequence and timestamp origins
    /// (RFC 3550 §5.1: random initial values).
    pub fn new(source: Source, dest: Dest, now: Instant) -> Playback {
        Playback {
            source,
            dest,
            tx: Sender::new(Ssrc(random() as u32), SeqNo(random() as u16)),
            pos: 0,
            playing: false,
            ended: false,
            next_due: now,
            anchor_ts: random() as u32,
            anchor_at: now,
            next_sr: now,
        }
    }

    /// The RTP timestamp (90 kHz) for wall-clock instant `t`.
    pub fn rtp_time(&self, t: Instant) -> RtpTimestamp {
        let micros = t.saturating_since(self.anchor_at).as_micros();
        let ticks = (u128::from(micros) * 90_000 / 1_000_000) as u32;
        RtpTimestamp(self.anchor_ts.wrapping_add(ticks))
    }

    /// The clip being played, if it is one.
    pub fn clip_len(&self) -> Option<usize> {
        match &self.source {
            Source::Clip(c) => Some(c.frames.len()),
            _ => None,
        }
    }
}

impl Session {
    /// A session for `path` with a fresh random identifier.
    pub fn new(path: &str, now: Instant, timeout: Duration) -> Session {
        Session {
            id: format!("{:016X}", random()),
            path: path.into(),
            last_seen: now,
            timeout,
            reports: 0,
            playback: None,
        }
    }

    /// The earliest instant this session needs the loop: its next frame,
    /// its next sender report, or its expiry.
    pub fn next_deadline(&self) -> Option<Instant> {
        let expiry = self.last_seen + self.timeout;
        let media = self.playback.as_ref().filter(|p| p.playing).map(|p| {
            let sr = p.next_sr;
            if matches!(p.source, Source::Clip(_)) {
                sr.min(p.next_due)
            } else {
                sr
            }
        });
        Some(media.map_or(expiry, |m| m.min(expiry)))
    }
}

/// 64 random bits from the standard library's per-process random hasher
/// keys (no extra dependency; not for cryptography).
pub fn random() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(N.fetch_add(1, Ordering::Relaxed));
    h.finish()
}

/// CNAME of our sources (RFC 3550 §6.5.1).
const CNAME: &str = "rtsp-server";

/// Writes an RTCP compound SR + SDES CNAME, plus BYE if `bye` (RFC 3550
/// §6.4.1, §6.5, §6.6), into `buf`; returns its length (0 if it failed).
pub fn rtcp_packet(pb: &Playback, now: Instant, bye: bool, buf: &mut [u8]) -> usize {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64);
    let sr = rtcp::SenderReport {
        ssrc: pb.tx.ssrc,
        // The NTP and RTP timestamps name the same instant: the receiver's
        // wall-clock mapping (RFC 3550 §6.4.1).
        ntp_timestamp: rtcp::NtpTimestamp::from_unix_micros(unix),
        rtp_timestamp: pb.rtp_time(now),
        packet_count: pb.tx.packets,
        octet_count: pb.tx.octets,
        reports: rtcp::ReportBlocks::empty(),
    };
    let sdes = rtcp::Sdes::cname(pb.tx.ssrc, CNAME);
    let ssrcs = [pb.tx.ssrc];
    let goodbye = rtcp::Bye::new(&ssrcs);
    let packets = [
        rtcp::Packet::Sr(sr),
        rtcp::Packet::Sdes(sdes),
        rtcp::Packet::Bye(goodbye),
    ];
    let used = if bye { &packets[..] } else { &packets[..2] };
    rtcp::emit_compound(used, buf).unwrap_or(0)
}

impl Server {
    /// Timers of connection `idx`: expiry, due frames, sender reports.
    pub fn session_timers(&mut self, idx: usize, now: Instant) {
        let Some(c) = self.conns.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        let Some(s) = c.session.as_ref() else { return };
        if now > s.last_seen + s.timeout {
            let Some(s) = c.session.take() else { return };
            let peer = c.peer;
            let why = format!(
                "expired after {} s without a request or receiver report",
                s.timeout.as_secs()
            );
            self.end_session(s, idx, peer, now, &why);
            self.flush_conn(idx);
            return;
        }
        self.send_due_frames(idx, now);
        self.send_rtcp(idx, now, false, false);
    }

    /// Ends a session: a last SR with BYE (RFC 3550 §6.6), forgets its
    /// RTCP address, logs what it did. Connection `idx` may be gone.
    pub fn end_session(
        &mut self,
        s: Session,
        idx: usize,
        peer: SocketAddr,
        now: Instant,
        why: &str,
    ) {
        self.sessions = self.sessions.saturating_sub(1);
        let Some(pb) = s.playback.as_ref() else {
            tracing::info!("{peer}: session {} ({}) ended ({why})", s.id, s.path);
            return;
        };
        if let Dest::Udp { rtcp, .. } = pb.dest {
            self.rtcp_peers.remove(&rtcp);
        }
        let mut buf = [0u8; rtsp_core::limits::RTCP_MAX_COMPOUND];
        let n = rtcp_packet(pb, now, true, &mut buf);
        match pb.dest {
            Dest::Udp { rtcp, .. } => {
                self.rtcp.send_one(&buf[..n], rtcp);
            }
            Dest::Tcp { .. } => {
                if let Some(c) = self.conns.get_mut(idx).and_then(Option::as_mut) {
                    send_rtcp(
                        &buf[..n],
                        pb.dest,
                        &mut self.rtcp,
                        &mut c.out,
                        &mut self.scratch,
                    );
                }
            }
        }
        tracing::info!(
            "{peer}: session {} ({}) ended ({why}): {} frames and {} packets sent, {} frames dropped, {} receiver reports",
            s.id,
            s.path,
            pb.tx.frames,
            pb.tx.packets,
            pb.tx.frames_dropped,
            s.reports
        );
    }

    /// Sends an RTCP SR + SDES (RFC 3550 §6.4.1, §6.5) on session `idx`
    /// when due (every [`SR_INTERVAL`]), or now if `force`; with BYE if `bye`.
    pub fn send_rtcp(&mut self, idx: usize, now: Instant, force: bool, bye: bool) {
        let Some(c) = self.conns.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        let Some(pb) = c.session.as_mut().and_then(|s| s.playback.as_mut()) else {
            return;
        };
        if !force && (!pb.playing || now < pb.next_sr) {
            return;
        }
        pb.next_sr = now + SR_INTERVAL;
        if pb.tx.packets == 0 {
            return;
        }
        let mut buf = [0u8; rtsp_core::limits::RTCP_MAX_COMPOUND];
        let n = rtcp_packet(pb, now, bye, &mut buf);
        send_rtcp(
            &buf[..n],
            pb.dest,
            &mut self.rtcp,
            &mut c.out,
            &mut self.scratch,
        );
    }
}
