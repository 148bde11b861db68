//! Unit tests of the MJPEG containers: both formats, damage, truncation,
//! and the streaming reader against the in-memory iterator.

use super::*;

const JPEG_A: &[u8] = &[0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 1, 2, 0xff, 0xd9];
const JPEG_B: &[u8] = &[0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0xff, 0x00, 0xff, 0xd9];

fn lab(frames: &[&[u8]]) -> std::vec::Vec<u8> {
    let mut v = std::vec::Vec::new();
    for f in frames {
        v.extend_from_slice(std::format!("{:05}", f.len()).as_bytes());
        v.extend_from_slice(f);
    }
    v
}

/// A reader that hands out at most 3 bytes a call, so frames always
/// straddle reads.
struct Slow<'a>(&'a [u8]);

impl embedded_io::ErrorType for Slow<'_> {
    type Error = core::convert::Infallible;
}

impl embedded_io::Read for Slow<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = buf.len().min(3).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn lab_length_too_short_for_a_jpeg_is_skipped() {
    // Found by the mjpeg_frames fuzz target: "00001" then SOI used to
    // yield a one-byte frame that is not a JPEG.
    let mut data = std::vec::Vec::from(&b"00001"[..]);
    data.extend_from_slice(JPEG_A);
    let got: std::vec::Vec<_> = Frames::new(&data).collect();
    assert_eq!(
        got,
        [Err(Error::Skipped(Skip {
            start: 0,
            end: data.len(),
            reason: SkipReason::Garbage
        }))]
    );
}

#[test]
fn detects_both_formats() {
    assert_eq!(Format::detect(&lab(&[JPEG_A])), Some(Format::Lab));
    assert_eq!(Format::detect(JPEG_A), Some(Format::Raw));
    assert_eq!(Format::detect(b"12345xx"), None);
    assert_eq!(Format::detect(b""), None);
}

#[test]
fn iterates_lab_and_raw() {
    let l = lab(&[JPEG_A, JPEG_B]);
    let got: std::vec::Vec<_> = Frames::new(&l).collect();
    assert_eq!(got, [Ok(JPEG_A), Ok(JPEG_B)]);
    let raw = [JPEG_A, JPEG_B].concat();
    let got: std::vec::Vec<_> = Frames::new(&raw).collect();
    assert_eq!(got, [Ok(JPEG_A), Ok(JPEG_B)]);
}

#[test]
fn truncation_is_a_typed_error_at_the_frame() {
    let l = lab(&[JPEG_A, JPEG_B]);
    let cut = &l[..l.len() - 3];
    let got: std::vec::Vec<_> = Frames::new(cut).collect();
    assert_eq!(got, [Ok(JPEG_A), Err(Error::Truncated { offset: 15 })]);
    let raw = [JPEG_A, JPEG_B].concat();
    let got: std::vec::Vec<_> = Frames::new(&raw[..15]).collect();
    assert_eq!(got, [Ok(JPEG_A), Err(Error::Truncated { offset: 10 })]);
    let got: std::vec::Vec<_> = Frames::new(b"00010abcdefghij").collect();
    assert_eq!(got, [Err(Error::UnknownFormat)]);
}

#[test]
fn reader_matches_frames_with_small_reads() {
    for data in [
        lab(&[JPEG_A, JPEG_B, JPEG_A]),
        [JPEG_A, JPEG_B, JPEG_A].concat(),
    ] {
        let mut r = Reader::new(Slow(&data), [0u8; 32]);
        let mut n = 0;
        while let Some(f) = r.next_frame().unwrap() {
            assert_eq!(f, [JPEG_A, JPEG_B, JPEG_A][n]);
            n += 1;
        }
        assert_eq!(n, 3);
        let mut small = Reader::new(Slow(&data), [0u8; 8]);
        assert_eq!(
            small.next_frame(),
            Err(Error::FrameTooLarge { capacity: 8 })
        );
        let cut = &data[..data.len() - 1];
        let mut r = Reader::new(Slow(cut), [0u8; 32]);
        assert!(r.next_frame().unwrap().is_some());
        assert!(r.next_frame().unwrap().is_some());
        assert!(matches!(r.next_frame(), Err(Error::Truncated { .. })));
        assert_eq!(r.next_frame(), Ok(None));
    }
}

