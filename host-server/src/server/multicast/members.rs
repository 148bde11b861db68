//! Members' RTCP on the group (RFC 3550 §6, §6.4.2; RFC 2326 §12.39).
//!
//! A multicast receiver sends its receiver reports to the group, on the
//! RTCP port of the group's pair (RFC 3550 §6: RTCP goes to the session's
//! destination; §11: RTP port + 1; RFC 2326 §12.39 `port=`), never to our
//! `server_port`. So for each group in use the server listens there:
//!
//! * one UDP socket bound to `GROUP:RTCP-PORT` (binding the group address
//!   keeps out datagrams for other groups or unicast on that port), with
//!   `SO_REUSEADDR` and `SO_REUSEPORT` because members on this host
//!   (ffmpeg, GStreamer's `udpsrc`) bind the same port with `SO_REUSEADDR`;
//! * joined with `IP_ADD_MEMBERSHIP` on the interface of `--bind` (`lo`
//!   for `127.0.0.1`; the routing table's choice for `0.0.0.0`);
//! * opened at the first member's SETUP and closed, which leaves the group
//!   (ip(7)), when the last member's session ends.
//!
//! A report is read by the member sessions' cores on the same path as a
//! unicast report ([`Server::rtcp_to_session`]): it refreshes the session's
//! expiry (RFC 2326 §12.37) and becomes the `ReceiverReport` event logged
//! with loss and jitter.
//!
//! **Which member.** RTCP names no RTSP session, and every member sends
//! from the group's RTCP port, so the source IP address is all that ties a
//! report to a member: it is credited to the members whose RTSP peer has
//! that address. Several members on one host therefore share liveness (one
//! member's reports keep its neighbours on that host alive); a member's own
//! SSRC or CNAME could tell them apart only if the client announced it over
//! RTSP, which RFC 2326 gives it no way to do. A report with no source
//! address (0.0.0.0) comes from this host: Linux sends a multicast
//! datagram out of `lo` that way when the socket is not bound to an
//! address (the loopback addresses are host-scoped, the group's route is
//! not), which is how ffmpeg and GStreamer members on the server's host
//! report with `--bind 127.0.0.1`; it is credited to the members whose
//! RTSP peer is a loopback address.
//!
//! **Our own reports.** With `IP_MULTICAST_LOOP` the driver's sender
//! reports come back to this socket from `--bind`'s address, which may also
//! be a member's. A compound whose SR or RR is sent by the stream's SSRC is
//! ours and is dropped, and only a report with a block about the stream's
//! SSRC counts (RFC 3550 §6.4: blocks name the source they report on).

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::AsRawFd;

use mio::net::UdpSocket;
use mio::{Interest, Token};
use nix::sys::socket::{
    bind, setsockopt, socket, sockopt, AddressFamily, IpMembershipRequest, SockFlag, SockType,
    SockaddrIn,
};
use rtsp_core::rtcp;
use rtsp_core::rtp::Ssrc;
use rtsp_core::session::server::MulticastGroup;
use rtsp_core::Instant;

use crate::server::Server;
use rtsp_core::session::MediaDestination;

/// Poll token of listener slot 0; slot `n` is `GROUP_TOKENS + n`. Far
/// above any connection's token (connections count from 16, one each).
pub const GROUP_TOKENS: usize = 1 << 30;

/// The server's receiver of one group's RTCP.
#[derive(Debug)]
struct Listener {
    sock: UdpSocket,
    group: MulticastGroup,
}

/// The receivers of the members' RTCP (RFC 3550 §6) open now, one per
/// group in use, by slot (slot `n` polls as token [`GROUP_TOKENS`]` + n`;
/// freed slots are reused lowest first).
#[derive(Debug, Default)]
pub struct Listeners(Vec<Option<Listener>>);

impl Listeners {
    fn slot_of(&self, rtcp: SocketAddr) -> Option<usize> {
        self.0
            .iter()
            .position(|l| l.as_ref().is_some_and(|l| rtcp_addr(&l.group) == rtcp))
    }

    fn free_slot(&self) -> usize {
        self.0
            .iter()
            .position(Option::is_none)
            .unwrap_or(self.0.len())
    }

    fn put(&mut self, slot: usize, l: Listener) {
        if slot >= self.0.len() {
            self.0.resize_with(slot + 1, || None);
        }
        self.0[slot] = Some(l);
    }
}

/// The group's RTCP address (RFC 3550 §11: the pair's odd port).
fn rtcp_addr(g: &MulticastGroup) -> SocketAddr {
    SocketAddr::new(g.addr.into(), g.ports.rtcp_port())
}

