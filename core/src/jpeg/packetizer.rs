//! Cutting one JPEG frame into RTP packets (RFC 2435 §3, §4.3).

use super::header::{MainHeader, QuantHeader, RestartHeader};
use super::restart::{self, MAX_RESTART_COUNT};
use super::{Error, Frame, Q_DYNAMIC};
use crate::rtp;

/// One packet as parts for a scatter-gather send: the first `header_len`
/// bytes of the caller's buffer (RTP header, RFC 2435 headers and, on the
/// first packet, the quantization tables), then `payload`, borrowed from the
/// frame's scan data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Parts<'a> {
    /// Header bytes written at the start of the buffer.
    pub header_len: usize,
    /// Scan data that follows the header on the wire.
    pub payload: &'a [u8],
    /// Whether this is the frame's last packet (RTP marker set, RFC 2435 §3).
    pub marker: bool,
}

impl Parts<'_> {
    /// Total packet length on the wire.
    pub fn len(&self) -> usize {
        self.header_len + self.payload.len()
    }

    /// Whether the packet is empty (never: it always has headers).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Packetizes one frame (RFC 2435 §3.1, §4.3), one packet per call.
///
/// * Q is 255 and the quantization table header (§3.1.8) rides on the first
///   packet of every frame, so a receiver never depends on earlier frames.
/// * The fragment offset counts scan-data bytes (§3.1.2); the marker bit is
///   set on the last packet.
///
/// A frame **without restart markers** (types 0, 1) is cut at the MTU:
/// every packet but the last is exactly `mtu` bytes long (the first one
/// carries the table header and correspondingly less scan data), which is
/// the shape UDP GSO needs: see [`Packetizer::segment_len`].
///
/// A frame **with restart markers** (DRI; types 64-127) is cut at restart
/// interval boundaries ([`Packetizer::new`], §3.1.7), so a receiver can
/// decode every interval that arrived:
/// * a packet carries as many whole intervals as fit (each with the RSTn
///   marker that ends it), with F=L=1 and the restart count of its first
///   interval (intervals are counted from 0 at the frame's start);
/// * an interval longer than a packet's room is a chunk of its own, split
///   across packets that all carry its count: F=1 on the first, L=1 on the
///   last, neither on those between;
/// * packets vary in length, so [`Packetizer::segment_len`] is `None`.
///
/// [`Packetizer::unaligned`] cuts such a frame at the MTU instead, with F=L=1
/// and count 0x3FFF in every restart header (receivers must then reassemble
/// the whole frame), as do frames of more than 16 383 intervals, which the
/// 14-bit count cannot number.
///
/// `mtu` is the largest RTP packet (RTP header included), e.g.
/// [`limits::RTP_DEFAULT_MTU`](crate::limits::RTP_DEFAULT_MTU).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Packetizer<'a> {
    frame: Frame<'a>,
    rtp: rtp::Repr,
    mtu: usize,
    offset: usize,
    first: bool,
    done: bool,
    /// Packets are cut at restart interval boundaries (§3.1.7).
    aligned: bool,
    /// Restart count of the interval at `offset` (aligned only).
    interval: u16,
    /// End of the interval being split across packets, while one is.
    chunk_end: Option<usize>,
}

#[derive(Clone, Copy)]
struct Plan {
    header_len: usize,
    payload_len: usize,
    last: bool,
    restart: Option<RestartHeader>,
    /// Intervals this packet completes (aligned only).
    intervals: usize,
    /// `chunk_end` after this packet.
    chunk_end: Option<usize>,
}

impl<'a> Packetizer<'a> {
    /// Starts packetizing `frame`, restart-aligned when it has restart
    /// markers (§3.1.7). `rtp` gives the payload type, SSRC, timestamp
    /// (90 kHz, the same for every packet of the frame) and the first
    /// packet's sequence number; its marker is ignored.
    pub fn new(frame: &Frame<'a>, mtu: usize, rtp: rtp::Repr) -> Result<Self, Error> {
        // The count of the frame's last interval must fit 14 bits.
        let intervals = frame
            .mcus()
            .div_ceil(usize::from(frame.restart_interval()).max(1));
        let aligned = frame.restart() && intervals <= usize::from(MAX_RESTART_COUNT) + 1;
        Self::with_alignment(frame, mtu, rtp, aligned)
    }

    /// Starts packetizing `frame` cut at the MTU whether or not it has
    /// restart markers (F=L=1, count 0x3FFF, §3.1.7): the packets senders
    /// other than this one send.
    pub fn unaligned(frame: &Frame<'a>, mtu: usize, rtp: rtp::Repr) -> Result<Self, Error> {
        Self::with_alignment(frame, mtu, rtp, false)
    }

