//! Reassembling RTP/JPEG packets into complete JFIF frames (RFC 2435 §4.3,
//! Appendix B).

use heapless::Vec;

use super::header::{MainHeader, Payload, RestartHeader};
use super::intervals::{self, IntervalMap, Piece, Pieces};
use super::tables::make_tables;
use super::{Error, JfifHeader, QuantTable, Type, Q_DYNAMIC};
use crate::limits::{JPEG_LATE_WINDOW, JPEG_MAX_HEADER, JPEG_QUANT_CACHE, JPEG_REORDER_RANGES};
use crate::rtp::{self, RtpTimestamp, SeqNo};

/// In-band tables: table 0 then table 1, 64 or 128 bytes each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Tables {
    precision: u8,
    data: [u8; 256],
}

impl Tables {
    fn sizes(precision: u8) -> (usize, usize) {
        (64 << (precision & 1), 64 << ((precision >> 1) & 1))
    }

    /// Tables 0 and 1 from the §3.1.8 data. A sender may send one table
    /// for all components (ffmpeg does, for frames whose DQT has one): it is
    /// then used for chroma too.
    fn from_wire(precision: u8, bytes: &[u8]) -> Option<Tables> {
        let (l, c) = Self::sizes(precision);
        let mut data = [0u8; 256];
        if let Some(both) = bytes.get(..l + c) {
            data.get_mut(..l + c)?.copy_from_slice(both);
            return Some(Tables { precision, data });
        }
        let luma = bytes.get(..l).filter(|_| bytes.len() == l)?;
        data.get_mut(..l)?.copy_from_slice(luma);
        data.get_mut(l..2 * l)?.copy_from_slice(luma);
        let shared = (precision & 1) * 0b11;
        Some(Tables {
            precision: shared,
            data,
        })
    }

    fn split(&self) -> Option<(QuantTable<'_>, QuantTable<'_>)> {
        let (l, c) = Self::sizes(self.precision);
        Some((
            QuantTable::new(self.data.get(..l)?)?,
            QuantTable::new(self.data.get(l..l + c)?)?,
        ))
    }
}

/// The frame being reassembled.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Partial {
    timestamp: RtpTimestamp,
    kind: Type,
    q: u8,
    width: u8,
    height: u8,
    restart_interval: u16,
    /// From the packet at offset 0, for Q >= 128.
    tables: Option<Tables>,
    /// Received scan bytes as sorted, disjoint, non-adjacent [start, end).
    ranges: Vec<(u32, u32), JPEG_REORDER_RANGES>,
    /// Scan length, known once the marker packet arrived.
    end: Option<u32>,
    /// Sequence number of the packet at offset 0.
    first_seq: Option<SeqNo>,
    /// Sequence number of the marker packet.
    marker_seq: Option<SeqNo>,
    /// Highest sequence number seen in this frame.
    max_seq: SeqNo,
    /// Packets accepted (not duplicates).
    packets: u32,
    /// The packets' restart headers, to salvage the frame's intervals.
    pieces: Pieces,
    /// More packets than `pieces` holds: the frame can only be whole.
    pieces_overflow: bool,
}

