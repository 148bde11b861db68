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

use rtsp_core::jpeg;
use rtsp_core::rtp;
use rtsp_core::session::MediaDestination;

use crate::outbuf::OutBuf;
use crate::udp::{RtpSocket, MMSG_MAX};

/// Size of the shared packet scratch buffer; a larger frame goes out in
/// several batches.
pub const SCRATCH: usize = 1 << 20;

/// What sending a frame did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Packets written: all handed to the kernel or queued, except
    /// `dropped` that a full socket buffer refused (the receiver sees those
    /// as lost: their sequence numbers were used).
    Sent {
        /// RTP packets written.
        packets: u16,
        /// RTP payload octets written (RFC 3550 §6.4.1 octet count).
        octets: usize,
        /// Packets the kernel refused.
        dropped: usize,
    },
    /// The frame was dropped whole (no sequence numbers used): the TCP
    /// queue had no room.
    Dropped,
    /// The frame cannot be packetized (logged by the caller).
    Refused(jpeg::Error),
}

/// How frames are cut into packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// Largest RTP packet, header included.
    pub mtu: usize,
    /// Cut frames with restart markers at interval boundaries (RFC 2435
    /// §3.1.7, `jpeg::Packetizer::new`); false cuts at the MTU
    /// (`jpeg::Packetizer::unaligned`, `--no-restart`).
    pub restart_aligned: bool,
}

/// Sends `frame` with the RTP header `rtp` (from the session's
/// `frame_header`) to `dest`. The caller parses the frame, so a frame fanned
/// out to many sessions is analysed once, not once per session.
pub fn send_frame(
    frame: &jpeg::Frame<'_>,
    rtp: rtp::Repr,
    cut: Cut,
    dest: MediaDestination,
    scratch: &mut [u8],
    udp: &mut RtpSocket,
    out: &mut OutBuf,
) -> Outcome {
    let mtu = cut.mtu;
    let pk = if cut.restart_aligned {
        jpeg::Packetizer::new(frame, mtu, rtp)
    } else {
        jpeg::Packetizer::unaligned(frame, mtu, rtp)
    };
    let mut pk = match pk {
        Ok(p) => p,
        Err(e) => return Outcome::Refused(e),
    };
    // Counted as they are written: a restart-aligned frame's count takes a
    // pass over its scan data, which only the TCP queue's check needs.
    let mut count = 0usize;
    let mut octets = 0usize;
    let mut dropped = 0;
    match dest {
        MediaDestination::Udp { rtp: to, .. } => {
            // Packets cut at the MTU are all one length but the last: one
            // GSO batch. Restart-aligned ones vary: one `sendmmsg`.
            let seg = pk.segment_len();
            let mut lens = [0usize; MMSG_MAX];
            let mut n = 0;
            let mut at = 0;
            loop {
                if scratch.len() - at < mtu || n == MMSG_MAX {
                    dropped += flush(udp, &scratch[..at], seg, &lens[..n], to);
                    (at, n) = (0, 0);
                }
                match pk.next_packet(&mut scratch[at..]) {
                    Ok(Some(len)) => {
                        count += 1;
                        octets += len - rtp::HEADER_LEN;
                        at += len;
                        lens[n] = len;
                        n += 1;
                    }
                    Ok(None) => break,
                    Err(e) => return Outcome::Refused(e),
                }
            }
            dropped += flush(udp, &scratch[..at], seg, &lens[..n], to);
        }
        MediaDestination::Interleaved { .. } => {
            // Whole frames or nothing: a partial frame is useless to the
            // receiver and would waste the queue.
            let framing = dest.framing_len();
            if !out.has_room(pk.packet_count() * (mtu + framing)) {
                return Outcome::Dropped;
            }
            loop {
                match pk.next_packet(&mut scratch[framing..]) {
                    Ok(Some(n)) => {
                        count += 1;
                        octets += n - rtp::HEADER_LEN;
                        // The `$` framing is the core's (RFC 2326 §10.12);
                        // n <= mtu, so it always fits.
                        if let Some(len) = dest.frame_rtp(scratch, n) {
                            out.push(&scratch[..len]);
                        }
                    }
                    Ok(None) => break,
                    Err(e) => return Outcome::Refused(e),
                }
            }
        }
    }
    // RTP/JPEG frames above 65535 packets cannot exist: the 24-bit offset
    // limits scan data to 16 MiB, under 65535 packets of 256 bytes or more.
    Outcome::Sent {
        packets: count.min(usize::from(u16::MAX)) as u16,
        octets,
        dropped,
    }
}

