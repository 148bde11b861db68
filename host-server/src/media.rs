//! Media sources: clips held in memory (the built-in clip and every clip
//! under `--media DIR`) and the catalogue that maps request paths to them.
//!
//! A clip is read and prepared once, at start: its container is detected
//! from the bytes (`rtsp_core::mjpeg`, which passes over damage and reports
//! it), and every frame goes through `rtsp_core::jpeg::recode::plan`
//! ([`prepare`]): carried as it is, re-coded losslessly into baseline with
//! the standard Huffman tables ([`recode`]), or, when only its pixels can be
//! carried, converted to 4:2:0 ([`convert`], lossy; `--strict` refuses the
//! clip instead). Damaged frames are skipped and counted. A clip with no
//! frame that anything here can send is refused, with the reason. Its
//! frames are then shared, unchanged, by every session that plays it; each
//! session keeps only its own position.
//!
//! Clips are loaded once, at start, and live until the process exits, so
//! their bytes (and those of re-coded or converted frames) are kept as
//! `&'static [u8]` (leaked on purpose) and each frame's analysis
//! (`jpeg::Frame`, a few ranges into those bytes) is kept beside them:
//! sending a frame to a session never parses it again. At 1 000 clients
//! that saves about 5 µs of JPEG scanning per 30 KB frame per client.

mod convert;
mod overhead;
pub mod prepare;
mod recode;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rtsp_core::{jpeg, mjpeg};

pub use overhead::Overhead;
use prepare::{Done, Failure, Preparer, Tally};

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
    /// What was done to its frames at load.
    pub tally: Tally,
    /// What restart-aligned packets cost against `--no-restart`; `None`
    /// with `--no-restart`.
    pub overhead: Option<Overhead>,
}

