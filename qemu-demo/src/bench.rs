//! Throughput measurement: a per-second rate meter, and the baseline it is
//! compared with — a bare smoltcp UDP send loop in the same guest that sends
//! each clip frame's scan data in datagrams of the RTP packet size, with no
//! RTSP, no RTP/JPEG headers and no pacing.
//!
//! Both the baseline and the server (`pace=fast`) log the same line,
//! `rate: F frames/s, P packets/s, K kbit/s`, so the ratio of the two frame
//! rates is the cost of the protocol stack over the bare network path.

use smoltcp::socket::udp;
use smoltcp::wire::{IpAddress, IpEndpoint};

use crate::clip::Looping;
use crate::clock::SysTickClock;
use crate::net::{Net, GATEWAY};

/// Counts frames, packets and bytes, and logs their rates once per period.
#[derive(Debug, Default)]
pub struct RateMeter {
    since: u64,
    frames: u32,
    packets: u32,
    bytes: u64,
}

impl RateMeter {
    /// A meter with nothing counted, for statics.
    pub const fn new() -> Self {
        RateMeter {
            since: 0,
            frames: 0,
            packets: 0,
            bytes: 0,
        }
    }

    /// Counts one sent packet of `len` bytes; `frame_done` if it was a
    /// frame's last.
    pub fn packet(&mut self, len: usize, frame_done: bool) {
        self.packets += 1;
        self.bytes += len as u64;
        if frame_done {
            self.frames += 1;
        }
    }

    /// Logs and restarts the counts once `period_us` has passed since the
    /// last report; returns whether it did.
    pub fn report(&mut self, now_us: u64, period_us: u64) -> bool {
        let elapsed = now_us.saturating_sub(self.since);
        if period_us == 0 || elapsed < period_us {
            return false;
        }
        if self.packets > 0 {
            let per_s = |n: u64| n * 1_000_000 / elapsed.max(1);
            defmt::info!(
                "rate: {=u64} frames/s, {=u64} packets/s, {=u64} kbit/s",
                per_s(u64::from(self.frames)),
                per_s(u64::from(self.packets)),
                per_s(self.bytes * 8) / 1000
            );
        }
        *self = RateMeter {
            since: now_us,
            ..RateMeter::default()
        };
        true
    }
}

/// Runs the baseline forever: the clip's scan data, `mtu` bytes per
/// datagram, to 10.0.2.2:`port` (the host's 127.0.0.1:`port`).
pub fn udp_send_loop(net: &mut Net, clock: &SysTickClock, port: u16, mtu: usize) -> ! {
    let to = IpEndpoint::new(IpAddress::Ipv4(GATEWAY), port);
    let mut clip = Looping::default();
    let mut meter = RateMeter {
        since: clock.micros(),
        ..RateMeter::default()
    };
    let mut scan: &[u8] = &[];
    defmt::info!("bench-udp: sending the clip to 10.0.2.2:{=u16}", port);
    loop {
        let now = clock.micros();
        net.poll(smoltcp::time::Instant::from_micros(now as i64));
        let socket = net.sockets.get_mut::<udp::Socket>(net.rtp);
        while socket.can_send() {
            if scan.is_empty() {
                match clip.next_frame() {
                    Some(frame) => scan = frame.scan_data(),
                    None => crate::exit_failure(),
                }
            }
            let (chunk, rest) = scan.split_at(scan.len().min(mtu));
            if socket.send_slice(chunk, to).is_err() {
                break;
            }
            scan = rest;
            meter.packet(chunk.len(), scan.is_empty());
        }
        meter.report(now, 1_000_000);
    }
}
