//! MJPEG containers: the networking lab's `movie.Mjpeg` and raw
//! concatenated JPEG (as `ffmpeg -f mjpeg` writes it), detected from the
//! bytes, never from a file name.
//!
//! * [`Format::detect`] tells the two apart.
//! * [`Frames`] iterates over the frames of a file held in memory.
//! * [`Reader`] reads frames one at a time from an [`embedded_io::Read`]
//!   into a caller buffer.
//!
//! ## Damage
//!
//! Damage never costs the good frames. Where the bytes at the current
//! position are not a whole frame, both resynchronise at the next frame
//! start (a *sync point*: `FF D8 FF`, an SOI followed by a marker as T.81
//! §B.1.1.3 and §B.2.1 require; in the lab format, the 5-digit length prefix
//! in front of one) and report what they passed over as one
//! [`Error::Skipped`] item carrying the byte range and a [`SkipReason`]:
//! garbage between frames, a frame whose markers do not parse, a frame whose
//! EOI never comes before the next SOI. `Skipped` is the one error after
//! which iteration goes on; every other error ends it. A truncated last
//! frame still ends the input cleanly with [`Error::Truncated`].
//!
//! Frames are only split here; use
//! [`jpeg::recode::plan`](crate::jpeg::recode::plan) or
//! [`jpeg::Frame::parse`](crate::jpeg::Frame::parse) to check what RFC 2435
//! can carry. No function here panics or allocates, whatever the input.

use core::fmt;
use core::ops::Range;

use crate::jpeg::markers;
use crate::limits::MJPEG_LAB_MAX_FRAME;

/// Digits of the lab format's length prefix.
const LAB_PREFIX: usize = 5;

/// What a raw sync point starts with: SOI and the 0xFF of the marker that
/// must follow it (T.81 §B.2.1: SOI is followed by a frame's tables or SOF).
const SOI_SYNC: [u8; 3] = [0xff, 0xd8, 0xff];

/// Bytes a streaming search holds back at the end of its buffer so that a
/// sync point cut by the buffer's end is found once the rest arrives.
const SYNC_TAIL: usize = LAB_PREFIX + SOI_SYNC.len() - 1;

/// A container format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Format {
    /// The lab's `movie.Mjpeg`: each frame preceded by its length as 5 ASCII
    /// decimal digits.
    Lab,
    /// JPEG images back to back, each SOI ... EOI (T.81 Annex B).
    Raw,
}

impl Format {
    /// Detects the format from the first bytes of a file (7 are enough):
    /// `Lab` is 5 digits then SOI, `Raw` starts with SOI. `None` otherwise.
    pub fn detect(data: &[u8]) -> Option<Format> {
        if data.starts_with(&[0xff, 0xd8]) {
            return Some(Format::Raw);
        }
        let (digits, rest) = data.split_at_checked(LAB_PREFIX)?;
        (digits.iter().all(u8::is_ascii_digit) && rest.starts_with(&[0xff, 0xd8]))
            .then_some(Format::Lab)
    }
}

/// Why bytes were passed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SkipReason {
    /// Bytes that start no frame: garbage between frames, or a lab length
    /// prefix that is not 5 digits in front of an SOI.
    Garbage,
    /// A frame whose marker segments do not parse (T.81 §B.1.1).
    BrokenHeader,
    /// A frame with no EOI before the next frame's SOI (or, in the lab
    /// format, within its announced length).
    MissingEoi,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::Garbage => "garbage between frames",
            SkipReason::BrokenHeader => "a frame with broken markers",
            SkipReason::MissingEoi => "a frame with no EOI before the next SOI",
        })
    }
}

/// Bytes passed over to reach the next frame: `start..end` in the input,
/// and why (the reason of the first damage in the range when several
/// adjoin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Skip {
    /// Offset of the first byte passed over.
    pub start: usize,
    /// Offset just past the last byte passed over.
    pub end: usize,
    /// What the bytes were.
    pub reason: SkipReason,
}

