//! Bad input into the re-coder (`jpeg::recode`): truncated real frames,
//! absurd Huffman tables, huge dimensions, too many scans, coefficients the
//! baseline tables cannot code, random byte flips. Each gets an error (or,
//! where the damage leaves a valid frame, an output `Frame::parse` accepts);
//! never a panic, never a hang. Where libjpeg-turbo's `jpegtran` decides the
//! same question, the answers agree.

mod recode_support;

use std::process::Command;
use std::time::Duration;

use rtsp_core::jpeg::recode::{self, Analysis, Options, Plan};
use rtsp_core::jpeg::{Error, Frame};
use rtsp_core::limits::JPEG_MAX_SCANS;

use recode_support::{
    cjpeg, entropy, ffmpeg, jpegtran, ppm, recode_vec, segments, within, Seg, TempDir,
};

/// Coefficient buffers beyond this many `i16` are not given (16 MB).
const COEFFICIENTS_CAP: usize = 1 << 23;
const LIMIT: Duration = Duration::from_secs(120);

/// Buffers reused across many attempts.
struct Bufs {
    coefficients: Vec<i16>,
    out: Vec<u8>,
}

impl Bufs {
    fn new() -> Self {
        Bufs {
            coefficients: Vec::new(),
            out: vec![0; 1 << 20],
        }
    }

    /// Every entry point on `jpeg`: `plan`, `Analysis::parse` and `recode`
    /// (with a restart interval from `restart`). An `Ok` output must parse
    /// as the frame the analysis described.
    fn attempt(&mut self, jpeg: &[u8], restart: u16) -> Result<usize, Error> {
        let plan = recode::plan(jpeg);
        let analysis = Analysis::parse(jpeg);
        if let Ok(Plan::Recode(a)) = plan {
            assert_eq!(analysis, Ok(a));
        }
        let need = analysis.map_or(0, |a| a.coefficients_len());
        let give = need.min(COEFFICIENTS_CAP);
        if self.coefficients.len() < give {
            self.coefficients.resize(give, 0);
        }
        let options = Options {
            restart_interval: restart,
        };
        let r = recode::recode(jpeg, options, &mut self.coefficients[..give], &mut self.out);
        match r {
            Ok(n) => {
                let a = analysis.expect("recode succeeded, so the analysis did");
                let f = Frame::parse(&self.out[..n])
                    .unwrap_or_else(|e| panic!("output of recode does not parse: {e}"));
                assert_eq!(
                    (f.width(), f.height(), f.kind(), f.restart_interval()),
                    (a.width(), a.height(), a.kind(), restart)
                );
            }
            Err(Error::BufferTooSmall { required }) => {
                assert!(
                    required > self.out.len() || (give < need && required == need),
                    "BufferTooSmall {{ {required} }} with {give} coefficients and {} bytes",
                    self.out.len()
                );
            }
            Err(_) => {}
        }
        r
    }
}

/// Small real frames of each kind the re-coder takes.
fn frames(dir: &TempDir) -> Vec<(&'static str, Vec<u8>)> {
    let src = ppm(dir, 40, 24, 3);
    let seq = dir.path("seq.txt");
    std::fs::write(&seq, "0: 0 63 0 0;\n1: 0 63 0 0;\n2: 0 63 0 0;\n").unwrap();
    let seq = seq.to_str().unwrap();
    vec![
        ("progressive", cjpeg(&src, &["-progressive"])),
        (
            "progressive 4:2:2 with restarts",
            cjpeg(&src, &["-progressive", "-sample", "2x1", "-restart", "1B"]),
        ),
        (
            "ffmpeg optimized",
            ffmpeg(dir, &src, "ff.jpg", &["-pix_fmt", "yuvj420p"]),
        ),
        (
            "optimized with restarts",
            cjpeg(&src, &["-optimize", "-restart", "2B"]),
        ),
        ("several sequential scans", cjpeg(&src, &["-scans", seq])),
    ]
}