/// Opens a non-blocking socket on `GROUP:RTCP-PORT`, joined on `iface`.
fn open(g: &MulticastGroup, iface: Ipv4Addr) -> io::Result<UdpSocket> {
    let fd = socket(
        AddressFamily::Inet,
        SockType::Datagram,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    // Members on this host bind the same port (with SO_REUSEADDR); Linux
    // delivers a multicast datagram to every socket bound to it.
    setsockopt(&fd, sockopt::ReuseAddr, &true)?;
    setsockopt(&fd, sockopt::ReusePort, &true)?;
    let at = SockaddrIn::from(SocketAddrV4::new(g.addr, g.ports.rtcp_port()));
    bind(fd.as_raw_fd(), &at)?;
    setsockopt(
        &fd,
        sockopt::IpAddMembership,
        &IpMembershipRequest::new(g.addr, Some(iface)),
    )?;
    Ok(UdpSocket::from_std(std::net::UdpSocket::from(fd)))
}

/// Whether a report from `from` comes from the host of the RTSP peer
/// `peer`: the same address, or no address (a datagram this host sent out
/// of `lo`) and a loopback peer.
fn same_host(from: IpAddr, peer: IpAddr) -> bool {
    from == peer || (from.is_unspecified() && peer.is_loopback())
}

/// Who sent a compound RTCP packet that arrived on the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Our own report, looped back (its SR/RR is from the stream's SSRC).
    Ours,
    /// A receiver reporting on the stream (a block about its SSRC).
    Member,
    /// Anything else: no block about the stream, or malformed.
    Unrelated,
}

fn origin(packet: &[u8], stream: Ssrc) -> Origin {
    let mut member = false;
    for p in rtcp::Compound::new(packet) {
        let (sender, blocks) = match p {
            Ok(rtcp::Packet::Sr(sr)) => (sr.ssrc, sr.reports),
            Ok(rtcp::Packet::Rr(rr)) => (rr.ssrc, rr.reports),
            Ok(_) => continue,
            // A length that cannot be trusted: nothing in it is.
            Err(_) => return Origin::Unrelated,
        };
        if sender == stream {
            return Origin::Ours;
        }
        member |= blocks.iter().any(|b| b.ssrc == stream);
    }
    if member {
        Origin::Member
    } else {
        Origin::Unrelated
    }
}

impl Server {
    /// After a member's SETUP: receive the RTCP of `group` on its RTCP
    /// port unless already (RFC 3550 §6, RFC 2326 §12.39 `port=`; see the
    /// module documentation). A failure is logged; the members then stay
    /// alive through RTSP requests only (RFC 2326 §12.37).
    pub fn mcast_listen(&mut self, group: MulticastGroup) {
        let at = rtcp_addr(&group);
        let Some(slot) = self.multicast.as_ref().and_then(|g| {
            let l = &g.listeners;
            l.slot_of(at).is_none().then(|| l.free_slot())
        }) else {
            return;
        };
        // The interface `--bind` names (what the media leaves by, see
        // `crate::multicast`); the routing table's for a wildcard bind.
        let iface = match self.rtcp.socket().local_addr() {
            Ok(SocketAddr::V4(a)) => *a.ip(),
            _ => Ipv4Addr::UNSPECIFIED,
        };
        let opened = open(&group, iface).and_then(|mut sock| {
            self.registry()
                .register(&mut sock, Token(GROUP_TOKENS + slot), Interest::READABLE)?;
            Ok(sock)
        });
        match opened {
            Ok(sock) => {
                if let Some(g) = self.multicast.as_mut() {
                    g.listeners.put(slot, Listener { sock, group });
                }
                let on = if iface.is_unspecified() {
                    "the routing table's interface".to_string()
                } else {
                    iface.to_string()
                };
                tracing::info!("receiving members' RTCP on {at} (group joined on {on})");
            }
            Err(e) => tracing::warn!(
                "cannot receive members' RTCP on {at}: {e}; \
                 members stay alive through RTSP requests only"
            ),
        }
    }

    /// After a member's session ended: leave the group whose RTCP address
    /// is `at` (RFC 3550 §6) if no member is left.
    pub fn mcast_unlisten(&mut self, at: SocketAddr) {
        let in_use = self.conns.slots.iter().flatten().any(|c| {
            c.media
                .as_ref()
                .is_some_and(|m| matches!(m.dest, MediaDestination::Udp { rtcp, .. } if rtcp == at))
        });
        if in_use {
            return;
        }
        let Some(mut l) = self.multicast.as_mut().and_then(|g| {
            let ls = &mut g.listeners;
            let slot = ls.slot_of(at)?;
            ls.0[slot].take()
        }) else {
            return;
        };
        let _ = self.registry().deregister(&mut l.sock);
        // Closing the socket drops its membership (ip(7)).
        drop(l);
        tracing::info!("no member left: stopped receiving RTCP on {at}");
    }

