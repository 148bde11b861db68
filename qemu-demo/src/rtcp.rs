//! RTCP sender reports for a playing stream: a compound packet of SR and
//! SDES CNAME (RFC 3550 §6.1: every compound packet starts with a report
//! and carries a CNAME).
//!
//! ```text
//!  0                   1                   2                   3
//! |V=2|P|    RC   |   PT=SR=200   |             length            |
//! |                         SSRC of sender                        |
//! |              NTP timestamp, most significant word             |
//! |             NTP timestamp, least significant word             |
//! |                         RTP timestamp                         |
//! |                     sender's packet count                     |
//! |                      sender's octet count                     |
//! |V=2|P|    SC   |  PT=SDES=202  |             length            |
//! |                          SSRC/CSRC_1                          |
//! |    CNAME=1    |     length    | user and domain name        ...
//! ```

use crate::stream::Stream;

/// The CNAME we announce (RFC 3550 §6.5.1: user@host; the guest's address).
const CNAME: &[u8] = b"qemu-demo@10.0.2.15";
/// Bytes of the SR (no report blocks: we receive no RTP).
const SR_BYTES: usize = 28;
/// Bytes of the SDES chunk: header, SSRC, item, null, padded to 32 bits.
const SDES_BYTES: usize = (4 + 4 + 2 + CNAME.len() + 1).div_ceil(4) * 4;
/// Zeros after the CNAME: the null terminator item and the padding.
const PADDING: usize = SDES_BYTES - (4 + 4 + 2 + CNAME.len());
/// Bytes of the compound packet.
pub const SR_LEN: usize = SR_BYTES + SDES_BYTES;

/// Writes SR + SDES for `stream` into `buf`; returns the length. The NTP
/// timestamp is time since boot (RFC 3550 §6.4.1 allows elapsed time when no
/// wallclock is known); the RTP timestamp is the latest frame's.
pub fn sender_report(now_us: u64, stream: &Stream, buf: &mut [u8; SR_LEN]) -> usize {
    let ssrc = stream.ssrc().0.to_be_bytes();
    let secs = now_us / 1_000_000;
    let frac = ((now_us % 1_000_000) << 32) / 1_000_000;
    let ntp = (secs << 32) | frac;
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        for &b in bytes {
            if let Some(slot) = buf.get_mut(at) {
                *slot = b;
            }
            at += 1;
        }
    };
    put(&[0x80, 200]);
    put(&((SR_BYTES / 4 - 1) as u16).to_be_bytes());
    put(&ssrc);
    put(&ntp.to_be_bytes());
    put(&stream.sent.last_timestamp.to_be_bytes());
    put(&stream.sent.packets.to_be_bytes());
    put(&stream.sent.octets.to_be_bytes());
    put(&[0x81, 202]);
    put(&((SDES_BYTES / 4 - 1) as u16).to_be_bytes());
    put(&ssrc);
    put(&[1, CNAME.len() as u8]);
    put(CNAME);
    // Null item terminator and padding to the 32-bit boundary.
    put(&[0; PADDING]);
    SR_LEN
}
