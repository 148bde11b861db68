//! Publishers (RFC 2326 §10.3 ANNOUNCE, §10.11 RECORD): the loop's side.
//!
//! The core's session decides the dialogue and the status codes
//! (`rtsp_core::session::server::record`); this module keeps what only
//! the host knows:
//!
//! * **Which paths may be published** (`--publish-paths`): a path served
//!   otherwise (a clip, `--live`, `--pull`) never; a path another
//!   connection publishes is busy (the core answers 455).
//! * **The live source** each publisher feeds: made at ANNOUNCE, so players
//!   can DESCRIBE and SETUP the path at once, shared like `--live`.
//! * **Its RTP:** interleaved on the publisher's connection, or UDP on our
//!   RTP port from exactly the `client_port` it set up on its own address
//!   (anything else is ignored and counted). Packets are reassembled into
//!   frames (the core's depacketizer) and each whole frame goes to the
//!   path's players as it is ([`Server::live_frame`]): scan data byte-exact.
//! * **The end:** TEARDOWN, expiry or a closed connection ends the
//!   publisher; its players get RTCP BYE, its browsers' MJPEG streams end,
//!   and the path is free again.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use rtsp_core::jpeg::Depacketizer;
use rtsp_core::limits::JPEG_MAX_HEADER;
use rtsp_core::rtp;
use rtsp_core::session::server::{Publish, State};
use rtsp_core::session::{Destination, MediaDestination};
use rtsp_core::stats::ReceiverStats;
use rtsp_core::Instant;

use crate::live::{Live, MAX_FRAME};
use crate::media::{Catalog, Source};
use crate::server::Server;

/// `--publish-paths`: which paths publishers may ANNOUNCE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishPaths {
    /// None (`none`): ANNOUNCE and RECORD get 405.
    Nobody,
    /// Paths matching one of these patterns: `cam` exactly, `cams/*`
    /// anything under `cams/`, `*` any path.
    Matching(Vec<String>),
}

impl PublishPaths {
    /// Reads `none` or a comma-separated list of patterns.
    pub fn parse(s: &str) -> Result<PublishPaths, String> {
        if s.trim() == "none" {
            return Ok(PublishPaths::Nobody);
        }
        let mut patterns = Vec::new();
        for p in s.split(',').map(str::trim) {
            let name = p.strip_suffix("/*").unwrap_or(p);
            if p != "*" {
                crate::cli::check_path_name(name)?;
            }
            patterns.push(p.to_string());
        }
        Ok(PublishPaths::Matching(patterns))
    }

    /// Whether publishers are taken at all.
    pub fn any(&self) -> bool {
        matches!(self, PublishPaths::Matching(p) if !p.is_empty())
    }

    /// Whether `path` may be published.
    pub fn allows(&self, path: &str) -> bool {
        let PublishPaths::Matching(patterns) = self else {
            return false;
        };
        patterns.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix) && path.len() > prefix.len(),
            None => p == path,
        })
    }
}

/// One publishing connection.
#[derive(Debug)]
struct Publisher {
    conn: usize,
    live: Arc<Live>,
    depack: Depacketizer<Vec<u8>>,
    /// Its UDP RTP source, once RECORD was answered (UDP only).
    udp: Option<SocketAddr>,
    packets: u64,
    /// Its SETUP made a session, counted toward `--max-sessions`.
    counted: bool,
    /// What arrived (RFC 3550 A.3, A.8), for the receiver reports it gets.
    stats: ReceiverStats,
    /// When the last receiver report went to it.
    last_report: Option<Instant>,
    /// Its media transport (`/metrics`' label), once SETUP made a session.
    transport: Option<&'static str>,
}

/// A publisher as the status page and `/metrics` show it.
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a> {
    /// The path it publishes.
    pub path: &'a str,
    /// Its RTSP connection.
    pub conn: usize,
    /// Its RTSP peer.
    pub peer: SocketAddr,
    /// Its media transport label, once set up.
    pub transport: Option<&'static str>,
    /// RECORD was answered and the session goes on: it feeds the path.
    pub recording: bool,
    /// What arrived from it.
    pub received: Received,
}