    fn with_alignment(
        frame: &Frame<'a>,
        mtu: usize,
        rtp: rtp::Repr,
        aligned: bool,
    ) -> Result<Self, Error> {
        let p = Packetizer {
            frame: *frame,
            rtp,
            mtu,
            offset: 0,
            first: true,
            done: false,
            aligned,
            interval: 0,
            chunk_end: None,
        };
        let required = p.common_len() + p.quant_len() + 1;
        if mtu < required {
            return Err(Error::MtuTooSmall { required });
        }
        Ok(p)
    }

    fn common_len(&self) -> usize {
        let restart = if self.frame.restart() {
            RestartHeader::LEN
        } else {
            0
        };
        rtp::HEADER_LEN + MainHeader::LEN + restart
    }

    fn quant_len(&self) -> usize {
        QuantHeader::LEN + self.frame.quant_len()
    }

    fn plan(&self) -> Option<Plan> {
        if self.done {
            return None;
        }
        let quant = if self.first { self.quant_len() } else { 0 };
        let header_len = self.common_len() + quant;
        // `new` checked that the MTU leaves room for at least one byte.
        let room = self.mtu.saturating_sub(header_len).max(1);
        let remaining = self.frame.scan_data().len().saturating_sub(self.offset);
        let mut plan = Plan {
            header_len,
            payload_len: room.min(remaining),
            last: room >= remaining,
            restart: self
                .frame
                .restart()
                .then(|| RestartHeader::unaligned(self.frame.restart_interval())),
            intervals: 0,
            chunk_end: None,
        };
        if self.aligned {
            self.align(&mut plan, room);
        }
        Some(plan)
    }

    /// Cuts `plan` at a restart interval boundary (§3.1.7).
    fn align(&self, plan: &mut Plan, room: usize) {
        let scan = self.frame.scan_data();
        let end = scan.len();
        let (len, first, last) = match self.chunk_end {
            // The rest of an interval split across packets.
            Some(chunk_end) => {
                plan.chunk_end = Some(chunk_end);
                let len = room.min(chunk_end.saturating_sub(self.offset));
                (len, false, self.offset + len >= chunk_end)
            }
            // The rest of the frame fits.
            None if self.offset + room >= end => (end - self.offset.min(end), true, true),
            None => match restart::last_boundary_within(scan, self.offset, self.offset + room) {
                // As many whole intervals as fit.
                Some(b) => (b - self.offset, true, true),
                // One interval longer than the room: split it.
                None => {
                    let chunk_end = restart::next_boundary(scan, self.offset).unwrap_or(end);
                    plan.chunk_end = Some(chunk_end);
                    (room, true, false)
                }
            },
        };
        let start = self.offset;
        plan.payload_len = len;
        plan.last = start + len >= end;
        if last {
            plan.chunk_end = None;
            // Markers end every interval but the frame's last.
            // A split interval's marker may straddle its last two packets.
            let from = match self.chunk_end {
                Some(_) => (start + len).saturating_sub(2),
                None => start,
            };
            plan.intervals =
                restart::count_markers(scan.get(from..start + len).unwrap_or_default());
        }
        plan.restart = Some(RestartHeader {
            interval: self.frame.restart_interval(),
            first,
            last,
            count: self.interval.min(MAX_RESTART_COUNT),
        });
    }

    /// Packets this frame takes in all (including those already emitted).
    pub fn packet_count(&self) -> usize {
        if self.aligned {
            let mut probe = self.clone();
            probe.rewind();
            let mut n = 0;
            while let Some(plan) = probe.plan() {
                probe.advance(plan);
                n += 1;
            }
            return n;
        }
        let scan = self.frame.scan_data().len();
        let first_room = self
            .mtu
            .saturating_sub(self.common_len() + self.quant_len());
        let room = self.mtu.saturating_sub(self.common_len()).max(1);
        1 + scan.saturating_sub(first_room).div_ceil(room)
    }

    fn rewind(&mut self) {
        self.offset = 0;
        self.first = true;
        self.done = false;
        self.interval = 0;
        self.chunk_end = None;
    }

    /// Whether packets are cut at restart interval boundaries (§3.1.7):
    /// types 64-127 with real F/L bits and restart counts.
    pub fn is_aligned(&self) -> bool {
        self.aligned
    }

    /// Length of every packet but the last (the UDP GSO segment size): the
    /// MTU, or the whole packet when the frame fits in one. `None` when
    /// packets are restart-aligned, and so of varying lengths.
    pub fn segment_len(&self) -> Option<usize> {
        if self.aligned {
            None
        } else if self.packet_count() > 1 {
            Some(self.mtu)
        } else {
            Some(self.common_len() + self.quant_len() + self.frame.scan_data().len())
        }
    }

    /// Bytes of all the frame's packets together: what
    /// [`Packetizer::write_all`] needs.
    pub fn total_len(&self) -> usize {
        self.packet_count() * self.common_len() + self.quant_len() + self.frame.scan_data().len()
    }

