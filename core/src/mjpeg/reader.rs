//! [`Reader`]: frames one at a time from an [`embedded_io::Read`], with the
//! same resynchronisation as [`Frames`](super::Frames).

use super::{
    find_sync, lab_len, merge, step, Error, Format, Input, Skip, SkipReason, Step, LAB_PREFIX,
};

/// The first frame start in `data` and the format it belongs to: an SOI
/// behind a valid lab length prefix is the lab format, any other raw.
fn first_frame_start(data: &[u8]) -> Option<(usize, Format)> {
    let soi = find_sync(Format::Raw, data, 0)?;
    match soi.checked_sub(LAB_PREFIX) {
        Some(p) if data.get(p..soi).and_then(lab_len).is_some() => Some((p, Format::Lab)),
        _ => Some((soi, Format::Raw)),
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
                match Format::detect(avail) {
                    Some(f) => self.format = Some(f),
                    // A stream joined mid-frame (a pipe from a camera that
                    // was already running) starts with the rest of a frame:
                    // pass over it to the first frame start, if one comes
                    // before the buffer fills.
                    None => match first_frame_start(avail) {
                        Some((at, f)) => {
                            self.format = Some(f);
                            if at > 0 {
                                merge(&mut self.pending, offset, at, SkipReason::Garbage);
                                self.start += at;
                            }
                            continue;
                        }
                        None if self.eof || avail.len() >= self.buf.as_ref().len() => {
                            return Err(Error::UnknownFormat);
                        }
                        None => {}
                    },
                }
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