/// A 10-byte frame whose scan byte tells it apart.
fn frame(i: u8) -> std::vec::Vec<u8> {
    std::vec![0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, i, i, 0xff, 0xd9]
}

/// Every item of `Frames`, owned.
fn items(data: &[u8]) -> std::vec::Vec<Result<std::vec::Vec<u8>, Error>> {
    Frames::new(data).map(|r| r.map(<[u8]>::to_vec)).collect()
}

/// Every item of a `Reader` reading 3 bytes at a time into `cap` bytes.
fn read_all(data: &[u8], cap: usize) -> std::vec::Vec<Result<std::vec::Vec<u8>, Error>> {
    let mut r = Reader::new(Slow(data), std::vec![0u8; cap]);
    let mut v = std::vec::Vec::new();
    loop {
        match r.next_frame() {
            Ok(Some(f)) => v.push(Ok(f.to_vec())),
            Ok(None) => break,
            Err(e) => {
                v.push(Err(e));
                if !e.is_skip() {
                    assert_eq!(r.next_frame(), Ok(None), "ended after {e}");
                    break;
                }
            }
        }
    }
    v
}

/// A 30-frame file in `format`, with `damage` put in front of frame
/// `at`: the bytes and the offset where the damage starts.
fn clip(format: Format, at: usize, damage: &[u8]) -> (std::vec::Vec<u8>, usize) {
    let mut v = std::vec::Vec::new();
    let mut start = 0;
    for i in 0..30u8 {
        if usize::from(i) == at {
            start = v.len();
            v.extend_from_slice(damage);
        }
        if format == Format::Lab {
            v.extend_from_slice(std::format!("{:05}", 10).as_bytes());
        }
        v.extend_from_slice(&frame(i));
    }
    (v, start)
}

fn good(items: &[Result<std::vec::Vec<u8>, Error>]) -> std::vec::Vec<u8> {
    items
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|f| f[6])
        .collect()
}

fn skips(items: &[Result<std::vec::Vec<u8>, Error>]) -> std::vec::Vec<Skip> {
    items
        .iter()
        .filter_map(|r| match r {
            Err(Error::Skipped(s)) => Some(*s),
            _ => None,
        })
        .collect()
}

#[test]
fn garbage_before_frame_5_of_30_costs_no_frame() {
    for format in [Format::Lab, Format::Raw] {
        // Garbage that holds an 0xFF, a lone FF D8 and digits.
        let garbage = b"12\xff\xd8junk\xff\x0099999";
        let (data, at) = clip(format, 4, garbage);
        let got = items(&data);
        assert_eq!(
            good(&got),
            (0..30).collect::<std::vec::Vec<u8>>(),
            "{format:?}"
        );
        let want = Skip {
            start: at,
            end: at + garbage.len(),
            reason: SkipReason::Garbage,
        };
        assert_eq!(skips(&got), [want], "{format:?}");
        // The skip is reported where it happened: before frame 5.
        assert_eq!(got[4], Err(Error::Skipped(want)));
        assert_eq!(got.len(), 31);
        for cap in [32, 64, 4096] {
            assert_eq!(read_all(&data, cap), got, "{format:?} in {cap} bytes");
        }
    }
}

#[test]
fn a_frame_with_a_broken_header_is_skipped_alone() {
    // A DQT whose length is shorter than its own field (T.81 §B.2.4.1).
    let broken = [0xff, 0xd8, 0xff, 0xdb, 0x00, 0x01, 0xff, 0xd9];
    for format in [Format::Lab, Format::Raw] {
        let mut damage = std::vec::Vec::new();
        if format == Format::Lab {
            damage.extend_from_slice(b"00008");
        }
        damage.extend_from_slice(&broken);
        let (data, at) = clip(format, 4, &damage);
        let got = items(&data);
        assert_eq!(good(&got).len(), 30, "{format:?}");
        let s = skips(&got);
        assert_eq!(
            s,
            [Skip {
                start: at,
                end: at + damage.len(),
                reason: SkipReason::BrokenHeader
            }],
            "{format:?}"
        );
        assert_eq!(read_all(&data, 64), got, "{format:?}");
    }
}

