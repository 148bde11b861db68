//! Walking the marker segments of a JPEG stream (ITU-T T.81 Annex B), shared
//! by frame analysis and the raw MJPEG splitter.

use super::Error;

/// SOI, start of image (T.81 Table B.1).
pub(crate) const SOI: u8 = 0xd8;
/// EOI, end of image.
pub(crate) const EOI: u8 = 0xd9;
/// SOS, start of scan.
pub(crate) const SOS: u8 = 0xda;
/// DQT, define quantization tables.
pub(crate) const DQT: u8 = 0xdb;
/// DHT, define Huffman tables.
pub(crate) const DHT: u8 = 0xc4;
/// DRI, define restart interval.
pub(crate) const DRI: u8 = 0xdd;
/// DAC, define arithmetic conditioning.
pub(crate) const DAC: u8 = 0xcc;
/// SOF0, baseline DCT.
pub(crate) const SOF0: u8 = 0xc0;

/// One marker and its segment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment<'a> {
    /// The marker code (the byte after 0xFF).
    pub marker: u8,
    /// Offset of the marker's 0xFF in the stream.
    pub offset: usize,
    /// The segment body after the 2-byte length (empty for standalone markers).
    pub body: &'a [u8],
    /// For SOS only: the entropy-coded data up to the next marker.
    pub entropy: &'a [u8],
    /// Offset of `entropy` in the stream.
    pub entropy_start: usize,
}

/// Iterator over the segments of one JPEG image, from SOI to EOI.
///
/// Yields at most one error, then ends. [`Error::Truncated`] means the
/// input ended before EOI (the MJPEG reader then reads more).
#[derive(Debug)]
pub(crate) struct Segments<'a> {
    data: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Segments<'a> {
    /// Starts after SOI, or fails with [`Error::NotJpeg`].
    pub fn new(data: &'a [u8]) -> Result<Self, Error> {
        match data {
            [0xff, SOI, ..] => Ok(Segments {
                data,
                pos: 2,
                done: false,
            }),
            [] | [0xff] => Err(Error::Truncated { offset: data.len() }),
            _ => Err(Error::NotJpeg),
        }
    }

    fn byte(&self, at: usize) -> Result<u8, Error> {
        self.data.get(at).copied().ok_or(Error::Truncated {
            offset: self.data.len(),
        })
    }

    fn step(&mut self) -> Result<Segment<'a>, Error> {
        let mut p = self.pos;
        if self.byte(p)? != 0xff {
            return Err(Error::Malformed { offset: p });
        }
        // Any number of 0xFF fill bytes may precede a marker (T.81 §B.1.1.2).
        while self.byte(p + 1)? == 0xff {
            p += 1;
        }
        let marker = self.byte(p + 1)?;
        let mut seg = Segment {
            marker,
            offset: p,
            body: &[],
            entropy: &[],
            entropy_start: 0,
        };
        match marker {
            EOI => {
                self.done = true;
                self.pos = p + 2;
                return Ok(seg);
            }
            // Standalone markers: RSTn and TEM carry no length.
            0xd0..=0xd7 | 0x01 => {
                self.pos = p + 2;
                return Ok(seg);
            }
            0x00 | SOI => return Err(Error::Malformed { offset: p }),
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([self.byte(p + 2)?, self.byte(p + 3)?]));
        if len < 2 {
            return Err(Error::Malformed { offset: p });
        }
        let end = p + 2 + len;
        seg.body = self.data.get(p + 4..end).ok_or(Error::Truncated {
            offset: self.data.len(),
        })?;
        self.pos = end;
        if marker == SOS {
            let rest = self.data.get(end..).unwrap_or(&[]);
            let m = find_marker(rest).ok_or(Error::Truncated {
                offset: self.data.len(),
            })?;
            seg.entropy = rest.get(..m).unwrap_or(&[]);
            seg.entropy_start = end;
            self.pos = end + m;
        }
        Ok(seg)
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = Result<Segment<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.step();
        if r.is_err() {
            self.done = true;
        }
        Some(r)
    }
}

/// Length of the JPEG image at the start of `data`, through EOI: `Ok(None)`
/// when `data` ends first.
pub(crate) fn image_len(data: &[u8]) -> Result<Option<usize>, Error> {
    let mut segs = match Segments::new(data) {
        Ok(s) => s,
        Err(Error::Truncated { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    for seg in segs.by_ref() {
        match seg {
            Ok(s) if s.marker == EOI => return Ok(Some(s.offset + 2)),
            Ok(_) => {}
            Err(Error::Truncated { .. }) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// Offset of the first marker in entropy-coded data: a 0xFF followed by
/// anything but a stuffed 0x00, a restart marker RSTn or another 0xFF
/// (T.81 §B.1.1.5, §F.1.2.3). `None` if the data ends first.
pub(crate) fn find_marker(data: &[u8]) -> Option<usize> {
    // Scan data is most of every frame: `memchr` finds the 0xFF bytes (SIMD
    // where the target has it). A 0xFF before another 0xFF is fill; the
    // iterator then yields that next one.
    memchr::memchr_iter(0xff, data).find(|&i| {
        data.get(i + 1)
            .is_some_and(|&b| !matches!(b, 0x00 | 0xd0..=0xd7 | 0xff))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_marker_skips_stuffing_and_restarts() {
        let d = [
            1, 2, 0xff, 0x00, 3, 0xff, 0xd3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xd9,
        ];
        assert_eq!(find_marker(&d), Some(13));
        assert_eq!(find_marker(&d[..14]), None);
        assert_eq!(find_marker(&[0u8; 20]), None);
        let mut long = [0u8; 40];
        long[37] = 0xff;
        long[38] = 0xc4;
        assert_eq!(find_marker(&long), Some(37));
        long[9] = 0xff;
        assert_eq!(find_marker(&long), Some(37));
        long[10] = 0xd9;
        assert_eq!(find_marker(&long), Some(9));
    }

    #[test]
    fn image_len_walks_segments_not_bytes() {
        // An APP1 holding FF D9 must not end the image.
        let img = [
            0xff, 0xd8, 0xff, 0xe1, 0x00, 0x04, 0xff, 0xd9, 0xff, 0xda, 0x00, 0x02, 9, 9, 0xff,
            0xd9, 0xaa,
        ];
        assert_eq!(image_len(&img), Ok(Some(16)));
        assert_eq!(image_len(&img[..15]), Ok(None));
        assert_eq!(image_len(&img[..7]), Ok(None));
        assert_eq!(image_len(b"GIF89a"), Err(Error::NotJpeg));
    }
}
