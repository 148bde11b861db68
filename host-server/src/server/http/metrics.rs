//! `/metrics` in the Prometheus text format (version 0.0.4): what the
//! server is doing, for a scraper. Names follow Prometheus conventions
//! (`rtsp_server_` prefix, base units, `_total` for counters, `_seconds`,
//! `_bytes`); the only labels are `transport` (a handful of values),
//! `code` (status codes) and `path` (the streams served), never a peer or
//! a session id. Publishers (ANNOUNCE/RECORD) count as sessions of their
//! transport; what they send us has its own `_received` counters.
//!
//! Counters cover the server's life: what ended sessions sent is kept in
//! [`Totals`], and what live ones sent so far is added at each scrape.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rtsp_core::session::MediaDestination;
use rtsp_core::Instant;

use super::mjpeg::Viewer;
use super::Answer;
use crate::server::publish::Received;
use crate::server::{Conn, Kind, Server};
use crate::session::Media;

/// The `transport` label of browsers' MJPEG over HTTP.
pub const HTTP_MJPEG: &str = "http_mjpeg";
/// Every `transport` label, so each series exists from the start.
pub const TRANSPORTS: [&str; 5] = ["udp", "udp_multicast", "tcp", "http_tunnel", HTTP_MJPEG];

/// The `transport` label of the RTSP session on connection `c` whose media
/// goes to `dest`: interleaved in an RTSP-over-HTTP tunnel's GET is
/// `http_tunnel`.
pub fn transport(c: &Conn, dest: MediaDestination) -> &'static str {
    match dest {
        MediaDestination::Udp { rtp, .. } if rtp.ip().is_multicast() => "udp_multicast",
        MediaDestination::Udp { .. } => "udp",
        MediaDestination::Interleaved { .. } if matches!(c.kind, Kind::Tunnel(_)) => "http_tunnel",
        MediaDestination::Interleaved { .. } => "tcp",
    }
}

/// What was sent, by one session or many.
#[derive(Debug, Default, Clone, Copy)]
pub struct Sent {
    /// Frames sent whole.
    pub frames: u64,
    /// RTP packets (none for MJPEG over HTTP).
    pub packets: u64,
    /// RTP payload bytes, or HTTP body bytes.
    pub bytes: u64,
    /// Frames not sent: a slow receiver's full queue or socket buffer.
    pub skipped: u64,
}

impl Sent {
    fn add(&mut self, o: Sent) {
        self.frames += o.frames;
        self.packets += o.packets;
        self.bytes += o.bytes;
        self.skipped += o.skipped;
    }

    /// An RTSP session's counts.
    pub fn of_media(m: &Media) -> Sent {
        Sent {
            frames: m.frames,
            packets: m.packets,
            bytes: m.octets,
            skipped: m.frames_dropped,
        }
    }

    /// A browser's counts.
    pub fn of_viewer(v: &Viewer) -> Sent {
        Sent {
            frames: v.frames,
            packets: 0,
            bytes: v.bytes,
            skipped: v.skipped,
        }
    }
}

/// Counts that outlive sessions.
#[derive(Debug)]
pub struct Totals {
    started: std::time::Instant,
    /// Requests answered 4xx or 5xx, by status code (RTSP and HTTP).
    refused: BTreeMap<u16, u64>,
    /// What ended sessions sent, by transport.
    ended: BTreeMap<&'static str, Sent>,
    /// What ended publishers sent us, by transport.
    ended_received: BTreeMap<&'static str, Received>,
    /// Connections closed idle with no session (`crate::server::idle`).
    idle_closed: u64,
}

impl Default for Totals {
    fn default() -> Self {
        Totals {
            started: std::time::Instant::now(),
            refused: BTreeMap::new(),
            ended: BTreeMap::new(),
            ended_received: BTreeMap::new(),
            idle_closed: 0,
        }
    }
}

impl Totals {
    /// A request was refused with `code`.
    pub fn refused(&mut self, code: u16) {
        *self.refused.entry(code).or_default() += 1;
    }

    /// An RTSP response went out: counted if it refused (`RTSP/1.0 NNN`).
    pub fn note_response(&mut self, response: &[u8]) {
        let code = response
            .get(9..12)
            .and_then(|c| std::str::from_utf8(c).ok())
            .and_then(|c| c.parse::<u16>().ok());
        if let Some(code @ 400..=599) = code {
            self.refused(code);
        }
    }

    /// An RTSP session ended; `transport` as [`transport`] labels it.
    pub fn media_ended(&mut self, transport: &'static str, m: &Media) {
        self.ended
            .entry(transport)
            .or_default()
            .add(Sent::of_media(m));
    }

    /// A connection was closed idle with no session
    /// (`crate::server::idle`).
    pub fn idle_closed(&mut self) {
        self.idle_closed += 1;
    }

    /// A publisher left; `transport` as [`transport`] labels it.
    pub fn publisher_ended(&mut self, transport: &'static str, r: Received) {
        self.ended_received.entry(transport).or_default().add(r);
    }

