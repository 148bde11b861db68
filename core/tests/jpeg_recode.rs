//! The lossless re-coder (`jpeg::recode`) on real frames made at test time
//! by ffmpeg and libjpeg-turbo's cjpeg: optimized and standard Huffman
//! tables, with and without DHT, progressive, restart-marked, several
//! sequential scans; 4:2:0 and 4:2:2; sizes that are not multiples of 16
//! and wider than RFC 2435's 2040 px.
//!
//! For each frame: `plan` names the right work; zune-jpeg decodes the same
//! pixels from the re-coded frame as from the original; the entropy-coded
//! segment equals `jpegtran -copy none`'s byte for byte, and with a restart
//! interval of N MCUs equals `jpegtran -copy none -restart NB`'s. A missing
//! tool fails the test.

mod recode_support;

use rtsp_core::jpeg::recode::{self, Analysis, Options, Plan};
use rtsp_core::jpeg::{Error, Frame, Type};

use recode_support::{
    cjpeg, decode, djpeg, entropy, ffmpeg, jpegtran, ppm, recode_vec, without, TempDir,
};

/// Which tool makes a frame, and with what arguments. In cjpeg arguments,
/// `@SEQ` names a script of three non-interleaved sequential scans and
/// `@MIXED` one of a Y scan then an interleaved Cb+Cr scan.
#[derive(Clone, Copy, Debug)]
enum Tool {
    Ffmpeg(&'static [&'static str]),
    Cjpeg(&'static [&'static str]),
}

#[derive(Clone, Copy, Debug)]
struct Case {
    tool: Tool,
    w: usize,
    h: usize,
    /// Remove the DHT segments (as UVC cameras send frames): the decoder
    /// takes the K.3 tables.
    strip_dht: bool,
}

const fn case(tool: Tool, w: usize, h: usize) -> Case {
    Case {
        tool,
        w,
        h,
        strip_dht: false,
    }
}

const SEQ_SCRIPT: &str = "0: 0 63 0 0;\n1: 0 63 0 0;\n2: 0 63 0 0;\n";
const MIXED_SCRIPT: &str = "0: 0 63 0 0;\n1 2: 0 63 0 0;\n";

/// What the way a frame was made implies about it.
struct Expect {
    progressive: bool,
    several_scans: bool,
    standard_huffman: bool,
    kind: Type,
}

impl Case {
    fn args(&self) -> &'static [&'static str] {
        match self.tool {
            Tool::Ffmpeg(a) | Tool::Cjpeg(a) => a,
        }
    }

    fn has(&self, arg: &str) -> bool {
        self.args().contains(&arg)
    }

    fn expect(&self) -> Expect {
        let progressive = self.has("-progressive");
        let standard_huffman = match self.tool {
            Tool::Ffmpeg(_) => self.has("default"),
            // libjpeg always optimizes a progressive frame's tables.
            Tool::Cjpeg(_) => !self.has("-optimize") && !progressive,
        };
        Expect {
            progressive,
            several_scans: progressive || self.has("@SEQ") || self.has("@MIXED"),
            standard_huffman: standard_huffman || self.strip_dht,
            kind: if self.has("2x1") {
                Type::Yuv422
            } else {
                Type::Yuv420
            },
        }
    }

    /// The frame, and the same before its DHT segments were stripped (for
    /// zune-jpeg, which does not take a frame without DHT).
    fn make(&self, dir: &TempDir, seed: u32) -> (Vec<u8>, Vec<u8>) {
        let src = ppm(dir, self.w, self.h, seed);
        let jpeg = match self.tool {
            Tool::Ffmpeg(args) => ffmpeg(dir, &src, &format!("ff-{seed}.jpg"), args),
            Tool::Cjpeg(args) => {
                let seq = dir.path("seq.txt");
                let mixed = dir.path("mixed.txt");
                std::fs::write(&seq, SEQ_SCRIPT).unwrap();
                std::fs::write(&mixed, MIXED_SCRIPT).unwrap();
                let args: Vec<&str> = args
                    .iter()
                    .map(|a| match *a {
                        "@SEQ" => seq.to_str().unwrap(),
                        "@MIXED" => mixed.to_str().unwrap(),
                        a => a,
                    })
                    .collect();
                cjpeg(&src, &args)
            }
        };
        if self.strip_dht {
            (without(&jpeg, 0xc4), jpeg)
        } else {
            (jpeg.clone(), jpeg)
        }
    }
}

