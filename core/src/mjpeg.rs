//! MJPEG containers: the networking lab's `movie.Mjpeg` and raw
//! concatenated JPEG (as `ffmpeg -f mjpeg` writes it), detected from the
//! bytes, never from a file name.
//!
//! * [`Format::detect`] tells the two apart.
//! * [`Frames`] iterates over the frames of a file held in memory.
//! * [`Reader`] reads frames one at a time from an [`embedded_io::Read`]
//!   into a caller buffer.
//!
//! A truncated or corrupt file ends the iteration with one typed [`Error`]
//! (with the byte offset), never a panic. Frames are only split here; use
//! [`jpeg::Frame::parse`](crate::jpeg::Frame::parse) to check that RFC 2435
//! can carry them.

use core::fmt;

use crate::jpeg::markers;
use crate::limits::MJPEG_LAB_MAX_FRAME;

/// Digits of the lab format's length prefix.
const LAB_PREFIX: usize = 5;

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

/// Why a container could not be read further.
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
    /// Bytes at `offset` are not a length prefix or a JPEG image.
    Corrupt {
        /// Byte offset of the bad bytes.
        offset: usize,
    },
    /// A frame does not fit the reader's buffer.
    FrameTooLarge {
        /// The buffer's capacity.
        capacity: usize,
    },
    /// The underlying reader failed.
    Io(embedded_io::ErrorKind),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownFormat => f.write_str("not an MJPEG file (neither movie.Mjpeg nor JPEG)"),
            Error::Truncated { offset } => {
                write!(f, "MJPEG truncated in the frame at byte {offset}")
            }
            Error::Corrupt { offset } => write!(f, "MJPEG corrupt at byte {offset}"),
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

/// Where the next frame lies in `data`: `Ok(Some((skip, len)))` for a frame
/// at `skip..skip + len`, `Ok(None)` when `data` ends first. Error offsets
/// are relative to `data`.
fn next_frame(format: Format, data: &[u8]) -> Result<Option<(usize, usize)>, Error> {
    match format {
        Format::Lab => {
            if data.len() < LAB_PREFIX {
                return Ok(None);
            }
            let len = lab_len(data).ok_or(Error::Corrupt { offset: 0 })?;
            // Check the SOI as soon as it is there, so garbage is reported
            // as corrupt rather than waited on as a long frame.
            let body = data.get(LAB_PREFIX..).unwrap_or_default();
            let soi_ok = if body.len() >= 2 {
                body.starts_with(&[0xff, 0xd8])
            } else {
                [0xff, 0xd8].starts_with(body)
            };
            if !soi_ok {
                return Err(Error::Corrupt { offset: LAB_PREFIX });
            }
            Ok(body.get(..len).map(|_| (LAB_PREFIX, len)))
        }
        Format::Raw => match markers::image_len(data) {
            Ok(Some(len)) => Ok(Some((0, len))),
            Ok(None) => Ok(None),
            Err(crate::jpeg::Error::Malformed { offset }) => Err(Error::Corrupt { offset }),
            Err(_) => Err(Error::Corrupt { offset: 0 }),
        },
    }
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
    // a frame, so it is corrupt rather than a frame that is not a JPEG.
    (LAB_MIN_FRAME..=MJPEG_LAB_MAX_FRAME)
        .contains(&len)
        .then_some(len)
}

fn shift(e: Error, by: usize) -> Error {
    match e {
        Error::Truncated { offset } => Error::Truncated {
            offset: offset + by,
        },
        Error::Corrupt { offset } => Error::Corrupt {
            offset: offset + by,
        },
        e => e,
    }
}

/// The frames of a container held in memory, borrowed from it.
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
        let rest = self.data.get(self.pos..).unwrap_or_default();
        if self.done || rest.is_empty() {
            return None;
        }
        let Some(format) = self.format else {
            self.done = true;
            return Some(Err(Error::UnknownFormat));
        };
        let r = match next_frame(format, rest) {
            Ok(Some((skip, len))) => {
                self.pos += skip + len;
                rest.get(skip..skip + len)
                    .ok_or(Error::Truncated { offset: self.pos })
            }
            Ok(None) => Err(Error::Truncated { offset: self.pos }),
            Err(e) => Err(shift(e, self.pos)),
        };
        self.done = r.is_err();
        Some(r)
    }
}

/// Reads frames one at a time from an [`embedded_io::Read`] into a caller
/// buffer, which must hold the largest frame (plus its 5-byte prefix).
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
            eof: false,
            done: false,
        }
    }

    /// The detected format, once the first bytes are read.
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// The next frame, `Ok(None)` at a clean end of input. After an error
    /// the reader stays ended.
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
                self.done = true;
                Err(e)
            }
        }
    }

    fn locate(&mut self) -> Result<Option<(usize, usize)>, Error> {
        self.start += core::mem::take(&mut self.returned);
        loop {
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
                match next_frame(format, avail).map_err(|e| shift(e, offset))? {
                    Some((skip, len)) => {
                        self.returned = skip + len;
                        let s = self.start + skip;
                        return Ok(Some((s, s + len)));
                    }
                    None if avail.is_empty() && self.eof => return Ok(None),
                    None => {
                        // A lab frame announced larger than the buffer can
                        // never fit: say so now rather than at end of input.
                        let capacity = self.buf.as_ref().len();
                        if format == Format::Lab
                            && lab_len(avail).is_some_and(|l| l + LAB_PREFIX > capacity)
                        {
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
    fn lab_length_too_short_for_a_jpeg_is_corrupt() {
        // Found by the mjpeg_frames fuzz target: "00001" then SOI used to
        // yield a one-byte frame that is not a JPEG.
        let mut data = std::vec::Vec::from(&b"00001"[..]);
        data.extend_from_slice(JPEG_A);
        let first = Frames::new(&data).next();
        assert!(
            matches!(first, Some(Err(Error::Corrupt { .. }))),
            "{first:?}"
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
}
