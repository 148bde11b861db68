//! Sockets: the RTSP connection (RFC 2326 §10: TCP, with interleaved
//! binary data, §10.12) and the RTP/RTCP UDP pair (RFC 3550 §11: RTP on an
//! even port, RTCP on the next).

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream as StdTcp, UdpSocket as StdUdp};
use std::time::Duration;

use mio::net::{TcpStream, UdpSocket};

use crate::error::{failed_to, Error};

/// How long connecting may take before we give up with one clear line.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Receive buffer for the RTSP connection: an interleaved frame is at most
/// 4 + 65535 bytes, an RTSP message at most `RTSP_MAX_MESSAGE` + body.
pub const RTSP_RX_BUF: usize =
    4 + 65_535 + rtsp_core::limits::RTSP_MAX_MESSAGE + rtsp_core::limits::RTSP_MAX_BODY;

/// Connects to the RTSP server (`shown` is `host:port` as written, for
/// the error).
pub fn connect(addr: SocketAddr, shown: &str) -> Result<TcpStream, Error> {
    non_blocking(connect_blocking(addr, shown)?)
}

/// Connects as [`connect`] does, leaving the socket blocking (for a
/// handshake before the loop, as a tunnel's GET has).
pub fn connect_blocking(addr: SocketAddr, shown: &str) -> Result<StdTcp, Error> {
    let s = StdTcp::connect_timeout(&addr, CONNECT_TIMEOUT).map_err(|source| Error::Connect {
        server: shown.to_string(),
        source,
        timeout: CONNECT_TIMEOUT,
    })?;
    s.set_nodelay(true).map_err(failed_to("set TCP_NODELAY"))?;
    Ok(s)
}

/// The socket, non-blocking, for the loop.
pub fn non_blocking(s: StdTcp) -> Result<TcpStream, Error> {
    s.set_nonblocking(true)
        .map_err(failed_to("make the RTSP connection non-blocking"))?;
    Ok(TcpStream::from_std(s))
}

/// Binds an RTP/RTCP pair on consecutive ports, RTP even (RFC 3550 §11),
/// on the local address used to reach the server.
pub fn bind_pair(local_ip: IpAddr) -> Result<(UdpSocket, UdpSocket), Error> {
    let ip = if local_ip.is_unspecified() {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        local_ip
    };
    for _ in 0..100 {
        let a = StdUdp::bind((ip, 0)).map_err(failed_to("bind UDP"))?;
        let p = a.local_addr().map_err(failed_to("read a UDP port"))?.port();
        if p % 2 != 0 || p == u16::MAX {
            continue;
        }
        let Ok(b) = StdUdp::bind((ip, p + 1)) else {
            continue;
        };
        for s in [&a, &b] {
            s.set_nonblocking(true)
                .map_err(failed_to("make a UDP socket non-blocking"))?;
        }
        // A large receive buffer absorbs a whole frame's burst.
        grow_rcvbuf(&a);
        return Ok((UdpSocket::from_std(a), UdpSocket::from_std(b)));
    }
    Err(Error::NoPortPair)
}

/// Asks for a 4 MiB socket receive buffer, so a burst of a large frame's
/// packets is not dropped while the loop is busy (best effort: the kernel
/// caps it at `net.core.rmem_max`).
fn grow_rcvbuf(s: &StdUdp) {
    let _ = socket2::SockRef::from(s).set_recv_buffer_size(4 << 20);
}

/// Bytes buffered from the RTSP connection, parsed in place.
#[derive(Debug)]
pub struct RxBuf {
    /// Storage.
    pub buf: Box<[u8]>,
    /// Bytes of `buf` holding data not yet consumed.
    pub len: usize,
}

impl RxBuf {
    /// An empty buffer of `RTSP_RX_BUF` bytes.
    pub fn new() -> RxBuf {
        RxBuf {
            buf: vec![0; RTSP_RX_BUF].into_boxed_slice(),
            len: 0,
        }
    }

    /// Reads what the socket has; `Ok(false)` when the peer closed.
    pub fn fill(&mut self, s: &mut TcpStream) -> io::Result<bool> {
        loop {
            let Some(space) = self.buf.get_mut(self.len..) else {
                return Ok(true);
            };
            if space.is_empty() {
                return Ok(true);
            }
            match s.read(space) {
                Ok(0) => return Ok(false),
                Ok(n) => self.len += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Starts with `bytes` (what came with a tunnel's response head); as
    /// much as fits.
    pub fn preload(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.buf.len().saturating_sub(self.len));
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }

    /// Drops the first `n` bytes (a parsed message).
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.len);
        self.buf.copy_within(n..self.len, 0);
        self.len -= n;
    }

    /// The unparsed bytes.
    pub fn data(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Bytes waiting to go out on the RTSP connection.
#[derive(Debug, Default)]
pub struct TxBuf {
    buf: Vec<u8>,
}

impl TxBuf {
    /// Queues `data` and writes as much as the socket takes.
    pub fn send(&mut self, s: &mut TcpStream, data: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(data);
        self.flush(s)
    }

    /// Writes queued bytes until the socket would block.
    pub fn flush(&mut self, s: &mut TcpStream) -> io::Result<()> {
        while !self.buf.is_empty() {
            match s.write(&self.buf) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.buf.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