/// MCUs across and down, and blocks per MCU, from the size and sampling
/// (T.81 §A.2).
fn mcus(w: usize, h: usize, kind: Type) -> (usize, usize, usize) {
    let v = if kind == Type::Yuv420 { 2 } else { 1 };
    (w.div_ceil(16), h.div_ceil(8 * v), 2 * v + 2)
}

/// The smallest interval (> 1) that does not divide `n` MCUs.
fn not_dividing(n: usize) -> u16 {
    (2..).find(|k| n % k != 0).unwrap() as u16
}

fn check(dir: &TempDir, c: Case, seed: u32) {
    let what = format!("{c:?}");
    let (jpeg, with_dht) = c.make(dir, seed);
    let e = c.expect();
    let (mx, my, blocks) = mcus(c.w, c.h, e.kind);

    // What the frame is, and what plan() makes of it.
    let a = Analysis::parse(&jpeg).unwrap_or_else(|err| panic!("{what}: analysis: {err}"));
    assert_eq!(
        (a.width(), a.height(), a.kind()),
        (c.w as u16, c.h as u16, e.kind),
        "{what}"
    );
    assert_eq!(a.progressive(), e.progressive, "{what}");
    assert_eq!(a.standard_huffman(), e.standard_huffman, "{what}");
    assert_eq!(
        a.scans() > 1,
        e.several_scans,
        "{what}: {} scans",
        a.scans()
    );
    assert_eq!(a.streams(), !e.several_scans, "{what}");
    let coefficients = if a.streams() {
        0
    } else {
        mx * my * blocks * 64
    };
    assert_eq!(a.coefficients_len(), coefficients, "{what}");
    match recode::plan(&jpeg) {
        Ok(Plan::Carry(f)) => {
            assert!(e.standard_huffman && !e.several_scans, "{what}: carried");
            assert_eq!(
                (f.width(), f.height(), f.kind()),
                (a.width(), a.height(), e.kind)
            );
        }
        Ok(Plan::Recode(p)) => {
            assert!(!e.standard_huffman || e.several_scans, "{what}: re-coded");
            assert_eq!(p, a, "{what}");
        }
        other => panic!("{what}: plan {other:?}"),
    }

    // Re-coded without restart markers.
    let out = recode_vec(&jpeg, Options::default()).unwrap_or_else(|err| panic!("{what}: {err}"));
    let f = Frame::parse(&out).unwrap_or_else(|err| panic!("{what}: output: {err}"));
    assert_eq!(
        (f.width(), f.height(), f.kind(), f.restart_interval()),
        (a.width(), a.height(), e.kind, 0),
        "{what}"
    );
    let reference = jpegtran(dir, &jpeg, &[]);
    assert_same_entropy(&what, &out, &reference);
    let pixels = Pixels::of(dir, &jpeg, &with_dht, &e);
    pixels.check(dir, &what, &out);

    // The buffers: an output buffer of exactly the size works, one byte less
    // asks for more; a coefficient buffer one short asks for exactly enough.
    let mut coef = vec![0i16; coefficients];
    let mut exact = vec![0u8; out.len()];
    assert_eq!(
        recode::recode(&jpeg, Options::default(), &mut coef, &mut exact),
        Ok(out.len()),
        "{what}"
    );
    assert_eq!(exact, out, "{what}: same output twice");
    match recode::recode(
        &jpeg,
        Options::default(),
        &mut coef,
        &mut exact[..out.len() - 1],
    ) {
        Err(Error::BufferTooSmall { required }) => {
            assert!(required >= out.len(), "{what}: required {required}")
        }
        r => panic!("{what}: output one byte short: {r:?}"),
    }
    if coefficients > 0 {
        assert_eq!(
            recode::recode(
                &jpeg,
                Options::default(),
                &mut coef[..coefficients - 1],
                &mut exact
            ),
            Err(Error::BufferTooSmall {
                required: coefficients
            }),
            "{what}"
        );
    }

    // Restart intervals: every MCU, one that does not divide the MCU count,
    // and one longer than the frame.
    let n = mx * my;
    for (i, ri) in [1, not_dividing(n), (n + 1) as u16].into_iter().enumerate() {
        let what = format!("{what}, restart {ri}");
        let out = recode_vec(
            &jpeg,
            Options {
                restart_interval: ri,
            },
        )
        .unwrap_or_else(|err| panic!("{what}: {err}"));
        let f = Frame::parse(&out).unwrap_or_else(|err| panic!("{what}: output: {err}"));
        assert_eq!(f.restart_interval(), ri, "{what}");
        let reference = jpegtran(dir, &jpeg, &["-restart", &format!("{ri}B")]);
        assert_same_entropy(&what, &out, &reference);
        if i == 1 {
            pixels.check(dir, &what, &out);
        }
    }
}

