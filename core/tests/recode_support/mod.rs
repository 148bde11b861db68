//! Shared by the re-coder tests (`jpeg_recode.rs`, `jpeg_recode_malformed.rs`):
//! real frames made at test time by ffmpeg and cjpeg, jpegtran as the
//! reference re-coder, zune-jpeg for pixels, and a walker over marker
//! segments. A missing tool fails the test that needs it, naming the tool.

#![allow(dead_code)] // Each test crate uses a different part.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use rtsp_core::jpeg::recode::{self, Analysis, Options};
use rtsp_core::jpeg::Error;
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::JpegDecoder;

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("rtsp-core-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `cmd` and returns its stdout; fails naming the tool when it is not
/// installed, and with its stderr when it fails.
pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "{:?} must be installed for this test (ffmpeg, libjpeg-turbo's cjpeg and jpegtran): {e}",
            cmd.get_program()
        )
    });
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A `w`×`h` PPM with real detail: gradients, a checkerboard of varying
/// pitch, diagonal stripes and noise (xorshift, seeded by `seed`), so that
/// every block has AC coefficients of all sizes.
pub fn ppm(dir: &TempDir, w: usize, h: usize, seed: u32) -> PathBuf {
    let mut x = seed.wrapping_mul(0x9e37_79b9) | 1;
    let mut noise = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    let mut v = format!("P6\n{w} {h}\n255\n").into_bytes();
    for y in 0..h {
        for i in 0..w {
            let n = noise();
            let check = if ((i / (1 + y / 9)) ^ (y / 5)) & 1 == 0 {
                60
            } else {
                0
            };
            v.extend_from_slice(&[
                ((i * 255 / w) as u32 + (n & 0x3f)) as u8,
                ((y * 255 / h + check) as u32 + (n >> 8 & 0x1f)) as u8,
                (((i + 2 * y) % 23 * 11) as u32 ^ (n >> 16 & 0x0f)) as u8,
            ]);
        }
    }
    let p = dir.path(&format!("src-{w}x{h}-{seed}.ppm"));
    std::fs::write(&p, v).unwrap();
    p
}

/// ffmpeg's MJPEG encoder on `src`; `args` go before the output.
pub fn ffmpeg(dir: &TempDir, src: &Path, name: &str, args: &[&str]) -> Vec<u8> {
    let out = dir.path(name);
    run(Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(src)
        .args(["-frames:v", "1", "-f", "image2", "-c:v", "mjpeg"])
        .args(args)
        .arg(&out));
    std::fs::read(out).unwrap()
}

/// libjpeg-turbo's cjpeg on `src`.
pub fn cjpeg(src: &Path, args: &[&str]) -> Vec<u8> {
    run(Command::new("cjpeg").args(args).arg(src))
}