/// What a publisher sent us, from our receiver statistics of its stream
/// (RFC 3550 A.3, A.8).
#[derive(Debug, Default, Clone, Copy)]
pub struct Received {
    /// Whole frames reassembled.
    pub frames: u64,
    /// RTP packets received (duplicates included).
    pub packets: u64,
    /// RTP payload bytes received.
    pub bytes: u64,
    /// Packets lost so far, expected − received.
    pub lost: i64,
    /// Interarrival jitter, in RTP timestamp units (90 kHz).
    pub jitter: u32,
}

impl Received {
    /// Adds `o`'s counts (frames, packets, bytes); loss and jitter are
    /// per stream and stay.
    pub fn add(&mut self, o: Received) {
        self.frames += o.frames;
        self.packets += o.packets;
        self.bytes += o.bytes;
    }
}

impl Publisher {
    fn received(&self) -> Received {
        Received {
            frames: self.depack.frames_complete(),
            packets: self.stats.received(),
            bytes: self.stats.payload_bytes(),
            lost: self.stats.lost(),
            jitter: self.stats.jitter(),
        }
    }
}

/// Every publisher, by path.
#[derive(Debug)]
pub struct Publishers {
    paths: PublishPaths,
    by_path: HashMap<String, Publisher>,
    /// UDP RTP source → path.
    udp: HashMap<SocketAddr, String>,
    /// RTP datagrams on our port from no publisher's source: ignored.
    strangers: u64,
    /// A reassembled frame, out of the depacketizer while it is sent.
    frame: Vec<u8>,
}

impl Publishers {
    /// Publishers on `paths`.
    pub fn new(paths: PublishPaths) -> Publishers {
        Publishers {
            paths,
            by_path: HashMap::new(),
            udp: HashMap::new(),
            strangers: 0,
            frame: Vec::new(),
        }
    }

    /// Whether publishers are taken at all (`Host::accepts_publishers`).
    pub fn any(&self) -> bool {
        self.paths.any()
    }

    /// The core's question for connection `conn`'s ANNOUNCE of `path`.
    pub fn decide(&self, catalog: &Catalog, conn: usize, path: &str) -> Publish {
        if !self.paths.allows(path) || crate::cli::check_path_name(path).is_err() {
            return Publish::Forbidden;
        }
        match self.by_path.get(path) {
            Some(p) if p.conn == conn => Publish::Accept,
            Some(_) => Publish::Busy,
            // Served by a clip, --live or --pull: not a publisher's.
            None if catalog.get(path).is_some() => Publish::Forbidden,
            None => Publish::Accept,
        }
    }

    /// Whether `live` is a publisher's source (not `--live` or `--pull`).
    pub fn feeds(&self, live: &Arc<Live>) -> bool {
        self.by_path
            .get(&live.name)
            .is_some_and(|p| Arc::ptr_eq(&p.live, live))
    }

    fn path_of(&self, conn: usize) -> Option<String> {
        self.by_path
            .iter()
            .find(|(_, p)| p.conn == conn)
            .map(|(path, _)| path.clone())
    }
}

