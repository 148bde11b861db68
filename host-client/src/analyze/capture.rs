//! Reading packet captures: pcap and pcapng (tcpdump, tshark, `--pcap`),
//! with the link types a capture of RTP on a host commonly has.
//!
//! Only what RTP analysis needs comes out: UDP datagrams and TCP segment
//! payloads with their addresses and the capture timestamp. IP fragments
//! and other protocols are skipped.

use crate::error::{CaptureError, Error};
use std::fs::File;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_parser::pcapng::Block;
use pcap_parser::{Linktype, PcapBlockOwned, PcapError};

/// One transport payload from the capture.
#[derive(Debug, Clone, Copy)]
pub struct Datagram<'a> {
    /// Capture timestamp, microseconds since the Unix epoch.
    pub ts_us: u64,
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// UDP (true) or TCP (false).
    pub udp: bool,
    /// TCP sequence number of the first payload byte (0 for UDP).
    pub tcp_seq: u32,
    /// The transport payload.
    pub payload: &'a [u8],
}

/// Per-interface facts from a pcapng Interface Description Block.
#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: Linktype,
    resolution: u64,
    offset: u64,
}

/// Calls `f` for every UDP datagram and TCP segment in the capture, in file
/// order. Returns the number of link-layer frames read.
pub fn for_each(path: &Path, mut f: impl FnMut(&Datagram<'_>)) -> Result<u64, Error> {
    let error = |source| Error::Capture {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(|e| error(CaptureError::Open(e)))?;
    let mut reader = pcap_parser::create_reader(1 << 20, file)
        .map_err(|e| error(CaptureError::NotACapture(format!("{e:?}"))))?;
    let mut legacy: Option<(Linktype, bool)> = None;
    let mut ifaces: Vec<Interface> = Vec::new();
    let mut frames = 0u64;
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        legacy = Some((h.network, h.is_nanosecond_precision()));
                    }
                    PcapBlockOwned::Legacy(b) => {
                        frames += 1;
                        let (lt, nanos) = legacy.unwrap_or((Linktype::ETHERNET, false));
                        let frac = if nanos {
                            u64::from(b.ts_usec) / 1000
                        } else {
                            u64::from(b.ts_usec)
                        };
                        let ts = u64::from(b.ts_sec) * 1_000_000 + frac;
                        decode(lt, ts, b.data, &mut f);
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => ifaces.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        let resolution = pcap_parser::pcapng::build_ts_resolution(idb.if_tsresol)
                            .unwrap_or(1_000_000);
                        ifaces.push(Interface {
                            linktype: idb.linktype,
                            resolution,
                            offset: idb.if_tsoffset.max(0) as u64,
                        });
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        frames += 1;
                        if let Some(i) = ifaces.get(epb.if_id as usize).copied() {
                            let (s, frac) = epb.decode_ts(i.offset, i.resolution);
                            let us = u128::from(frac) * 1_000_000 / u128::from(i.resolution.max(1));
                            let ts = u64::from(s) * 1_000_000 + us as u64;
                            let data = epb.data.get(..epb.caplen as usize).unwrap_or(epb.data);
                            decode(i.linktype, ts, data, &mut f);
                        }
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        frames += 1;
                        if let Some(i) = ifaces.first().copied() {
                            decode(i.linktype, 0, spb.data, &mut f);
                        }
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.refill().is_err() {
                    return Err(error(CaptureError::Read));
                }
            }
            // A capture cut short (tcpdump killed mid-write) ends the analysis,
            // as tshark does, keeping what was read.
            Err(e) => {
                if frames == 0 {
                    return Err(error(CaptureError::Corrupt(format!("{e:?}"))));
                }
                break;
            }
        }
    }
    Ok(frames)
}

/// Decodes one link-layer frame down to UDP/TCP.
fn decode(lt: Linktype, ts_us: u64, data: &[u8], f: &mut impl FnMut(&Datagram<'_>)) {
    let sliced = match lt {
        Linktype::ETHERNET => SlicedPacket::from_ethernet(data).ok(),
        Linktype::LINUX_SLL => SlicedPacket::from_linux_sll(data).ok(),
        // SLL2: 20-byte header, protocol type in the first two bytes.
        Linktype::LINUX_SLL2 => data.get(20..).and_then(|ip| SlicedPacket::from_ip(ip).ok()),
        // BSD loopback: a 4-byte address family in host or network order.
        Linktype::NULL | Linktype::LOOP => {
            data.get(4..).and_then(|ip| SlicedPacket::from_ip(ip).ok())
        }
        Linktype::RAW | Linktype::IPV4 | Linktype::IPV6 | Linktype(12) | Linktype(14) => {
            SlicedPacket::from_ip(data).ok()
        }
        _ => None,
    };
    let Some(p) = sliced else { return };
    let (src_ip, dst_ip): (IpAddr, IpAddr) = match &p.net {
        Some(NetSlice::Ipv4(s)) => (
            s.header().source_addr().into(),
            s.header().destination_addr().into(),
        ),
        Some(NetSlice::Ipv6(s)) => (
            s.header().source_addr().into(),
            s.header().destination_addr().into(),
        ),
        _ => return,
    };
    let (sp, dp, udp, tcp_seq, payload) = match &p.transport {
        Some(TransportSlice::Udp(u)) => {
            (u.source_port(), u.destination_port(), true, 0, u.payload())
        }
        Some(TransportSlice::Tcp(t)) => (
            t.source_port(),
            t.destination_port(),
            false,
            t.sequence_number(),
            t.payload(),
        ),
        _ => return,
    };
    f(&Datagram {
        ts_us,
        src: SocketAddr::new(src_ip, sp),
        dst: SocketAddr::new(dst_ip, dp),
        udp,
        tcp_seq,
        payload,
    });
}
