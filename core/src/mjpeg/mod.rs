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
//! A file is told by its first bytes ([`Format::detect`]); a [`Reader`]
//! joining a stream mid-frame (a pipe from a camera already running) also
//! passes over what comes before the first frame start, if one comes
//! before its buffer fills.
//!
//! Frames are only split here; use
//! [`jpeg::recode::plan`](crate::jpeg::recode::plan) or
//! [`jpeg::Frame::parse`](crate::jpeg::Frame::parse) to check what RFC 2435
//! can carry. No function here panics or allocates, whatever the input.

use core::fmt;
use core::ops::Range;

use crate::jpeg::markers;
use crate::limits::MJPEG_LAB_MAX_FRAME;

mod reader;
#[cfg(test)]
mod tests;

pub use reader::Reader;

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
