//! `rtsp-client analyze CAPTURE [--json]`: the RTP streams in a pcap or
//! pcapng capture, with the figures of Wireshark's RTP stream analysis
//! (`tshark -q -z rtp,streams`).
//!
//! Streams are found by the port pairs that RTSP negotiated in the same
//! capture (`Transport: ...;client_port=a-b;server_port=c-d`, RFC 2326
//! §12.39) when it holds the RTSP dialogue; otherwise every UDP datagram
//! that looks like RTP version 2 (RFC 3550 §5.1) with a media payload type
//! is taken, as Wireshark's RTP heuristic does. A stream is identified, as
//! in Wireshark, by source, destination and SSRC.
//!
//! Every figure comes from `rtsp_core::stats` (RFC 3550 A.1/A.3/A.8 with
//! Wireshark's definitions of max delta, mean and max jitter), fed with
//! the capture timestamps.

mod capture;
mod tcp;

use crate::error::Error;
use rtsp_core::rtsp::header::Transports;
use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::Path;

use rtsp_core::rtp;
use serde::Serialize;

use crate::metrics::StreamMetrics;

/// One RTP stream's figures, as printed and as `--json` writes them.
#[derive(Debug, Clone, Serialize)]
pub struct StreamReport {
    /// Source `ip:port`.
    pub src: String,
    /// Destination `ip:port`.
    pub dst: String,
    /// `udp`, or `tcp` for RTP interleaved on an RTSP connection.
    pub transport: &'static str,
    /// RTP synchronization source (RFC 3550 §5.1).
    pub ssrc: String,
    /// RTP payload type (26 = JPEG, RFC 3551 §6).
    pub payload_type: u8,
    /// Packets received.
    pub packets: u64,
    /// Packets expected from the extended sequence numbers (RFC 3550 A.3).
    pub expected: u64,
    /// Expected minus received (negative with duplicates).
    pub lost: i64,
    /// Lost as a percentage of expected.
    pub loss_percent: f64,
    /// Duplicated packets.
    pub duplicates: u64,
    /// Packets that arrived after a later sequence number.
    pub reordered: u64,
    /// Largest gap between consecutive regular packets, in ms.
    pub max_delta_ms: f64,
    /// Mean interarrival jitter over regular packets, in ms (RFC 3550 A.8).
    pub mean_jitter_ms: f64,
    /// Largest interarrival jitter, in ms.
    pub max_jitter_ms: f64,
    /// Frames (marker bits) per second.
    pub fps: f64,
    /// RTP payload data rate in kbit/s.
    pub payload_kbps: f64,
    /// Capture time from the first to the last packet, in seconds.
    pub duration_s: f64,
}

struct Stream {
    metrics: StreamMetrics,
    pt: u8,
    first_us: u64,
    last_us: u64,
    tcp: bool,
}

type Key = (SocketAddr, SocketAddr, u32);

/// Runs the analysis and prints the report; returns the process exit code.
pub fn run(path: &Path, json: bool) -> Result<i32, Error> {
    // Pass 1: RTP ports negotiated by RTSP (client and server, RTP = even).
    let mut rtsp_ports: BTreeSet<u16> = BTreeSet::new();
    capture::for_each(path, |d| {
        if !d.udp {
            collect_transport_ports(d.payload, &mut rtsp_ports);
        }
    })?;
    let mut streams: HashMap<Key, Stream> = HashMap::new();
    let mut order: Vec<Key> = Vec::new();
    let mut flows = tcp::Flows::default();
    let frames = capture::for_each(path, |d| {
        if !d.udp {
            // Interleaved RTP (RFC 2326 §10.12) inside RTSP connections.
            flows.segment(d.src, d.dst, d.tcp_seq, d.payload, |_channel, packet| {
                account(
                    &mut streams,
                    &mut order,
                    d.src,
                    d.dst,
                    d.ts_us,
                    packet,
                    true,
                );
            });
            return;
        }
        let by_port = !rtsp_ports.is_empty();
        if by_port && !(rtsp_ports.contains(&d.src.port()) || rtsp_ports.contains(&d.dst.port())) {
            return;
        }
        account(
            &mut streams,
            &mut order,
            d.src,
            d.dst,
            d.ts_us,
            d.payload,
            false,
        );
    })?;
    // Heuristic mode: a "stream" of one or two stray datagrams is noise.
    let reports: Vec<StreamReport> = order
        .iter()
        .filter_map(|k| streams.get(k).map(|s| (k, s)))
        .filter(|(_, s)| s.tcp || !rtsp_ports.is_empty() || s.metrics.received() >= 3)
        .map(|(k, s)| report(k, s))
        .collect();
    if json {
        let doc = serde_json::json!({ "capture": path.display().to_string(), "frames": frames, "streams": reports });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print_table(path, frames, &reports, !rtsp_ports.is_empty());
    }
    Ok(if reports.is_empty() { 2 } else { 0 })
}