impl Clip {
    /// Splits and prepares a clip; the error names the reason it cannot be
    /// served. `options.strict` refuses a clip any frame of which needs a
    /// lossy conversion; with `options.restart_mtu` every frame gets a
    /// restart interval, and what that costs is measured against the
    /// frames as `--no-restart` would send them.
    pub fn load(
        name: &str,
        data: &'static [u8],
        fps: f64,
        options: prepare::Options,
    ) -> Result<Clip, String> {
        let format = mjpeg::Format::detect(data)
            .ok_or_else(|| "not MJPEG: neither the lab's movie.Mjpeg format (5-digit lengths) nor concatenated JPEG".to_string())?;
        let mut prep = Preparer::new(options);
        let mut plain = Preparer::new(prepare::Options {
            restart_mtu: None,
            ..options
        });
        let mut overhead = options.restart_mtu.map(|_| Overhead::default());
        let mut tally = Tally::default();
        let mut frames = Vec::new();
        let mut first_failure = None;
        let mut n = 0usize;
        for item in mjpeg::Frames::new(data) {
            let bytes = match item {
                Ok(b) => b,
                Err(mjpeg::Error::Skipped(s)) => {
                    tally.skipped(&s);
                    continue;
                }
                // A truncated tail ends the clip; what came before plays.
                Err(e @ mjpeg::Error::Truncated { offset }) => {
                    tally.damaged(format!("bytes {offset}..{}", data.len()), "truncated");
                    first_failure.get_or_insert_with(|| e.to_string());
                    break;
                }
                Err(e) => {
                    first_failure.get_or_insert_with(|| e.to_string());
                    break;
                }
            };
            let at = (bytes.as_ptr() as usize).wrapping_sub(data.as_ptr() as usize);
            let mut out = Vec::new();
            let prepared = prep.prepare(bytes, &mut out).and_then(|done| {
                let sent: &'static [u8] = if done == Done::Carried {
                    bytes
                } else {
                    // Kept until exit, like the clip's bytes.
                    Box::leak(out.into_boxed_slice())
                };
                jpeg::Frame::parse(sent)
                    .map(|f| (f, done))
                    .map_err(|e| Failure::Damaged(e.to_string()))
            });
            match prepared {
                Ok((frame, done)) => {
                    tally.done(&done);
                    if let (Some(o), Some(mtu)) = (overhead.as_mut(), options.restart_mtu) {
                        measure(o, &frame, bytes, &mut plain, mtu);
                    }
                    frames.push(frame);
                }
                Err(Failure::Strict(why)) => return Err(format!("frame {n}: {why}")),
                Err(Failure::Damaged(why) | Failure::Undecodable(why)) => {
                    tally.damaged(format!("frame {n} at byte {at}"), &why);
                    first_failure.get_or_insert_with(|| format!("frame {n}: {why}"));
                }
            }
            n += 1;
        }
        let Some(first) = frames.first() else {
            return Err(match first_failure {
                Some(why) => format!("no frame can be sent: {why}"),
                None => "the file holds no JPEG frame".into(),
            });
        };
        Ok(Clip {
            name: name.into(),
            format,
            width: first.width(),
            height: first.height(),
            frames,
            fps,
            tally,
            overhead,
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

    /// One line describing the clip for the start banner and logs, with
    /// what was done to its frames when anything was.
    pub fn summary(&self) -> String {
        format!(
            "{}x{}, {} fps, {} frames ({:.1} s, {}){}",
            self.width,
            self.height,
            self.fps,
            self.frames.len(),
            self.duration_secs(),
            match self.format {
                mjpeg::Format::Lab => "lab movie.Mjpeg format",
                _ => "concatenated JPEG",
            },
            if self.tally.is_plain() {
                String::new()
            } else {
                format!("; {}", self.tally.summary())
            }
        ) + &self
            .overhead
            .map(|o| format!("; {}", o.summary()))
            .unwrap_or_default()
    }
}

/// Adds `frame` (as sent) to `o`, beside the same frame (`bytes` from the
/// clip) as `--no-restart` would send it, prepared by `plain`.
fn measure(
    o: &mut Overhead,
    frame: &jpeg::Frame<'_>,
    bytes: &[u8],
    plain: &mut Preparer,
    mtu: usize,
) {
    let mut out = Vec::new();
    let plain_bytes = match plain.prepare(bytes, &mut out) {
        Ok(Done::Carried) => bytes,
        Ok(_) => &out[..],
        Err(_) => return,
    };
    if let Ok(p) = jpeg::Frame::parse(plain_bytes) {
        o.add(frame, &p, mtu);
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

/// Request path → source. Only names put here are ever served (at start,
/// and publishers' paths, checked like `--live` names), so no request can
/// reach a file outside the media directory.
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

    /// Stops serving `name` (a publisher's path when it leaves).
    pub fn remove(&mut self, name: &str) {
        self.map.remove(name);
    }

    /// Whether nothing is served.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Decodes `%XX` escapes (RFC 3986 §2.1); `None` if malformed or not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
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
pub fn scan_dir(
    dir: &Path,
    fps: f64,
    options: prepare::Options,
    cat: &mut Catalog,
) -> Result<Vec<String>, String> {
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
            match Clip::load(&name, data, fps, options) {
                Ok(c) => {
                    if c.tally.damaged > 0 {
                        tracing::warn!("{name}: {}", c.tally.summary());
                    } else if !c.tally.is_plain() {
                        tracing::info!("{name}: {}", c.tally.summary());
                    }
                    cat.insert(name, Source::Clip(Arc::new(c)));
                }
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
        let plain = prepare::Options {
            restart_mtu: None,
            ..prepare::Options::STRICT
        };
        let c = Clip::load(BUILTIN_NAME, BUILTIN_CLIP, DEFAULT_FPS, plain).unwrap();
        assert!(c.tally.is_plain());
        assert!(c.overhead.is_none());
        assert!(!c.frame(0).restart());
        // By default every frame gets a restart interval, and its cost is
        // measured against the same frames without.
        let r = Clip::load(
            BUILTIN_NAME,
            BUILTIN_CLIP,
            DEFAULT_FPS,
            prepare::Options::STRICT,
        )
        .unwrap();
        assert_eq!(r.tally.recoded.get("restart interval added"), Some(&100));
        assert!(r.frames.iter().all(jpeg::Frame::restart));
        let o = r.overhead.unwrap();
        assert!(o.plain_bytes > 0 && o.bytes > o.plain_bytes, "{o:?}");
        assert!(o.ratio() < 0.03, "{}", o.summary());
        assert!(
            r.summary().contains("restart-aligned packets"),
            "{}",
            r.summary()
        );
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
