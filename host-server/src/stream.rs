//! Sending one frame to one session: RTP/JPEG packets (RFC 2435 via
//! `rtsp_core::jpeg::Packetizer`) to a UDP destination as one batch, or as
//! `$`-framed interleaved data (RFC 2326 §10.12) into the connection's
//! bounded output queue.
//!
//! The packets are written into one scratch buffer shared by all sessions
//! (allocated once, at start), back to back, so a UDP client costs one
//! system call per frame ([`crate::udp`]). The frame itself is never copied
//! apart from that: clips are shared by all sessions, each session only
//! keeps its position.

use std::net::SocketAddr;

use rtsp_core::jpeg;
use rtsp_core::rtp::{self, RtpTimestamp, SeqNo, Ssrc};

use crate::outbuf::OutBuf;
use crate::udp::RtpSocket;

/// Size of the shared packet scratch buffer; a larger frame goes out in
/// several batches.
pub const SCRATCH: usize = 1 << 20;

/// Where a session's RTP goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dest {
    /// UDP unicast to the RTSP peer's address (RFC 2326 §12.39
    /// `client_port`): RTP to `rtp`, RTCP to `rtcp`.
    Udp {
        /// RTP destination.
        rtp: SocketAddr,
        /// RTCP destination (the odd port).
        rtcp: SocketAddr,
    },
    /// Interleaved on the RTSP connection (RFC 2326 §10.12).
    Tcp {
        /// Channel for RTP.
        rtp: u8,
        /// Channel for RTCP.
        rtcp: u8,
    },
}

/// RTP sender state of one session (RFC 3550 §5.1, §6.4.1 counts).
#[derive(Debug, Clone)]
pub struct Sender {
    /// Our SSRC for this session.
    pub ssrc: Ssrc,
    /// Sequence number of the next packet.
    pub seq: SeqNo,
    /// Packets sent (SR sender's packet count).
    pub packets: u32,
    /// Payload octets sent (SR sender's octet count).
    pub octets: u32,
    /// Frames sent whole.
    pub frames: u64,
    /// Frames dropped: full TCP queue or full socket buffer.
    pub frames_dropped: u64,
}

impl Sender {
    /// A sender starting at sequence number `seq`.
    pub fn new(ssrc: Ssrc, seq: SeqNo) -> Sender {
        Sender {
            ssrc,
            seq,
            packets: 0,
            octets: 0,
            frames: 0,
            frames_dropped: 0,
        }
    }
}

/// What sending a frame did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// All packets handed to the kernel or queued.
    Sent,
    /// The frame was dropped whole (no sequence numbers used).
    Dropped,
    /// The frame cannot be packetized (logged by the caller).
    Refused(jpeg::Error),
}

/// Sends `frame` with RTP timestamp `ts` to `dest`.
#[allow(clippy::too_many_arguments)]
pub fn send_frame(
    tx: &mut Sender,
    frame: &[u8],
    ts: RtpTimestamp,
    mtu: usize,
    dest: Dest,
    scratch: &mut [u8],
    udp: &mut RtpSocket,
    out: &mut OutBuf,
) -> Outcome {
    let parsed = match jpeg::Frame::parse(frame) {
        Ok(f) => f,
        Err(e) => return Outcome::Refused(e),
    };
    let repr = rtp::Repr {
        marker: false,
        payload_type: jpeg::PAYLOAD_TYPE,
        sequence: tx.seq,
        timestamp: ts,
        ssrc: tx.ssrc,
    };
    let mut pk = match jpeg::Packetizer::new(&parsed, mtu, repr) {
        Ok(p) => p,
        Err(e) => return Outcome::Refused(e),
    };
    let count = pk.packet_count();
    let seg = pk.segment_len();
    let mut octets = 0usize;
    match dest {
        Dest::Udp { rtp: to, .. } => {
            let mut at = 0;
            let mut dropped = 0;
            loop {
                if scratch.len() - at < mtu {
                    dropped += udp.send_batch(&scratch[..at], seg, to).dropped;
                    at = 0;
                }
                match pk.next_packet(&mut scratch[at..]) {
                    Ok(Some(n)) => {
                        octets += n - rtp::HEADER_LEN;
                        at += n;
                    }
                    Ok(None) => break,
                    Err(e) => return Outcome::Refused(e),
                }
            }
            dropped += udp.send_batch(&scratch[..at], seg, to).dropped;
            if dropped > 0 {
                // The kernel dropped part of it: the receiver sees a gap
                // and drops the frame (RFC 2435 reassembly), so count it.
                tx.frames_dropped += 1;
            }
        }
        Dest::Tcp { rtp: ch, .. } => {
            // Whole frames or nothing: a partial frame is useless to the
            // receiver and would waste the queue.
            if !out.has_room(count * (mtu + 4)) {
                tx.frames_dropped += 1;
                return Outcome::Dropped;
            }
            loop {
                match pk.next_packet(&mut scratch[4..]) {
                    Ok(Some(n)) => {
                        octets += n - rtp::HEADER_LEN;
                        // n <= mtu <= 8192, so it fits the 16-bit length.
                        let len = (n as u16).to_be_bytes();
                        scratch[..4].copy_from_slice(&[b'$', ch, len[0], len[1]]);
                        out.push(&scratch[..4 + n]);
                    }
                    Ok(None) => break,
                    Err(e) => return Outcome::Refused(e),
                }
            }
        }
    }
    tx.seq = pk.next_sequence();
    tx.packets = tx.packets.wrapping_add(count as u32);
    tx.octets = tx.octets.wrapping_add(octets as u32);
    tx.frames += 1;
    Outcome::Sent
}