/// Reassembles RTP/JPEG packets into complete JFIF frames in a caller
/// buffer (RFC 2435 §4.3), and rebuilds the headers (Appendix B).
///
/// A frame is returned only when every scan byte from offset 0 to the marker
/// packet's end has arrived, all with the same timestamp and main header,
/// in packets whose sequence numbers run without a gap from the offset-0
/// packet to the marker packet. A frame with a gap is dropped and counted
/// ([`frames_dropped`]), never returned: when a packet of the next frame
/// arrives first, when the buffer would overflow, or when its packets
/// disagree.
///
/// **Frame boundaries.** A new timestamp starts a new frame. So does, with
/// the same timestamp, a packet after the marker packet or a new offset-0
/// packet after the frame's highest sequence number: real senders (e.g.
/// GStreamer's `rtpjpegpay` fed untimestamped frames) repeat timestamps.
///
/// **Reordering and duplicates.** Scan data is written at its fragment
/// offset, so packets of the current frame may arrive in any order, with up
/// to [`JPEG_REORDER_RANGES`] holes at once. A packet repeating bytes
/// already received is a duplicate and ignored (counted). Only one frame is
/// in flight: a packet of the *next* frame arriving before the current
/// frame is complete drops the current frame. A packet of a finished frame
/// (one at or before its last sequence number, or with an older timestamp
/// up to [`JPEG_LATE_WINDOW`] ticks back) is late and ignored (counted); a
/// timestamp further back is taken as a stream restart.
///
/// **Partial frames** ([`with_partial_frames`]): packets come in order
/// from a [`ReorderWindow`](crate::rtp::ReorderWindow), which holds packets
/// across frame boundaries, so the next frame's packet arriving first no
/// longer costs a frame; a restart-marked frame with holes is then rebuilt
/// from the intervals that arrived ([`intervals`](super::intervals)) and
/// counted concealed, not dropped.
///
/// **Buffer layout.** The first [`JPEG_MAX_HEADER`] bytes are reserved for
/// the rebuilt headers, which end right where the scan data begins, so no
/// byte is moved; the buffer must hold `JPEG_MAX_HEADER` + the largest scan
/// data + 2 (EOI).
///
/// **Tables.** Q 1-99 uses the Appendix A tables; Q 128-255 the in-band
/// tables of the first packet (§3.1.8), remembered for Q 128-254 (the last
/// [`JPEG_QUANT_CACHE`] values seen) so later frames may omit them. The
/// type-specific field (interlaced fields, §3.1.1) is ignored.
///
/// [`frames_dropped`]: Depacketizer::frames_dropped
/// [`with_partial_frames`]: Depacketizer::with_partial_frames
#[derive(Debug)]
pub struct Depacketizer<B> {
    buf: B,
    cur: Option<Partial>,
    /// Timestamp and highest sequence number of the last finished frame,
    /// and whether its marker packet was seen.
    last_done: Option<(RtpTimestamp, SeqNo, bool)>,
    cache: Vec<(u8, Tables), JPEG_QUANT_CACHE>,
    /// The last in-band tables seen, for a frame whose first packet is lost.
    last_tables: Option<Tables>,
    dims: Option<(u16, u16)>,
    /// Where frames with holes are rebuilt (partial frames on), and the
    /// length of the one waiting to be handed out.
    spare: Option<B>,
    spare_ready: Option<usize>,
    map: IntervalMap,
    map_timestamp: RtpTimestamp,
    complete: u64,
    concealed: u64,
    intervals_lost: u64,
    dropped: u64,
    duplicates: u64,
    late: u64,
}

/// Where a packet goes.
enum Admit {
    Current,
    New,
    Late,
}

/// One frame handed out by [`Depacketizer::push_frames`].
#[derive(Debug)]
pub struct Assembled<'a> {
    /// A JFIF any baseline decoder opens.
    pub jfif: &'a [u8],
    /// The frame's RTP timestamp.
    pub timestamp: RtpTimestamp,
    /// For a frame with holes: its missing restart intervals, which the
    /// JFIF holds as neutral filler (see [`intervals`](super::intervals)).
    pub missing: Option<&'a IntervalMap>,
}