    /// A browser left.
    pub fn viewer_ended(&mut self, v: &Viewer) {
        self.ended
            .entry(HTTP_MJPEG)
            .or_default()
            .add(Sent::of_viewer(v));
    }

    /// Seconds since the server started.
    pub fn uptime_secs(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

/// Escapes a label value (backslash, quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// One metric family: HELP, TYPE, then its samples.
fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, String)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    let sample = if kind == "counter" {
        format!("{name}_total")
    } else {
        name.to_string()
    };
    for (labels, value) in samples {
        let _ = writeln!(out, "{sample}{labels}{value}");
    }
}

/// Per-path figures from receivers' latest reports.
#[derive(Default)]
struct PathReports {
    players: u64,
    publishers: u64,
    /// What its recording publisher sent us.
    publisher: Option<Received>,
    lost: i64,
    jitter_max: u32,
    fraction_max: u8,
}

impl Server {
    /// What live sessions sent so far, by transport, and their count.
    fn live_sent(&self) -> BTreeMap<&'static str, (u64, Sent)> {
        let mut by: BTreeMap<&'static str, (u64, Sent)> = BTreeMap::new();
        for c in self.conns.slots.iter().flatten() {
            if let Some(m) = &c.media {
                let e = by.entry(transport(c, m.dest)).or_default();
                e.0 += 1;
                e.1.add(Sent::of_media(m));
            }
            if let Some(v) = c.viewer() {
                let e = by.entry(HTTP_MJPEG).or_default();
                e.0 += 1;
                e.1.add(Sent::of_viewer(v));
            }
        }
        for p in self.publishers_shown() {
            if let Some(t) = p.transport {
                by.entry(t).or_default().0 += 1;
            }
        }
        by
    }

    /// What publishers sent us over the server's life, by transport.
    fn received_by_transport(&self) -> BTreeMap<&'static str, Received> {
        let mut by = self.totals.ended_received.clone();
        for p in self.publishers_shown() {
            if let Some(t) = p.transport {
                by.entry(t).or_default().add(p.received);
            }
        }
        by
    }

    /// The `/metrics` answer.
    pub(super) fn metrics_text(&self, _now: Instant) -> Answer {
        let live = self.live_sent();
        let mut out = String::new();
        let by_transport = |f: &dyn Fn(Sent) -> u64| -> Vec<(String, String)> {
            TRANSPORTS
                .iter()
                .map(|t| {
                    let mut s = self.totals.ended.get(t).copied().unwrap_or_default();
                    if let Some((_, l)) = live.get(t) {
                        s.add(*l);
                    }
                    (format!("{{transport=\"{t}\"}} "), f(s).to_string())
                })
                .collect()
        };
        let sessions: Vec<_> = TRANSPORTS
            .iter()
            .map(|t| {
                let n = live.get(t).map_or(0, |l| l.0);
                (format!("{{transport=\"{t}\"}} "), n.to_string())
            })
            .collect();
        family(
            &mut out,
            "rtsp_server_sessions",
            "gauge",
            "Sessions now: RTSP sessions set up (players and publishers), by media transport, and browsers receiving MJPEG over HTTP.",
            &sessions,
        );
        family(
            &mut out,
            "rtsp_server_frames_sent",
            "counter",
            "Video frames sent whole.",
            &by_transport(&|s| s.frames),
        );
        family(
            &mut out,
            "rtsp_server_rtp_packets_sent",
            "counter",
            "RTP packets sent (none for MJPEG over HTTP).",
            &by_transport(&|s| s.packets),
        );
        family(
            &mut out,
            "rtsp_server_sent_bytes",
            "counter",
            "Media bytes sent: RTP payload, or HTTP multipart body.",
            &by_transport(&|s| s.bytes),
        );
        family(
            &mut out,
            "rtsp_server_frames_skipped",
            "counter",
            "Frames not sent because a receiver was not keeping up (full queue or socket buffer).",
            &by_transport(&|s| s.skipped),
        );
        let received = self.received_by_transport();
        let received_by = |f: &dyn Fn(Received) -> u64| -> Vec<(String, String)> {
            TRANSPORTS
                .iter()
                .map(|t| {
                    let r = received.get(t).copied().unwrap_or_default();
                    (format!("{{transport=\"{t}\"}} "), f(r).to_string())
                })
                .collect()
        };
        family(
            &mut out,
            "rtsp_server_frames_received",
            "counter",
            "Video frames received whole from publishers (ANNOUNCE/RECORD).",
            &received_by(&|r| r.frames),
        );
        family(
            &mut out,
            "rtsp_server_rtp_packets_received",
            "counter",
            "RTP packets received from publishers.",
            &received_by(&|r| r.packets),
        );
        family(
            &mut out,
            "rtsp_server_received_bytes",
            "counter",
            "RTP payload bytes received from publishers.",
            &received_by(&|r| r.bytes),
        );
        let mut paths: BTreeMap<String, PathReports> = self
            .catalog
            .entries()
            .into_iter()
            .map(|(p, _)| (p.to_string(), PathReports::default()))
            .collect();
        for c in self.conns.slots.iter().flatten() {
            if let Some(m) = &c.media {
                let p = paths.entry(m.path.clone()).or_default();
                p.players += 1;
                if let Some(r) = m.last_report {
                    p.lost += i64::from(r.cumulative_lost);
                    p.jitter_max = p.jitter_max.max(r.jitter);
                    p.fraction_max = p.fraction_max.max(r.fraction_lost);
                }
            }
            if let Some(v) = c.viewer() {
                paths.entry(v.path.clone()).or_default().players += 1;
            }
        }
        for pb in self.publishers_shown() {
            let p = paths.entry(pb.path.to_string()).or_default();
            if pb.recording {
                p.publishers += 1;
                p.publisher = Some(pb.received);
            }
        }
        let per_path = |f: &dyn Fn(&PathReports) -> String| -> Vec<(String, String)> {
            paths
                .iter()
                .map(|(p, r)| (format!("{{path=\"{}\"}} ", label(p)), f(r)))
                .collect()
        };
        family(
            &mut out,
            "rtsp_server_players",
            "gauge",
            "Sessions and browsers playing each path.",
            &per_path(&|r| r.players.to_string()),
        );
        family(
            &mut out,
            "rtsp_server_publishers",
            "gauge",
            "Publishers recording each path (ANNOUNCE/RECORD; 0 or 1).",
            &per_path(&|r| r.publishers.to_string()),
        );
        let published = |f: &dyn Fn(&Received) -> String| -> Vec<(String, String)> {
            paths
                .iter()
                .filter_map(|(p, r)| {
                    let rx = r.publisher.as_ref()?;
                    Some((format!("{{path=\"{}\"}} ", label(p)), f(rx)))
                })
                .collect()
        };
        family(
            &mut out,
            "rtsp_server_publisher_lost_packets",
            "gauge",
            "Packets lost from the publisher of the path so far, from our receiver statistics (RFC 3550 A.3).",
            &published(&|r| r.lost.to_string()),
        );
        family(
            &mut out,
            "rtsp_server_publisher_jitter_seconds",
            "gauge",
            "Interarrival jitter of the publisher's stream (RFC 3550 A.8), as we receive it.",
            &published(&|r| format!("{}", f64::from(r.jitter) / 90_000.0)),
        );
        family(
            &mut out,
            "rtsp_server_receiver_lost_packets",
            "gauge",
            "Packets lost, from the latest RTCP receiver report of each session of the path, summed.",
            &per_path(&|r| r.lost.to_string()),
        );
        family(
            &mut out,
            "rtsp_server_receiver_loss_ratio",
            "gauge",
            "Fraction lost since the previous report, the largest any session of the path reported last.",
            &per_path(&|r| format!("{}", f64::from(r.fraction_max) / 256.0)),
        );
        family(
            &mut out,
            "rtsp_server_receiver_jitter_seconds",
            "gauge",
            "Interarrival jitter (RFC 3550 A.8), the largest any session of the path reported last.",
            &per_path(&|r| format!("{}", f64::from(r.jitter_max) / 90_000.0)),
        );
        let refused: Vec<_> = self
            .totals
            .refused
            .iter()
            .map(|(code, n)| (format!("{{code=\"{code}\"}} "), n.to_string()))
            .collect();
        family(
            &mut out,
            "rtsp_server_refused_requests",
            "counter",
            "Requests answered with an error status (RTSP and HTTP), by status code.",
            &refused,
        );
        family(
            &mut out,
            "rtsp_server_idle_connections_closed",
            "counter",
            "Connections closed because they sent nothing for the session timeout with no session (no first request line yet, or RTSP before SETUP).",
            &[(" ".into(), self.totals.idle_closed.to_string())],
        );
        family(
            &mut out,
            "rtsp_server_uptime_seconds",
            "gauge",
            "Seconds since the server started.",
            &[(" ".into(), format!("{:.3}", self.totals.uptime_secs()))],
        );
        Answer {
            code: 200,
            content_type: "text/plain; version=0.0.4; charset=utf-8",
            headers: String::new(),
            body: out.into_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_follow_the_text_format() {
        let mut out = String::new();
        family(
            &mut out,
            "x_sent_bytes",
            "counter",
            "Bytes.",
            &[("{path=\"a\"} ".into(), "3".into())],
        );
        assert_eq!(
            out,
            "# HELP x_sent_bytes Bytes.\n# TYPE x_sent_bytes counter\nx_sent_bytes_total{path=\"a\"} 3\n"
        );
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn refusals_are_read_from_responses() {
        let mut t = Totals::default();
        t.note_response(b"RTSP/1.0 200 OK\r\n");
        t.note_response(b"RTSP/1.0 401 Unauthorized\r\n");
        t.note_response(b"RTSP/1.0 401 Unauthorized\r\n");
        t.refused(404);
        assert_eq!(t.refused.get(&401), Some(&2));
        assert_eq!(t.refused.get(&404), Some(&1));
        assert_eq!(t.refused.get(&200), None);
    }
}