/// The original's pixels as two decoders see them: libjpeg-turbo's djpeg,
/// and zune-jpeg unless the original has several sequential scans, which
/// zune-jpeg 0.5.15 decodes wrongly (etemesi254/zune-image#422, #448: it
/// disagrees with libjpeg-turbo and ffmpeg on cjpeg's non-interleaved
/// frames, where those two agree with each other).
struct Pixels {
    djpeg: Vec<u8>,
    zune: Option<(usize, usize, Vec<u8>)>,
}

impl Pixels {
    fn of(dir: &TempDir, jpeg: &[u8], with_dht: &[u8], e: &Expect) -> Self {
        let non_interleaved = e.several_scans && !e.progressive;
        Pixels {
            djpeg: djpeg(dir, jpeg),
            zune: (!non_interleaved).then(|| decode(with_dht)),
        }
    }

    fn check(&self, dir: &TempDir, what: &str, out: &[u8]) {
        assert!(
            djpeg(dir, out) == self.djpeg,
            "{what}: djpeg decodes other pixels after re-coding"
        );
        if let Some(zune) = &self.zune {
            assert!(
                decode(out) == *zune,
                "{what}: zune-jpeg decodes other pixels after re-coding"
            );
        }
    }
}

fn assert_same_entropy(what: &str, ours: &[u8], reference: &[u8]) {
    let (a, b) = (entropy(ours), entropy(reference));
    assert!(!b.is_empty(), "{what}: jpegtran wrote no scan data");
    if a != b {
        let at = a
            .iter()
            .zip(b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        panic!(
            "{what}: entropy-coded segment differs from jpegtran's at byte {at} \
             (ours {} bytes, jpegtran {} bytes)",
            a.len(),
            b.len()
        );
    }
}

fn check_all(name: &str, cases: &[Case]) {
    let dir = TempDir::new(name);
    for (i, c) in cases.iter().enumerate() {
        check(&dir, *c, i as u32 + 1);
    }
}

const FF_OPT: &[&str] = &["-pix_fmt", "yuvj420p"];
const FF_DEFAULT: &[&str] = &["-pix_fmt", "yuvj420p", "-huffman", "default"];

#[test]
fn ffmpeg_optimized_huffman() {
    check_all(
        "recode-ff-opt",
        &[
            case(Tool::Ffmpeg(FF_OPT), 33, 17),
            case(Tool::Ffmpeg(FF_OPT), 100, 75),
            case(Tool::Ffmpeg(FF_OPT), 1000, 563),
            case(Tool::Ffmpeg(FF_OPT), 2100, 40),
        ],
    );
}

#[test]
fn ffmpeg_default_huffman_with_and_without_dht() {
    check_all(
        "recode-ff-default",
        &[
            case(Tool::Ffmpeg(FF_DEFAULT), 100, 75),
            Case {
                strip_dht: true,
                ..case(Tool::Ffmpeg(FF_DEFAULT), 33, 17)
            },
        ],
    );
}

#[test]
fn cjpeg_optimized() {
    check_all(
        "recode-cjpeg-opt",
        &[
            case(Tool::Cjpeg(&["-optimize"]), 33, 17),
            case(Tool::Cjpeg(&["-optimize", "-sample", "2x1"]), 100, 75),
            case(Tool::Cjpeg(&["-optimize", "-quality", "95"]), 1000, 563),
            case(Tool::Cjpeg(&["-sample", "2x1"]), 33, 17),
            case(Tool::Cjpeg(&["-optimize"]), 17, 9),
        ],
    );
}

#[test]
fn cjpeg_progressive() {
    check_all(
        "recode-cjpeg-prog",
        &[
            case(Tool::Cjpeg(&["-progressive"]), 33, 17),
            case(Tool::Cjpeg(&["-progressive", "-sample", "2x1"]), 100, 75),
            case(Tool::Cjpeg(&["-progressive", "-quality", "90"]), 1000, 563),
            case(Tool::Cjpeg(&["-progressive"]), 2100, 40),
            case(Tool::Cjpeg(&["-progressive", "-restart", "3B"]), 100, 75),
            case(Tool::Cjpeg(&["-progressive", "-sample", "2x1"]), 33, 17),
            case(Tool::Cjpeg(&["-progressive", "-sample", "2x1"]), 40, 2100),
            case(Tool::Cjpeg(&["-progressive"]), 1, 1),
        ],
    );
}

#[test]
fn cjpeg_restart_markers() {
    check_all(
        "recode-cjpeg-restart",
        &[
            case(Tool::Cjpeg(&["-restart", "2B"]), 100, 75),
            case(Tool::Cjpeg(&["-optimize", "-restart", "1"]), 100, 75),
            case(
                Tool::Cjpeg(&["-optimize", "-sample", "2x1", "-restart", "5B"]),
                33,
                17,
            ),
        ],
    );
}

#[test]
fn cjpeg_several_sequential_scans() {
    check_all(
        "recode-cjpeg-scans",
        &[
            case(Tool::Cjpeg(&["-scans", "@SEQ"]), 33, 17),
            case(
                Tool::Cjpeg(&["-scans", "@SEQ", "-optimize", "-sample", "2x1"]),
                100,
                75,
            ),
            case(
                Tool::Cjpeg(&["-scans", "@MIXED", "-restart", "2B"]),
                100,
                75,
            ),
            case(Tool::Cjpeg(&["-scans", "@SEQ", "-optimize"]), 2100, 40),
            Case {
                strip_dht: true,
                ..case(Tool::Cjpeg(&["-scans", "@SEQ"]), 100, 75)
            },
        ],
    );
}

/// What cannot be re-coded losslessly goes to conversion, naming why;
/// `recode` refuses it with the same error.
#[test]
fn plan_sends_the_rest_to_conversion() {
    let dir = TempDir::new("recode-convert");
    let src = ppm(&dir, 48, 32, 9);
    let sampling = |h, v, chroma_h, chroma_v| Error::Sampling {
        h,
        v,
        chroma_h,
        chroma_v,
    };
    let cases: [(&str, Vec<u8>, Error); 6] = [
        (
            "ffmpeg yuvj422p (Y 2x2, chroma 1x2)",
            ffmpeg(&dir, &src, "y422.jpg", &["-pix_fmt", "yuvj422p"]),
            sampling(2, 2, 1, 2),
        ),
        (
            "cjpeg 4:4:4",
            cjpeg(&src, &["-sample", "1x1"]),
            sampling(1, 1, 1, 1),
        ),
        (
            "cjpeg 4:4:4 progressive",
            cjpeg(&src, &["-sample", "1x1", "-progressive"]),
            sampling(1, 1, 1, 1),
        ),
        (
            "cjpeg 4:1:1",
            cjpeg(&src, &["-sample", "4x1"]),
            sampling(4, 1, 1, 1),
        ),
        (
            "cjpeg grayscale",
            cjpeg(&src, &["-grayscale"]),
            Error::Grayscale,
        ),
        (
            "cjpeg arithmetic",
            cjpeg(&src, &["-arithmetic"]),
            Error::Arithmetic,
        ),
    ];
    for (what, jpeg, err) in cases {
        assert_eq!(recode::plan(&jpeg), Ok(Plan::Convert(err)), "{what}");
        assert_eq!(Analysis::parse(&jpeg), Err(err), "{what}");
        assert_eq!(recode_vec(&jpeg, Options::default()), Err(err), "{what}");
    }
    assert_eq!(recode::plan(b"GIF89a"), Err(Error::NotJpeg));
}
