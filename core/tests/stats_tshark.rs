//! The receiver statistics agree with Wireshark's RTP stream analysis:
//! a capture is crafted with known arrival times (loss, a duplicate, a
//! reordered packet, marker bits, uneven arrival), fed to both
//! `ReceiverStats` and `tshark -q -z rtp,streams`, and the packet count,
//! loss, Max Delta, Mean Jitter and Max Jitter must match. A missing tshark
//! fails the test.

use rtsp_core::rtp::{self, RtpTimestamp, SeqNo, Ssrc};
use rtsp_core::stats::ReceiverStats;
use rtsp_core::Instant;
use std::process::Command;

/// One captured RTP packet: arrival time in µs and the RTP bytes.
struct Captured {
    at_us: u64,
    rtp: Vec<u8>,
}

fn rtp_packet(seq: u16, ts: u32, marker: bool, payload_len: usize) -> Vec<u8> {
    let repr = rtp::Repr {
        marker,
        payload_type: 26,
        sequence: SeqNo(seq),
        timestamp: RtpTimestamp(ts),
        ssrc: Ssrc(0x1234_5678),
    };
    let mut buf = vec![0u8; rtp::HEADER_LEN + payload_len];
    repr.emit(&mut buf).unwrap();
    for (i, b) in buf[rtp::HEADER_LEN..].iter_mut().enumerate() {
        *b = i as u8;
    }
    buf
}

