//! Decode speed of zune-jpeg (the window's decoder) on one JPEG file, on
//! one core: `cargo run --release -p rtsp-client --example decode_speed --
//! frame.jpg [SECONDS]`. Prints frames per second; the client's window
//! needs 60 at 1080p.

use std::io::Cursor;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: decode_speed FILE.jpg [SECONDS]");
    let secs: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let jpeg = std::fs::read(&path).expect("readable JPEG");
    let mut out = Vec::new();
    let (mut frames, start) = (0u64, Instant::now());
    let (mut w, mut h) = (0, 0);
    while start.elapsed() < Duration::from_secs_f64(secs) {
        let mut d = zune_jpeg::JpegDecoder::new(Cursor::new(&jpeg[..]));
        d.decode_headers().expect("valid JPEG");
        (w, h) = d.dimensions().expect("dimensions");
        out.resize(d.output_buffer_size().expect("size"), 0);
        d.decode_into(&mut out).expect("decodes");
        frames += 1;
    }
    let t = start.elapsed().as_secs_f64();
    println!(
        "zune-jpeg: {w}x{h} {} bytes: {frames} decodes in {t:.2} s = {:.1} fps ({:.2} ms/frame, one core)",
        jpeg.len(),
        frames as f64 / t,
        t * 1000.0 / frames as f64
    );
}