#[test]
fn garbage_is_refused() {
    let mut b = Bufs::new();
    for g in [
        &[][..],
        &[0xff],
        &[0xff, 0xd8],
        &[0xff, 0xd8, 0xff, 0xd9],
        &[0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0xff, 0xd9],
        &[0xff, 0xd8, 0xff, 0xc2, 0x00, 0x02, 0xff, 0xd9],
        &[0xff, 0xd8, 0xff, 0xc0, 0xff, 0xff, 0xff, 0xd9],
        b"GIF89a",
    ] {
        assert!(b.attempt(g, 0).is_err(), "{g:02x?}");
    }
}

/// Every prefix of a real frame is refused (it has no EOI); every prefix
/// with EOI put back gives an error or (a progressive frame cut between
/// scans) a frame that parses.
#[test]
fn truncation_at_every_offset() {
    within(LIMIT, "truncations", || {
        let dir = TempDir::new("recode-trunc");
        let mut b = Bufs::new();
        for (what, jpeg) in frames(&dir) {
            assert!(b.attempt(&jpeg, 0).is_ok(), "{what}: whole frame");
            for n in 0..jpeg.len() {
                let cut = &jpeg[..n];
                assert!(b.attempt(cut, 0).is_err(), "{what}: {n} bytes");
                let mut ended = cut.to_vec();
                ended.extend_from_slice(&[0xff, 0xd9]);
                let _ = b.attempt(&ended, (n % 3) as u16);
            }
        }
    });
}

/// Inserts a segment just before the first SOS.
fn insert_before_sos(jpeg: &[u8], marker: u8, body: &[u8]) -> Vec<u8> {
    let at = segments(jpeg)
        .iter()
        .find(|s| s.marker == 0xda)
        .unwrap()
        .start;
    insert_at(jpeg, at, marker, body)
}

/// Where the first scan starts that uses a DC table, and that table; the
/// same for an AC table (T.81 §B.2.3: Td, Ta of the scan's first component;
/// a progressive scan with Ss = 0 codes DC only, Ah > 0 refines DC without
/// tables).
fn used_tables(jpeg: &[u8]) -> Vec<(usize, u8)> {
    let mut v = Vec::new();
    let (mut dc, mut ac) = (false, false);
    for s in segments(jpeg).into_iter().filter(|s| s.marker == 0xda) {
        let ns = usize::from(jpeg[s.body]);
        let tables = jpeg[s.body + 2];
        let [ss, se, ahal] = jpeg[s.body + 1 + 2 * ns..s.body + 4 + 2 * ns] else {
            unreachable!()
        };
        if !dc && ss == 0 && ahal >> 4 == 0 {
            v.push((s.start, tables >> 4));
            dc = true;
        }
        if !ac && se > 0 {
            v.push((s.start, 0x10 | (tables & 0x0f)));
            ac = true;
        }
    }
    v
}

fn insert_at(jpeg: &[u8], at: usize, marker: u8, body: &[u8]) -> Vec<u8> {
    let mut v = jpeg[..at].to_vec();
    v.extend_from_slice(&segment(marker, body));
    v.extend_from_slice(&jpeg[at..]);
    v
}

fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![0xff, marker];
    v.extend_from_slice(&u16::try_from(body.len() + 2).unwrap().to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// A DHT body: class and id, code counts per length 1..=16, then values.
fn dht(class_id: u8, counts: &[u8], values: &[u8]) -> Vec<u8> {
    let mut v = vec![class_id];
    let mut c = [0u8; 16];
    c[..counts.len()].copy_from_slice(counts);
    v.extend_from_slice(&c);
    v.extend_from_slice(values);
    v
}

#[test]
fn absurd_huffman_tables() {
    let dir = TempDir::new("recode-dht");
    let mut b = Bufs::new();
    for (what, jpeg) in frames(&dir) {
        // More codes of a length than there are bit patterns: not a prefix
        // code (T.81 Annex C). Defined just before the first scan that uses
        // it (libjpeg checks a table when a scan uses it).
        for (at, class_id) in used_tables(&jpeg) {
            for (counts, n) in [(&[3u8][..], 3), (&[1, 3, 5][..], 9)] {
                let j = insert_at(&jpeg, at, 0xc4, &dht(class_id, counts, &vec![0; n]));
                assert_eq!(
                    b.attempt(&j, 0),
                    Err(Error::HuffmanTable),
                    "{what}: over-subscribed table {class_id:02x} {counts:?}"
                );
            }
        }
        // More than 256 values.
        let mut counts = [0u8; 16];
        counts[14] = 200;
        counts[15] = 100;
        let j = insert_before_sos(&jpeg, 0xc4, &dht(0x00, &counts, &[0; 300]));
        assert!(b.attempt(&j, 0).is_err(), "{what}: 300 values");
        // Counts promising more values than the segment holds.
        let j = insert_before_sos(&jpeg, 0xc4, &dht(0x10, &[0, 2, 1, 3], &[1, 2]));
        assert!(b.attempt(&j, 0).is_err(), "{what}: short DHT");
        // Table class 2, table id 7.
        for class_id in [0x20, 0x07] {
            let j = insert_before_sos(&jpeg, 0xc4, &dht(class_id, &[0, 1], &[0]));
            assert!(b.attempt(&j, 0).is_err(), "{what}: DHT {class_id:02x}");
        }
        // Scans naming tables 3, never defined.
        let mut j = jpeg.clone();
        for sos in segments(&jpeg).into_iter().filter(|s| s.marker == 0xda) {
            let ns = usize::from(j[sos.body]);
            for k in 0..ns {
                j[sos.body + 2 + 2 * k] = 0x33;
            }
        }
        assert_eq!(
            b.attempt(&j, 0),
            Err(Error::HuffmanTable),
            "{what}: undefined table"
        );
        // Valid tables that do not fit the data (an incomplete one, one with
        // DC categories beyond 11): whatever comes out, no panic, and any
        // output parses.
        for (class_id, counts, values) in [
            (0x00, &[0u8; 16][..], &[][..]),
            (
                0x10,
                &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1][..],
                &[0][..],
            ),
            (0x00, &[0, 3][..], &[13, 15, 255][..]),
            (0x01, &[0, 3][..], &[16, 200, 255][..]),
            (0x10, &[0, 3][..], &[0xf0, 0x0f, 0xff][..]),
        ] {
            let j = insert_before_sos(&jpeg, 0xc4, &dht(class_id, counts, values));
            let _ = b.attempt(&j, 1);
        }
    }
}

/// Scan headers that name no frame component, or (progressive) spectral
/// selection and successive approximation T.81 §G.1.1.1.1 forbids.
#[test]
fn bad_scan_headers() {
    let dir = TempDir::new("recode-sos");
    let mut b = Bufs::new();
    for (what, jpeg) in frames(&dir) {
        let scans: Vec<Seg> = segments(&jpeg)
            .into_iter()
            .filter(|s| s.marker == 0xda)
            .collect();
        let mut j = jpeg.clone();
        j[scans[0].body + 1] = 9;
        assert_eq!(b.attempt(&j, 0), Err(Error::Scan), "{what}: component 9");
        if !what.starts_with("progressive") {
            continue;
        }
        for (i, s) in scans.iter().enumerate() {
            let at = s.body + 1 + 2 * usize::from(jpeg[s.body]);
            let [ss, se, ahal] = [jpeg[at], jpeg[at + 1], jpeg[at + 2]];
            let mut bad = vec![
                [ss, 64, ahal],      // Se beyond 63
                [ss, se, ahal | 14], // Al of 14
            ];
            if ss == 0 {
                bad.push([0, 5, ahal]); // DC with AC
            } else {
                bad.push([se + 1, se, ahal]); // Ss > Se
            }
            for p in bad {
                let mut j = jpeg.clone();
                j[at..at + 3].copy_from_slice(&p);
                assert!(
                    b.attempt(&j, 0).is_err(),
                    "{what}: scan {i} with Ss, Se, AhAl {p:?}"
                );
            }
        }
    }
}