impl Skip {
    /// The byte range passed over.
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// Why a container could not be read further, or, for [`Error::Skipped`]
/// only, what was passed over before the next frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Neither a `movie.Mjpeg` nor raw JPEG.
    UnknownFormat,
    /// The input ends inside the frame starting at `offset`.
    Truncated {
        /// Byte offset of the incomplete frame (or its length prefix).
        offset: usize,
    },
    /// Damaged bytes were passed over; iteration goes on with the next frame.
    Skipped(Skip),
    /// A frame does not fit the reader's buffer.
    FrameTooLarge {
        /// The buffer's capacity.
        capacity: usize,
    },
    /// The underlying reader failed.
    Io(embedded_io::ErrorKind),
}

impl Error {
    /// Whether reading goes on after this error (only [`Error::Skipped`]).
    pub fn is_skip(&self) -> bool {
        matches!(self, Error::Skipped(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownFormat => f.write_str("not an MJPEG file (neither movie.Mjpeg nor JPEG)"),
            Error::Truncated { offset } => {
                write!(f, "MJPEG truncated in the frame at byte {offset}")
            }
            Error::Skipped(s) => {
                write!(
                    f,
                    "MJPEG bytes {}..{} skipped: {}",
                    s.start, s.end, s.reason
                )
            }
            Error::FrameTooLarge { capacity } => {
                write!(f, "MJPEG frame larger than the {capacity}-byte buffer")
            }
            Error::Io(kind) => write!(f, "MJPEG read failed: {kind:?}"),
        }
    }
}

impl core::error::Error for Error {}

#[cfg(feature = "defmt")]
impl defmt::Format for Error {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{}", defmt::Display2Format(self));
    }
}

/// How much input may still follow the bytes a [`step`] looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    /// More may be read.
    More,
    /// The buffer is full: nothing more fits until bytes are dropped.
    Full,
    /// The input has ended.
    Ended,
}

/// What the bytes at the current position are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// A frame at `skip..skip + len` (`skip` is the lab prefix).
    Frame { skip: usize, len: usize },
    /// `len` (≥ 1) bytes to pass over.
    Skip { len: usize, reason: SkipReason },
    /// Undecided until more bytes arrive.
    NeedMore,
    /// A frame starts here but the input ends (or the buffer fills) before
    /// its end, with no later frame start.
    Truncated,
}

/// Decides what the (non-empty) `data` at the current position holds.
fn step(format: Format, data: &[u8], input: Input) -> Step {
    match frame_at(format, data) {
        Ok(Some((skip, len))) => Step::Frame { skip, len },
        Ok(None) if input == Input::More => Step::NeedMore,
        // A frame start whose end is not in sight while a later frame start
        // is: the frame lost its EOI (or a length field points past it).
        Ok(None) => match find_sync(format, data, 1) {
            Some(len) => Step::Skip {
                len,
                reason: SkipReason::MissingEoi,
            },
            None => Step::Truncated,
        },
        Err(reason) => match (find_sync(format, data, 1), input) {
            (Some(len), _) => Step::Skip { len, reason },
            (None, Input::Ended) => Step::Skip {
                len: data.len(),
                reason,
            },
            // Pass over what cannot hold the start of a sync point yet.
            (None, Input::Full) => Step::Skip {
                len: data.len().saturating_sub(SYNC_TAIL).max(1),
                reason,
            },
            (None, Input::More) => Step::NeedMore,
        },
    }
}

/// The frame at the start of `data`: `Ok(Some((skip, len)))` for a whole
/// frame at `skip..skip + len`, `Ok(None)` when one may start here but
/// `data` ends first, `Err` when the bytes here are no whole frame.
fn frame_at(format: Format, data: &[u8]) -> Result<Option<(usize, usize)>, SkipReason> {
    match format {
        Format::Lab => {
            let Some(prefix) = data.get(..LAB_PREFIX) else {
                return if data.iter().all(u8::is_ascii_digit) {
                    Ok(None)
                } else {
                    Err(SkipReason::Garbage)
                };
            };
            let len = lab_len(prefix).ok_or(SkipReason::Garbage)?;
            let body = data.get(LAB_PREFIX..).unwrap_or_default();
            // Check the SOI as soon as it is there, so garbage is passed
            // over rather than waited on as a long frame.
            if !starts_like(body, &SOI_SYNC[..2]) {
                return Err(SkipReason::Garbage);
            }
            let Some(image) = body.get(..len) else {
                return Ok(None);
            };
            // The announced length must hold a whole image: one without its
            // EOI (a wrong length, or a cut frame) is damage.
            match markers::image_len(image) {
                Ok(Some(_)) => Ok(Some((LAB_PREFIX, len))),
                Ok(None) => Err(SkipReason::MissingEoi),
                Err(e) => Err(why_broken(image, e)),
            }
        }
        Format::Raw => {
            if !starts_like(data, &SOI_SYNC[..2]) {
                return Err(SkipReason::Garbage);
            }
            match markers::image_len(data) {
                Ok(Some(len)) => Ok(Some((0, len))),
                Ok(None) => Ok(None),
                Err(e) => Err(why_broken(data, e)),
            }
        }
    }
}