/// `jpegtran -copy none [args]` on `jpeg`: the reference re-coding.
pub fn jpegtran(dir: &TempDir, jpeg: &[u8], args: &[&str]) -> Vec<u8> {
    static N: AtomicU32 = AtomicU32::new(0);
    let p = dir.path(&format!(
        "jpegtran-in-{}.jpg",
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&p, jpeg).unwrap();
    run(Command::new("jpegtran")
        .args(["-copy", "none"])
        .args(args)
        .arg(&p))
}

/// The pixels libjpeg-turbo's djpeg decodes (PPM).
pub fn djpeg(dir: &TempDir, jpeg: &[u8]) -> Vec<u8> {
    static N: AtomicU32 = AtomicU32::new(0);
    let p = dir.path(&format!(
        "djpeg-in-{}.jpg",
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&p, jpeg).unwrap();
    run(Command::new("djpeg").arg("-ppm").arg(&p))
}

/// The pixels zune-jpeg decodes, with the size.
pub fn decode(jpeg: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut d = JpegDecoder::new(ZCursor::new(jpeg));
    let px = d
        .decode()
        .unwrap_or_else(|e| panic!("zune-jpeg decodes the frame: {e:?}"));
    let (w, h) = d.dimensions().unwrap();
    (w, h, px)
}

/// One marker segment: its marker, where it starts (at 0xFF), where it
/// ends (after its body; for SOS, after the entropy-coded data that
/// follows, RSTn included).
#[derive(Debug, Clone, Copy)]
pub struct Seg {
    pub marker: u8,
    pub start: usize,
    pub body: usize,
    pub end: usize,
}

/// The marker segments of a well-formed JPEG, SOI and EOI included.
pub fn segments(jpeg: &[u8]) -> Vec<Seg> {
    assert_eq!(&jpeg[..2], [0xff, 0xd8], "SOI");
    let mut v = vec![Seg {
        marker: 0xd8,
        start: 0,
        body: 2,
        end: 2,
    }];
    let mut i = 2;
    while i + 1 < jpeg.len() {
        assert_eq!(jpeg[i], 0xff, "a marker at {i}");
        let marker = jpeg[i + 1];
        if marker == 0xff {
            i += 1; // fill byte
            continue;
        }
        if marker == 0xd9 {
            v.push(Seg {
                marker,
                start: i,
                body: i + 2,
                end: i + 2,
            });
            return v;
        }
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        let mut end = i + 2 + len;
        if marker == 0xda {
            // Entropy-coded data: up to the next marker that is not a
            // stuffed 0xFF00 or a restart marker.
            while end + 1 < jpeg.len() && !ends_scan(jpeg[end], jpeg[end + 1]) {
                end += 1;
            }
        }
        v.push(Seg {
            marker,
            start: i,
            body: i + 4,
            end,
        });
        i = end;
    }
    panic!("no EOI");
}

/// Whether the two bytes are a marker that ends entropy-coded data (not a
/// stuffed 0xFF00, a restart marker or a fill byte).
fn ends_scan(a: u8, b: u8) -> bool {
    a == 0xff && !matches!(b, 0x00 | 0xd0..=0xd7 | 0xff)
}

/// The entropy-coded segment of a one-scan frame: the bytes between its SOS
/// segment and EOI.
pub fn entropy(jpeg: &[u8]) -> &[u8] {
    let segs = segments(jpeg);
    let sos: Vec<_> = segs.iter().filter(|s| s.marker == 0xda).collect();
    assert_eq!(sos.len(), 1, "one scan");
    let s = sos[0];
    let len = usize::from(u16::from_be_bytes([jpeg[s.start + 2], jpeg[s.start + 3]]));
    &jpeg[s.start + 2 + len..s.end]
}

/// `jpeg` without its segments of marker `marker`.
pub fn without(jpeg: &[u8], marker: u8) -> Vec<u8> {
    let mut v = Vec::new();
    for s in segments(jpeg) {
        if s.marker != marker {
            v.extend_from_slice(&jpeg[s.start..s.end]);
        }
    }
    v
}

/// Re-codes with buffers sized from the analysis; retries a larger output
/// buffer as [`Error::BufferTooSmall`] asks.
pub fn recode_vec(jpeg: &[u8], options: Options) -> Result<Vec<u8>, Error> {
    let a = Analysis::parse(jpeg)?;
    let mut coefficients = vec![0i16; a.coefficients_len()];
    let mut out = vec![0u8; jpeg.len() + 4096];
    for _ in 0..8 {
        match recode::recode(jpeg, options, &mut coefficients, &mut out) {
            Ok(n) => {
                out.truncate(n);
                return Ok(out);
            }
            Err(Error::BufferTooSmall { required }) if required > out.len() => {
                out.resize(required.max(out.len() * 2), 0);
            }
            Err(e) => return Err(e),
        }
    }
    panic!("BufferTooSmall never satisfied ({} bytes)", out.len());
}

/// Runs `f` on another thread and fails if it has not returned within
/// `limit`: an infinite loop fails the test instead of hanging CI. A panic
/// in `f` fails the test with its message.
pub fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let h = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => {
            h.join().unwrap();
            v
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(h.join().unwrap_err())
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: no answer within {limit:?} (an infinite loop?)")
        }
    }
}