/// Rewrites the frame size in the SOF.
fn resize(jpeg: &[u8], w: u16, h: u16) -> Vec<u8> {
    let mut j = jpeg.to_vec();
    let sof = segments(&j)
        .into_iter()
        .find(|s| matches!(s.marker, 0xc0..=0xc2))
        .unwrap();
    j[sof.body + 1..sof.body + 3].copy_from_slice(&h.to_be_bytes());
    j[sof.body + 3..sof.body + 5].copy_from_slice(&w.to_be_bytes());
    j
}

#[test]
fn huge_dimensions() {
    within(LIMIT, "huge dimensions", || {
        let dir = TempDir::new("recode-huge");
        let src = ppm(&dir, 16, 16, 4);
        let mut b = Bufs::new();
        for (what, jpeg, vmax) in [
            ("progressive 4:2:0", cjpeg(&src, &["-progressive"]), 2u128),
            (
                "progressive 4:2:2",
                cjpeg(&src, &["-progressive", "-sample", "2x1"]),
                1,
            ),
            (
                "sequential scans",
                cjpeg(&src, &["-scans", &seq_script(&dir)]),
                2,
            ),
            (
                "ffmpeg optimized",
                ffmpeg(&dir, &src, "f.jpg", &["-pix_fmt", "yuvj420p"]),
                2,
            ),
        ] {
            let j = resize(&jpeg, 65535, 65535);
            let a = Analysis::parse(&j).unwrap_or_else(|e| panic!("{what}: {e}"));
            // 64 coefficients per block, 2*vmax+2 blocks per MCU.
            let expect = if a.streams() {
                0
            } else {
                65535u128.div_ceil(16) * 65535u128.div_ceil(8 * vmax) * (2 * vmax + 2) * 64
            };
            assert_eq!(a.coefficients_len() as u128, expect, "{what}");
            let r = b.attempt(&j, 0);
            if a.streams() {
                assert!(r.is_err(), "{what}: {r:?}");
            } else {
                assert_eq!(
                    r,
                    Err(Error::BufferTooSmall {
                        required: expect as usize
                    }),
                    "{what}"
                );
            }
            for (w, h) in [(0, 16), (16, 0)] {
                assert_eq!(
                    b.attempt(&resize(&jpeg, w, h), 0),
                    Err(Error::Dimensions {
                        width: w,
                        height: h
                    }),
                    "{what}"
                );
            }
            // A frame bigger than its data: the data ends before the last MCU.
            let r = b.attempt(&resize(&jpeg, 1000, 600), 0);
            assert!(
                matches!(r, Err(Error::EntropyData { .. })),
                "{what}: 1000x600 from 16x16 data: {r:?}"
            );
        }
    });
}

fn seq_script(dir: &TempDir) -> String {
    let p = dir.path("seq.txt");
    std::fs::write(&p, "0: 0 63 0 0;\n1: 0 63 0 0;\n2: 0 63 0 0;\n").unwrap();
    p.to_str().unwrap().to_owned()
}

/// A progressive scan script of exactly `JPEG_MAX_SCANS` scans: DC, then
/// one scan per AC coefficient.
fn max_scans_script() -> String {
    let mut s = String::from("0 1 2: 0 0 0 0;\n");
    let mut n = 1;
    'out: for c in 0..3 {
        for k in 1..=63 {
            if n == JPEG_MAX_SCANS {
                break 'out;
            }
            s += &format!("{c}: {k} {k} 0 0;\n");
            n += 1;
        }
    }
    s
}

