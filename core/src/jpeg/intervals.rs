//! Restart intervals of a frame with holes (RFC 2435 §3.1.7): which
//! arrived, and a JFIF holding exactly those, each at its own MCU position.
//!
//! A restart-marked stream (types 64–127) sends in every packet the restart
//! header: F says the payload starts a restart interval, L that it ends
//! one, and the restart count is the index of the (first) interval in it;
//! an interval cut over several packets has F on the first fragment, L on
//! the last, and the same count on all. So a run of packets from an F to an
//! L packet with contiguous fragment offsets holds whole intervals, which a
//! decoder can decode on their own (the DC predictors restart at each
//! interval, T.81 F.2.1.3.1). Count 0x3FFF with F=L=1 means the sender did
//! not align packets to intervals: such frames can only be whole.
//!
//! **Decision: the rebuilt frame keeps every MCU in its place.** Each
//! missing interval is replaced by a neutral filler interval of the same
//! number of MCUs (every block: DC difference 0, end of block, coded with
//! the standard tables of T.81 K.3), and every interval is followed by the
//! RSTn marker it should have. Any baseline decoder then decodes the frame
//! in one pass and puts each interval that arrived at its right position;
//! the filler decodes to flat mid-gray, which the host must cover (it owns
//! the pictures: copy the co-located pixels from the last frame shown)
//! using the [`IntervalMap`] of the missing intervals. This works with any
//! decoder, needs no RST resynchronisation (which only sees gaps modulo 8)
//! and no per-run JFIFs.

use heapless::Vec;

use super::markers::EOI;
use super::{Error, Type};
use crate::limits::{JPEG_MAX_FRAME_PACKETS, JPEG_MAX_INTERVALS};

/// RST0, the first of the eight restart markers RST0-RST7 (T.81 B.2.1).
const RST0: u8 = 0xd0;

fn is_rst(m: u8) -> bool {
    (RST0..RST0 + 8).contains(&m)
}

/// The restart header's count when packets are not aligned (§3.1.7).
pub(super) const COUNT_UNALIGNED: u16 = 0x3fff;

/// One packet's scan data and its restart header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct Piece {
    pub offset: u32,
    pub end: u32,
    pub count: u16,
    pub first: bool,
    pub last: bool,
}

/// The packets of one frame, sorted by offset, for salvaging it.
pub(super) type Pieces = Vec<Piece, JPEG_MAX_FRAME_PACKETS>;

/// Records a packet; false when the table is full (the frame can then
/// only be whole).
pub(super) fn record(pieces: &mut Pieces, p: Piece) -> bool {
    let at = pieces.partition_point(|q| q.offset < p.offset);
    if pieces.get(at).is_some_and(|q| q.offset == p.offset) {
        return true;
    }
    pieces.insert(at, p).is_ok()
}

const WORDS: usize = JPEG_MAX_INTERVALS.div_ceil(32);

/// Which restart intervals of a frame are missing, and where their MCUs
/// are in the picture.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IntervalMap {
    missing: [u32; WORDS],
    intervals: u16,
    missing_count: u16,
    /// MCUs per interval (the DRI value).
    interval: u16,
    mcus: u32,
    mcu_cols: u16,
    mcu_width: u8,
    mcu_height: u8,
}

impl Default for IntervalMap {
    fn default() -> Self {
        IntervalMap {
            missing: [0; WORDS],
            intervals: 0,
            missing_count: 0,
            interval: 0,
            mcus: 0,
            mcu_cols: 0,
            mcu_width: 16,
            mcu_height: 16,
        }
    }
}

