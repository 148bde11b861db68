//! Unit tests of the pieces; real frames from ffmpeg, cjpeg and jpegtran
//! are compared in `core/tests/jpeg_recode.rs`.

use super::bits::{BitReader, BitWriter};
use super::huffman::{DecodeTable, CHROMA_AC_CODES, CHROMA_DC_CODES, LUMA_AC_CODES, LUMA_DC_CODES};
use super::*;
use std::vec;
use std::vec::Vec;

/// A picture with detail everywhere (gradients and a checker pattern).
fn picture(w: usize, h: usize) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let checker = if (x / 3 + y / 5) % 2 == 0 { 60 } else { 0 };
            rgb.push(((x * 255) / w.max(1)) as u8 ^ checker);
            rgb.push(((y * 255) / h.max(1)) as u8);
            rgb.push(((x * y) % 251) as u8);
        }
    }
    rgb
}

fn encode(
    w: u16,
    h: u16,
    configure: impl FnOnce(&mut jpeg_encoder::Encoder<&mut Vec<u8>>),
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = jpeg_encoder::Encoder::new(&mut out, 80);
    e.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    configure(&mut e);
    e.encode(
        &picture(w.into(), h.into()),
        w,
        h,
        jpeg_encoder::ColorType::Rgb,
    )
    .unwrap();
    out
}

fn pixels(jpeg: &[u8]) -> Vec<u8> {
    zune_jpeg::JpegDecoder::new(zune_jpeg::zune_core::bytestream::ZCursor::new(jpeg))
        .decode()
        .unwrap()
}

fn run(jpeg: &[u8], options: Options) -> Result<Vec<u8>, Error> {
    let a = Analysis::parse(jpeg)?;
    let mut coefs = vec![0i16; a.coefficients_len()];
    let mut out = vec![0u8; jpeg.len() * 4 + 2048];
    let n = recode(jpeg, options, &mut coefs, &mut out)?;
    out.truncate(n);
    Ok(out)
}

#[test]
fn standard_codes_are_those_of_t81_annex_k() {
    let code = |t: usize, symbol: usize| {
        let table = [
            &LUMA_DC_CODES,
            &LUMA_AC_CODES,
            &CHROMA_DC_CODES,
            &CHROMA_AC_CODES,
        ][t];
        let c = table.codes[symbol];
        (c >> 8, c & 0xff)
    };
    // Table K.3: luma DC category 0 is 00, category 11 is 111111110.
    assert_eq!(code(0, 0), (0b00, 2));
    assert_eq!(code(0, 11), (0b1_1111_1110, 9));
    // Table K.4: chroma DC category 0 is 00, category 11 is 11111111110.
    assert_eq!(code(2, 11), (0b111_1111_1110, 11));
    // Table K.5: EOB 1010, 0/1 00, ZRL 11111111001, F/A 1111111111111110.
    assert_eq!(code(1, 0x00), (0b1010, 4));
    assert_eq!(code(1, 0x01), (0b00, 2));
    assert_eq!(code(1, 0xf0), (0b111_1111_1001, 11));
    assert_eq!(code(1, 0xfa), (0xfffe, 16));
    // Table K.6: chroma EOB 00, ZRL 1111111010.
    assert_eq!(code(3, 0x00), (0b00, 2));
    assert_eq!(code(3, 0xf0), (0b11_1111_1010, 10));
}

#[test]
fn decode_tables_refuse_what_is_not_a_prefix_code() {
    // Three codes of length 1: over-subscribed.
    let mut counts = [0u8; 16];
    counts[0] = 3;
    assert!(DecodeTable::build(&counts, &[1, 2, 3]).is_err());
    // More than 256 symbols.
    let mut many = [0u8; 16];
    many[15] = 255;
    many[14] = 2;
    assert!(DecodeTable::build(&many, &[0; 257]).is_err());
    // Counts that disagree with the symbols given.
    counts[0] = 2;
    assert!(DecodeTable::build(&counts, &[1]).is_err());
}

#[test]
fn decode_reads_short_and_long_codes() {
    // Lengths 1 and 12: 0 -> 7, 1000_0000_0000 -> 9.
    let mut counts = [0u8; 16];
    counts[0] = 1;
    counts[11] = 1;
    let t = DecodeTable::build(&counts, &[7, 9]).unwrap();
    // Bits: 0, 100000000000, 0, then padding ones.
    let data = [0b0100_0000, 0b0000_0011, 0xff, 0x00];
    let mut r = BitReader::new(&data, 0);
    assert_eq!(t.decode(&mut r), Ok(7));
    assert_eq!(t.decode(&mut r), Ok(9));
    assert_eq!(t.decode(&mut r), Ok(7));
    assert!(!r.overrun());
}

