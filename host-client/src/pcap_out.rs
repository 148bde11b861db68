//! `--pcap FILE`: every RTP/RTCP packet received, as a classic pcap file
//! (linktype Ethernet) that tshark and Wireshark open.
//!
//! The client sees payloads, not frames, so each packet gets synthesized
//! Ethernet/IPv4/UDP headers carrying the real addresses and ports. RTP
//! interleaved on the RTSP connection (RFC 2326 §10.12) is unwrapped and
//! written as UDP between the RTSP endpoints' addresses with the ports
//! `INTERLEAVED_BASE_PORT + channel`, so `tshark -d udp.port==N,rtp` (or the
//! RTP heuristic) decodes either form the same way.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use etherparse::PacketBuilder;

/// Synthetic UDP port base for interleaved channels: channel 0 is 50000.
pub const INTERLEAVED_BASE_PORT: u16 = 50_000;

/// pcap "LINKTYPE_ETHERNET".
const LINKTYPE_ETHERNET: u32 = 1;

/// A pcap writer reusing one scratch buffer (no allocation per packet).
#[derive(Debug)]
pub struct PcapWriter {
    out: BufWriter<File>,
    scratch: Vec<u8>,
    ip_id: u16,
}

impl PcapWriter {
    /// Creates `path` and writes the pcap global header.
    pub fn create(path: &Path) -> io::Result<PcapWriter> {
        let mut out = BufWriter::new(File::create(path)?);
        out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?; // magic, microsecond stamps
        out.write_all(&2u16.to_le_bytes())?; // version 2.4
        out.write_all(&4u16.to_le_bytes())?;
        out.write_all(&0i32.to_le_bytes())?; // thiszone
        out.write_all(&0u32.to_le_bytes())?; // sigfigs
        out.write_all(&65_535u32.to_le_bytes())?; // snaplen
        out.write_all(&LINKTYPE_ETHERNET.to_le_bytes())?;
        Ok(PcapWriter {
            out,
            scratch: Vec::with_capacity(70_000),
            ip_id: 0,
        })
    }

    /// Appends one UDP datagram `payload` sent from `src` to `dst`, stamped
    /// with the current wall-clock time.
    pub fn write_udp(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
    ) -> io::Result<()> {
        let builder = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(v4(src.ip()).octets(), v4(dst.ip()).octets(), 64)
            .udp(src.port(), dst.port());
        self.scratch.clear();
        builder
            .write(&mut self.scratch, payload)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        // Give each datagram its own IPv4 identification, as a kernel would.
        self.ip_id = self.ip_id.wrapping_add(1);
        if let Some(id) = self.scratch.get_mut(18..20) {
            id.copy_from_slice(&self.ip_id.to_be_bytes());
            fix_ipv4_checksum(&mut self.scratch);
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let len = self.scratch.len() as u32;
        self.out.write_all(&(now.as_secs() as u32).to_le_bytes())?;
        self.out.write_all(&now.subsec_micros().to_le_bytes())?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(&self.scratch)
    }

    /// Flushes buffered packets to the file.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// IPv6 peers are written with an IPv4 stand-in (pcap of RTP is about ports).
fn v4(ip: IpAddr) -> Ipv4Addr {
    match ip {
        IpAddr::V4(a) => a,
        IpAddr::V6(a) => a.to_ipv4_mapped().unwrap_or(Ipv4Addr::LOCALHOST),
    }
}

/// Recomputes the IPv4 header checksum (RFC 791 §3.1) after editing the id.
fn fix_ipv4_checksum(frame: &mut [u8]) {
    let Some(hdr) = frame.get_mut(14..34) else {
        return;
    };
    hdr[10] = 0;
    hdr[11] = 0;
    let mut sum: u32 = hdr
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    hdr[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_header_and_packets() {
        let dir = std::env::temp_dir().join(format!("pcap-out-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.pcap");
        let mut w = PcapWriter::create(&p).unwrap();
        let a: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:6000".parse().unwrap();
        w.write_udp(a, b, &[0x80, 26, 0, 1]).unwrap();
        w.flush().unwrap();
        let bytes = std::fs::read(&p).unwrap();
        // 24-byte global header, 16-byte record header, 14+20+8+4 bytes.
        assert_eq!(bytes.len(), 24 + 16 + 46);
        assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        // UDP ports at 14 + 20.
        assert_eq!(&bytes[40 + 34..40 + 38], &[0x13, 0x88, 0x17, 0x70]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