impl IntervalMap {
    /// The layout of a frame of `kind`, `width`×`height` pixels, with a
    /// restart interval of `interval` MCUs, nothing missing; `None` when it
    /// has no restart interval or more intervals than
    /// [`JPEG_MAX_INTERVALS`].
    pub fn new(kind: Type, width: u16, height: u16, interval: u16) -> Option<Self> {
        let (mw, mh) = match kind {
            Type::Yuv422 => (16u16, 8u16),
            Type::Yuv420 => (16, 16),
            Type::Unknown(_) => return None,
        };
        if interval == 0 || width == 0 || height == 0 {
            return None;
        }
        let cols = width.div_ceil(mw);
        let mcus = u32::from(cols) * u32::from(height.div_ceil(mh));
        let intervals = mcus.div_ceil(u32::from(interval));
        let intervals = u16::try_from(intervals)
            .ok()
            .filter(|&n| usize::from(n) <= JPEG_MAX_INTERVALS)?;
        Some(IntervalMap {
            intervals,
            interval,
            mcus,
            mcu_cols: cols,
            mcu_width: mw as u8,
            mcu_height: mh as u8,
            ..IntervalMap::default()
        })
    }

    /// Restart intervals in the frame.
    pub fn intervals(&self) -> u16 {
        self.intervals
    }

    /// Intervals that did not arrive (their MCUs are filler).
    pub fn missing_count(&self) -> u16 {
        self.missing_count
    }

    /// Whether interval `i` is missing.
    pub fn is_missing(&self, i: u16) -> bool {
        let i = usize::from(i);
        self.missing
            .get(i / 32)
            .is_some_and(|w| (w >> (i % 32)) & 1 == 1)
    }

    /// The missing intervals, in order.
    pub fn missing(&self) -> impl Iterator<Item = u16> + '_ {
        (0..self.intervals).filter(|&i| self.is_missing(i))
    }

    /// The MCUs of interval `i`, as indices in raster order.
    pub fn mcus_of(&self, i: u16) -> core::ops::Range<u32> {
        let start = u32::from(i) * u32::from(self.interval);
        start.min(self.mcus)..(start + u32::from(self.interval)).min(self.mcus)
    }

    /// The pixel rectangle `(x, y, width, height)` of MCU `mcu`, before
    /// clipping to the picture.
    pub fn mcu_rect(&self, mcu: u32) -> (u32, u32, u32, u32) {
        let cols = u32::from(self.mcu_cols.max(1));
        let (w, h) = (u32::from(self.mcu_width), u32::from(self.mcu_height));
        ((mcu % cols) * w, (mcu / cols) * h, w, h)
    }

    /// Marks interval `i` missing (ignored past the frame's last).
    pub fn set_missing(&mut self, i: u16) {
        if i >= self.intervals {
            return;
        }
        let i = usize::from(i);
        if let Some(w) = self.missing.get_mut(i / 32) {
            if (*w >> (i % 32)) & 1 == 0 {
                *w |= 1 << (i % 32);
                self.missing_count += 1;
            }
        }
    }
}

/// Writes the scan of a frame with holes into `out`: the intervals found
/// in the complete runs of `pieces` (their bytes in `scan`, indexed by
/// fragment offset), filler for the others, RSTn after each but the last,
/// and EOI. Fills in `map`'s missing intervals. Returns the bytes written,
/// or `None` when no interval arrived whole. `frame_end` is the scan's
/// length, when the marker packet arrived.
pub(super) fn rebuild_scan(
    pieces: &[Piece],
    scan: &[u8],
    frame_end: Option<u32>,
    kind: Type,
    map: &mut IntervalMap,
    out: &mut [u8],
) -> Result<Option<usize>, Error> {
    let mut w = Writer { out, at: 0 };
    let mut next: u16 = 0;
    let mut found = 0u32;
    if pieces.iter().all(|p| p.count == COUNT_UNALIGNED) {
        unaligned(
            pieces, scan, frame_end, kind, map, &mut w, &mut next, &mut found,
        )?;
    }
    let mut i = 0;
    while let Some(first) = pieces.get(i) {
        // A run: an F packet, then contiguous packets with its count, up to
        // an L packet.
        let mut j = i;
        let mut complete = false;
        if first.first && first.count != COUNT_UNALIGNED {
            while let Some(p) = pieces.get(j) {
                let prev_end = j.checked_sub(1).and_then(|k| pieces.get(k)).map(|q| q.end);
                if p.count != first.count || (j > i && (p.first || Some(p.offset) != prev_end)) {
                    break;
                }
                if p.last {
                    complete = true;
                    break;
                }
                j += 1;
            }
        }
        if !complete {
            i += 1;
            continue;
        }
        let Some(end_piece) = pieces.get(j) else {
            break;
        };
        let bytes = scan
            .get(first.offset as usize..end_piece.end as usize)
            .unwrap_or_default();
        i = j + 1;
        if first.count < next {
            continue; // overlaps what is written: inconsistent, skip it
        }
        let Some(n) = count_intervals(bytes, first.count) else {
            continue;
        };
        if u32::from(first.count) + u32::from(n) > u32::from(map.intervals) {
            continue;
        }
        while next < first.count {
            map.set_missing(next);
            w.filler(kind, map, next)?;
            next += 1;
        }
        for segment in segments(bytes) {
            w.bytes(segment)?;
            w.restart(map, next)?;
            next += 1;
            found += 1;
        }
    }
    if found == 0 {
        return Ok(None);
    }
    while next < map.intervals {
        map.set_missing(next);
        w.filler(kind, map, next)?;
        next += 1;
    }
    w.bytes(&[0xff, EOI])?;
    Ok(Some(w.at))
}