#[test]
fn too_many_scans() {
    let dir = TempDir::new("recode-scans");
    let src = ppm(&dir, 24, 16, 5);
    let script = dir.path("max.txt");
    std::fs::write(&script, max_scans_script()).unwrap();
    let jpeg = cjpeg(&src, &["-scans", script.to_str().unwrap()]);
    let segs = segments(&jpeg);
    let scans: Vec<&Seg> = segs.iter().filter(|s| s.marker == 0xda).collect();
    assert_eq!(scans.len(), JPEG_MAX_SCANS);
    // At the limit: taken, and re-coded as jpegtran does.
    let a = Analysis::parse(&jpeg).unwrap();
    assert_eq!(usize::from(a.scans()), JPEG_MAX_SCANS);
    let out = recode_vec(&jpeg, Options::default()).unwrap();
    assert!(entropy(&out) == entropy(&jpegtran(&dir, &jpeg, &[])));
    // Beyond it: the last scan repeated (and, for 300 scans, counts beyond
    // a u8).
    let last = scans[scans.len() - 1];
    for extra in [1, 200] {
        let mut j = jpeg[..last.end].to_vec();
        for _ in 0..extra {
            j.extend_from_slice(&jpeg[last.start..last.end]);
        }
        j.extend_from_slice(&jpeg[last.end..]);
        assert_eq!(Analysis::parse(&j), Err(Error::Scan), "{extra} more");
        assert_eq!(Bufs::new().attempt(&j, 0), Err(Error::Scan), "{extra} more");
    }
}

/// T.81 Annex F entropy coding, by hand: bits MSB first, 0xFF stuffed,
/// padded with 1s.
#[derive(Default)]
struct Bits {
    bytes: Vec<u8>,
    acc: u8,
    n: u32,
}

impl Bits {
    fn put(&mut self, v: u32, len: u32) {
        for i in (0..len).rev() {
            self.acc = self.acc << 1 | (v >> i & 1) as u8;
            self.n += 1;
            if self.n == 8 {
                self.bytes.push(self.acc);
                if self.acc == 0xff {
                    self.bytes.push(0);
                }
                (self.acc, self.n) = (0, 0);
            }
        }
    }

    /// A value's magnitude category and extra bits (T.81 §F.1.2.1).
    fn value(&mut self, v: i32) {
        let n = u32::from(category(v));
        let bits = if v < 0 { v + (1 << n) - 1 } else { v };
        self.put(bits as u32, n);
    }

    fn finish(mut self) -> Vec<u8> {
        while self.n != 0 {
            self.put(1, 1);
        }
        self.bytes
    }
}

/// The hand-made frames' DC table (T.81 Table K.3: categories 0-11) and
/// AC table (EOB, run 0 size 10, run 0 size 11), used by every component.
const DC_TABLE: ([u8; 9], [u8; 12]) = (
    [0, 1, 5, 1, 1, 1, 1, 1, 1],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
);
const AC_TABLE: ([u8; 3], [u8; 3]) = ([1, 1, 1], [0x00, 0x0a, 0x0b]);

/// The canonical Huffman code of `symbol` (T.81 Annex C).
fn code(counts: &[u8], values: &[u8], symbol: u8) -> (u32, u32) {
    let (mut code, mut k) = (0, 0);
    for (len, &n) in (1..).zip(counts) {
        for _ in 0..n {
            if values[k] == symbol {
                return (code, len);
            }
            code += 1;
            k += 1;
        }
        code <<= 1;
    }
    panic!("no code for {symbol:02x}");
}

fn category(v: i32) -> u8 {
    (32 - v.unsigned_abs().leading_zeros()) as u8
}

fn dc(b: &mut Bits, diff: i32) {
    let (c, len) = code(&DC_TABLE.0, &DC_TABLE.1, category(diff));
    b.put(c, len);
    b.value(diff);
}

/// A run-0 AC coefficient, or EOB for 0.
fn ac(b: &mut Bits, v: i32) {
    let (c, len) = code(&AC_TABLE.0, &AC_TABLE.1, category(v));
    b.put(c, len);
    b.value(v);
}

