//! Rebuilding the JFIF headers a receiver puts in front of RTP/JPEG scan
//! data (RFC 2435 Appendix B), so that any JPEG decoder opens the frame.

use super::tables::{HuffmanTable, CHROMA_AC, CHROMA_DC, LUMA_AC, LUMA_DC};
use super::{Error, Frame, QuantTable, Type};

/// The headers of a rebuilt frame (RFC 2435 Appendix B `MakeHeaders`):
/// SOI, a JFIF APP0, DQT for tables 0 and 1, DRI when there are restart
/// markers, SOF, the four T.81 K.3 Huffman tables and SOS. The scan data
/// and EOI follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct JfifHeader<'t> {
    /// Type 0 (Y 2x1) or 1 (Y 2x2) (RFC 2435 §4.1).
    pub kind: Type,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Restart interval in MCUs; 0 writes no DRI (RFC 2435 §3.1.7).
    pub restart_interval: u16,
    /// Quantization table 0, for Y.
    pub luma: QuantTable<'t>,
    /// Quantization table 1, for Cb and Cr.
    pub chroma: QuantTable<'t>,
}

const APP0_JFIF: [u8; 18] = [
    0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
];
const SOS: [u8; 14] = [
    0xff, 0xda, 0x00, 0x0c, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0,
];
const HUFFMAN: [(u8, HuffmanTable); 4] = [
    (0x00, LUMA_DC),
    (0x10, LUMA_AC),
    (0x01, CHROMA_DC),
    (0x11, CHROMA_AC),
];

struct Cursor<'b> {
    buf: &'b mut [u8],
    at: usize,
    required: usize,
}

impl Cursor<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let end = self.at + bytes.len();
        let dst = self
            .buf
            .get_mut(self.at..end)
            .ok_or(Error::BufferTooSmall {
                required: self.required,
            })?;
        dst.copy_from_slice(bytes);
        self.at = end;
        Ok(())
    }

    fn segment(&mut self, marker: u8, body_len: usize) -> Result<(), Error> {
        // Segment lengths here are at most 2 + 1 + 16 + 162.
        let [l0, l1] = u16::try_from(body_len + 2)
            .unwrap_or(u16::MAX)
            .to_be_bytes();
        self.put(&[0xff, marker, l0, l1])
    }
}

impl<'t> JfifHeader<'t> {
    /// The headers of `frame` as an RTP/JPEG receiver rebuilds them: with
    /// the frame's [`scan_data`](Frame::scan_data) and EOI (`FF D9`) they
    /// make the JPEG every receiver of the stream decodes (a host that
    /// hands out whole JPEG files, such as MJPEG over HTTP, sends the
    /// same picture as its RTP sessions).
    pub fn of_frame(frame: &Frame<'t>) -> Self {
        let [luma, chroma] = frame.quant_tables();
        JfifHeader {
            kind: frame.kind(),
            width: frame.width(),
            height: frame.height(),
            restart_interval: frame.restart_interval(),
            luma,
            chroma,
        }
    }
}

impl JfifHeader<'_> {
    /// Bytes [`JfifHeader::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        let dri = if self.restart_interval != 0 { 6 } else { 0 };
        let dht: usize = HUFFMAN
            .iter()
            .map(|(_, t)| 4 + 1 + 16 + t.values.len())
            .sum();
        2 + APP0_JFIF.len()
            + (5 + self.luma.data().len())
            + (5 + self.chroma.data().len())
            + dri
            + 19
            + dht
            + SOS.len()
    }

    /// Writes the headers at the start of `buf` and returns their length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let mut c = Cursor {
            buf,
            at: 0,
            required: self.buffer_len(),
        };
        c.put(&[0xff, 0xd8])?;
        c.put(&APP0_JFIF)?;
        for (id, t) in [(0u8, self.luma), (1, self.chroma)] {
            c.segment(0xdb, 1 + t.data().len())?;
            c.put(&[(u8::from(t.is_16bit()) << 4) | id])?;
            c.put(t.data())?;
        }
        if self.restart_interval != 0 {
            c.segment(0xdd, 2)?;
            c.put(&self.restart_interval.to_be_bytes())?;
        }
        // 16-bit tables are not allowed in baseline (T.81 §B.2.4.1): say
        // extended sequential (SOF1) then, which decodes identically.
        let sof = if self.luma.is_16bit() || self.chroma.is_16bit() {
            0xc1
        } else {
            0xc0
        };
        let y_sampling = match self.kind {
            Type::Yuv420 => 0x22,
            _ => 0x21,
        };
        c.segment(sof, 15)?;
        let [h0, h1] = self.height.to_be_bytes();
        let [w0, w1] = self.width.to_be_bytes();
        c.put(&[8, h0, h1, w0, w1, 3])?;
        c.put(&[1, y_sampling, 0, 2, 0x11, 1, 3, 0x11, 1])?;
        for (class_id, t) in HUFFMAN {
            c.segment(0xc4, 1 + 16 + t.values.len())?;
            c.put(&[class_id])?;
            c.put(&t.bits)?;
            c.put(t.values)?;
        }
        c.put(&SOS)?;
        Ok(c.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg::{make_tables, Frame};

    #[test]
    fn headers_parse_back_as_a_frame() {
        let (l, ch) = make_tables(50);
        let h = JfifHeader {
            kind: Type::Yuv420,
            width: 320,
            height: 240,
            restart_interval: 4,
            luma: QuantTable::new(&l).unwrap(),
            chroma: QuantTable::new(&ch).unwrap(),
        };
        let mut buf = [0u8; 1024];
        let n = h.emit(&mut buf).unwrap();
        assert_eq!(n, h.buffer_len());
        assert!(n <= crate::limits::JPEG_MAX_HEADER);
        buf[n..n + 4].copy_from_slice(&[0x12, 0x34, 0xff, 0xd9]);
        let f = Frame::parse(&buf[..n + 4]).unwrap();
        assert_eq!((f.width(), f.height(), f.kind()), (320, 240, Type::Yuv420));
        assert_eq!(f.restart_interval(), 4);
        assert_eq!(f.scan_data(), &[0x12, 0x34]);
        assert_eq!(f.quant_tables()[0].data(), &l[..]);
        assert_eq!(
            h.emit(&mut buf[..100]),
            Err(Error::BufferTooSmall { required: n })
        );
    }
}