/// Unaligned packets (count 0x3FFF, as GStreamer's `rtpjpegpay` sends):
/// the intervals are found by their RSTn markers (T.81 B.2.1) in each run
/// of contiguous bytes received. An interval counts when both its ends are
/// in the run: the frame's start or an RSTn before it, and an RSTn, EOI or
/// the frame's end after it. After a hole, an interval's index is the first
/// one at or after what is written that its RSTn numbers modulo 8: right
/// while a hole swallows fewer than 8 intervals (a lost packet of a stream
/// with an interval per MCU row swallows 1 or 2).
#[allow(clippy::too_many_arguments)]
fn unaligned(
    pieces: &[Piece],
    scan: &[u8],
    frame_end: Option<u32>,
    kind: Type,
    map: &mut IntervalMap,
    w: &mut Writer<'_>,
    next: &mut u16,
    found: &mut u32,
) -> Result<(), Error> {
    let mut i = 0;
    while let Some(first) = pieces.get(i) {
        let mut end = first.end;
        i += 1;
        while let Some(p) = pieces.get(i).filter(|p| p.offset == end) {
            end = p.end;
            i += 1;
        }
        let mut rest = scan
            .get(first.offset as usize..end as usize)
            .unwrap_or_default();
        let at_end = frame_end == Some(end);
        let mut index = (first.offset == 0).then_some(0u16);
        loop {
            let (seg, marker, tail) = split_at_marker(rest);
            let whole = match marker {
                Some(m) if is_rst(m) => true,
                Some(_) => true, // EOI
                None => at_end,
            };
            if let (Some(ix), true) = (index, whole && !seg.is_empty()) {
                if ix >= *next && ix < map.intervals {
                    while *next < ix {
                        map.set_missing(*next);
                        w.filler(kind, map, *next)?;
                        *next += 1;
                    }
                    w.bytes(seg)?;
                    w.restart(map, ix)?;
                    *next = ix + 1;
                    *found += 1;
                }
            }
            let Some(m) = marker.filter(|&m| is_rst(m)) else {
                break;
            };
            let n = u16::from(m - RST0);
            index = match index {
                Some(ix) if ix % 8 == n => Some(ix + 1),
                Some(_) => break, // numbering broken: trust nothing more here
                None => Some(*next + (n + 8 - *next % 8) % 8 + 1),
            };
            rest = tail;
        }
    }
    Ok(())
}

/// The intervals in a run's bytes, each without its RST marker, stopping at
/// EOI.
fn segments(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    core::iter::from_fn(move || loop {
        if rest.is_empty() {
            return None;
        }
        let (seg, marker, tail) = split_at_marker(rest);
        rest = if marker == Some(EOI) { &[] } else { tail };
        if !seg.is_empty() {
            return Some(seg);
        }
    })
}