/// What one packet says, after parsing its headers.
struct Parsed<'p> {
    main: MainHeader,
    restart_interval: u16,
    restart: Option<RestartHeader>,
    tables: Option<Tables>,
    data: &'p [u8],
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> Depacketizer<B> {
    /// A depacketizer writing frames into `buf` (see the buffer layout).
    pub fn new(buf: B) -> Self {
        Depacketizer {
            buf,
            cur: None,
            last_done: None,
            cache: Vec::new(),
            last_tables: None,
            dims: None,
            spare: None,
            spare_ready: None,
            map: IntervalMap::default(),
            map_timestamp: RtpTimestamp(0),
            complete: 0,
            concealed: 0,
            intervals_lost: 0,
            dropped: 0,
            duplicates: 0,
            late: 0,
        }
    }

    /// The frame size from SDP `a=x-dimensions` (the GStreamer convention),
    /// used when the header says 0 (frames above 2040 px), and in place of
    /// the 8-pixel-rounded header size when it rounds to it.
    pub fn set_dimensions(&mut self, width: u16, height: u16) {
        self.dims = Some((width, height));
    }

    /// Turns on partial frames (RFC 2435 §3.1.7): a restart-marked frame
    /// with holes is rebuilt into `spare` (as large as the frame buffer)
    /// from the restart intervals that arrived, handed out by
    /// [`push_frames`](Self::push_frames) with the map of the missing ones,
    /// and counted concealed instead of dropped.
    ///
    /// Packets must then come in sequence-number order, with gaps only
    /// where packets are lost (a [`ReorderWindow`](crate::rtp::ReorderWindow)
    /// in front): a frame ends at its marker packet, or, when that is lost,
    /// at the first packet of the next frame. A frame whose first packet
    /// (the one with the Q>=128 tables) is lost uses the last in-band
    /// tables seen on the stream.
    pub fn with_partial_frames(mut self, spare: B) -> Self {
        self.spare = Some(spare);
        self
    }

    /// Frames returned whole.
    pub fn frames_complete(&self) -> u64 {
        self.complete
    }

    /// Frames returned with missing restart intervals (partial frames on).
    pub fn frames_concealed(&self) -> u64 {
        self.concealed
    }

    /// Restart intervals missing from the concealed frames.
    pub fn intervals_lost(&self) -> u64 {
        self.intervals_lost
    }

    /// Frames abandoned because of a gap, overflow or inconsistency.
    pub fn frames_dropped(&self) -> u64 {
        self.dropped
    }

    /// Packets ignored because their bytes had already arrived.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Packets ignored because their frame was already done or dropped.
    pub fn late_packets(&self) -> u64 {
        self.late
    }

    /// Abandons the frame in progress, if any (counted as dropped), e.g. at
    /// the end of a stream.
    pub fn reset(&mut self) {
        self.drop_frame();
    }

    /// Ends the frame in progress (see [`push_frames`](Self::push_frames)):
    /// with partial frames on, a frame with holes is handed out if any of
    /// its intervals arrived; otherwise it is dropped (counted).
    pub fn finish(&mut self, mut f: impl FnMut(Assembled<'_>)) {
        self.end_frame();
        self.hand_out_spare(&mut f);
    }

    /// Feeds one RTP packet; hands every frame it ends to `f`: a frame
    /// with holes that the packet ends (partial frames on), then a
    /// complete frame. An error means the packet was unusable.
    pub fn push_frames<T: AsRef<[u8]>>(
        &mut self,
        packet: &rtp::Packet<T>,
        mut f: impl FnMut(Assembled<'_>),
    ) -> Result<(), Error> {
        let rtp = repr(packet);
        let done = self.push_inner(&rtp, packet.payload());
        self.hand_out_spare(&mut f);
        if let Ok(Some((start, stop, timestamp))) = done {
            if let Some(jfif) = self.buf.as_ref().get(start..stop) {
                f(Assembled {
                    jfif,
                    timestamp,
                    missing: None,
                });
            }
        }
        done.map(|_| ())
    }

    fn hand_out_spare(&mut self, f: &mut impl FnMut(Assembled<'_>)) {
        if let (Some(len), Some(spare)) = (self.spare_ready.take(), &self.spare) {
            if let Some(jfif) = spare.as_ref().get(..len) {
                f(Assembled {
                    jfif,
                    timestamp: self.map_timestamp,
                    missing: Some(&self.map),
                });
            }
        }
    }

    /// Ends the current frame: salvaged into the spare buffer when partial
    /// frames are on and some of its intervals arrived, else dropped.
    fn end_frame(&mut self) {
        if self.cur.is_some() && !self.salvage() {
            self.drop_frame();
        }
    }

    /// Rebuilds the current frame's intervals that arrived (§3.1.7) into
    /// the spare buffer; false when it cannot.
    fn salvage(&mut self) -> bool {
        let Some(cur) = &self.cur else { return false };
        if cur.pieces_overflow || cur.restart_interval == 0 {
            return false;
        }
        let width = self.dimension(cur.width, self.dims.map(|d| d.0));
        let height = self.dimension(cur.height, self.dims.map(|d| d.1));
        let (Some(width), Some(height)) = (width, height) else {
            return false;
        };
        let Some(mut map) = IntervalMap::new(cur.kind, width, height, cur.restart_interval) else {
            return false;
        };
        let appendix_a = make_tables(cur.q);
        let fallback = self.last_tables.as_ref();
        let Some(header) = jfif_header(cur, width, height, fallback, &appendix_a) else {
            return false;
        };
        let Some(spare) = self.spare.as_mut().map(|s| s.as_mut()) else {
            return false;
        };
        let Ok(head) = header.emit(spare) else {
            return false;
        };
        let scan = self.buf.as_ref().get(JPEG_MAX_HEADER..).unwrap_or_default();
        let out = spare.get_mut(head..).unwrap_or_default();
        let Ok(Some(n)) =
            intervals::rebuild_scan(&cur.pieces, scan, cur.end, cur.kind, &mut map, out)
        else {
            return false;
        };
        self.concealed += 1;
        self.intervals_lost += u64::from(map.missing_count());
        self.map = map;
        self.map_timestamp = cur.timestamp;
        self.spare_ready = Some(head + n);
        self.last_done = self
            .cur
            .take()
            .map(|c| (c.timestamp, c.max_seq, c.marker_seq.is_some()));
        true
    }

    /// Abandons the current frame (counted), remembering where it ended.
    fn drop_frame(&mut self) {
        if let Some(c) = self.cur.take() {
            self.dropped += 1;
            self.last_done = Some((c.timestamp, c.max_seq, c.marker_seq.is_some()));
        }
    }

    /// Feeds one RTP packet (see [`Depacketizer::push_payload`]). The
    /// payload type is not checked: the host matches it against the SDP
    /// `a=rtpmap` (26, or a dynamic type some servers use for JPEG).
    pub fn push<T: AsRef<[u8]>>(
        &mut self,
        packet: &rtp::Packet<T>,
    ) -> Result<Option<&[u8]>, Error> {
        self.push_payload(&repr(packet), packet.payload())
    }

    /// Feeds the payload of one RTP packet with its header (sequence number,
    /// timestamp and marker are used). Returns a complete JFIF frame when
    /// this packet completes one. An error means the packet was unusable;
    /// its frame will be dropped.
    pub fn push_payload(
        &mut self,
        rtp: &rtp::Repr,
        payload: &[u8],
    ) -> Result<Option<&[u8]>, Error> {
        let done = self.push_inner(rtp, payload)?;
        Ok(done.and_then(|(start, stop, _)| self.buf.as_ref().get(start..stop)))
    }

    /// Takes one packet; the range of `buf` holding a frame it completed.
    fn push_inner(
        &mut self,
        rtp: &rtp::Repr,
        payload: &[u8],
    ) -> Result<Option<(usize, usize, RtpTimestamp)>, Error> {
        self.spare_ready = None;
        let (seq, timestamp) = (rtp.sequence, rtp.timestamp);
        let p = match self.parse(payload) {
            Ok(p) => p,
            Err(e @ Error::MissingQuantTables { .. }) => {
                // This frame can never be rebuilt: drop it now (counted), so
                // that its other packets are ignored as late.
                if self.admit(seq, timestamp, 0) {
                    Self::start(&mut self.cur, seq, timestamp, 0, None);
                    self.drop_frame();
                }
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let main = p.main;
        if !self.admit(seq, timestamp, main.fragment_offset) {
            return Ok(None);
        }
        let cur = Self::start(
            &mut self.cur,
            seq,
            timestamp,
            main.fragment_offset,
            Some(&p),
        );
        let consistent = cur.kind == main.kind
            && cur.q == main.q
            && (cur.width, cur.height) == (main.width, main.height)
            && cur.restart_interval == p.restart_interval;
        if !consistent {
            self.drop_frame();
            return Err(Error::BadPacket);
        }
        let start = main.fragment_offset;
        // At most 2^24 + 2^16: no overflow.
        let end = start + u32::try_from(p.data.len()).unwrap_or(u32::MAX);
        let duplicate = if end > start {
            cur.ranges.iter().any(|&(a, b)| a <= start && end <= b)
        } else {
            // An empty packet only matters as the marker.
            !rtp.marker || cur.marker_seq == Some(seq)
        };
        if duplicate {
            if end > start || rtp.marker {
                self.duplicates += 1;
            }
            return Ok(None);
        }
        if rtp.marker {
            if cur.end.is_some_and(|e| e != end) {
                self.drop_frame();
                return Err(Error::BadPacket);
            }
            cur.end = Some(end);
            cur.marker_seq = Some(seq);
        }
        if start == 0 {
            cur.first_seq = Some(seq);
            if p.tables.is_some() {
                cur.tables = p.tables;
            }
        }
        if let Some(r) = p.restart.filter(|_| !cur.pieces_overflow) {
            let piece = Piece {
                offset: start,
                end,
                count: r.count,
                first: r.first,
                last: r.last,
            };
            cur.pieces_overflow = !intervals::record(&mut cur.pieces, piece);
        }
        if seq.is_after(cur.max_seq) {
            cur.max_seq = seq;
        }
        cur.packets = cur.packets.saturating_add(1);
        if end > start {
            let at = JPEG_MAX_HEADER + start as usize;
            // Room for this data and for EOI after it.
            let required = at + p.data.len() + 2;
            let Some(dst) = self.buf.as_mut().get_mut(at..required - 2) else {
                self.drop_frame();
                return Err(Error::BufferTooSmall { required });
            };
            dst.copy_from_slice(p.data);
            if insert(&mut cur.ranges, start, end).is_err() {
                self.drop_frame();
                return Ok(None);
            }
        }
        self.try_complete()
    }

    /// The current frame, started from this packet if there is none.
    fn start<'c>(
        cur: &'c mut Option<Partial>,
        seq: SeqNo,
        timestamp: RtpTimestamp,
        offset: u32,
        p: Option<&Parsed<'_>>,
    ) -> &'c mut Partial {
        let main = p.map(|p| p.main);
        cur.get_or_insert(Partial {
            timestamp,
            kind: main.map_or(Type::Unknown(0), |m| m.kind),
            q: main.map_or(0, |m| m.q),
            width: main.map_or(0, |m| m.width),
            height: main.map_or(0, |m| m.height),
            restart_interval: p.map_or(0, |p| p.restart_interval),
            tables: None,
            ranges: Vec::new(),
            pieces: Vec::new(),
            pieces_overflow: false,
            end: None,
            first_seq: None,
            marker_seq: None,
            // The offset-0 packet is the frame's lowest sequence number; for
            // any other first packet, start just before it.
            max_seq: if offset == 0 {
                seq
            } else {
                SeqNo(seq.0.wrapping_sub(1))
            },
            packets: 0,
        })
    }

    /// Whether a packet belongs to the current frame or starts a new one
    /// (dropping an incomplete current frame); false for a late packet.
    fn admit(&mut self, seq: SeqNo, ts: RtpTimestamp, offset: u32) -> bool {
        let older = |than: RtpTimestamp| {
            let back = than.0.wrapping_sub(ts.0);
            back as i32 > 0 && back <= JPEG_LATE_WINDOW
        };
        let verdict = match &self.cur {
            Some(c) if c.timestamp == ts => {
                let after_marker = c.marker_seq.is_some_and(|m| seq.is_after(m));
                let new_start =
                    offset == 0 && c.first_seq.is_some_and(|f| f != seq) && seq.is_after(c.max_seq);
                if after_marker || new_start {
                    Admit::New
                } else {
                    Admit::Current
                }
            }
            Some(c) if older(c.timestamp) => Admit::Late,
            Some(_) => Admit::New,
            None => match self.last_done {
                // Same timestamp as the finished frame: a new frame only
                // after its end, and (when its marker never came) only
                // from an offset-0 packet; else the rest of the old one.
                Some((t, last, ended)) if t == ts => {
                    if seq.is_after(last) && (ended || offset == 0) {
                        Admit::Current
                    } else {
                        Admit::Late
                    }
                }
                Some((t, _, _)) if older(t) => Admit::Late,
                _ => Admit::Current,
            },
        };
        match verdict {
            Admit::Late => {
                self.late += 1;
                false
            }
            Admit::New => {
                self.end_frame();
                true
            }
            Admit::Current => true,
        }
    }

    fn parse<'p>(&mut self, payload: &'p [u8]) -> Result<Parsed<'p>, Error> {
        let p = Payload::parse(payload)?;
        let main = p.main;
        if let Type::Unknown(kind) = main.kind {
            return Err(Error::UnsupportedType { kind });
        }
        let tables = match p.quant {
            None => None,
            Some((_, [])) if main.q == Q_DYNAMIC => {
                // §3.1.8: Q=255 with Length 0 is not allowed.
                return Err(Error::BadPacket);
            }
            Some((_, [])) => {
                let cached = self.cache.iter().find(|(q, _)| *q == main.q);
                Some(cached.ok_or(Error::MissingQuantTables { q: main.q })?.1)
            }
            Some((qh, data)) => {
                let t = Tables::from_wire(qh.precision, data).ok_or(Error::BadPacket)?;
                if main.q != Q_DYNAMIC {
                    self.remember(main.q, t);
                }
                self.last_tables = Some(t);
                Some(t)
            }
        };
        Ok(Parsed {
            main,
            restart_interval: p.restart.map_or(0, |r| r.interval),
            restart: p.restart,
            tables,
            data: p.data,
        })
    }

    fn remember(&mut self, q: u8, t: Tables) {
        self.cache.retain(|(cq, _)| *cq != q);
        if self.cache.is_full() {
            self.cache.remove(0);
        }
        // Room was made just above.
        let _ = self.cache.push((q, t));
    }

    fn dimension(&self, blocks: u8, exact: Option<u16>) -> Option<u16> {
        let header = u16::from(blocks) * 8;
        match exact {
            Some(px) if blocks == 0 || px.div_ceil(8) * 8 == header => Some(px),
            _ if blocks == 0 => None,
            _ => Some(header),
        }
    }

    fn try_complete(&mut self) -> Result<Option<(usize, usize, RtpTimestamp)>, Error> {
        let Some(cur) = &self.cur else {
            return Ok(None);
        };
        let Some(end) = cur.end else {
            return Ok(None);
        };
        let whole = match cur.ranges.as_slice() {
            [] => end == 0,
            [(0, e)] => *e == end,
            _ => false,
        };
        // The packets from offset 0 to the marker must be all there is: a
        // frame stitched from two frames' packets would have a gap here.
        let contiguous = match (cur.first_seq, cur.marker_seq) {
            (Some(f), Some(m)) => i64::from(m.distance(f)) + 1 == i64::from(cur.packets),
            _ => false,
        };
        let whole = whole && contiguous;
        if !whole || (cur.q >= 128 && cur.tables.is_none()) {
            // In sequence order (partial frames on) nothing more of this
            // frame comes after its marker packet.
            if self.spare.is_some() {
                self.end_frame();
            }
            return Ok(None);
        }
        let width = self.dimension(cur.width, self.dims.map(|d| d.0));
        let height = self.dimension(cur.height, self.dims.map(|d| d.1));
        let (Some(width), Some(height)) = (width, height) else {
            self.drop_frame();
            return Err(Error::UnknownDimensions);
        };
        let appendix_a = make_tables(cur.q);
        let Some(header) = jfif_header(cur, width, height, None, &appendix_a) else {
            self.drop_frame();
            return Err(Error::BadPacket);
        };
        let start = JPEG_MAX_HEADER.saturating_sub(header.buffer_len());
        let scan_end = JPEG_MAX_HEADER + end as usize;
        let buf = self.buf.as_mut();
        let emitted = buf
            .get_mut(start..JPEG_MAX_HEADER)
            .ok_or(Error::BufferTooSmall {
                required: JPEG_MAX_HEADER,
            })
            .and_then(|h| header.emit(h));
        if let Err(e) = emitted {
            self.drop_frame();
            return Err(e);
        }
        // Senders should not send EOI (§3.1.9), but some do: add it only
        // when the scan data does not already end with it.
        let has_eoi = matches!(
            buf.get(scan_end.saturating_sub(2)..scan_end),
            Some([0xff, 0xd9]) if end >= 2
        );
        let stop = if has_eoi { scan_end } else { scan_end + 2 };
        if !has_eoi {
            // `push_payload` reserved room for EOI behind every fragment.
            if let Some(eoi) = buf.get_mut(scan_end..stop) {
                eoi.copy_from_slice(&[0xff, 0xd9]);
            }
        }
        self.complete += 1;
        let done = self.cur.take();
        let timestamp = done.as_ref().map_or(RtpTimestamp(0), |c| c.timestamp);
        self.last_done = done.map(|c| (c.timestamp, c.max_seq, c.marker_seq.is_some()));
        Ok(Some((start, stop, timestamp)))
    }
}

#[cfg(feature = "defmt")]
impl<B> defmt::Format for Depacketizer<B> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Depacketizer {{ complete: {}, dropped: {}, duplicates: {}, late: {} }}",
            self.complete,
            self.dropped,
            self.duplicates,
            self.late
        );
    }
}

