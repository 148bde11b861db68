//! One JPEG frame made carriable by RFC 2435, and the tally of what was done
//! to a clip's or a live source's frames.
//!
//! `rtsp_core::jpeg::recode::plan` decides per frame: carry it as it is,
//! re-code it losslessly (optimized Huffman tables, progressive, several
//! scans: the coefficients are kept, the pixels do not change), or convert
//! it (decode and encode as 4:2:0, lossy). A converted frame is planned
//! again and must then be carried as it is.
//!
//! With restart intervals on (the default; `--no-restart` turns them off),
//! every frame leaves here with a restart interval (DRI and RSTn markers,
//! T.81 §B.2.4.4), so the packetizer can cut it at interval boundaries
//! (RFC 2435 §3.1.7) and a receiver can decode whatever intervals arrive. A
//! frame without one is re-coded losslessly with the interval
//! `jpeg::restart::choose_interval` picks from the MTU and the frame's size,
//! in the same pass as any other re-coding; a frame that already has one is
//! sent as it is.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rtsp_core::jpeg::{self, recode, restart};
use rtsp_core::mjpeg;

use super::convert;
use super::recode::recode_into;

/// What was done to a frame that can be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// Nothing: it is sent as it is.
    Carried,
    /// It was what RFC 2435 carries but had no restart interval: re-coded
    /// losslessly only to add one.
    Restarted,
    /// Re-coded losslessly; why it had to be.
    Recoded(&'static str),
    /// Converted to 4:2:0 (lossy): from what, at what quality.
    Converted {
        /// The source's sampling or coding ("4:4:4", "gray"...).
        from: String,
        /// IJG quality of the re-encode.
        quality: u8,
    },
}

/// Why a frame cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The frame is damaged (or not a JPEG): skip it.
    Damaged(String),
    /// Only a lossy conversion could carry it, and `--strict` forbids one.
    Strict(String),
    /// It needs a conversion, but nothing here decodes it (12-bit,
    /// arithmetic, lossless JPEG).
    Undecodable(String),
}

/// How frames are prepared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Refuse frames that only a lossy conversion could carry (`--strict`).
    pub strict: bool,
    /// Give frames without a restart interval one chosen for packets of
    /// this many bytes (`--mtu`); `None` (`--no-restart`) leaves them
    /// without.
    pub restart_mtu: Option<usize>,
}

#[cfg(test)]
impl Options {
    /// `--strict`, restart intervals for the default MTU: how tests and
    /// the built-in clip prepare frames.
    pub const STRICT: Options = Options {
        strict: true,
        restart_mtu: Some(rtsp_core::limits::RTP_DEFAULT_MTU),
    };
}

/// Frame preparation with scratch buffers kept between frames.
#[derive(Debug, Default)]
pub struct Preparer {
    /// What to do.
    pub options: Options,
    coefficients: Vec<i16>,
}

impl Preparer {
    /// A preparer doing what `options` say.
    pub fn new(options: Options) -> Self {
        Preparer {
            options,
            ..Preparer::default()
        }
    }

    /// The restart interval for a frame of `mcus` MCUs and about `bytes`
    /// bytes of scan data: 0 (none) with restart intervals off.
    fn interval(&self, mcus: usize, bytes: usize) -> u16 {
        self.options
            .restart_mtu
            .map_or(0, |mtu| restart::choose_interval(mtu, mcus, bytes))
    }

    fn recode(
        &mut self,
        jpeg: &[u8],
        a: &recode::Analysis,
        out: &mut Vec<u8>,
    ) -> Result<(), Failure> {
        let mcus = restart::mcu_count(a.kind(), a.width(), a.height());
        let restart_interval = self.interval(mcus, jpeg.len());
        recode_into(
            jpeg,
            a,
            recode::Options { restart_interval },
            &mut self.coefficients,
            out,
        )
        .map_err(|e| Failure::Damaged(format!("cannot be re-coded: {e}")))
    }