    /// Writes every remaining packet back to back into `buf` and returns the
    /// bytes written. All but the last packet are [`segment_len`] long, so
    /// the result is ready for one UDP GSO send (`UDP_SEGMENT` =
    /// `segment_len`). Call it on a fresh packetizer to get the whole frame.
    /// On error nothing advances.
    ///
    /// [`segment_len`]: Packetizer::segment_len
    pub fn write_all(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let mut remaining = 0;
        let mut probe = self.clone();
        while let Some(plan) = probe.plan() {
            remaining += plan.header_len + plan.payload_len;
            probe.advance(plan);
        }
        if buf.len() < remaining {
            return Err(Error::BufferTooSmall {
                required: remaining,
            });
        }
        let mut at = 0;
        while let Some(n) = self.next_packet(buf.get_mut(at..).unwrap_or_default())? {
            at += n;
        }
        Ok(at)
    }

    /// The sequence number the next packet gets; after the last packet, the
    /// one to start the next frame with.
    pub fn next_sequence(&self) -> rtp::SeqNo {
        self.rtp.sequence
    }

    /// Whether every packet has been emitted.
    pub fn is_done(&self) -> bool {
        self.done
    }

    fn write_header(&self, plan: Plan, buf: &mut [u8]) -> Result<(), Error> {
        let head = buf
            .get_mut(..plan.header_len)
            .ok_or(Error::BufferTooSmall {
                required: plan.header_len,
            })?;
        let rtp = rtp::Repr {
            marker: plan.last,
            ..self.rtp
        };
        let mut at = rtp.emit(head).map_err(|_| Error::BufferTooSmall {
            required: plan.header_len,
        })?;
        let f = &self.frame;
        let main = MainHeader {
            type_specific: 0,
            // `Frame::parse` refused scan data beyond 24 bits.
            fragment_offset: u32::try_from(self.offset).unwrap_or(u32::MAX),
            kind: f.kind(),
            restart: f.restart(),
            q: Q_DYNAMIC,
            width: f.width_blocks(),
            height: f.height_blocks(),
        };
        at += main.emit(head.get_mut(at..).unwrap_or_default())?;
        if let Some(r) = plan.restart {
            at += r.emit(head.get_mut(at..).unwrap_or_default())?;
        }
        if self.first {
            let q = QuantHeader {
                precision: f.quant_precision(),
                // At most 256 bytes of tables.
                length: u16::try_from(f.quant_len()).unwrap_or(u16::MAX),
            };
            at += q.emit(head.get_mut(at..).unwrap_or_default())?;
            for t in f.quant_tables() {
                let dst = head
                    .get_mut(at..at + t.data().len())
                    .ok_or(Error::BufferTooSmall {
                        required: plan.header_len,
                    })?;
                dst.copy_from_slice(t.data());
                at += t.data().len();
            }
        }
        Ok(())
    }

    fn advance(&mut self, plan: Plan) {
        self.offset += plan.payload_len;
        self.first = false;
        self.done = plan.last;
        self.chunk_end = plan.chunk_end;
        let intervals = u16::try_from(plan.intervals).unwrap_or(u16::MAX);
        self.interval = self.interval.saturating_add(intervals);
        self.rtp.sequence = self.rtp.sequence.next();
    }

    /// Writes the next packet's headers into `buf` and returns them with the
    /// payload slice, for a scatter-gather send (no copy of scan data).
    /// `Ok(None)` once the frame is done. On error nothing advances.
    pub fn next_parts(&mut self, buf: &mut [u8]) -> Result<Option<Parts<'a>>, Error> {
        let Some(plan) = self.plan() else {
            return Ok(None);
        };
        self.write_header(plan, buf)?;
        let scan = self.frame.scan_data();
        let payload = scan
            .get(self.offset..self.offset + plan.payload_len)
            .unwrap_or_default();
        self.advance(plan);
        Ok(Some(Parts {
            header_len: plan.header_len,
            payload,
            marker: plan.last,
        }))
    }

    /// Writes the next whole packet into `buf` and returns its length;
    /// `Ok(None)` once the frame is done. On error nothing advances.
    pub fn next_packet(&mut self, buf: &mut [u8]) -> Result<Option<usize>, Error> {
        let Some(plan) = self.plan() else {
            return Ok(None);
        };
        let total = plan.header_len + plan.payload_len;
        let dst = buf
            .get_mut(plan.header_len..total)
            .ok_or(Error::BufferTooSmall { required: total })?;
        let scan = self.frame.scan_data();
        // `plan` never reaches past the scan data; the error is unreachable.
        let src = scan
            .get(self.offset..self.offset + plan.payload_len)
            .ok_or(Error::Truncated {
                offset: self.offset,
            })?;
        dst.copy_from_slice(src);
        self.write_header(plan, buf)?;
        self.advance(plan);
        Ok(Some(total))
    }
}