    /// Reads the members' compound RTCP packets (RFC 3550 §6.1) that
    /// arrived on listener `slot` (token [`GROUP_TOKENS`]` + slot`).
    pub fn drain_group(&mut self, slot: usize, now: Instant) {
        let mut buf = [0u8; 2048];
        loop {
            let Some(l) = self
                .multicast
                .as_ref()
                .and_then(|g| g.listeners.0.get(slot)?.as_ref())
            else {
                return;
            };
            let group = l.group;
            match l.sock.recv_from(&mut buf) {
                Ok((n, from)) => self.on_group_rtcp(group, from, &buf[..n], now),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tracing::debug!("RTCP on {}: {e}", rtcp_addr(&group));
                    return;
                }
            }
        }
    }

    /// A compound packet from `from` on `group`'s RTCP port: a member's
    /// report goes to every member session at that address.
    fn on_group_rtcp(
        &mut self,
        group: MulticastGroup,
        from: SocketAddr,
        packet: &[u8],
        now: Instant,
    ) {
        match origin(packet, group.ssrc) {
            Origin::Member => {}
            Origin::Ours => return,
            Origin::Unrelated => {
                tracing::trace!("{from}: RTCP on the group about another source: ignored");
                return;
            }
        }
        let rtp = SocketAddr::new(group.addr.into(), group.ports.rtp);
        let ip = from.ip().to_canonical();
        let mut credited = false;
        for idx in 0..self.conns.slots.len() {
            if self.member_at(idx, rtp, ip) {
                credited = true;
                self.rtcp_to_session(idx, packet, now);
            }
        }
        if !credited {
            tracing::debug!(
                "{from}: receiver report on {} from no member's address: ignored",
                rtcp_addr(&group)
            );
        }
    }

    /// Whether connection `idx` is a member of the group with RTP address
    /// `rtp` on the host that sent from `ip` (see the module documentation).
    fn member_at(&self, idx: usize, rtp: SocketAddr, ip: IpAddr) -> bool {
        self.conns.slots[idx].as_ref().is_some_and(|c| {
            same_host(ip, c.peer.ip().to_canonical())
                && c.media.as_ref().is_some_and(
                    |m| matches!(m.dest, MediaDestination::Udp { rtp: r, .. } if r == rtp),
                )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtsp_core::rtcp::{ReceiverReport, ReportBlock, ReportBlocks, Sdes};

    fn compound(sender: u32, about: u32) -> Vec<u8> {
        let blocks = [ReportBlock {
            ssrc: Ssrc(about),
            fraction_lost: 64,
            ..ReportBlock::default()
        }];
        let packets = [
            rtcp::Packet::Rr(ReceiverReport {
                ssrc: Ssrc(sender),
                reports: ReportBlocks::new(&blocks),
            }),
            rtcp::Packet::Sdes(Sdes::cname(Ssrc(sender), "member")),
        ];
        let mut buf = vec![0u8; 200];
        let n = rtcp::emit_compound(&packets, &mut buf).unwrap();
        buf.truncate(n);
        buf
    }

    #[test]
    fn only_members_reports_about_the_stream_count() {
        let stream = Ssrc(0x1234_5678);
        assert_eq!(origin(&compound(7, 0x1234_5678), stream), Origin::Member);
        // Our own report looped back, even with a block about the stream.
        assert_eq!(
            origin(&compound(0x1234_5678, 0x1234_5678), stream),
            Origin::Ours
        );
        // A report on another source, and a truncated one.
        assert_eq!(origin(&compound(7, 9), stream), Origin::Unrelated);
        let cut = compound(7, 0x1234_5678);
        assert_eq!(origin(&cut[..20], stream), Origin::Unrelated);
    }

    #[test]
    fn reports_map_to_members_by_host() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(same_host(ip("192.0.2.7"), ip("192.0.2.7")));
        assert!(!same_host(ip("192.0.2.7"), ip("192.0.2.8")));
        assert!(same_host(ip("0.0.0.0"), ip("127.0.0.1")));
        assert!(!same_host(ip("0.0.0.0"), ip("192.0.2.7")));
        assert!(!same_host(ip("127.0.0.1"), ip("127.0.0.2")));
    }
}