/// A 4:2:0 frame made by hand: quantization tables of 1s, the tables of
/// [`dc`] and [`ac`] for every component, and the given scans (SOS body,
/// entropy-coded data).
fn handmade(sof: u8, w: u16, h: u16, scans: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut j = vec![0xff, 0xd8];
    for t in 0..2 {
        let mut q = vec![t];
        q.extend_from_slice(&[1; 64]);
        j.extend(segment(0xdb, &q));
    }
    let [h0, h1] = h.to_be_bytes();
    let [w0, w1] = w.to_be_bytes();
    j.extend(segment(
        sof,
        &[8, h0, h1, w0, w1, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1],
    ));
    let mut tables = dht(0x00, &DC_TABLE.0, &DC_TABLE.1);
    tables.extend(dht(0x10, &AC_TABLE.0, &AC_TABLE.1));
    j.extend(segment(0xc4, &tables));
    for (sos, data) in scans {
        j.extend(segment(0xda, sos));
        j.extend_from_slice(data);
    }
    j.extend_from_slice(&[0xff, 0xd9]);
    j
}

const ALL: [u8; 8] = [3, 1, 0, 2, 0, 3, 0, 0]; // Y, Cb, Cr: tables 0/0

/// One interleaved baseline scan; `blocks` gives each block's DC difference
/// and its one AC coefficient (at k = 1), in MCU order.
fn baseline(w: u16, h: u16, blocks: &[(i32, i32)]) -> Vec<u8> {
    let mut b = Bits::default();
    for &(d, a) in blocks {
        dc(&mut b, d);
        if a != 0 {
            ac(&mut b, a);
        }
        ac(&mut b, 0);
    }
    let sos = [&ALL[..7], &[0, 63, 0]].concat();
    handmade(0xc0, w, h, &[(sos, b.finish())])
}

/// Three non-interleaved baseline scans (Y, Cb, Cr); `luma` gives the luma
/// DC values in raster order, chroma DCs are 0, ACs are 0.
fn non_interleaved(w: u16, h: u16, luma: &[i32]) -> Vec<u8> {
    let chroma = usize::from(w.div_ceil(16)) * usize::from(h.div_ceil(16));
    assert_eq!(luma.len(), chroma * 4);
    let scan = |c: u8, values: &[i32]| {
        let mut b = Bits::default();
        let mut prev = 0;
        for &v in values {
            dc(&mut b, v - prev);
            ac(&mut b, 0);
            prev = v;
        }
        (vec![1, c, 0, 0, 63, 0], b.finish())
    };
    let zeros = vec![0; chroma];
    handmade(
        0xc0,
        w,
        h,
        &[scan(1, luma), scan(2, &zeros), scan(3, &zeros)],
    )
}

/// What jpegtran makes of `jpeg` (with `args`): its output, or its error.
fn jpegtran_result(dir: &TempDir, jpeg: &[u8], args: &[&str]) -> Result<Vec<u8>, String> {
    let p = dir.path("in.jpg");
    std::fs::write(&p, jpeg).unwrap();
    let out = Command::new("jpegtran")
        .args(["-copy", "none"])
        .args(args)
        .arg(&p)
        .output()
        .expect("jpegtran (libjpeg-turbo) must be installed");
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Whether djpeg decodes `jpeg` without error or warning.
fn djpeg_clean(dir: &TempDir, jpeg: &[u8]) -> Result<(), String> {
    let p = dir.path("check.jpg");
    std::fs::write(&p, jpeg).unwrap();
    let out = Command::new("djpeg")
        .arg(&p)
        .output()
        .expect("djpeg (libjpeg-turbo) must be installed");
    match out.status.success() && out.stderr.is_empty() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
    }
}

