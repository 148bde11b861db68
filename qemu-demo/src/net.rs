//! The smoltcp interface and every socket, with their buffers in statics
//! (counted in .bss, so the footprint report sees them).
//!
//! Addresses are QEMU user networking's (slirp) fixed plan: guest
//! 10.0.2.15/24, gateway and host 10.0.2.2. `hostfwd` maps a host port on
//! 127.0.0.1 to the guest's RTSP port, and UDP the guest sends to 10.0.2.2:P
//! arrives on the host's 127.0.0.1:P.

use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet, SocketStorage};
use smoltcp::socket::{tcp, udp};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, IpEndpoint, Ipv4Address};
use static_cell::ConstStaticCell;

use crate::eth::{Buffers, StellarisEth};
use crate::hw::Mac;

/// RTSP's well-known port (RFC 2326 §3.2), forwarded from the host.
pub const RTSP_PORT: u16 = 554;
/// Our RTP port (even, RFC 3550 §11); RTCP uses the next one.
pub const RTP_PORT: u16 = 6970;
/// Our RTCP port.
pub const RTCP_PORT: u16 = RTP_PORT + 1;
/// Simultaneous RTSP clients: one TCP socket each.
pub const MAX_CLIENTS: usize = 2;
/// The gateway, which is also the host as seen from the guest.
pub const GATEWAY: Ipv4Address = Ipv4Address::new(10, 0, 2, 2);
const GUEST: Ipv4Address = Ipv4Address::new(10, 0, 2, 15);

/// TCP receive buffer per client: requests are small, a few hundred bytes.
const TCP_RX: usize = 1024;
/// TCP send buffer per client: responses, and RTP interleaved on the RTSP
/// connection (RFC 2326 §10.12), a few packets in flight.
pub const TCP_TX: usize = 4096;
/// RTP packets queued in the UDP socket before the interface sends them.
const RTP_PACKETS: usize = 2;
/// Room for each queued RTP packet (a 1400-byte payload budget plus headers).
const RTP_SLOT: usize = 1460;
const RTCP_LEN: usize = 512;