    /// Makes `jpeg` carriable. On [`Done::Carried`] `out` is left alone
    /// (send `jpeg`); otherwise `out` holds the frame to send, which
    /// `jpeg::Frame::parse` accepts.
    pub fn prepare(&mut self, jpeg: &[u8], out: &mut Vec<u8>) -> Result<Done, Failure> {
        let plan = recode::plan(jpeg).map_err(|e| Failure::Damaged(e.to_string()))?;
        let done = match plan {
            recode::Plan::Carry(f) if f.restart() || self.options.restart_mtu.is_none() => {
                return Ok(Done::Carried);
            }
            recode::Plan::Carry(_) => {
                let a =
                    recode::Analysis::parse(jpeg).map_err(|e| Failure::Damaged(e.to_string()))?;
                self.recode(jpeg, &a, out)?;
                Done::Restarted
            }
            recode::Plan::Recode(a) => {
                self.recode(jpeg, &a, out)?;
                Done::Recoded(recode_reason(&a))
            }
            recode::Plan::Convert(why) => {
                let from = convert::source_name(&why);
                if self.options.strict {
                    return Err(Failure::Strict(format!(
                        "{from} needs a lossy conversion to 4:2:0 ({why}), and --strict \
                         forbids it; fix: drop --strict, or re-encode as 4:2:0: \
                         `ffmpeg -i IN -c:v mjpeg -pix_fmt yuvj420p -f mjpeg OUT.mjpeg`"
                    )));
                }
                // The encoder writes the restart interval (4:2:0 MCUs).
                let interval =
                    |w, h| self.interval(restart::mcu_count(jpeg::Type::Yuv420, w, h), jpeg.len());
                let quality =
                    convert::convert(jpeg, out, interval).map_err(|e| match (e, why) {
                        (convert::ConvertError::Unsupported(e), _) => Failure::Undecodable(
                            format!("{from} JPEG cannot be decoded here ({e})"),
                        ),
                        (
                            convert::ConvertError::Failed(e),
                            jpeg::Error::Precision { .. }
                            | jpeg::Error::Arithmetic
                            | jpeg::Error::Lossless,
                        ) => Failure::Undecodable(format!(
                            "{from} JPEG cannot be decoded here ({e})"
                        )),
                        (convert::ConvertError::Failed(e), _) => {
                            Failure::Damaged(format!("{from} frame does not decode: {e}"))
                        }
                    })?;
                Done::Converted { from, quality }
            }
        };
        // What was made must now be carried as it is; anything else is a
        // bug in the re-coder or the encoder, and the frame is not sent.
        match recode::plan(out) {
            Ok(recode::Plan::Carry(_)) => Ok(done),
            other => Err(Failure::Damaged(format!(
                "the {} frame is still not RFC 2435 baseline: {other:?}",
                match done {
                    Done::Converted { .. } => "converted",
                    _ => "re-coded",
                }
            ))),
        }
    }
}

/// Why a lossless re-code was needed, as the start-up line says it.
fn recode_reason(a: &recode::Analysis) -> &'static str {
    if a.progressive() {
        "progressive → baseline"
    } else if !a.standard_huffman() {
        "optimized Huffman → standard"
    } else if a.scans() > 1 {
        "several scans → one"
    } else {
        "→ one interleaved baseline scan"
    }
}

/// Damage ranges kept for the log; the rest are only counted.
const RANGES_LOGGED: usize = 3;

/// What was done to the frames of a clip or a stretch of live input.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Frames sent as they are.
    pub carried: u64,
    /// Frames re-coded losslessly, by reason.
    pub recoded: BTreeMap<&'static str, u64>,
    /// Frames converted, by source: count, lowest and highest quality.
    pub converted: BTreeMap<String, (u64, u8, u8)>,
    /// Damaged frames and stretches of garbage skipped.
    pub damaged: u64,
    /// The first few damages: where and why.
    pub damage_notes: Vec<String>,
    /// Frames refused because only a lossy conversion could carry them
    /// (`--strict`, live input), and the first reason.
    pub refused: u64,
    /// Why the first refused frame was refused.
    pub refused_note: Option<String>,
}

impl Tally {
    /// Counts a frame that can be sent.
    pub fn done(&mut self, d: &Done) {
        match d {
            Done::Carried => self.carried += 1,
            Done::Restarted => *self.recoded.entry("restart interval added").or_default() += 1,
            Done::Recoded(why) => *self.recoded.entry(why).or_default() += 1,
            Done::Converted { from, quality } => {
                let e = self
                    .converted
                    .entry(from.clone())
                    .or_insert((0, *quality, *quality));
                e.0 += 1;
                e.1 = e.1.min(*quality);
                e.2 = e.2.max(*quality);
            }
        }
    }

    /// Counts a damaged frame (or garbage) at `where_`.
    pub fn damaged(&mut self, where_: String, why: &str) {
        self.damaged += 1;
        if self.damage_notes.len() < RANGES_LOGGED {
            self.damage_notes.push(format!("{where_}: {why}"));
        }
    }

    /// Counts a frame refused under `--strict`.
    pub fn refused(&mut self, why: &str) {
        self.refused += 1;
        self.refused_note.get_or_insert_with(|| why.to_string());
    }

    /// Counts bytes the container reader passed over.
    pub fn skipped(&mut self, s: &mjpeg::Skip) {
        self.damaged(
            format!("bytes {}..{}", s.start, s.end),
            &s.reason.to_string(),
        );
    }