/// The JFIF header for `cur` (Appendix B): Q 1-99 with the Appendix A
/// tables, Q >= 128 with the frame's in-band tables, else `fallback`.
fn jfif_header<'t>(
    cur: &'t Partial,
    width: u16,
    height: u16,
    fallback: Option<&'t Tables>,
    appendix_a: &'t ([u8; 64], [u8; 64]),
) -> Option<JfifHeader<'t>> {
    let (luma, chroma) = if cur.q < 128 {
        QuantTable::new(&appendix_a.0).zip(QuantTable::new(&appendix_a.1))?
    } else {
        cur.tables.as_ref().or(fallback)?.split()?
    };
    Some(JfifHeader {
        kind: cur.kind,
        width,
        height,
        restart_interval: cur.restart_interval,
        luma,
        chroma,
    })
}

/// The header fields of a packet the depacketizer uses.
fn repr<T: AsRef<[u8]>>(packet: &rtp::Packet<T>) -> rtp::Repr {
    rtp::Repr {
        marker: packet.marker(),
        payload_type: packet.payload_type(),
        sequence: packet.sequence_number(),
        timestamp: packet.timestamp(),
        ssrc: packet.ssrc(),
    }
}

/// Adds [s, e) to the sorted disjoint ranges, merging neighbours.
fn insert(ranges: &mut Vec<(u32, u32), JPEG_REORDER_RANGES>, s: u32, e: u32) -> Result<(), ()> {
    let (mut ns, mut ne) = (s, e);
    ranges.retain(|&(a, b)| {
        if b < ns || a > ne {
            true
        } else {
            ns = ns.min(a);
            ne = ne.max(b);
            false
        }
    });
    ranges.push((ns, ne)).map_err(|_| ())?;
    ranges.sort_unstable();
    Ok(())
}
