//! RTCP receiver report (RFC 3550 §6.4.2) with SDES CNAME (§6.5.1), as a
//! compound packet (§6.1), from the receiver statistics.

use rtsp_core::rtp::Ssrc;
use rtsp_core::Instant;

use crate::metrics::ReceiverStats;

/// Our own SSRC as a receiver (RFC 3550 §8.1: random; fixed per process).
fn own_ssrc() -> u32 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (t.subsec_nanos() ^ std::process::id().rotate_left(16)) | 1
}

/// Builds RR + SDES for the sender `ssrc`; `None` before any packet.
pub fn build(
    now: Instant,
    stats: &ReceiverStats,
    ssrc: Option<Ssrc>,
    last_sr: Option<(u32, u64)>,
) -> Option<Vec<u8>> {
    let ssrc = ssrc?;
    let me = own_ssrc();
    let expected = stats.expected();
    let lost = stats.lost().clamp(-(1 << 23), (1 << 23) - 1);
    // Fraction lost since the start, 8-bit fixed point (RFC 3550 A.3).
    let fraction = if expected > 0 && lost > 0 {
        ((lost as u64 * 256) / expected).min(255) as u8
    } else {
        0
    };
    let (lsr, dlsr) = match last_sr {
        // DLSR in 1/65536 s units since the SR arrived.
        Some((lsr, at)) => (
            lsr,
            (now.as_micros().saturating_sub(at) * 65_536 / 1_000_000) as u32,
        ),
        None => (0, 0),
    };
    let mut p = Vec::with_capacity(64);
    // RR header: V=2, RC=1, PT=201, length 7 (32-bit words minus one).
    p.extend_from_slice(&[0x81, 201, 0, 7]);
    p.extend_from_slice(&me.to_be_bytes());
    p.extend_from_slice(&ssrc.0.to_be_bytes());
    let lost24 = (lost as i32 as u32) & 0x00ff_ffff;
    p.extend_from_slice(&((u32::from(fraction) << 24) | lost24).to_be_bytes());
    p.extend_from_slice(&stats.extended_highest().to_be_bytes());
    p.extend_from_slice(&stats.jitter().to_be_bytes());
    p.extend_from_slice(&lsr.to_be_bytes());
    p.extend_from_slice(&dlsr.to_be_bytes());
    // SDES: one chunk, CNAME item, padded to 32 bits.
    let cname = b"rtsp-client@127.0.0.1";
    let mut chunk = Vec::with_capacity(32);
    chunk.extend_from_slice(&me.to_be_bytes());
    chunk.push(1);
    chunk.push(cname.len() as u8);
    chunk.extend_from_slice(cname);
    chunk.push(0);
    while chunk.len() % 4 != 0 {
        chunk.push(0);
    }
    let words = (chunk.len() / 4) as u16;
    p.extend_from_slice(&[0x81, 202]);
    p.extend_from_slice(&words.to_be_bytes());
    p.extend_from_slice(&chunk);
    Some(p)
}