    /// Whether anything but carrying happened.
    pub fn is_plain(&self) -> bool {
        self.recoded.is_empty()
            && self.converted.is_empty()
            && self.damaged == 0
            && self.refused == 0
    }

    /// One line saying what was done, e.g. `100 frames re-coded losslessly
    /// (optimized Huffman → standard); 2 damaged frames skipped (bytes
    /// 1234..5678: garbage between frames, ...)`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (why, n) in &self.recoded {
            parts.push(format!("{} re-coded losslessly ({why})", frames(*n)));
        }
        for (from, (n, lo, hi)) in &self.converted {
            let q = if lo == hi {
                format!("{lo}")
            } else {
                format!("{lo}–{hi}")
            };
            parts.push(format!(
                "{} converted {from} → 4:2:0 (lossy, quality ≈ {q})",
                frames(*n)
            ));
        }
        if self.damaged > 0 {
            let mut s = format!("{} skipped (", damaged(self.damaged));
            let _ = write!(s, "{}", self.damage_notes.join("; "));
            if self.damaged > self.damage_notes.len() as u64 {
                s.push_str("; …");
            }
            s.push(')');
            parts.push(s);
        }
        if let Some(why) = &self.refused_note {
            parts.push(format!("{} refused ({why})", frames(self.refused)));
        }
        if parts.is_empty() {
            return "sent as is".into();
        }
        if self.carried > 0 && !(self.recoded.is_empty() && self.converted.is_empty()) {
            parts.push(format!("{} sent as is", frames(self.carried)));
        }
        parts.join("; ")
    }
}

fn frames(n: u64) -> String {
    if n == 1 {
        "1 frame".into()
    } else {
        format!("{n} frames")
    }
}

fn damaged(n: u64) -> String {
    if n == 1 {
        "1 damaged frame".into()
    } else {
        format!("{n} damaged frames")
    }
}

#[cfg(test)]
mod tests {
    use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

    use super::*;

