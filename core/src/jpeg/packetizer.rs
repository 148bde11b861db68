//! Cutting one JPEG frame into RTP packets (RFC 2435 §3, §4.3).

use super::header::{MainHeader, QuantHeader, RestartHeader};
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
/// * Types 64-127 carry the restart header (§3.1.7) in every packet, with
///   F=L=1 and count 0x3FFF, since packets are cut at the MTU and not at
///   restart intervals.
/// * The fragment offset counts scan-data bytes (§3.1.2); the marker bit is
///   set on the last packet.
/// * Every packet but the last is exactly `mtu` bytes long (the first one
///   carries the table header and correspondingly less scan data), which is
///   the shape UDP GSO needs: see [`Packetizer::segment_len`].
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
}

#[derive(Clone, Copy)]
struct Plan {
    header_len: usize,
    payload_len: usize,
    last: bool,
}

impl<'a> Packetizer<'a> {
    /// Starts packetizing `frame`. `rtp` gives the payload type, SSRC,
    /// timestamp (90 kHz, the same for every packet of the frame) and the
    /// first packet's sequence number; its marker is ignored.
    pub fn new(frame: &Frame<'a>, mtu: usize, rtp: rtp::Repr) -> Result<Self, Error> {
        let p = Packetizer {
            frame: *frame,
            rtp,
            mtu,
            offset: 0,
            first: true,
            done: false,
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
        let payload_len = room.min(remaining);
        Some(Plan {
            header_len,
            payload_len,
            last: payload_len == remaining,
        })
    }

    /// Packets this frame takes in all (including those already emitted).
    pub fn packet_count(&self) -> usize {
        let scan = self.frame.scan_data().len();
        let first_room = self
            .mtu
            .saturating_sub(self.common_len() + self.quant_len());
        let room = self.mtu.saturating_sub(self.common_len()).max(1);
        1 + scan.saturating_sub(first_room).div_ceil(room)
    }

    /// Length of every packet but the last (the UDP GSO segment size): the
    /// MTU, or the whole packet when the frame fits in one.
    pub fn segment_len(&self) -> usize {
        if self.packet_count() > 1 {
            self.mtu
        } else {
            self.common_len() + self.quant_len() + self.frame.scan_data().len()
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
        if f.restart() {
            let r = RestartHeader::unaligned(f.restart_interval());
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