/// Adds one packet to its stream (source, destination, SSRC), if it is RTP
/// version 2 with a media payload type (RFC 3550 §5.1, RFC 5761 §4).
fn account(
    streams: &mut HashMap<Key, Stream>,
    order: &mut Vec<Key>,
    src: SocketAddr,
    dst: SocketAddr,
    ts_us: u64,
    data: &[u8],
    tcp: bool,
) {
    let Ok(pkt) = rtp::Packet::new_checked(data) else {
        return;
    };
    if pkt.version() != 2 || !is_media_payload_type(pkt.payload_type()) {
        return;
    }
    let key = (src, dst, pkt.ssrc().0);
    let s = streams.entry(key).or_insert_with(|| {
        order.push(key);
        Stream {
            metrics: StreamMetrics::new(),
            pt: pkt.payload_type(),
            first_us: ts_us,
            last_us: ts_us,
            tcp,
        }
    });
    s.metrics.on_packet(ts_us, &pkt);
    s.last_us = ts_us;
    if pkt.marker() {
        // The marker ends a frame (RFC 2435 §3.1): the frame rate counts
        // them, as complete frames, without reassembling.
        s.metrics.on_frame(ts_us, true, 0);
    }
}

fn report(k: &Key, s: &Stream) -> StreamReport {
    let dur = (s.last_us.saturating_sub(s.first_us)) as f64 / 1e6;
    let m = &s.metrics;
    StreamReport {
        src: k.0.to_string(),
        dst: k.1.to_string(),
        transport: if s.tcp { "tcp" } else { "udp" },
        ssrc: format!("0x{:08X}", k.2),
        payload_type: s.pt,
        packets: m.received(),
        expected: m.expected(),
        lost: m.lost(),
        loss_percent: m.lost_percent(),
        duplicates: m.duplicates(),
        reordered: m.reordered(),
        max_delta_ms: m.max_delta_ms(),
        mean_jitter_ms: m.mean_jitter_ms(),
        max_jitter_ms: m.max_jitter_ms(),
        fps: m.fps_overall(),
        payload_kbps: m.payload_kbps_overall(),
        duration_s: dur,
    }
}

fn print_table(path: &Path, frames: u64, reports: &[StreamReport], by_rtsp: bool) {
    println!(
        "{}: {frames} frames, {} RTP stream(s) found {}",
        path.display(),
        reports.len(),
        if by_rtsp {
            "by RTSP-negotiated ports"
        } else {
            "heuristically (no RTSP SETUP in the capture)"
        }
    );
    if reports.is_empty() {
        return;
    }
    println!(
        "{:<4} {:<21} {:<21} {:<10} {:>3} {:>8} {:>8} {:>6} {:>6} {:>10} {:>9} {:>9} {:>6} {:>9}",
        "",
        "Source",
        "Destination",
        "SSRC",
        "PT",
        "Packets",
        "Expected",
        "Lost",
        "Loss%",
        "MaxDelta",
        "MeanJit",
        "MaxJit",
        "FPS",
        "kbit/s"
    );
    for r in reports {
        println!(
            "{:<4} {:<21} {:<21} {:<10} {:>3} {:>8} {:>8} {:>6} {:>6.2} {:>8.3}ms {:>7.3}ms {:>7.3}ms {:>6.2} {:>9.1}",
            r.transport,
            r.src,
            r.dst,
            r.ssrc,
            r.payload_type,
            r.packets,
            r.expected,
            r.lost,
            r.loss_percent,
            r.max_delta_ms,
            r.mean_jitter_ms,
            r.max_jitter_ms,
            r.fps,
            r.payload_kbps
        );
    }
}

/// RTCP packet types 200–204 appear as RTP payload types 72–76 (with the
/// marker bit); RFC 5761 §4 sets 64–95 aside to keep them apart.
fn is_media_payload_type(pt: u8) -> bool {
    !(64..=95).contains(&pt)
}

/// Finds `client_port=a-b` and `server_port=c-d` in RTSP text (RFC 2326
/// §12.39) and records the RTP (first) port of each pair.
fn collect_transport_ports(payload: &[u8], ports: &mut BTreeSet<u16>) {
    let Ok(text) = std::str::from_utf8(payload) else {
        return;
    };
    for line in text.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("transport") {
            continue;
        }
        // The core reads the value (RFC 2326 §12.39, alternatives included).
        let Ok(transports) = Transports::parse(value.trim()) else {
            continue;
        };
        for t in transports.iter() {
            for pair in [t.client_port, t.server_port].into_iter().flatten() {
                ports.insert(pair.rtp);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_ports_from_setup_reply() {
        let mut ports = BTreeSet::new();
        collect_transport_ports(
            b"RTSP/1.0 200 OK\r\nCSeq: 3\r\nTransport: RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=1\r\n\r\n",
            &mut ports,
        );
        assert_eq!(ports.into_iter().collect::<Vec<_>>(), vec![5000, 6970]);
    }

    #[test]
    fn rtcp_types_are_not_media() {
        assert!(is_media_payload_type(26));
        assert!(!is_media_payload_type(72));
        assert!(!is_media_payload_type(76));
    }
}
