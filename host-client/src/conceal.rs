//! Showing frames with missing restart intervals (RFC 2435 §3.1.7): the
//! core rebuilds a frame from the intervals that arrived, with neutral
//! filler where the others were and a map of them; here the frame is
//! decoded, every missing MCU is covered with the co-located pixels of the
//! last frame shown (never the filler's flat gray), and the result is what
//! the window shows and `--save-frames` writes (re-encoded at quality 95).
//!
//! Only frames that need it are decoded here: a complete frame is kept as
//! its JFIF (one copy into a reused buffer) and decoded only when the next
//! frame needs its pixels. With no frame shown before, missing MCUs are
//! black.

use rtsp_core::jpeg::IntervalMap;

use crate::window::decode_rgb;

/// JPEG quality of a concealed frame written by `--save-frames`.
pub const SAVE_QUALITY: u8 = 95;

/// The last frame shown, as the next concealment needs it.
#[derive(Debug, Default)]
pub struct LastShown {
    /// The last complete frame's JFIF, when it is the last shown.
    jpeg: Vec<u8>,
    jpeg_current: bool,
    /// Packed RGB of the last frame shown, when decoded.
    rgb: Vec<u8>,
    size: (usize, usize),
    rgb_current: bool,
}

impl LastShown {
    /// A complete frame was shown.
    pub fn shown_complete(&mut self, jfif: &[u8]) {
        self.jpeg.clear();
        self.jpeg.extend_from_slice(jfif);
        self.jpeg_current = true;
        self.rgb_current = false;
    }

    /// Decodes `jfif` (a frame with missing intervals), covers each missing
    /// MCU with the last shown frame's pixels, and keeps the result as the
    /// last shown. Returns its RGB and size; `None` if it does not decode.
    pub fn conceal(&mut self, jfif: &[u8], missing: &IntervalMap) -> Option<(&[u8], usize, usize)> {
        let mut rgb = Vec::new();
        let (w, h) = decode_rgb(jfif, &mut rgb)?;
        let have_previous = self.previous_rgb() && self.size == (w, h);
        for i in missing.missing() {
            for mcu in missing.mcus_of(i) {
                let (x, y, mw, mh) = missing.mcu_rect(mcu);
                let (x, y) = (x as usize, y as usize);
                let x1 = (x + mw as usize).min(w);
                for row in y..(y + mh as usize).min(h) {
                    let span = row * w * 3 + x * 3..row * w * 3 + x1 * 3;
                    let Some(dst) = rgb.get_mut(span.clone()) else {
                        continue;
                    };
                    match self.rgb.get(span).filter(|_| have_previous) {
                        Some(src) => dst.copy_from_slice(src),
                        None => dst.fill(0),
                    }
                }
            }
        }
        self.rgb = rgb;
        self.size = (w, h);
        self.rgb_current = true;
        self.jpeg_current = false;
        Some((&self.rgb, w, h))
    }

    /// Makes `rgb` the last shown frame's pixels; false if there is none.
    fn previous_rgb(&mut self) -> bool {
        if self.rgb_current {
            return true;
        }
        if !self.jpeg_current {
            return false;
        }
        match decode_rgb(&self.jpeg, &mut self.rgb) {
            Some(size) => {
                self.size = size;
                self.rgb_current = true;
                true
            }
            None => false,
        }
    }
}

/// A concealed picture as a JPEG for `--save-frames`.
pub fn encode(rgb: &[u8], w: usize, h: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let enc = jpeg_encoder::Encoder::new(&mut out, SAVE_QUALITY);
    enc.encode(
        rgb,
        u16::try_from(w).ok()?,
        u16::try_from(h).ok()?,
        jpeg_encoder::ColorType::Rgb,
    )
    .ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_frame_before_means_black_not_gray() {
        // A 32x16 gray JPEG whose second interval (MCU 1) is "missing".
        let rgb = vec![128u8; 32 * 16 * 3];
        let jpeg = encode(&rgb, 32, 16).unwrap();
        let mut last = LastShown::default();
        let mut map = IntervalMap::new(rtsp_core::jpeg::Type::Yuv420, 32, 16, 1).unwrap();
        map.set_missing(1);
        let (px, w, _) = last.conceal(&jpeg, &map).unwrap();
        assert_eq!(w, 32);
        assert!(px[..16 * 3].iter().all(|&v| v.abs_diff(128) < 4));
        assert!(px[16 * 3..32 * 3].iter().all(|&v| v == 0));
    }

    #[test]
    fn missing_mcus_show_the_last_frame_shown() {
        let red: Vec<u8> = [250u8, 10, 10].repeat(32 * 16);
        let blue: Vec<u8> = [10u8, 10, 250].repeat(32 * 16);
        let mut last = LastShown::default();
        last.shown_complete(&encode(&red, 32, 16).unwrap());
        let mut map = IntervalMap::new(rtsp_core::jpeg::Type::Yuv420, 32, 16, 1).unwrap();
        map.set_missing(0);
        let (px, _, _) = last.conceal(&encode(&blue, 32, 16).unwrap(), &map).unwrap();
        // MCU 0 (x 0-15) is the red frame's, MCU 1 the new blue one.
        let at = |x: usize, y: usize| &px[(y * 32 + x) * 3..(y * 32 + x) * 3 + 3];
        assert!(at(3, 5)[0] > 200 && at(3, 5)[2] < 60, "{:?}", at(3, 5));
        assert!(at(28, 5)[2] > 200 && at(28, 5)[0] < 60, "{:?}", at(28, 5));
        // The concealed picture is the next one's "last shown".
        let mut none = IntervalMap::new(rtsp_core::jpeg::Type::Yuv420, 32, 16, 1).unwrap();
        none.set_missing(1);
        let (px, _, _) = last.conceal(&encode(&red, 32, 16).unwrap(), &none).unwrap();
        assert!(
            px[(5 * 32 + 28) * 3 + 2] > 200,
            "MCU 1 kept from the concealed frame"
        );
    }
}