/// Ours and jpegtran agree: the same scan when jpegtran re-codes the frame
/// into a valid JPEG, [`Error::CoefficientRange`] when it refuses a
/// coefficient out of range or (libjpeg-turbo 2.1's encoder does not check
/// DC differences) writes a scan that djpeg cannot decode.
fn agree_with_jpegtran(dir: &TempDir, what: &str, jpeg: &[u8], restart: u16) -> bool {
    let args = ["-restart".to_owned(), format!("{restart}B")];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let args = if restart > 0 { &args[..] } else { &[][..] };
    let theirs = jpegtran_result(dir, jpeg, args).and_then(|t| {
        djpeg_clean(dir, &t)
            .map(|()| t)
            .map_err(|e| format!("djpeg: {e}"))
    });
    let ours = within(LIMIT, what, {
        let jpeg = jpeg.to_vec();
        move || {
            recode_vec(
                &jpeg,
                Options {
                    restart_interval: restart,
                },
            )
        }
    });
    match (&theirs, &ours) {
        (Ok(t), Ok(o)) => assert!(
            entropy(t) == entropy(o),
            "{what}, restart {restart}: scan differs from jpegtran's"
        ),
        (Err(t), Err(o)) => {
            assert_eq!(
                *o,
                Error::CoefficientRange,
                "{what}, restart {restart} (jpegtran: {t})"
            );
        }
        _ => panic!(
            "{what}, restart {restart}: jpegtran {:?}, ours {:?}",
            theirs.map(|v| v.len()),
            ours.map(|v| v.len())
        ),
    }
    // Which of the two it was, so that the test keeps covering both.
    theirs.is_ok()
}

/// Checks [`agree_with_jpegtran`] and that `taken` says which way, noting a
/// failure in `failures` so that one run reports every case.
fn assert_agrees(
    failures: &mut Vec<String>,
    dir: &TempDir,
    what: &str,
    jpeg: &[u8],
    restart: u16,
    taken: bool,
) {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert_eq!(
            agree_with_jpegtran(dir, what, jpeg, restart),
            taken,
            "{what}, restart {restart}: taken"
        );
    }));
    if r.is_err() {
        // Kept for a reproducer (the scratch directory goes with the test).
        let keep = std::env::temp_dir().join("rtsp-core-recode-failures");
        std::fs::create_dir_all(&keep).unwrap();
        let p = keep.join(format!("{}-restart{restart}.jpg", what.replace(' ', "-")));
        std::fs::write(&p, jpeg).unwrap();
        failures.push(format!("{what}, restart {restart}: {}", p.display()));
    }
}