impl Server {
    /// Every publisher, by path, as the status page and `/metrics` show it.
    pub fn publishers_shown(&self) -> Vec<Shown<'_>> {
        let mut all: Vec<Shown<'_>> = self
            .publishers
            .by_path
            .iter()
            .filter_map(|(path, p)| {
                let c = self.conns.slots.get(p.conn)?.as_ref()?;
                Some(Shown {
                    path,
                    conn: p.conn,
                    peer: c.peer,
                    transport: p.transport,
                    recording: c.core.state() == State::Recording,
                    received: p.received(),
                })
            })
            .collect();
        all.sort_by(|a, b| a.path.cmp(b.path));
        all
    }

    /// ANNOUNCE of `path` on connection `idx` was accepted: its live
    /// source is served from now on.
    pub fn announced(&mut self, idx: usize, path: String, fps: Option<f64>) {
        if self.publishers.by_path.contains_key(&path) {
            return;
        }
        let live = Arc::new(Live::new(&path, fps.unwrap_or(self.cfg.fps)));
        self.catalog
            .insert(path.clone(), Source::Live(live.clone()));
        let peer = self
            .conns
            .slots
            .get(idx)
            .and_then(Option::as_ref)
            .map(|c| c.peer);
        tracing::info!("{}: publishes {path}", fmt_peer(peer));
        self.publishers.by_path.insert(
            path,
            Publisher {
                conn: idx,
                live,
                depack: Depacketizer::new(vec![0; JPEG_MAX_HEADER + MAX_FRAME + 2]),
                udp: None,
                packets: 0,
                counted: false,
                stats: ReceiverStats::new(90_000),
                last_report: None,
                transport: None,
            },
        );
    }

    /// The publisher on connection `idx` set up its session: it counts
    /// toward `--max-sessions` like a player's.
    pub fn publisher_set_up(&mut self, idx: usize) {
        let Some(path) = self.publishers.path_of(idx) else {
            return;
        };
        let transport = self
            .conns
            .slots
            .get(idx)
            .and_then(Option::as_ref)
            .and_then(|c| {
                c.core
                    .media_destination()
                    .map(|dest| crate::server::http::metrics::transport(c, dest))
            });
        if let Some(p) = self.publishers.by_path.get_mut(&path) {
            p.transport = p.transport.or(transport);
            if !p.counted {
                p.counted = true;
                self.conns.sessions += 1;
            }
        }
    }

    /// RECORD was answered on connection `idx`: its RTP is taken from
    /// where its session says it comes from.
    pub fn recording(&mut self, idx: usize) {
        let Some(c) = self.conns.slots.get(idx).and_then(Option::as_ref) else {
            return;
        };
        let (peer, source) = (c.peer, c.core.publisher_source());
        let Some(path) = self.publishers.path_of(idx) else {
            return;
        };
        if let Some(MediaDestination::Udp { rtp, rtcp }) = source {
            self.publishers.udp.insert(rtp, path.clone());
            // Its sender reports are liveness (RFC 2326 §12.37).
            self.conns.rtcp_peers.insert(rtcp, idx);
            if let Some(p) = self.publishers.by_path.get_mut(&path) {
                p.udp = Some(rtp);
            }
        }
        tracing::info!("{peer}: records {path}");
    }

    /// Connection `idx` stopped publishing (TEARDOWN, expiry, closed): its
    /// players get RTCP BYE, and the path is free again.
    pub fn unpublish(&mut self, idx: usize, why: &str) {
        let Some(path) = self.publishers.path_of(idx) else {
            return;
        };
        let Some(p) = self.publishers.by_path.remove(&path) else {
            return;
        };
        if let Some(rtp) = p.udp {
            self.publishers.udp.remove(&rtp);
            let rtcp = SocketAddr::new(rtp.ip(), rtp.port().wrapping_add(1));
            self.conns.rtcp_peers.remove(&rtcp);
        }
        self.catalog.remove(&path);
        if let Some(t) = p.transport {
            self.totals.publisher_ended(t, p.received());
        }
        if p.counted {
            self.conns.sessions = self.conns.sessions.saturating_sub(1);
        }
        tracing::info!(
            "publisher of {path} left ({why}): {} packets, {} frames received, {} dropped incomplete",
            p.packets,
            p.depack.frames_complete(),
            p.depack.frames_dropped()
        );
        self.end_live_viewers(&p.live);
        for player in 0..self.conns.slots.len() {
            let Some(c) = self.conns.slots.get_mut(player).and_then(Option::as_mut) else {
                continue;
            };
            let plays = c
                .media
                .as_ref()
                .is_some_and(|m| matches!(&m.source, Source::Live(l) if Arc::ptr_eq(l, &p.live)));
            if plays {
                c.core.end_stream();
                let now = self.now();
                self.drain_session(player, now);
            }
        }
    }

    /// A UDP datagram on our RTP port: a publisher's RTP if it comes from
    /// its announced source, else ignored and counted.
    pub fn on_udp_rtp(&mut self, from: SocketAddr, packet: &[u8], now: Instant) {
        let Some(path) = self.publishers.udp.get(&from).cloned() else {
            self.publishers.strangers += 1;
            let n = self.publishers.strangers;
            if n == 1 || n % 1000 == 0 {
                tracing::warn!(
                    "{from}: {n} RTP datagram(s) from no publisher's announced source, ignored"
                );
            }
            return;
        };
        let Some(idx) = self.publishers.by_path.get(&path).map(|p| p.conn) else {
            return;
        };
        if let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) {
            c.core.on_rtp_received(now);
        }
        self.publisher_rtp(&path, packet, now);
    }

    /// Interleaved RTP from publishing connection `idx`.
    pub fn on_interleaved_rtp(&mut self, idx: usize, packet: &[u8], now: Instant) {
        if let Some(path) = self.publishers.path_of(idx) {
            self.publisher_rtp(&path, packet, now);
        }
    }

    /// Reassembles `path`'s RTP; a whole frame goes to its players.
    fn publisher_rtp(&mut self, path: &str, packet: &[u8], now: Instant) {
        let Some(p) = self.publishers.by_path.get_mut(path) else {
            return;
        };
        p.packets += 1;
        let Ok(packet) = rtp::Packet::new_checked(packet) else {
            return;
        };
        p.stats.on_rtp(now, &packet);
        let report_due = p
            .last_report
            .is_none_or(|at| now.saturating_since(at) >= crate::server::SR_INTERVAL);
        let (conn, ssrc) = (p.conn, packet.ssrc());
        if report_due {
            p.last_report = Some(now);
            let block = p.stats.report_block_at(now, ssrc);
            self.report_to_publisher(conn, block);
        }
        let Some(p) = self.publishers.by_path.get_mut(path) else {
            return;
        };
        let mut frame = std::mem::take(&mut self.publishers.frame);
        frame.clear();
        if let Ok(Some(jfif)) = p.depack.push(&packet) {
            frame.extend_from_slice(jfif);
        }
        let live = p.live.clone();
        if !frame.is_empty() {
            live.frames_in.fetch_add(1, Ordering::Relaxed);
            self.live_frame(&live, &frame, now);
        }
        self.publishers.frame = frame;
    }
}

