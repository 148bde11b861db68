//! The video window: minifb, frames decoded with zune-jpeg and scaled to
//! fit, keys for the lab's commands, metrics in the title.
//!
//! The window lives on the main thread; the network thread publishes each
//! complete frame into a [`FrameSlot`] (one copy into a reused buffer) and
//! the window decodes only the newest one, so a slow display never slows
//! reception: frames it has no time for are skipped, not queued.

use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use minifb::{Key, KeyRepeat, Window, WindowOptions};
use zune_jpeg::JpegDecoder;

use crate::command::Command;
use crate::frame_slot::FrameSlot;

/// Opens a window if a display is available. `None` means "run headless"
/// (no `DISPLAY`, or the X server refused us).
pub fn open(name: &str) -> Option<Window> {
    std::env::var_os("DISPLAY")?;
    let opts = WindowOptions {
        resize: true,
        ..WindowOptions::default()
    };
    match Window::new(name, 640, 480, opts) {
        Ok(mut w) => {
            w.set_target_fps(60);
            Some(w)
        }
        Err(e) => {
            eprintln!("no window ({e}); continuing headless");
            None
        }
    }
}

/// Runs the window until it is closed or the session ends; keys become
/// commands sent through `send`.
pub fn run(mut window: Window, slot: Arc<FrameSlot>, send: impl Fn(Command)) {
    let mut jpeg = Vec::new();
    let mut rgb: Vec<u8> = Vec::new();
    let (mut vw, mut vh) = (0usize, 0usize);
    let mut canvas: Vec<u32> = Vec::new();
    let mut seen = 0u64;
    let mut title = String::new();
    let mut shown_title = String::new();
    let mut dirty = true;
    while window.is_open() && !slot.is_closed() {
        for key in window.get_keys_pressed(KeyRepeat::No) {
            match key {
                Key::S => send(Command::Setup),
                Key::P | Key::Space => send(Command::TogglePlay),
                Key::T => send(Command::Teardown),
                Key::Q | Key::Escape => {
                    send(Command::Quit);
                    return;
                }
                _ => {}
            }
        }
        if let Some((serial, rgb_size)) = slot.take_newer(seen, &mut jpeg, &mut title) {
            seen = serial;
            let size = match rgb_size {
                // A concealed frame comes decoded.
                Some(size) => {
                    std::mem::swap(&mut jpeg, &mut rgb);
                    Some(size)
                }
                None => decode_rgb(&jpeg, &mut rgb),
            };
            if let Some((w, h)) = size {
                (vw, vh) = (w, h);
                dirty = true;
            }
        }
        if title != shown_title {
            window.set_title(&title);
            shown_title.clone_from(&title);
        }
        let (ww, wh) = window.get_size();
        if ww == 0 || wh == 0 {
            window.update();
            continue;
        }
        if dirty || canvas.len() != ww * wh {
            canvas.resize(ww * wh, 0);
            scale_to_fit(&rgb, vw, vh, &mut canvas, ww, wh);
            dirty = false;
        }
        if window.update_with_buffer(&canvas, ww, wh).is_err() {
            std::thread::sleep(Duration::from_millis(16));
        }
    }
    send(Command::Quit);
}

/// Decodes a JFIF frame to packed RGB; `None` if the decoder refuses it.
pub fn decode_rgb(jpeg: &[u8], rgb: &mut Vec<u8>) -> Option<(usize, usize)> {
    let mut dec = JpegDecoder::new(Cursor::new(jpeg));
    dec.decode_headers().ok()?;
    let (w, h) = dec.dimensions()?;
    rgb.resize(dec.output_buffer_size()?, 0);
    dec.decode_into(rgb).ok()?;
    Some((w, h))
}

/// Nearest-neighbour scale of `rgb` (vw×vh) into `out` (ww×wh), keeping
/// the aspect ratio with black bars.
fn scale_to_fit(rgb: &[u8], vw: usize, vh: usize, out: &mut [u32], ww: usize, wh: usize) {
    out.fill(0);
    if vw == 0 || vh == 0 || rgb.len() < vw * vh * 3 {
        return;
    }
    // Fit: the smaller of the two scale factors, in 16.16 fixed point.
    let (dw, dh) = if ww * vh <= wh * vw {
        (ww, vh * ww / vw)
    } else {
        (vw * wh / vh, wh)
    };
    let (dw, dh) = (dw.max(1), dh.max(1));
    let (x0, y0) = ((ww - dw.min(ww)) / 2, (wh - dh.min(wh)) / 2);
    for y in 0..dh.min(wh) {
        let sy = y * vh / dh;
        let src_row = &rgb[sy * vw * 3..(sy + 1) * vw * 3];
        let dst_row = &mut out[(y0 + y) * ww + x0..(y0 + y) * ww + x0 + dw.min(ww)];
        for (x, px) in dst_row.iter_mut().enumerate() {
            let sx = x * vw / dw;
            let p = &src_row[sx * 3..sx * 3 + 3];
            *px = (u32::from(p[0]) << 16) | (u32::from(p[1]) << 8) | u32::from(p[2]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_keeps_aspect_with_bars() {
        // 2x1 red|blue image into a 4x4 window: rows 1..3 hold it.
        let rgb = [255, 0, 0, 0, 0, 255];
        let mut out = vec![7u32; 16];
        scale_to_fit(&rgb, 2, 1, &mut out, 4, 4);
        assert_eq!(out[0], 0);
        assert_eq!(&out[4..8], &[0xff0000, 0xff0000, 0x0000ff, 0x0000ff]);
        assert_eq!(&out[12..16], &[0, 0, 0, 0]);
    }
}
