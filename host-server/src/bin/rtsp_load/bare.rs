//! The bare GSO sender: the physical limit of this machine, no RTSP.

use std::net::UdpSocket;
use std::path::Path;
use std::time::{Duration, Instant};

use rtsp_core::rtp::{self, RtpTimestamp, SeqNo, Ssrc};
use rtsp_core::{jpeg, mjpeg};

/// The bare GSO sender: every frame of `clip` cut into RTP/JPEG-sized
/// datagrams (12-byte RTP + 8-byte JPEG header, 1400 bytes), sent to each
/// port on 127.0.0.1 with one `sendto` per frame and UDP_SEGMENT set once,
/// paced at 25 fps. Only the sequence numbers are patched per client. The
/// RTP headers are the core's (`rtp::Repr`, `rtp::Packet` setters); the
/// JPEG header is left zero, as no receiver here reads it.
pub(crate) fn bare_send(clip: &Path, ports: &[u16]) -> ! {
    const MTU: usize = 1400;
    const HDR: usize = 20;
    let data = std::fs::read(clip).expect("read the clip");
    let frames: Vec<&[u8]> = mjpeg::Frames::new(&data).filter_map(Result::ok).collect();
    assert!(!frames.is_empty(), "no frame in {}", clip.display());
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let _ =
        nix::sys::socket::setsockopt(&sock, nix::sys::socket::sockopt::SndBufForce, &(32 << 20));
    nix::sys::socket::setsockopt(
        &sock,
        nix::sys::socket::sockopt::UdpGsoSegment,
        &(MTU as i32),
    )
    .expect("UDP_SEGMENT");
    let per_call = (65_000 / MTU).min(64);
    let mut seqs = vec![0u16; ports.len()];
    let mut buf = vec![0u8; 4 << 20];
    let period = Duration::from_micros(40_000);
    let mut due = Instant::now();
    for k in 0usize.. {
        let f = frames[k % frames.len()];
        // Lay the frame out once: headers then payload chunks.
        let mut len = 0;
        let mut count = 0;
        let chunks = f.chunks(MTU - HDR);
        let last = chunks.len().saturating_sub(1);
        for (i, chunk) in chunks.enumerate() {
            let p = &mut buf[len..len + HDR + chunk.len()];
            let header = rtp::Repr {
                marker: i == last,
                payload_type: jpeg::PAYLOAD_TYPE,
                sequence: SeqNo(0),
                // 90 kHz at 25 fps (RFC 2435 §3).
                timestamp: RtpTimestamp((k as u32).wrapping_mul(3600)),
                ssrc: Ssrc(0),
            };
            let at = header.emit(p).expect("room for the RTP header");
            p[at..HDR].fill(0);
            p[HDR..].copy_from_slice(chunk);
            len += HDR + chunk.len();
            count += 1;
        }
        for (port, seq) in ports.iter().zip(&mut seqs) {
            for (i, packet) in buf[..len].chunks_mut(MTU).enumerate() {
                rtp::Packet::new_unchecked(packet)
                    .set_sequence_number(SeqNo(seq.wrapping_add(i as u16)));
            }
            *seq = seq.wrapping_add(count as u16);
            for c in buf[..len].chunks(per_call * MTU) {
                let _ = sock.send_to(c, ("127.0.0.1", *port));
            }
        }
        due += period;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    unreachable!()
}
