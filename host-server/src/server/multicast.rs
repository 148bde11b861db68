//! Multicast delivery (RFC 2326 §1.6, §10.4, §12.39): `--multicast
//! GROUP[:PORT]` offers every path on the group address, each path on its
//! own RTP/RTCP port pair (PORT, PORT+2, … in the order paths are first
//! set up), with `--multicast-ttl`.
//!
//! **One stream per path.** All multicast members of a path receive the
//! same packets, sent once. One member, the *driver*, is the only one whose
//! host-side [`Media`](crate::session::Media) is marked playing, so the
//! frame loop sends its frames (to the group) exactly once; the other
//! members follow its RTP sender state (`ServerSession::follow`). A member
//! that joins a running stream joins at the stream's current position (a
//! `Range:` of a later member is not honoured: the group has one
//! position). When the driver pauses or leaves, a playing member takes over
//! at the same position and sequence number. Only the driver's RTCP sender
//! reports go to the group, and a BYE only when the last member leaves.
//!
//! Media is sent from the shared RTP socket (it has `IP_MULTICAST_TTL` and
//! `IP_MULTICAST_LOOP` set, so members on this host receive it too). The
//! outgoing interface follows `--bind`: Linux routes a multicast datagram
//! from a socket bound to a specific address out of the interface that owns
//! it (what `IP_MULTICAST_IF` would set; `--bind 127.0.0.1` keeps the group
//! on `lo`), and with `0.0.0.0` the routing table's route for the group.
//!
//! **Members' RTCP.** Members send their receiver reports to the group's
//! RTCP port (RFC 3550 §6), so the server joins each group in use to read
//! them there ([`members`]): they count as the member's liveness and are
//! logged like unicast reports.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};

use rtsp_core::rtcp;
use rtsp_core::rtp::Ssrc;
use rtsp_core::rtsp::header::PortPair;
use rtsp_core::session::server::MulticastGroup;
use rtsp_core::session::MediaDestination;

use crate::server::Server;
use crate::session::random;

mod members;

pub use members::GROUP_TOKENS;

/// `--multicast` settings and the group of each path.
#[derive(Debug)]
pub struct Groups {
    addr: Ipv4Addr,
    base_port: u16,
    ttl: u8,
    by_path: HashMap<String, MulticastGroup>,
    /// Receivers of the members' RTCP, one per group in use.
    listeners: members::Listeners,
}

impl Groups {
    /// Groups on `addr` from RTP port `base_port` (even) with `ttl`.
    pub fn new(addr: Ipv4Addr, base_port: u16, ttl: u8) -> Groups {
        Groups {
            addr,
            base_port: base_port & !1,
            ttl,
            by_path: HashMap::new(),
            listeners: members::Listeners::default(),
        }
    }

    /// The group of `path`, assigned the next port pair on first use.
    pub fn group(&mut self, path: &str) -> Option<MulticastGroup> {
        if let Some(g) = self.by_path.get(path) {
            return Some(*g);
        }
        let n = u16::try_from(self.by_path.len()).ok()?;
        let rtp = self.base_port.checked_add(n.checked_mul(2)?)?;
        let g = MulticastGroup {
            addr: self.addr,
            ports: PortPair::new(rtp, rtp.checked_add(1)?),
            ttl: self.ttl,
            ssrc: Ssrc(random() as u32),
        };
        self.by_path.insert(path.to_string(), g);
        Some(g)
    }

    /// The TTL of the group's datagrams.
    pub fn ttl(&self) -> u8 {
        self.ttl
    }
}

/// Parses `GROUP[:PORT]` (an IPv4 multicast address; PORT defaults to 5004,
/// RFC 3551's RTP port).
pub fn parse_group(s: &str) -> Result<(Ipv4Addr, u16), String> {
    let (ip, port) = match s.split_once(':') {
        Some((ip, p)) => (
            ip,
            p.parse::<u16>()
                .map_err(|_| format!("`{p}` is not a port"))?,
        ),
        None => (s, 5004),
    };
    let ip: Ipv4Addr = ip
        .parse()
        .map_err(|_| format!("`{ip}` is not an IPv4 address"))?;
    if !ip.is_multicast() {
        return Err(format!(
            "{ip} is not a multicast address (224.0.0.0/4; use e.g. 239.255.0.1)"
        ));
    }
    if port < 1024 || port == u16::MAX {
        return Err(format!("port {port}: use an even port from 1024"));
    }
    Ok((ip, port))
}

impl Server {
    /// Turns multicast on: sets the RTP socket's multicast TTL and loop.
    pub fn enable_multicast(&mut self, groups: Groups) -> std::io::Result<()> {
        for sock in [self.rtp.socket(), self.rtcp.socket()] {
            sock.set_multicast_ttl_v4(u32::from(groups.ttl()))?;
            sock.set_multicast_loop_v4(true)?;
        }
        self.multicast = Some(groups);
        Ok(())
    }

    /// Index of the playing driver of the multicast stream of `path`
    /// (`addr` is the group's RTP address), other than `except`.
    pub fn mcast_driver(&self, to: SocketAddr, except: usize) -> Option<usize> {
        self.conns.slots.iter().enumerate().find_map(|(i, c)| {
            let m = c.as_ref()?.media.as_ref()?;
            let same = matches!(m.dest, MediaDestination::Udp { rtp, .. } if rtp == to);
            (i != except && same && m.drives && c.as_ref()?.core.is_playing()).then_some(i)
        })
    }