/// A classic pcap file (RFC-draft "pcap" format, link type Ethernet) of
/// IPv4/UDP 10.0.0.1:5000 → 10.0.0.2:5004 datagrams.
fn pcap(packets: &[Captured]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65_535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    let base_secs = 1_700_000_000u64;
    for p in packets {
        let udp_len = 8 + p.rtp.len();
        let ip_len = 20 + udp_len;
        let mut frame = Vec::with_capacity(14 + ip_len);
        frame.extend_from_slice(&[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        ip[2..4].copy_from_slice(&(ip_len as u16).to_be_bytes());
        let sum = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum::<u32>();
        let sum = (sum & 0xffff) + (sum >> 16);
        ip[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&5000u16.to_be_bytes());
        frame.extend_from_slice(&5004u16.to_be_bytes());
        frame.extend_from_slice(&(udp_len as u16).to_be_bytes());
        frame.extend_from_slice(&[0, 0]);
        frame.extend_from_slice(&p.rtp);
        let secs = base_secs + p.at_us / 1_000_000;
        out.extend_from_slice(&(secs as u32).to_le_bytes());
        out.extend_from_slice(&((p.at_us % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    out
}

/// 25 fps MJPEG, 3 packets per frame (marker on the third), arrival
/// spread by a deterministic pseudo-random offset of up to ±6 ms, with a
/// lost packet, a duplicated one and two swapped within a frame.
fn scenario() -> Vec<Captured> {
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut packets = Vec::new();
    let mut seq = 65_500u16; // wraps during the run
    for frame in 0..120u64 {
        let ts = (frame as u32)
            .wrapping_mul(3600)
            .wrapping_add(4_000_000_000);
        let base = 10_000 + frame * 40_000;
        let mut this = Vec::new();
        for part in 0..3u64 {
            let offset = (next() % 12_000) as i64 - 6_000;
            let at = (base + part * 300) as i64 + offset.max(-(part as i64) * 300 - 9_000);
            this.push(Captured {
                at_us: at as u64,
                rtp: rtp_packet(seq, ts, part == 2, 1000),
            });
            seq = seq.wrapping_add(1);
        }
        // Arrival order follows sequence order: sort the times, not the
        // packets, so only the deliberate faults below break the order.
        let mut times: Vec<u64> = this.iter().map(|c| c.at_us).collect();
        times.sort_unstable();
        for (c, t) in this.iter_mut().zip(times) {
            c.at_us = t;
        }
        if frame == 30 || frame == 90 {
            this.remove(1); // lost
        }
        if frame == 50 {
            let dup = Captured {
                at_us: this[2].at_us + 50,
                rtp: this[2].rtp.clone(),
            };
            this.push(dup);
        }
        if frame == 70 {
            // Two packets of one frame swapped in arrival order.
            let (a, b) = (this[0].at_us, this[1].at_us);
            this.swap(0, 1);
            this[0].at_us = a;
            this[1].at_us = b;
        }
        packets.extend(this);
    }
    packets.sort_by_key(|c| c.at_us);
    packets
}

/// The figures tshark prints for the one stream.
#[derive(Debug)]
struct Tshark {
    packets: u64,
    lost: i64,
    mean_delta: f64,
    max_delta: f64,
    min_jitter: f64,
    mean_jitter: f64,
    max_jitter: f64,
}

fn run_tshark(pcap_path: &std::path::Path) -> (Tshark, String) {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(pcap_path)
        .args(["-q", "-d", "udp.port==5004,rtp", "-z", "rtp,streams"])
        .output()
        .expect("tshark must be installed (apt-get install tshark)");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = text
        .lines()
        .find(|l| l.contains("0x12345678"))
        .unwrap_or_else(|| panic!("no stream line in tshark output:\n{text}"));
    // ... SSRC Payload Pkts Lost (x%) MinDelta MeanDelta MaxDelta MinJitter MeanJitter MaxJitter [X]
    let fields: Vec<&str> = line.split_whitespace().collect();
    let ssrc = fields.iter().position(|f| *f == "0x12345678").unwrap();
    let num = |i: usize| -> f64 {
        fields[i]
            .trim_matches(|c| c == '(' || c == ')')
            .parse()
            .unwrap()
    };
    let t = Tshark {
        packets: num(ssrc + 2) as u64,
        lost: num(ssrc + 3) as i64,
        mean_delta: num(ssrc + 6),
        max_delta: num(ssrc + 7),
        min_jitter: num(ssrc + 8),
        mean_jitter: num(ssrc + 9),
        max_jitter: num(ssrc + 10),
    };
    (t, text)
}

#[test]
fn figures_match_tshark_rtp_streams() {
    let packets = scenario();
    let dir = std::env::temp_dir().join(format!("rtp-stats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("stream.pcap");
    std::fs::write(&path, pcap(&packets)).unwrap();

    let mut stats = ReceiverStats::new(90_000);
    for p in &packets {
        let packet = rtp::Packet::new_checked(&p.rtp[..]).unwrap();
        stats.on_rtp(Instant::from_micros(p.at_us), &packet);
    }
    let (t, text) = run_tshark(&path);
    std::fs::remove_dir_all(&dir).ok();

    assert_eq!(t.packets, 360 - 2 + 1, "{text}");
    assert_eq!(t.lost, 1, "two lost, one duplicated: {text}");
    assert_eq!(stats.received(), t.packets, "{text}");
    assert_eq!(stats.lost(), t.lost, "{text}");
    assert_eq!(
        (stats.duplicates(), stats.reordered(), stats.missing()),
        (1, 1, 2)
    );
    let close = |ours: f64, theirs: f64| (ours - theirs).abs() <= 0.0006;
    assert!(
        close(stats.mean_delta_ms(), t.mean_delta),
        "mean delta {t:?}"
    );
    assert!(
        close(stats.min_jitter_ms().unwrap(), t.min_jitter),
        "min jitter {t:?}"
    );
    assert!(
        close(stats.max_delta_ms(), t.max_delta),
        "max delta {} vs {t:?}\n{text}",
        stats.max_delta_ms()
    );
    assert!(
        close(stats.mean_jitter_ms(), t.mean_jitter),
        "mean jitter {} vs {t:?}\n{text}",
        stats.mean_jitter_ms()
    );
    assert!(
        close(stats.max_jitter_ms(), t.max_jitter),
        "max jitter {} vs {t:?}\n{text}",
        stats.max_jitter_ms()
    );
    assert!(
        t.max_jitter > 1.0,
        "the scenario must produce real jitter: {t:?}"
    );
    println!(
        "{text}ours: pkts {} lost {} max delta {:.3} mean jitter {:.3} max jitter {:.3}",
        stats.received(),
        stats.lost(),
        stats.max_delta_ms(),
        stats.mean_jitter_ms(),
        stats.max_jitter_ms()
    );
}