static ETH_BUFS: ConstStaticCell<Buffers> = ConstStaticCell::new(Buffers::new());
static SOCKETS: ConstStaticCell<[SocketStorage<'static>; MAX_CLIENTS + 3]> =
    ConstStaticCell::new([SocketStorage::EMPTY; MAX_CLIENTS + 3]);
/// Buffers of the spare RTSP socket that turns away clients over capacity.
static SPARE_RX: ConstStaticCell<[u8; 512]> = ConstStaticCell::new([0; 512]);
static SPARE_TX: ConstStaticCell<[u8; 128]> = ConstStaticCell::new([0; 128]);
static TCP_RX_BUFS: ConstStaticCell<[[u8; TCP_RX]; MAX_CLIENTS]> =
    ConstStaticCell::new([[0; TCP_RX]; MAX_CLIENTS]);
static TCP_TX_BUFS: ConstStaticCell<[[u8; TCP_TX]; MAX_CLIENTS]> =
    ConstStaticCell::new([[0; TCP_TX]; MAX_CLIENTS]);
static RTP_META: ConstStaticCell<[udp::PacketMetadata; RTP_PACKETS]> =
    ConstStaticCell::new([udp::PacketMetadata::EMPTY; RTP_PACKETS]);
static RTP_TX: ConstStaticCell<[u8; RTP_PACKETS * RTP_SLOT]> =
    ConstStaticCell::new([0; RTP_PACKETS * RTP_SLOT]);
static RTP_RX_META: ConstStaticCell<[udp::PacketMetadata; 1]> =
    ConstStaticCell::new([udp::PacketMetadata::EMPTY; 1]);
static RTP_RX: ConstStaticCell<[u8; 64]> = ConstStaticCell::new([0; 64]);
static RTCP_META: ConstStaticCell<[udp::PacketMetadata; 4]> =
    ConstStaticCell::new([udp::PacketMetadata::EMPTY; 4]);
static RTCP_RX: ConstStaticCell<[u8; RTCP_LEN]> = ConstStaticCell::new([0; RTCP_LEN]);
static RTCP_TX_META: ConstStaticCell<[udp::PacketMetadata; 2]> =
    ConstStaticCell::new([udp::PacketMetadata::EMPTY; 2]);
static RTCP_TX: ConstStaticCell<[u8; RTCP_LEN]> = ConstStaticCell::new([0; RTCP_LEN]);

/// The network stack: device, interface and sockets.
pub struct Net {
    /// The polled MAC driver.
    pub eth: StellarisEth,
    /// smoltcp's IP interface.
    pub iface: Interface,
    /// All sockets.
    pub sockets: SocketSet<'static>,
    /// One RTSP (TCP) socket per client slot.
    pub tcp: [SocketHandle; MAX_CLIENTS],
    /// Also listening on [`RTSP_PORT`], added after the client sockets so it
    /// only gets connections when every slot is busy: it answers 503
    /// (RFC 2326 §11.5.3, over capacity) and closes.
    pub spare: SocketHandle,
    /// RTP sender (UDP, [`RTP_PORT`]).
    pub rtp: SocketHandle,
    /// RTCP sender and receiver (UDP, [`RTCP_PORT`]).
    pub rtcp: SocketHandle,
}

impl Net {
    /// Brings the interface up, binds the UDP sockets and makes every TCP
    /// socket listen on [`RTSP_PORT`]. Call once: the buffers are statics.
    pub fn new(mac: Mac, now: Instant, seed: u64) -> Net {
        let mut eth = StellarisEth::new(mac, ETH_BUFS.take());
        let hw = HardwareAddress::Ethernet(EthernetAddress(eth.mac_address()));
        let mut config = Config::new(hw);
        config.random_seed = seed;
        let mut iface = Interface::new(config, &mut eth, now);
        iface.update_ip_addrs(|addrs| {
            // Capacity is smoltcp's IFACE_MAX_ADDR_COUNT (at least 2).
            let _ = addrs.push(IpCidr::new(IpAddress::Ipv4(GUEST), 24));
        });
        let _ = iface.routes_mut().add_default_ipv4_route(GATEWAY);

        let mut sockets = SocketSet::new(&mut SOCKETS.take()[..]);
        let rx = TCP_RX_BUFS.take();
        let tx = TCP_TX_BUFS.take();
        let mut tcp = [SocketHandle::default(); MAX_CLIENTS];
        for ((handle, r), t) in tcp.iter_mut().zip(rx.iter_mut()).zip(tx.iter_mut()) {
            let socket = tcp::Socket::new(
                tcp::SocketBuffer::new(&mut r[..]),
                tcp::SocketBuffer::new(&mut t[..]),
            );
            *handle = sockets.add(socket);
        }
        let spare = sockets.add(tcp::Socket::new(
            tcp::SocketBuffer::new(&mut SPARE_RX.take()[..]),
            tcp::SocketBuffer::new(&mut SPARE_TX.take()[..]),
        ));
        let mut rtp = udp::Socket::new(
            udp::PacketBuffer::new(&mut RTP_RX_META.take()[..], &mut RTP_RX.take()[..]),
            udp::PacketBuffer::new(&mut RTP_META.take()[..], &mut RTP_TX.take()[..]),
        );
        let mut rtcp = udp::Socket::new(
            udp::PacketBuffer::new(&mut RTCP_META.take()[..], &mut RTCP_RX.take()[..]),
            udp::PacketBuffer::new(&mut RTCP_TX_META.take()[..], &mut RTCP_TX.take()[..]),
        );
        // Fresh sockets on distinct ports: binding cannot fail.
        let _ = rtp.bind(RTP_PORT);
        let _ = rtcp.bind(RTCP_PORT);
        let rtp = sockets.add(rtp);
        let rtcp = sockets.add(rtcp);
        let mut net = Net {
            eth,
            iface,
            sockets,
            tcp,
            spare,
            rtp,
            rtcp,
        };
        for i in 0..MAX_CLIENTS {
            net.listen(i);
        }
        net.listen_spare();
        net
    }

    /// (Re)arms client slot `i` to accept the next RTSP connection.
    pub fn listen(&mut self, i: usize) {
        if let Some(&h) = self.tcp.get(i) {
            let socket = self.sockets.get_mut::<tcp::Socket>(h);
            socket.abort();
            // A closed socket listening on a fixed port cannot fail.
            let _ = socket.listen(RTSP_PORT);
            socket.set_nagle_enabled(false);
        }
    }

    /// (Re)arms the spare socket.
    pub fn listen_spare(&mut self) {
        let socket = self.sockets.get_mut::<tcp::Socket>(self.spare);
        socket.abort();
        // A closed socket listening on a fixed port cannot fail.
        let _ = socket.listen(RTSP_PORT);
    }

    /// Sends one small datagram to the gateway. slirp learns the guest's
    /// Ethernet address from it; without it the first forwarded SYN is
    /// dropped and the first client waits 0.5 s for a retransmission.
    pub fn hello_gateway(&mut self) {
        let socket = self.sockets.get_mut::<udp::Socket>(self.rtcp);
        let _ = socket.send_slice(
            b"qemu-demo up",
            IpEndpoint::new(IpAddress::Ipv4(GATEWAY), 9),
        );
    }

    /// Whether smoltcp has nothing to do for at least a millisecond and no
    /// frame waits in the MAC.
    pub fn idle(&mut self, now: Instant) -> bool {
        !self.eth.rx_pending()
            && self
                .iface
                .poll_delay(now, &self.sockets)
                .is_none_or(|d| d >= smoltcp::time::Duration::from_millis(1))
    }

    /// Runs smoltcp at the clock's now; returns now in µs and as smoltcp's
    /// instant.
    pub fn poll_clock(&mut self, clock: &crate::clock::SysTickClock) -> (u64, Instant) {
        let now = clock.micros();
        let now_net = Instant::from_micros(now as i64);
        self.poll(now_net);
        (now, now_net)
    }

    /// Runs smoltcp: moves frames between the MAC and the sockets.
    pub fn poll(&mut self, now: Instant) -> bool {
        self.iface.poll(now, &mut self.eth, &mut self.sockets)
            == smoltcp::iface::PollResult::SocketStateChanged
    }
}
