//! Multicast delivery (RFC 2326 §1.6, §10.4, §12.39 `multicast`,
//! `destination`, `port`, `ttl`; RFC 7826 §18.54).
//!
//! The host owns the groups: [`Host::multicast`](super::Host::multicast)
//! names the group of a presentation (address, RTP/RTCP port pair, TTL and
//! the SSRC of the one stream every member receives). The session never
//! lets a client pick the group: a `destination=` or `port=` that differs
//! from the host's group makes that alternative unacceptable with **403
//! Forbidden**, the same policy as a unicast `destination=` naming a
//! foreign host (RFC 7826 §18.54: the server may refuse a destination it
//! does not allow). A `ttl=` from the client is ignored: the scope is the
//! server's choice and is announced in the answer.
//!
//! All members of a group receive the same packets (one send per packet
//! for the group, RFC 2326 §10.4), so their sender state is the shared
//! stream's: the host drives the stream with one member's
//! [`frame_header`](super::ServerSession::frame_header) and copies the
//! result into the others with [`follow`](super::ServerSession::follow),
//! which keeps every member's SR coherent. Because a member joins a stream
//! that is already running, its PLAY answer has `RTP-Info: url=` without
//! `seq`/`rtptime` (RFC 2326 §12.33 makes both optional).

use core::net::Ipv4Addr;

use crate::rtp::Ssrc;
use crate::rtsp::header::{PortPair, Transport};
use crate::rtsp::StatusCode;

/// The multicast group a presentation is sent to (RFC 2326 §12.39).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MulticastGroup {
    /// The group address (`destination=`), e.g. 239.255.12.42.
    pub addr: Ipv4Addr,
    /// RTP and RTCP ports of the group (`port=a-b`, RFC 3550 §11).
    pub ports: PortPair,
    /// IP time-to-live of the group's datagrams (`ttl=`).
    pub ttl: u8,
    /// SSRC of the shared stream (RFC 3550 §8): one for all members.
    pub ssrc: Ssrc,
}

// Manual: defmt has no `Ipv4Addr` impl without an extra feature.
#[cfg(feature = "defmt")]
impl defmt::Format for MulticastGroup {
    fn format(&self, f: defmt::Formatter<'_>) {
        let [a, b, c, d] = self.addr.octets();
        defmt::write!(
            f,
            "{}.{}.{}.{}:{} ttl {} ssrc {}",
            a,
            b,
            c,
            d,
            self.ports,
            self.ttl,
            self.ssrc
        )
    }
}

impl MulticastGroup {
    /// Whether `t` (a `multicast` transport-spec) may be served by this
    /// group: `Ok` unless it names another address or other ports (403).
    pub fn admits(&self, t: &Transport<'_>) -> Result<(), StatusCode> {
        if let Some(dest) = t.destination {
            match dest.trim().parse::<Ipv4Addr>() {
                Ok(ip) if ip == self.addr => {}
                _ => return Err(StatusCode::Forbidden),
            }
        }
        if let Some(p) = t.port {
            let rtcp_ok = p.rtcp.is_none_or(|r| r == self.ports.rtcp_port());
            if p.rtp != self.ports.rtp || !rtcp_ok {
                return Err(StatusCode::Forbidden);
            }
        }
        Ok(())
    }

    /// The group's port pair with the RTCP port spelled out.
    pub fn port_pair(&self) -> PortPair {
        PortPair::new(self.ports.rtp, self.ports.rtcp_port())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group() -> MulticastGroup {
        MulticastGroup {
            addr: Ipv4Addr::new(239, 255, 0, 7),
            ports: PortPair::new(5000, 5001),
            ttl: 1,
            ssrc: Ssrc(9),
        }
    }

    #[test]
    fn admits_only_its_own_group() {
        let g = group();
        let ok = |s| g.admits(&Transport::parse(s).unwrap());
        assert_eq!(ok("RTP/AVP;multicast"), Ok(()));
        assert_eq!(ok("RTP/AVP;multicast;destination=239.255.0.7"), Ok(()));
        assert_eq!(ok("RTP/AVP;multicast;port=5000-5001;ttl=16"), Ok(()));
        assert_eq!(ok("RTP/AVP;multicast;port=5000"), Ok(()));
        assert_eq!(
            ok("RTP/AVP;multicast;destination=239.255.0.8"),
            Err(StatusCode::Forbidden)
        );
        assert_eq!(
            ok("RTP/AVP;multicast;destination=example.com"),
            Err(StatusCode::Forbidden)
        );
        assert_eq!(
            ok("RTP/AVP;multicast;port=6000-6001"),
            Err(StatusCode::Forbidden)
        );
        assert_eq!(
            ok("RTP/AVP;multicast;port=5000-5003"),
            Err(StatusCode::Forbidden)
        );
    }
}