#[test]
fn a_frame_missing_its_eoi_is_skipped_at_the_next_soi() {
    for format in [Format::Lab, Format::Raw] {
        let (mut data, _) = clip(format, 0, &[]);
        // Cut frame 5's EOI: in the lab format its prefix then promises
        // two bytes more than the frame has.
        let per = data.len() / 30;
        let eoi = 5 * per - 2;
        data.drain(eoi..eoi + 2);
        let got = items(&data);
        let mut want: std::vec::Vec<u8> = (0..30).collect();
        want.remove(4);
        assert_eq!(good(&got), want, "{format:?}");
        let s = skips(&got);
        assert_eq!(s.len(), 1, "{format:?}: {s:?}");
        assert_eq!(s[0].start, 4 * per);
        assert_eq!(s[0].reason, SkipReason::MissingEoi);
        assert_eq!(read_all(&data, 64), got, "{format:?}");
    }
}

#[test]
fn adjoining_damage_is_one_skip_and_trailing_garbage_one_more() {
    let mut data = std::vec::Vec::new();
    data.extend_from_slice(&frame(0));
    data.extend_from_slice(b"xx");
    data.extend_from_slice(&[0xff, 0xd8, 0xff, 0x00, 1, 2]); // broken
    data.extend_from_slice(&frame(1));
    data.extend_from_slice(b"tail");
    let got = items(&data);
    assert_eq!(
        got,
        [
            Ok(frame(0)),
            Err(Error::Skipped(Skip {
                start: 10,
                end: 18,
                reason: SkipReason::Garbage
            })),
            Ok(frame(1)),
            Err(Error::Skipped(Skip {
                start: 28,
                end: 32,
                reason: SkipReason::Garbage
            })),
        ]
    );
    assert_eq!(read_all(&data, 16), got);
}

#[test]
fn garbage_longer_than_the_reader_buffer_is_one_skip() {
    let mut data = frame(0);
    data.extend(core::iter::repeat_n(0x55u8, 1000));
    data.extend_from_slice(&frame(1));
    let got = read_all(&data, 16);
    assert_eq!(
        got,
        [
            Ok(frame(0)),
            Err(Error::Skipped(Skip {
                start: 10,
                end: 1010,
                reason: SkipReason::Garbage
            })),
            Ok(frame(1)),
        ]
    );
    assert_eq!(items(&data), got);
}

#[test]
fn truncation_after_damage_still_ends_cleanly() {
    let mut data = frame(0);
    data.extend_from_slice(b"zz");
    data.extend_from_slice(&frame(1)[..7]);
    let got = items(&data);
    assert_eq!(
        got,
        [
            Ok(frame(0)),
            Err(Error::Skipped(Skip {
                start: 10,
                end: 12,
                reason: SkipReason::Garbage
            })),
            Err(Error::Truncated { offset: 12 }),
        ]
    );
    assert_eq!(read_all(&data, 32), got);
}

#[test]
fn a_reader_joining_mid_frame_skips_to_the_first_frame_start() {
    for format in [Format::Lab, Format::Raw] {
        let (data, _) = clip(format, 0, &[]);
        // Join in the middle of frame 0: its tail is garbage.
        let per = data.len() / 30;
        let joined = &data[per / 2..];
        let got = read_all(joined, 64);
        assert_eq!(
            got[0],
            Err(Error::Skipped(Skip {
                start: 0,
                end: per - per / 2,
                reason: SkipReason::Garbage
            })),
            "{format:?}"
        );
        assert_eq!(good(&got), (1..30).collect::<std::vec::Vec<u8>>());
        // A file is still told by its first bytes: no guessing at names.
        assert_eq!(items(joined), [Err(Error::UnknownFormat)]);
    }
    // Input with no frame start within a buffer's worth is not MJPEG.
    let noise = [0x55u8; 200];
    assert_eq!(read_all(&noise, 64), [Err(Error::UnknownFormat)]);
    assert_eq!(read_all(&noise[..10], 64), [Err(Error::UnknownFormat)]);
}