/// How many intervals a run starting at interval `count` holds; `None`
/// when an RSTn marker does not number the interval it ends (T.81 E.1.4:
/// RSTm after interval m mod 8).
fn count_intervals(bytes: &[u8], count: u16) -> Option<u16> {
    let mut rest = bytes;
    let mut n: u16 = 0;
    while !rest.is_empty() {
        let (seg, marker, tail) = split_at_marker(rest);
        if !seg.is_empty() {
            n = n.checked_add(1)?;
            if let Some(m) = marker.filter(|&m| is_rst(m)) {
                let index = count.wrapping_add(n - 1);
                if u16::from(m - RST0) != index % 8 {
                    return None;
                }
            }
        }
        if marker == Some(EOI) {
            break;
        }
        rest = tail;
    }
    (n > 0).then_some(n)
}

/// Entropy-coded bytes up to the next RSTn or EOI marker: (bytes, the
/// marker's second byte, what follows it). Stuffed 0xFF00 and fill bytes
/// are data.
fn split_at_marker(bytes: &[u8]) -> (&[u8], Option<u8>, &[u8]) {
    let mut k = 0;
    while let Some(&b) = bytes.get(k) {
        if b == 0xff {
            if let Some(&m) = bytes.get(k + 1) {
                if is_rst(m) || m == EOI {
                    let seg = bytes.get(..k).unwrap_or_default();
                    return (seg, Some(m), bytes.get(k + 2..).unwrap_or_default());
                }
            }
        }
        k += 1;
    }
    (bytes, None, &[])
}

/// Bytes out, with bit-level writing for filler intervals.
struct Writer<'o> {
    out: &'o mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn bytes(&mut self, b: &[u8]) -> Result<(), Error> {
        let required = self.at + b.len();
        let dst = self
            .out
            .get_mut(self.at..required)
            .ok_or(Error::BufferTooSmall { required })?;
        dst.copy_from_slice(b);
        self.at = required;
        Ok(())
    }

    /// RSTn after interval `i`, unless it is the frame's last.
    fn restart(&mut self, map: &IntervalMap, i: u16) -> Result<(), Error> {
        if i + 1 < map.intervals {
            self.bytes(&[0xff, RST0 + (i % 8) as u8])?;
        }
        Ok(())
    }

    /// A filler interval: every block DC difference 0 (code `00`, K.3.1)
    /// and end of block (luma `1010`, chroma `00`, K.3.2), padded with
    /// 1-bits (T.81 F.1.2.3), then its RSTn.
    fn filler(&mut self, kind: Type, map: &IntervalMap, i: u16) -> Result<(), Error> {
        let luma_blocks = if kind == Type::Yuv420 { 4 } else { 2 };
        let mut bits = BitWriter::default();
        for _ in map.mcus_of(i) {
            for _ in 0..luma_blocks {
                bits.put(0b00_1010, 6, self)?;
            }
            bits.put(0b0000_0000, 8, self)?;
        }
        bits.pad(self)?;
        self.restart(map, i)
    }
}

#[derive(Default)]
struct BitWriter {
    acc: u32,
    n: u32,
}

impl BitWriter {
    fn put(&mut self, code: u32, len: u32, w: &mut Writer<'_>) -> Result<(), Error> {
        self.acc = (self.acc << len) | code;
        self.n += len;
        while self.n >= 8 {
            self.n -= 8;
            let b = (self.acc >> self.n) as u8;
            self.emit(b, w)?;
        }
        self.acc &= (1 << self.n) - 1;
        Ok(())
    }

    fn emit(&mut self, b: u8, w: &mut Writer<'_>) -> Result<(), Error> {
        // T.81 F.1.2.3: a coded 0xFF is followed by a stuffed 0x00.
        if b == 0xff {
            w.bytes(&[0xff, 0x00])
        } else {
            w.bytes(&[b])
        }
    }

    fn pad(&mut self, w: &mut Writer<'_>) -> Result<(), Error> {
        if self.n > 0 {
            let fill = 8 - self.n;
            self.put((1 << fill) - 1, fill, w)?;
        }
        Ok(())
    }
}