/// Whether `data` starts with `pattern`, or is a beginning of it.
fn starts_like(data: &[u8], pattern: &[u8]) -> bool {
    let n = data.len().min(pattern.len());
    data.get(..n) == pattern.get(..n)
}

/// Names the damage `image_len` met: an SOI where a marker segment or the
/// EOI should be means the next frame began before this one ended.
fn why_broken(image: &[u8], e: crate::jpeg::Error) -> SkipReason {
    match e {
        crate::jpeg::Error::Malformed { offset }
            if image
                .get(offset..)
                .is_some_and(|m| m.starts_with(&[0xff, 0xd8])) =>
        {
            SkipReason::MissingEoi
        }
        _ => SkipReason::BrokenHeader,
    }
}

/// Offset of the first sync point in `data` at or after `from`: an SOI
/// followed by a marker, behind a valid length prefix in the lab format.
fn find_sync(format: Format, data: &[u8], from: usize) -> Option<usize> {
    // Scan data never holds FF D8 (T.81 §B.1.1.5: an 0xFF there is stuffed
    // or a marker), so the first SOI is where damage ends.
    let soi_from = match format {
        Format::Raw => from,
        Format::Lab => from + LAB_PREFIX,
    };
    let rest = data.get(soi_from..)?;
    memchr::memchr_iter(0xff, rest)
        .map(|i| soi_from + i)
        .filter(|&i| data.get(i..).is_some_and(|d| d.starts_with(&SOI_SYNC)))
        .find_map(|i| match format {
            Format::Raw => Some(i),
            Format::Lab => {
                let p = i - LAB_PREFIX;
                data.get(p..i).and_then(lab_len).map(|_| p)
            }
        })
}

/// Bytes in the smallest JPEG image: SOI then EOI (T.81 Annex B).
const LAB_MIN_FRAME: usize = 4;

/// The frame length a `movie.Mjpeg` prefix announces, if it is one.
fn lab_len(data: &[u8]) -> Option<usize> {
    let prefix = data.get(..LAB_PREFIX)?;
    let mut len = 0usize;
    for &d in prefix {
        if !d.is_ascii_digit() {
            return None;
        }
        len = len * 10 + usize::from(d - b'0');
    }
    // The smallest JPEG is SOI + EOI: a shorter announced length cannot hold
    // a frame, so it is garbage rather than a frame that is not a JPEG.
    (LAB_MIN_FRAME..=MJPEG_LAB_MAX_FRAME)
        .contains(&len)
        .then_some(len)
}

/// Adds `len` bytes at `at` to the skip being gathered: adjoining damage is
/// reported once, with the first reason.
fn merge(pending: &mut Option<Skip>, at: usize, len: usize, reason: SkipReason) {
    match pending {
        Some(s) if s.end == at => s.end = at + len,
        _ => {
            *pending = Some(Skip {
                start: at,
                end: at + len,
                reason,
            })
        }
    }
}

/// The frames of a container held in memory, borrowed from it.
///
/// Items are frames, or errors: [`Error::Skipped`] reports damage passed
/// over and iteration goes on; any other error is the last item.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Frames<'a> {
    data: &'a [u8],
    pos: usize,
    format: Option<Format>,
    done: bool,
}

impl<'a> Frames<'a> {
    /// Iterates over `data`, detecting its format; an unknown format yields
    /// one [`Error::UnknownFormat`]. An empty input yields nothing.
    pub fn new(data: &'a [u8]) -> Self {
        Frames {
            data,
            pos: 0,
            format: Format::detect(data),
            done: false,
        }
    }

