//! Media sources: clips held in memory (the built-in clip and every clip
//! under `--media DIR`) and the catalogue that maps request paths to them.
//!
//! A clip is read and checked once, at start: its container is detected from
//! the bytes (`rtsp_core::mjpeg`), and every frame is analysed with
//! `rtsp_core::jpeg::Frame::parse`, so a clip RFC 2435 cannot carry is known
//! before any client asks for it. Its frames are then shared, unchanged, by
//! every session that plays it; each session keeps only its own position.
//!
//! Clips are loaded once, at start, and live until the process exits, so
//! their bytes are kept as `&'static [u8]` (leaked on purpose) and each
//! frame's analysis (`jpeg::Frame`, a few ranges into those bytes) is kept
//! beside them: sending a frame to a session never parses it again. At 1 000
//! clients that saves about 5 µs of JPEG scanning per 30 KB frame per client.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rtsp_core::{jpeg, mjpeg};

use crate::live::Live;

/// The built-in clip: 100 frames of ffmpeg's `testsrc2` at 320×240, 25 fps,
/// 4:2:0 with the standard Huffman tables, in the lab's `movie.Mjpeg` format.
pub const BUILTIN_CLIP: &[u8] = include_bytes!("../media/movie.Mjpeg");
/// Path the built-in clip is served at.
pub const BUILTIN_NAME: &str = "movie.Mjpeg";
/// Frame rate when nothing else says (the lab formats carry none).
pub const DEFAULT_FPS: f64 = 25.0;

/// A clip in memory, checked frame by frame.
#[derive(Debug)]
pub struct Clip {
    /// Request path (relative to the media directory).
    pub name: String,
    /// Container detected from the bytes.
    pub format: mjpeg::Format,
    /// Each frame, analysed once for RFC 2435 (borrowing the clip's bytes).
    pub frames: Vec<jpeg::Frame<'static>>,
    /// Width in pixels (from the first frame's SOF).
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Playback rate.
    pub fps: f64,
}

impl Clip {
    /// Splits and checks a clip; the error names the reason and the fix.
    pub fn load(name: &str, data: &'static [u8], fps: f64) -> Result<Clip, String> {
        let format = mjpeg::Format::detect(data)
            .ok_or_else(|| "not MJPEG: neither the lab's movie.Mjpeg format (5-digit lengths) nor concatenated JPEG".to_string())?;
        let mut frames = Vec::new();
        for (i, frame) in mjpeg::Frames::new(data).enumerate() {
            match frame {
                Ok(f) => match jpeg::Frame::parse(f) {
                    Ok(frame) => frames.push(frame),
                    Err(e) => {
                        return Err(format!(
                            "frame {i} cannot be sent as RTP/JPEG: {e}{}",
                            fix_for(&e)
                        ))
                    }
                },
                // A damaged tail ends the clip; what came before still plays.
                Err(e) if !frames.is_empty() => {
                    tracing::warn!("{name}: stops after frame {i}: {e}");
                    break;
                }
                Err(e) => return Err(format!("no frame could be read: {e}")),
            }
        }
        let Some(first) = frames.first() else {
            return Err("the file holds no JPEG frame".into());
        };
        Ok(Clip {
            name: name.into(),
            format,
            width: first.width(),
            height: first.height(),
            frames,
            fps,
        })
    }

    /// Frame `i` (modulo the frame count).
    pub fn frame(&self, i: usize) -> &jpeg::Frame<'static> {
        &self.frames[i % self.frames.len()]
    }

    /// Length in seconds at the clip's rate.
    pub fn duration_secs(&self) -> f64 {
        self.frames.len() as f64 / self.fps
    }

    /// One line describing the clip for the start banner and logs.
    pub fn summary(&self) -> String {
        format!(
            "{}x{}, {} fps, {} frames ({:.1} s, {})",
            self.width,
            self.height,
            self.fps,
            self.frames.len(),
            self.duration_secs(),
            match self.format {
                mjpeg::Format::Lab => "lab movie.Mjpeg format",
                _ => "concatenated JPEG",
            }
        )
    }
}

/// The fix to suggest for a frame RFC 2435 cannot carry.
fn fix_for(e: &jpeg::Error) -> &'static str {
    match e {
        jpeg::Error::NonStandardHuffman => {
            " (ffmpeg writes optimized Huffman tables unless told otherwise); fix: \
             `ffmpeg -i IN -c:v mjpeg -huffman default -pix_fmt yuvj420p -f mjpeg OUT.mjpeg`"
        }
        _ => {
            "; RFC 2435 carries only baseline 8-bit YCbCr 4:2:0 or 4:2:2; fix: \
             `ffmpeg -i IN -c:v mjpeg -huffman default -pix_fmt yuvj420p -f mjpeg OUT.mjpeg`"
        }
    }
}