#[test]
fn coefficient_overflow() {
    let dir = TempDir::new("recode-overflow");
    let mut failures = Vec::new();
    let (zero, max) = ((0, 0), (2047, 0));
    // Two MCUs whose luma DC climbs to 4094 by differences of ±2047: fine as
    // they are; with a restart every MCU, the second MCU's first DC is coded
    // from 0 and needs category 12.
    let j = baseline(
        32,
        16,
        &[
            max,
            max,
            (-2047, 0),
            max,
            zero,
            zero,
            zero,
            zero,
            zero,
            zero,
            zero,
            zero,
        ],
    );
    assert_agrees(&mut failures, &dir, "DC sum 4094", &j, 0, true);
    assert_agrees(&mut failures, &dir, "DC sum 4094", &j, 1, false);
    // Twenty luma DCs climbing by 2047 pass i16::MAX (libjpeg's JCOEF
    // wraps, and jpegtran writes a scan djpeg cannot decode).
    let blocks: Vec<_> = (0..5)
        .flat_map(|_| [max, max, max, max, zero, zero])
        .collect();
    assert_agrees(
        &mut failures,
        &dir,
        "DC sum beyond i16",
        &baseline(80, 16, &blocks),
        0,
        false,
    );
    // An AC coefficient of 2047 (size 11: not baseline).
    let j = baseline(16, 16, &[(0, 2047), zero, zero, zero, zero, zero]);
    assert_agrees(&mut failures, &dir, "AC 2047", &j, 0, false);
    // The same at the edge of the range (1023): taken.
    let j = baseline(16, 16, &[(0, -1023), zero, zero, zero, (0, 1023), zero]);
    assert_agrees(&mut failures, &dir, "AC 1023", &j, 0, true);

    // Several sequential scans go through the caller's i16 buffer and are
    // re-coded in MCU order: luma DCs that each differ by at most 2047 from
    // the previous one in raster order, but by 2100 in MCU order (row 0
    // ends on -900 so that row 1 can start at -1000)...
    let mut row0 = [1100; 6];
    row0[5] = -900;
    let luma: Vec<i32> = row0.into_iter().chain([-1000; 6]).chain([0; 12]).collect();
    let j = non_interleaved(48, 32, &luma);
    assert_agrees(
        &mut failures,
        &dir,
        "non-interleaved DC 1100 above -1000",
        &j,
        0,
        false,
    );
    // ... and luma DCs climbing by 2047 beyond i16::MAX.
    let luma: Vec<i32> = (1..=24).map(|k| 2047 * k).collect();
    let j = non_interleaved(48, 32, &luma);
    assert_agrees(
        &mut failures,
        &dir,
        "non-interleaved DC sum beyond i16",
        &j,
        0,
        false,
    );
    // Within range, the same layout is taken.
    let luma: Vec<i32> = (0..24).map(|k| (k % 5 - 2) * 400).collect();
    let j = non_interleaved(48, 32, &luma);
    assert_agrees(
        &mut failures,
        &dir,
        "non-interleaved DC within range",
        &j,
        0,
        true,
    );

    // Progressive: successive approximation shifts a DC of 2047 to 4094
    // (Al = 1) and an AC of 1023 to 8184 (Al = 3).
    let ac_eob = |c: u8, blocks: usize| {
        let mut b = Bits::default();
        (0..blocks).for_each(|_| ac(&mut b, 0));
        (vec![1, c, 0, 1, 63, 0], b.finish())
    };
    let dc_first = |first: i32, al: u8| {
        let mut b = Bits::default();
        dc(&mut b, first);
        (0..5).for_each(|_| dc(&mut b, 0));
        ([&ALL[..7], &[0, 0, al]].concat(), b.finish())
    };
    let j = handmade(
        0xc2,
        16,
        16,
        &[dc_first(2047, 1), ac_eob(1, 4), ac_eob(2, 1), ac_eob(3, 1)],
    );
    assert_agrees(
        &mut failures,
        &dir,
        "progressive DC 2047 << 1",
        &j,
        0,
        false,
    );
    let mut b = Bits::default();
    ac(&mut b, 1023);
    (0..4).for_each(|_| ac(&mut b, 0));
    let y = (vec![1, 1, 0, 1, 63, 3], b.finish());
    let j = handmade(
        0xc2,
        16,
        16,
        &[dc_first(0, 0), y, ac_eob(2, 1), ac_eob(3, 1)],
    );
    assert_agrees(
        &mut failures,
        &dir,
        "progressive AC 1023 << 3",
        &j,
        0,
        false,
    );
    assert!(failures.is_empty(), "failed (see above): {failures:#?}");
}

/// Random bytes of real frames flipped (headers more often than their
/// share): no panic, no hang, and any output parses.
#[test]
fn random_byte_flips() {
    within(LIMIT, "byte flips", || {
        let dir = TempDir::new("recode-flips");
        let mut b = Bufs::new();
        let mut x = 0x2545_f491u32;
        let mut rnd = move |n: usize| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as usize % n
        };
        let mut results = [0usize; 2];
        for (_, jpeg) in frames(&dir) {
            let header = segments(&jpeg)
                .iter()
                .find(|s| s.marker == 0xda)
                .unwrap()
                .body;
            for _ in 0..400 {
                let mut j = jpeg.clone();
                for _ in 0..1 + rnd(4) {
                    let at = if rnd(2) == 0 {
                        rnd(header + 8)
                    } else {
                        rnd(j.len())
                    };
                    j[at] ^= 1 << rnd(8);
                }
                results[usize::from(b.attempt(&j, rnd(4) as u16).is_ok())] += 1;
            }
        }
        // Most flips break something; some hit bits nothing reads.
        assert!(results[0] > 0 && results[1] > 0, "{results:?}");
    });
}