    /// The detected format.
    pub fn format(&self) -> Option<Format> {
        self.format
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<&'a [u8], Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.data.len() {
            return None;
        }
        let Some(format) = self.format else {
            self.done = true;
            return Some(Err(Error::UnknownFormat));
        };
        let mut pending = None;
        loop {
            let rest = self.data.get(self.pos..).unwrap_or_default();
            if rest.is_empty() {
                return pending.map(|s| Err(Error::Skipped(s)));
            }
            match step(format, rest, Input::Ended) {
                Step::Frame { skip, len } => {
                    // Damage before the frame is reported first; the frame
                    // is found again on the next call.
                    if let Some(s) = pending {
                        return Some(Err(Error::Skipped(s)));
                    }
                    self.pos += skip + len;
                    return Some(Ok(rest.get(skip..skip + len).unwrap_or_default()));
                }
                Step::Skip { len, reason } => {
                    merge(&mut pending, self.pos, len, reason);
                    self.pos += len;
                }
                Step::NeedMore | Step::Truncated => {
                    if let Some(s) = pending {
                        return Some(Err(Error::Skipped(s)));
                    }
                    self.done = true;
                    return Some(Err(Error::Truncated { offset: self.pos }));
                }
            }
        }
    }
}

/// Reads frames one at a time from an [`embedded_io::Read`] into a caller
/// buffer, which must hold the largest frame (plus its 5-byte prefix).
///
/// Damage is passed over as in [`Frames`]: [`Error::Skipped`] is returned
/// and the next call goes on; after any other error the reader stays ended.
#[derive(Debug)]
pub struct Reader<R, B> {
    inner: R,
    buf: B,
    start: usize,
    end: usize,
    /// Bytes of the last returned frame, dropped on the next call.
    returned: usize,
    /// Stream offset of `buf[0]`.
    base: usize,
    format: Option<Format>,
    /// Damage passed over and not reported yet.
    pending: Option<Skip>,
    eof: bool,
    done: bool,
}

#[cfg(feature = "defmt")]
impl<R, B> defmt::Format for Reader<R, B> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "mjpeg::Reader {{ format: {}, offset: {}, done: {} }}",
            self.format,
            self.base + self.start,
            self.done
        );
    }
}

impl<R: embedded_io::Read, B: AsRef<[u8]> + AsMut<[u8]>> Reader<R, B> {
    /// A reader over `inner` using `buf` for its frames.
    pub fn new(inner: R, buf: B) -> Self {
        Reader {
            inner,
            buf,
            start: 0,
            end: 0,
            returned: 0,
            base: 0,
            format: None,
            pending: None,
            eof: false,
            done: false,
        }
    }