    /// Members of the group with RTP address `to`, other than `except`,
    /// whose core session is playing.
    pub fn mcast_members(&self, to: SocketAddr, except: usize) -> Vec<usize> {
        self.conns
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let c = c.as_ref()?;
                let m = c.media.as_ref()?;
                let same = matches!(m.dest, MediaDestination::Udp { rtp, .. } if rtp == to);
                (i != except && same && c.core.is_playing()).then_some(i)
            })
            .collect()
    }

    /// Connection `idx`'s multicast RTP address, if it is a member.
    pub fn mcast_addr(&self, idx: usize) -> Option<SocketAddr> {
        let c = self.conns.slots.get(idx)?.as_ref()?;
        let g = c.core.multicast()?;
        Some(SocketAddr::new(g.addr.into(), g.ports.rtp))
    }

    /// Driver `idx` stops driving (PAUSE, TEARDOWN, expiry): a playing
    /// member takes over at the same position, sequence and timestamp.
    pub fn mcast_hand_over(&mut self, idx: usize, to: SocketAddr) {
        let Some((position, sender)) = self.conns.slots.get(idx).and_then(|c| {
            let c = c.as_ref()?;
            Some((c.core.frame_position(), *c.core.sender()))
        }) else {
            return;
        };
        let Some(&next) = self.mcast_members(to, idx).first() else {
            return;
        };
        if let Some(c) = self.conns.slots.get_mut(next).and_then(Option::as_mut) {
            c.core.follow(&sender);
            c.core.follow_frames(position);
            if let Some(m) = c.media.as_mut() {
                m.drives = true;
                tracing::info!("{}: now drives the multicast stream {to}", c.peer);
            }
        }
    }

    /// Before session `idx` writes RTCP: a follower takes the driver's
    /// sender state so its reports match what the group receives.
    pub fn mcast_sync(&mut self, idx: usize) {
        let Some(to) = self.mcast_addr(idx) else {
            return;
        };
        let Some(d) = self.mcast_driver(to, idx) else {
            return;
        };
        let Some(sender) = self.conns.slots[d].as_ref().map(|c| *c.core.sender()) else {
            return;
        };
        if let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) {
            c.core.follow(&sender);
        }
    }

    /// Where member `idx`'s RTCP goes and whether it may: see [`McastRtcp`].
    pub fn mcast_rtcp(&self, idx: usize) -> Option<McastRtcp> {
        let m = self.conns.slots.get(idx)?.as_ref()?.media.as_ref()?;
        let MediaDestination::Udp { rtp, rtcp } = m.dest else {
            return None;
        };
        rtp.ip().is_multicast().then(|| McastRtcp {
            to: rtcp,
            driver: m.drives,
            alone: self.mcast_members(rtp, idx).is_empty(),
        })
    }
}

/// RTCP policy of one multicast member: the driver's reports go to the
/// group, and a BYE only from the last member (RFC 3550 §6.6: the shared
/// source has not left while others still receive it).
#[derive(Debug, Clone, Copy)]
pub struct McastRtcp {
    /// The group's RTCP address.
    pub to: SocketAddr,
    /// This member drives the stream.
    pub driver: bool,
    /// No other member is playing.
    pub alone: bool,
}

impl McastRtcp {
    /// Whether `packet` goes out.
    pub fn allows(&self, packet: &[u8]) -> bool {
        if is_bye(packet) {
            self.alone
        } else {
            self.driver
        }
    }
}

/// Whether an RTCP compound packet (from our own core) holds a BYE (RFC
/// 3550 §6.6).
fn is_bye(packet: &[u8]) -> bool {
    rtcp::Compound::new(packet).any(|p| matches!(p, Ok(rtcp::Packet::Bye(_))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_parsing() {
        assert_eq!(
            parse_group("239.255.0.1:6000"),
            Ok((Ipv4Addr::new(239, 255, 0, 1), 6000))
        );
        assert_eq!(
            parse_group("239.255.0.1"),
            Ok((Ipv4Addr::new(239, 255, 0, 1), 5004))
        );
        assert!(parse_group("10.0.0.1").is_err());
        assert!(parse_group("239.1.1.1:80").is_err());
        let mut g = Groups::new(Ipv4Addr::new(239, 255, 0, 1), 6001, 1);
        let a = g.group("a").unwrap();
        let b = g.group("b").unwrap();
        assert_eq!(a.ports, PortPair::new(6000, 6001));
        assert_eq!(b.ports, PortPair::new(6002, 6003));
        assert_eq!(g.group("a"), Some(a));
        assert_ne!(a.ssrc, b.ssrc);
        // BYE alone (SC=1), behind an empty RR, and an RR without one.
        assert!(is_bye(&[0x81, 203, 0, 1, 0, 0, 0, 9]));
        assert!(is_bye(&[
            0x80, 201, 0, 1, 0, 0, 0, 9, 0x81, 203, 0, 1, 0, 0, 0, 9
        ]));
        assert!(!is_bye(&[0x80, 201, 0, 1, 0, 0, 0, 9]));
    }
}