impl Server {
    /// Sends publisher `idx` a receiver report (RFC 3550 §6.4.2) with
    /// `block`, on its RTCP port or channel.
    fn report_to_publisher(&mut self, idx: usize, block: Option<rtsp_core::rtcp::ReportBlock>) {
        let mut buf = [0u8; 256];
        let Server { conns, rtcp, .. } = self;
        let Some(c) = conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        match c.core.publisher_report(block, &mut buf) {
            Ok(Some(t)) => {
                let bytes = &buf[..t.len];
                match t.destination {
                    Destination::Rtcp { port } => {
                        rtcp.send_one(bytes, SocketAddr::new(c.peer.ip(), port));
                    }
                    Destination::Interleaved { .. } | Destination::Rtsp => {
                        if c.out.has_room(bytes.len()) {
                            c.out.push(bytes);
                        }
                    }
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!("{}: cannot write a receiver report: {e}", c.peer),
        }
        self.flush_conn(idx);
    }
}

fn fmt_peer(peer: Option<SocketAddr>) -> String {
    peer.map_or_else(|| "?".into(), |p| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_paths() {
        let any = PublishPaths::parse("*").unwrap();
        assert!(any.any() && any.allows("cam") && any.allows("a/b"));
        let some = PublishPaths::parse("cam, cams/*").unwrap();
        assert!(some.allows("cam") && some.allows("cams/1"));
        assert!(!some.allows("cams") && !some.allows("cams/") && !some.allows("other"));
        let none = PublishPaths::parse("none").unwrap();
        assert!(!none.any() && !none.allows("cam"));
        assert!(PublishPaths::parse("../x").is_err());
        assert!(PublishPaths::parse("a,,b").is_err());
    }
}