    /// The detected format, once the first bytes are read.
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// The next frame, `Ok(None)` at a clean end of input. After
    /// [`Error::Skipped`] the next call goes on; after any other error the
    /// reader stays ended.
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, Error> {
        if self.done {
            return Ok(None);
        }
        match self.locate() {
            Ok(Some((s, e))) => Ok(self.buf.as_ref().get(s..e)),
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                self.done = !e.is_skip();
                Err(e)
            }
        }
    }

    /// Reports gathered damage before anything that follows it.
    fn flush_skip(&mut self) -> Result<(), Error> {
        self.pending
            .take()
            .map_or(Ok(()), |s| Err(Error::Skipped(s)))
    }

    fn locate(&mut self) -> Result<Option<(usize, usize)>, Error> {
        self.start += core::mem::take(&mut self.returned);
        loop {
            let capacity = self.buf.as_ref().len();
            let avail = self
                .buf
                .as_ref()
                .get(self.start..self.end)
                .unwrap_or_default();
            let offset = self.base + self.start;
            if self.format.is_none() && (avail.len() >= LAB_PREFIX + 2 || self.eof) {
                if avail.is_empty() {
                    return Ok(None);
                }
                self.format = Some(Format::detect(avail).ok_or(Error::UnknownFormat)?);
            }
            if let Some(format) = self.format {
                if avail.is_empty() && self.eof {
                    self.flush_skip()?;
                    return Ok(None);
                }
                let input = if self.eof {
                    Input::Ended
                } else if avail.len() >= capacity {
                    Input::Full
                } else {
                    Input::More
                };
                match step(format, avail, input) {
                    Step::Frame { skip, len } => {
                        self.flush_skip()?;
                        self.returned = skip + len;
                        let s = self.start + skip;
                        return Ok(Some((s, s + len)));
                    }
                    Step::Skip { len, reason } => {
                        merge(&mut self.pending, offset, len, reason);
                        self.start += len;
                        continue;
                    }
                    Step::Truncated => {
                        self.flush_skip()?;
                        return Err(if self.eof {
                            Error::Truncated { offset }
                        } else {
                            Error::FrameTooLarge { capacity }
                        });
                    }
                    Step::NeedMore => {
                        // A lab frame announced larger than the buffer can
                        // never fit: say so now rather than at end of input.
                        if format == Format::Lab
                            && lab_len(avail).is_some_and(|l| l + LAB_PREFIX > capacity)
                        {
                            self.flush_skip()?;
                            return Err(Error::FrameTooLarge { capacity });
                        }
                    }
                }
            }
            if self.eof {
                return Err(Error::Truncated { offset });
            }
            self.fill()?;
        }
    }

    fn fill(&mut self) -> Result<(), Error> {
        let buf = self.buf.as_mut();
        if self.start > 0 {
            buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.base += self.start;
            self.start = 0;
        }
        let capacity = buf.len();
        let Some(room) = buf.get_mut(self.end..).filter(|r| !r.is_empty()) else {
            return Err(Error::FrameTooLarge { capacity });
        };
        let n = self
            .inner
            .read(room)
            .map_err(|e| Error::Io(embedded_io::Error::kind(&e)))?;
        if n == 0 {
            self.eof = true;
        }
        self.end += n;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JPEG_A: &[u8] = &[0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 1, 2, 0xff, 0xd9];
    const JPEG_B: &[u8] = &[0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0xff, 0x00, 0xff, 0xd9];

    fn lab(frames: &[&[u8]]) -> std::vec::Vec<u8> {
        let mut v = std::vec::Vec::new();
        for f in frames {
            v.extend_from_slice(std::format!("{:05}", f.len()).as_bytes());
            v.extend_from_slice(f);
        }
        v
    }

    #[test]
    fn lab_length_too_short_for_a_jpeg_is_skipped() {
        // Found by the mjpeg_frames fuzz target: "00001" then SOI used to
        // yield a one-byte frame that is not a JPEG.
        let mut data = std::vec::Vec::from(&b"00001"[..]);
        data.extend_from_slice(JPEG_A);
        let got: std::vec::Vec<_> = Frames::new(&data).collect();
        assert_eq!(
            got,
            [Err(Error::Skipped(Skip {
                start: 0,
                end: data.len(),
                reason: SkipReason::Garbage
            }))]
        );
    }

    #[test]
    fn detects_both_formats() {
        assert_eq!(Format::detect(&lab(&[JPEG_A])), Some(Format::Lab));
        assert_eq!(Format::detect(JPEG_A), Some(Format::Raw));
        assert_eq!(Format::detect(b"12345xx"), None);
        assert_eq!(Format::detect(b""), None);
    }

    #[test]
    fn iterates_lab_and_raw() {
        let l = lab(&[JPEG_A, JPEG_B]);
        let got: std::vec::Vec<_> = Frames::new(&l).collect();
        assert_eq!(got, [Ok(JPEG_A), Ok(JPEG_B)]);
        let raw = [JPEG_A, JPEG_B].concat();
        let got: std::vec::Vec<_> = Frames::new(&raw).collect();
        assert_eq!(got, [Ok(JPEG_A), Ok(JPEG_B)]);
    }

    #[test]
    fn truncation_is_a_typed_error_at_the_frame() {
        let l = lab(&[JPEG_A, JPEG_B]);
        let cut = &l[..l.len() - 3];
        let got: std::vec::Vec<_> = Frames::new(cut).collect();
        assert_eq!(got, [Ok(JPEG_A), Err(Error::Truncated { offset: 15 })]);
        let raw = [JPEG_A, JPEG_B].concat();
        let got: std::vec::Vec<_> = Frames::new(&raw[..15]).collect();
        assert_eq!(got, [Ok(JPEG_A), Err(Error::Truncated { offset: 10 })]);
        let got: std::vec::Vec<_> = Frames::new(b"00010abcdefghij").collect();
        assert_eq!(got, [Err(Error::UnknownFormat)]);
    }

    #[test]
    fn reader_matches_frames_with_small_reads() {
        struct Slow<'a>(&'a [u8]);
        impl embedded_io::ErrorType for Slow<'_> {
            type Error = core::convert::Infallible;
        }
        impl embedded_io::Read for Slow<'_> {
            fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
                let n = buf.len().min(3).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        for data in [
            lab(&[JPEG_A, JPEG_B, JPEG_A]),
            [JPEG_A, JPEG_B, JPEG_A].concat(),
        ] {
            let mut r = Reader::new(Slow(&data), [0u8; 32]);
            let mut n = 0;
            while let Some(f) = r.next_frame().unwrap() {
                assert_eq!(f, [JPEG_A, JPEG_B, JPEG_A][n]);
                n += 1;
            }
            assert_eq!(n, 3);
            let mut small = Reader::new(Slow(&data), [0u8; 8]);
            assert_eq!(
                small.next_frame(),
                Err(Error::FrameTooLarge { capacity: 8 })
            );
            let cut = &data[..data.len() - 1];
            let mut r = Reader::new(Slow(cut), [0u8; 32]);
            assert!(r.next_frame().unwrap().is_some());
            assert!(r.next_frame().unwrap().is_some());
            assert!(matches!(r.next_frame(), Err(Error::Truncated { .. })));
            assert_eq!(r.next_frame(), Ok(None));
        }
    }

    /// A 10-byte frame whose scan byte tells it apart.
    fn frame(i: u8) -> std::vec::Vec<u8> {
        std::vec![0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, i, i, 0xff, 0xd9]
    }

    /// Every item of `Frames`, owned.
    fn items(data: &[u8]) -> std::vec::Vec<Result<std::vec::Vec<u8>, Error>> {
        Frames::new(data).map(|r| r.map(<[u8]>::to_vec)).collect()
    }

    /// Every item of a `Reader` reading 3 bytes at a time into `cap` bytes.
    fn read_all(data: &[u8], cap: usize) -> std::vec::Vec<Result<std::vec::Vec<u8>, Error>> {
        struct Slow<'a>(&'a [u8]);
        impl embedded_io::ErrorType for Slow<'_> {
            type Error = core::convert::Infallible;
        }
        impl embedded_io::Read for Slow<'_> {
            fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
                let n = buf.len().min(3).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut r = Reader::new(Slow(data), std::vec![0u8; cap]);
        let mut v = std::vec::Vec::new();
        loop {
            match r.next_frame() {
                Ok(Some(f)) => v.push(Ok(f.to_vec())),
                Ok(None) => break,
                Err(e) => {
                    v.push(Err(e));
                    if !e.is_skip() {
                        assert_eq!(r.next_frame(), Ok(None), "ended after {e}");
                        break;
                    }
                }
            }
        }
        v
    }

    /// A 30-frame file in `format`, with `damage` put in front of frame
    /// `at`: the bytes and the offset where the damage starts.
    fn clip(format: Format, at: usize, damage: &[u8]) -> (std::vec::Vec<u8>, usize) {
        let mut v = std::vec::Vec::new();
        let mut start = 0;
        for i in 0..30u8 {
            if usize::from(i) == at {
                start = v.len();
                v.extend_from_slice(damage);
            }
            if format == Format::Lab {
                v.extend_from_slice(std::format!("{:05}", 10).as_bytes());
            }
            v.extend_from_slice(&frame(i));
        }
        (v, start)
    }

    fn good(items: &[Result<std::vec::Vec<u8>, Error>]) -> std::vec::Vec<u8> {
        items
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|f| f[6])
            .collect()
    }

    fn skips(items: &[Result<std::vec::Vec<u8>, Error>]) -> std::vec::Vec<Skip> {
        items
            .iter()
            .filter_map(|r| match r {
                Err(Error::Skipped(s)) => Some(*s),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn garbage_before_frame_5_of_30_costs_no_frame() {
        for format in [Format::Lab, Format::Raw] {
            // Garbage that holds an 0xFF, a lone FF D8 and digits.
            let garbage = b"12\xff\xd8junk\xff\x0099999";
            let (data, at) = clip(format, 4, garbage);
            let got = items(&data);
            assert_eq!(
                good(&got),
                (0..30).collect::<std::vec::Vec<u8>>(),
                "{format:?}"
            );
            let want = Skip {
                start: at,
                end: at + garbage.len(),
                reason: SkipReason::Garbage,
            };
            assert_eq!(skips(&got), [want], "{format:?}");
            // The skip is reported where it happened: before frame 5.
            assert_eq!(got[4], Err(Error::Skipped(want)));
            assert_eq!(got.len(), 31);
            for cap in [32, 64, 4096] {
                assert_eq!(read_all(&data, cap), got, "{format:?} in {cap} bytes");
            }
        }
    }

    #[test]
    fn a_frame_with_a_broken_header_is_skipped_alone() {
        // A DQT whose length is shorter than its own field (T.81 §B.2.4.1).
        let broken = [0xff, 0xd8, 0xff, 0xdb, 0x00, 0x01, 0xff, 0xd9];
        for format in [Format::Lab, Format::Raw] {
            let mut damage = std::vec::Vec::new();
            if format == Format::Lab {
                damage.extend_from_slice(b"00008");
            }
            damage.extend_from_slice(&broken);
            let (data, at) = clip(format, 4, &damage);
            let got = items(&data);
            assert_eq!(good(&got).len(), 30, "{format:?}");
            let s = skips(&got);
            assert_eq!(
                s,
                [Skip {
                    start: at,
                    end: at + damage.len(),
                    reason: SkipReason::BrokenHeader
                }],
                "{format:?}"
            );
            assert_eq!(read_all(&data, 64), got, "{format:?}");
        }
    }

    #[test]
    fn a_frame_missing_its_eoi_is_skipped_at_the_next_soi() {
        for format in [Format::Lab, Format::Raw] {
            let (mut data, _) = clip(format, 0, &[]);
            // Cut frame 5's EOI: in the lab format its prefix then promises
            // two bytes more than the frame has.
            let per = data.len() / 30;
            let eoi = 5 * per - 2;
            data.drain(eoi..eoi + 2);
            let got = items(&data);
            let mut want: std::vec::Vec<u8> = (0..30).collect();
            want.remove(4);
            assert_eq!(good(&got), want, "{format:?}");
            let s = skips(&got);
            assert_eq!(s.len(), 1, "{format:?}: {s:?}");
            assert_eq!(s[0].start, 4 * per);
            assert_eq!(s[0].reason, SkipReason::MissingEoi);
            assert_eq!(read_all(&data, 64), got, "{format:?}");
        }
    }

    #[test]
    fn adjoining_damage_is_one_skip_and_trailing_garbage_one_more() {
        let mut data = std::vec::Vec::new();
        data.extend_from_slice(&frame(0));
        data.extend_from_slice(b"xx");
        data.extend_from_slice(&[0xff, 0xd8, 0xff, 0x00, 1, 2]); // broken
        data.extend_from_slice(&frame(1));
        data.extend_from_slice(b"tail");
        let got = items(&data);
        assert_eq!(
            got,
            [
                Ok(frame(0)),
                Err(Error::Skipped(Skip {
                    start: 10,
                    end: 18,
                    reason: SkipReason::Garbage
                })),
                Ok(frame(1)),
                Err(Error::Skipped(Skip {
                    start: 28,
                    end: 32,
                    reason: SkipReason::Garbage
                })),
            ]
        );
        assert_eq!(read_all(&data, 16), got);
    }

    #[test]
    fn garbage_longer_than_the_reader_buffer_is_one_skip() {
        let mut data = frame(0);
        data.extend(core::iter::repeat_n(0x55u8, 1000));
        data.extend_from_slice(&frame(1));
        let got = read_all(&data, 16);
        assert_eq!(
            got,
            [
                Ok(frame(0)),
                Err(Error::Skipped(Skip {
                    start: 10,
                    end: 1010,
                    reason: SkipReason::Garbage
                })),
                Ok(frame(1)),
            ]
        );
        assert_eq!(items(&data), got);
    }

    #[test]
    fn truncation_after_damage_still_ends_cleanly() {
        let mut data = frame(0);
        data.extend_from_slice(b"zz");
        data.extend_from_slice(&frame(1)[..7]);
        let got = items(&data);
        assert_eq!(
            got,
            [
                Ok(frame(0)),
                Err(Error::Skipped(Skip {
                    start: 10,
                    end: 12,
                    reason: SkipReason::Garbage
                })),
                Err(Error::Truncated { offset: 12 }),
            ]
        );
        assert_eq!(read_all(&data, 32), got);
    }
}