#[test]
fn writer_stuffs_ff_and_pads_with_ones() {
    let mut buf = [0u8; 16];
    let mut w = BitWriter::new(&mut buf, 0);
    let mut p = w.pending();
    w.put_in(&mut p, 0xff, 8);
    w.put_in(&mut p, 0b101, 3);
    w.set_pending(p);
    w.flush();
    let n = w.finish().unwrap();
    assert_eq!(&buf[..n], &[0xff, 0x00, 0b1011_1111]);
    let mut tiny = [0u8; 1];
    let mut w = BitWriter::new(&mut tiny, 0);
    let mut p = w.pending();
    w.put_in(&mut p, 0xffff, 16);
    w.set_pending(p);
    w.flush();
    assert_eq!(w.finish(), None);
}

#[test]
fn progressive_and_restart_frames_recode_to_the_same_pixels() {
    // Sizes that are and are not multiples of the 16x16 MCU.
    for (w, h) in [(16, 16), (33, 17), (100, 75)] {
        let baseline = encode(w, h, |_| {});
        let reference = pixels(&baseline);
        // (jpeg-encoder 0.7's optimized Huffman tables decode wrong, so
        // optimized frames come from ffmpeg and cjpeg in the real-frame
        // tests instead.)
        let variants = [
            encode(w, h, |e| e.set_progressive(true)),
            encode(w, h, |e| {
                e.set_progressive(true);
                e.set_restart_interval(2);
            }),
        ];
        for (i, input) in variants.iter().enumerate() {
            assert_eq!(pixels(input), reference, "{w}x{h} variant {i} as encoded");
            assert!(
                matches!(plan(input), Ok(Plan::Recode(_))),
                "{w}x{h} variant {i}"
            );
            for ri in [0, 1, 3] {
                let out = run(
                    input,
                    Options {
                        restart_interval: ri,
                    },
                )
                .unwrap();
                let frame = crate::jpeg::Frame::parse(&out).unwrap();
                assert_eq!(frame.restart_interval(), ri);
                assert_eq!(pixels(&out), reference, "{w}x{h} variant {i}, restart {ri}");
                // Re-coding a re-coded frame changes nothing.
                assert_eq!(
                    run(
                        &out,
                        Options {
                            restart_interval: ri
                        }
                    )
                    .unwrap(),
                    out
                );
            }
        }
    }
}

#[test]
fn damaged_frames_are_errors_never_panics() {
    let input = encode(48, 32, |e| e.set_progressive(true));
    for cut in 0..input.len() {
        let _ = run(&input[..cut], Options::default());
    }
    for i in (0..input.len()).step_by(7) {
        let mut bad = input.clone();
        bad[i] ^= 0x5a;
        let _ = run(&bad, Options::default());
    }
    // The scan cut short but EOI present: the data runs out.
    let eoi = input.len() - 2;
    let mut short = input[..eoi - 40].to_vec();
    short.extend_from_slice(&[0xff, 0xd9]);
    assert!(run(&short, Options::default()).is_err());
}

#[test]
fn a_short_coefficient_buffer_says_how_much_it_needs() {
    let input = encode(33, 17, |e| e.set_progressive(true));
    let a = Analysis::parse(&input).unwrap();
    // 3 x 2 MCUs of 6 blocks.
    assert_eq!(a.coefficients_len(), 3 * 2 * 6 * 64);
    let mut out = vec![0u8; 8192];
    assert_eq!(
        recode(&input, Options::default(), &mut [], &mut out),
        Err(Error::BufferTooSmall {
            required: a.coefficients_len()
        })
    );
    let mut coefs = vec![0i16; a.coefficients_len()];
    assert!(matches!(
        recode(&input, Options::default(), &mut coefs, &mut out[..700]),
        Err(Error::BufferTooSmall { .. })
    ));
}

#[test]
fn decoding_tables_fit_the_documented_stack() {
    // The module docs promise about 11.5 KiB for the eight tables.
    let eight = 8 * core::mem::size_of::<DecodeTable>();
    assert!(eight <= 11 * 1024 + 512, "{eight} bytes");
}

#[test]
fn outlines_any_frame_even_those_not_recoded() {
    let progressive = encode(33, 17, |e| e.set_progressive(true));
    let o = Outline::parse(&progressive).unwrap();
    assert!(o.progressive && o.scans > 1, "{o:?}");
    // jpeg-encoder at quality 80 writes the Annex K luma table scaled.
    let luma = o.luma.unwrap();
    assert_eq!(crate::jpeg::estimate_quality(luma), 80);
    // A gray frame: Plan::Convert, but its outline is read all the same.
    let mut gray = Vec::new();
    jpeg_encoder::Encoder::new(&mut gray, 60)
        .encode(&[128u8; 16 * 8], 16, 8, jpeg_encoder::ColorType::Luma)
        .unwrap();
    assert!(matches!(plan(&gray), Ok(Plan::Convert(Error::Grayscale))));
    let o = Outline::parse(&gray).unwrap();
    assert_eq!((o.progressive, o.scans), (false, 1));
    assert_eq!(crate::jpeg::estimate_quality(o.luma.unwrap()), 60);
    assert_eq!(Outline::parse(b"not a jpeg"), None);
}