/// Sends the packets laid back to back in `buf`, of lengths `lens`: one GSO
/// batch of `seg`-byte segments, or one `sendmmsg` when they vary (`seg`
/// `None`); returns the datagrams dropped.
fn flush(
    udp: &mut RtpSocket,
    buf: &[u8],
    seg: Option<usize>,
    lens: &[usize],
    to: std::net::SocketAddr,
) -> usize {
    if buf.is_empty() {
        return 0;
    }
    match seg {
        Some(seg) => udp.send_batch(buf, seg, to).dropped,
        None => udp.send_datagrams(buf, lens, to).dropped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{Clip, BUILTIN_CLIP, BUILTIN_NAME, DEFAULT_FPS};

    const CUT: Cut = Cut {
        mtu: 1400,
        restart_aligned: true,
    };

    /// A frame of the built-in clip goes out as contiguous RTP packets with
    /// the marker on the last one only, over UDP and interleaved alike.
    #[test]
    fn frame_goes_out_whole() {
        let clip = Clip::load(
            BUILTIN_NAME,
            BUILTIN_CLIP,
            DEFAULT_FPS,
            crate::media::prepare::Options::STRICT,
        )
        .unwrap();
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .unwrap();
        let sock = mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let mut udp = RtpSocket::new(sock, true);
        let mut out = OutBuf::default();
        let mut scratch = vec![0u8; SCRATCH];
        let repr = rtp::Repr {
            marker: false,
            payload_type: 26,
            sequence: rtp::SeqNo(65530),
            timestamp: rtp::RtpTimestamp(90),
            ssrc: rtp::Ssrc(7),
        };
        let to = rx.local_addr().unwrap();
        let dest = MediaDestination::Udp { rtp: to, rtcp: to };
        let r = send_frame(
            clip.frame(0),
            repr,
            CUT,
            dest,
            &mut scratch,
            &mut udp,
            &mut out,
        );
        let Outcome::Sent {
            packets,
            octets,
            dropped: 0,
        } = r
        else {
            panic!("{r:?}")
        };
        assert!(packets > 1);
        let mut buf = [0u8; 2000];
        let mut payload = 0;
        for i in 0..packets {
            let len = rx.recv(&mut buf).unwrap();
            let p = rtp::Packet::new_checked(&buf[..len]).unwrap();
            let h = rtp::Repr::parse(&p).unwrap();
            assert_eq!(h.sequence, rtp::SeqNo(65530u16.wrapping_add(i)));
            assert_eq!(h.marker, i == packets - 1);
            assert_eq!(h.timestamp, rtp::RtpTimestamp(90));
            assert!(len <= 1400);
            payload += len - rtp::HEADER_LEN;
        }
        assert_eq!(payload, octets);

        let tcp = MediaDestination::Interleaved { rtp: 0, rtcp: 1 };
        let r = send_frame(
            clip.frame(1),
            repr,
            CUT,
            tcp,
            &mut scratch,
            &mut udp,
            &mut out,
        );
        assert!(matches!(r, Outcome::Sent { dropped: 0, .. }));
        let mut w = Vec::new();
        out.flush_to(&mut w).unwrap();
        assert_eq!(&w[..2], &[b'$', 0]);
    }
}