    /// A 64×48 gradient encoded by jpeg-encoder with `sampling` and
    /// optimized Huffman tables or not.
    fn encoded(sampling: SamplingFactor, optimized: bool, gray: bool) -> Vec<u8> {
        let (w, h) = (64u16, 48u16);
        let px: Vec<u8> = (0..usize::from(w) * usize::from(h))
            .flat_map(|i| {
                let (x, y) = (i % 64, i / 64);
                [(x * 4) as u8, (y * 5) as u8, ((x + y) * 2) as u8]
            })
            .collect();
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out, 85);
        e.set_sampling_factor(sampling);
        e.set_optimized_huffman_tables(optimized);
        if gray {
            let luma: Vec<u8> = px.chunks(3).map(|p| p[0]).collect();
            e.encode(&luma, w, h, ColorType::Luma).unwrap();
        } else {
            e.encode(&px, w, h, ColorType::Rgb).unwrap();
        }
        out
    }

    fn prepared(jpeg: &[u8], strict: bool) -> (Result<Done, Failure>, Vec<u8>) {
        let mut out = Vec::new();
        let options = Options {
            strict,
            restart_mtu: None,
        };
        let r = Preparer::new(options).prepare(jpeg, &mut out);
        (r, out)
    }

    #[test]
    fn each_plan_ends_in_a_frame_rfc_2435_carries() {
        let (r, out) = prepared(&encoded(SamplingFactor::F_2_2, false, false), false);
        assert_eq!(r, Ok(Done::Carried));
        assert!(out.is_empty(), "carried frames are sent from the input");

        let (r, out) = prepared(&encoded(SamplingFactor::F_2_2, true, false), false);
        assert_eq!(r, Ok(Done::Recoded("optimized Huffman → standard")));
        assert!(jpeg::Frame::parse(&out).is_ok());

        for (sampling, gray, from) in [
            (SamplingFactor::F_1_1, false, "4:4:4"),
            (SamplingFactor::F_2_2, true, "gray"),
        ] {
            let src = encoded(sampling, false, gray);
            let (r, out) = prepared(&src, false);
            assert_eq!(
                r,
                Ok(Done::Converted {
                    from: from.into(),
                    quality: 85
                }),
                "{from}"
            );
            let f = jpeg::Frame::parse(&out).unwrap();
            assert_eq!((f.width(), f.height()), (64, 48));
            assert_eq!(f.kind(), jpeg::Type::Yuv420);
            let (r, _) = prepared(&src, true);
            assert!(matches!(r, Err(Failure::Strict(_))), "{from}: {r:?}");
        }
    }

    /// The pixels libjpeg-turbo's djpeg decodes (zune-jpeg 0.5 decodes
    /// jpeg-encoder's optimized-table frames a little differently).
    fn pixels(jpeg: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut child = std::process::Command::new("djpeg")
            .args(["-pnm"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("djpeg (libjpeg-turbo-progs) must be installed");
        child.stdin.take().unwrap().write_all(jpeg).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        out.stdout
    }

    /// With restart intervals on, every plan ends in a frame with one
    /// (DRI and RSTn), losslessly for all but the converted; a frame that
    /// has one already is sent as it is.
    #[test]
    fn restart_intervals_are_added_losslessly() {
        let mut prep = Preparer::new(Options::STRICT);
        for (optimized, why) in [
            (false, Done::Restarted),
            (true, Done::Recoded("optimized Huffman → standard")),
        ] {
            let src = encoded(SamplingFactor::F_2_2, optimized, false);
            let mut out = Vec::new();
            assert_eq!(prep.prepare(&src, &mut out), Ok(why));
            let f = jpeg::Frame::parse(&out).unwrap();
            let want = restart::choose_interval(1400, f.mcus(), src.len());
            assert_eq!(f.restart_interval(), want);
            assert!(want > 0);
            assert!(pixels(&out) == pixels(&src), "lossless");
            // Already restart-marked: carried.
            let mut again = Vec::new();
            assert_eq!(prep.prepare(&out, &mut again), Ok(Done::Carried));
        }
        let mut prep = Preparer::new(Options {
            strict: false,
            ..Options::STRICT
        });
        let mut out = Vec::new();
        let src = encoded(SamplingFactor::F_1_1, false, false);
        assert!(matches!(
            prep.prepare(&src, &mut out),
            Ok(Done::Converted { .. })
        ));
        assert!(jpeg::Frame::parse(&out).unwrap().restart());
    }

    #[test]
    fn damage_and_nothing_decodable_are_failures_not_panics() {
        let good = encoded(SamplingFactor::F_2_2, true, false);
        for cut in [0, 2, 20, good.len() / 2, good.len() - 2] {
            let (r, _) = prepared(&good[..cut], false);
            assert!(matches!(r, Err(Failure::Damaged(_))), "cut {cut}: {r:?}");
        }
        // A 12-bit frame (SOF1, P = 12): plan says convert, nothing here
        // decodes it.
        let mut twelve = encoded(SamplingFactor::F_1_1, false, false);
        let sof = twelve.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
        twelve[sof + 1] = 0xc1;
        twelve[sof + 4] = 12;
        let (r, _) = prepared(&twelve, false);
        assert!(matches!(r, Err(Failure::Undecodable(_))), "{r:?}");
    }

    /// zune-jpeg decodes a sequential frame split into several scans to
    /// wrong pixels, silently: such a frame needing conversion is refused
    /// with the reason, never converted into garbage. (cjpeg makes one.)
    #[test]
    fn several_sequential_scans_needing_conversion_are_refused() {
        let dir = std::env::temp_dir().join(format!("rtsp-server-scans-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ppm = dir.join("in.ppm");
        let mut bytes = b"P6\n32 16\n255\n".to_vec();
        bytes.extend((0..32 * 16 * 3).map(|i| (i * 7 % 251) as u8));
        std::fs::write(&ppm, bytes).unwrap();
        let script = dir.join("scans");
        std::fs::write(&script, "0: 0 63 0 0;\n1: 0 63 0 0;\n2: 0 63 0 0;\n").unwrap();
        let out = std::process::Command::new("cjpeg")
            .args(["-sample", "1x1", "-scans"])
            .arg(&script)
            .arg(&ppm)
            .output()
            .expect("cjpeg (libjpeg-turbo-progs) must be installed");
        std::fs::remove_dir_all(&dir).ok();
        assert!(out.status.success());
        let (r, _) = prepared(&out.stdout, false);
        match r {
            Err(Failure::Undecodable(why)) => assert!(why.contains("3 scans"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_tally_says_what_was_done() {
        let mut t = Tally::default();
        assert!(t.is_plain());
        for _ in 0..3 {
            t.done(&Done::Recoded("optimized Huffman → standard"));
        }
        t.done(&Done::Carried);
        t.skipped(&mjpeg::Skip {
            start: 1234,
            end: 5678,
            reason: mjpeg::SkipReason::Garbage,
        });
        assert_eq!(
            t.summary(),
            "3 frames re-coded losslessly (optimized Huffman → standard); 1 damaged frame \
             skipped (bytes 1234..5678: garbage between frames); 1 frame sent as is"
        );
        let mut t = Tally::default();
        t.done(&Done::Converted {
            from: "4:4:4".into(),
            quality: 85,
        });
        assert_eq!(
            t.summary(),
            "1 frame converted 4:4:4 → 4:2:0 (lossy, quality ≈ 85)"
        );
    }
}