/// Sends one RTCP compound packet to `dest` (RFC 3550 §6; RFC 2326 §10.12
/// odd channel when interleaved). Returns false if it had to be dropped.
pub fn send_rtcp(
    pkt: &[u8],
    dest: Dest,
    rtcp_sock: &mut RtpSocket,
    out: &mut OutBuf,
    scratch: &mut [u8],
) -> bool {
    match dest {
        Dest::Udp { rtcp, .. } => rtcp_sock.send_one(pkt, rtcp).packets == 1,
        Dest::Tcp { rtcp: ch, .. } => {
            if !out.has_room(pkt.len() + 4) || pkt.len() + 4 > scratch.len() {
                return false;
            }
            let len = (pkt.len() as u16).to_be_bytes();
            scratch[..4].copy_from_slice(&[b'$', ch, len[0], len[1]]);
            scratch[4..4 + pkt.len()].copy_from_slice(pkt);
            out.push(&scratch[..4 + pkt.len()]);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{Clip, BUILTIN_CLIP, BUILTIN_NAME, DEFAULT_FPS};

    /// A frame of the built-in clip goes out as contiguous RTP packets with
    /// the marker on the last one only, over UDP and interleaved alike.
    #[test]
    fn frame_goes_out_whole() {
        let clip = Clip::load(BUILTIN_NAME, BUILTIN_CLIP.into(), DEFAULT_FPS).unwrap();
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .unwrap();
        let mut udp = RtpSocket::new(
            mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap(),
            true,
        );
        let mut out = OutBuf::default();
        let mut scratch = vec![0u8; SCRATCH];
        let mut tx = Sender::new(Ssrc(7), SeqNo(65530));
        let dest = Dest::Udp {
            rtp: rx.local_addr().unwrap(),
            rtcp: rx.local_addr().unwrap(),
        };
        let r = send_frame(
            &mut tx,
            clip.frame(0),
            RtpTimestamp(90),
            1400,
            dest,
            &mut scratch,
            &mut udp,
            &mut out,
        );
        assert_eq!(r, Outcome::Sent);
        let n = tx.packets as usize;
        assert!(n > 1);
        let mut buf = [0u8; 2000];
        for i in 0..n {
            let len = rx.recv(&mut buf).unwrap();
            let p = rtp::Packet::new_checked(&buf[..len]).unwrap();
            let h = rtp::Repr::parse(&p).unwrap();
            assert_eq!(h.sequence, SeqNo(65530u16.wrapping_add(i as u16)));
            assert_eq!(h.marker, i == n - 1);
            assert_eq!(h.timestamp, RtpTimestamp(90));
            assert!(len <= 1400);
        }
        assert_eq!(tx.seq, SeqNo(65530u16.wrapping_add(n as u16)));

        let r = send_frame(
            &mut tx,
            clip.frame(1),
            RtpTimestamp(3690),
            1400,
            Dest::Tcp { rtp: 0, rtcp: 1 },
            &mut scratch,
            &mut udp,
            &mut out,
        );
        assert_eq!(r, Outcome::Sent);
        let mut w = Vec::new();
        out.flush_to(&mut w).unwrap();
        assert_eq!(w[0], b'$');
        assert_eq!(w[1], 0);
    }
}