/// What a request path names.
#[derive(Debug, Clone)]
pub enum Source {
    /// A clip; each session has its own position in it.
    Clip(Arc<Clip>),
    /// A live source shared by all its sessions.
    Live(Arc<Live>),
    /// A file that exists but cannot be streamed; DESCRIBE answers with
    /// this reason (RFC 2326 §11.3.8 415 Unsupported Media Type).
    Refused(Arc<str>),
}

/// Request path → source. Only names put here at start are ever served, so
/// no request can reach a file outside the media directory.
#[derive(Debug, Default)]
pub struct Catalog {
    map: HashMap<String, Source>,
}

impl Catalog {
    /// Adds a source under `name`.
    pub fn insert(&mut self, name: String, src: Source) {
        self.map.insert(name, src);
    }

    /// The source at a request path (RFC 2326 §3.2 URL path, without the
    /// leading slash), percent-decoded. A path with a dot or empty segment
    /// never names a stream, so `clip/../../etc/passwd` cannot match.
    pub fn get(&self, path: &str) -> Option<&Source> {
        let path = percent_decode(path.trim_matches('/'))?;
        if path
            .split('/')
            .any(|c| c == "." || c == ".." || c.is_empty())
        {
            return None;
        }
        self.map.get(&path)
    }

    /// All sources, sorted by path, for the start banner.
    pub fn entries(&self) -> Vec<(&str, &Source)> {
        let mut v: Vec<_> = self.map.iter().map(|(k, s)| (k.as_str(), s)).collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v
    }

    /// Whether nothing is served.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Decodes `%XX` escapes (RFC 3986 §2.1); `None` if malformed or not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Loads every clip under `dir` into `cat`, following no symlink that leads
/// outside `dir`. Returns a note per file refused, for the start log.
pub fn scan_dir(dir: &Path, fps: f64, cat: &mut Catalog) -> Result<Vec<String>, String> {
    let root = dir
        .canonicalize()
        .map_err(|e| format!("--media {}: {e}", dir.display()))?;
    if !root.is_dir() {
        return Err(format!("--media {}: not a directory", dir.display()));
    }
    let mut notes = Vec::new();
    let mut stack: Vec<PathBuf> = vec![root.clone()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            // Resolve symlinks and keep only what stays inside the root.
            let Ok(real) = path.canonicalize() else {
                continue;
            };
            if !real.starts_with(&root) {
                notes.push(format!(
                    "{}: skipped, it points outside {}",
                    path.display(),
                    root.display()
                ));
                continue;
            }
            let Ok(rel) = path.strip_prefix(&root) else {
                continue;
            };
            let Some(name) = rel.to_str().map(|s| s.replace('\\', "/")) else {
                notes.push(format!(
                    "{}: skipped, the name is not UTF-8",
                    path.display()
                ));
                continue;
            };
            if real.is_dir() {
                // A symlinked directory inside the root would be seen twice.
                if entry.file_type().is_ok_and(|t| !t.is_symlink()) {
                    stack.push(path);
                }
                continue;
            }
            if name.split('/').any(|c| c.starts_with('.')) {
                continue;
            }
            let data = match std::fs::read(&real) {
                Ok(d) => d,
                Err(e) => {
                    notes.push(format!("{name}: cannot read: {e}"));
                    continue;
                }
            };
            if mjpeg::Format::detect(&data).is_none() {
                // Not a clip at all (a README, a thumbnail list...): not served.
                continue;
            }
            // Served until exit (see the module doc); a refused clip's bytes
            // are kept too, which costs memory only for a file an operator
            // was told to fix.
            let data: &'static [u8] = Vec::leak(data);
            match Clip::load(&name, data, fps) {
                Ok(c) => cat.insert(name, Source::Clip(Arc::new(c))),
                Err(reason) => {
                    let mut msg = String::new();
                    let _ = write!(msg, "{name}: refused: {reason}");
                    notes.push(msg);
                    cat.insert(name, Source::Refused(reason.into()));
                }
            }
        }
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_clip_is_valid() {
        let c = Clip::load(BUILTIN_NAME, BUILTIN_CLIP, DEFAULT_FPS).unwrap();
        assert_eq!((c.width, c.height), (320, 240));
        assert_eq!(c.frames.len(), 100);
        assert_eq!(c.format, mjpeg::Format::Lab);
        assert_eq!(c.frame(100), c.frame(0));
        assert!(c.frame(0).scan_data().len() > 1000);
    }

    #[test]
    fn lookups_never_leave_the_catalogue() {
        let mut cat = Catalog::default();
        cat.insert("a/b.mjpeg".into(), Source::Refused("x".into()));
        assert!(cat.get("a/b.mjpeg").is_some());
        assert!(cat.get("/a/b%2Emjpeg/").is_some());
        for bad in [
            "a/../a/b.mjpeg",
            "a/b.mjpeg/../../x",
            "a/%2e%2e/a/b.mjpeg",
            "a//b.mjpeg",
            "a",
            "",
            "%zz",
        ] {
            assert!(cat.get(bad).is_none(), "{bad}");
        }
    }
}
