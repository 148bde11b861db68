//! Lossy conversion of frames RFC 2435 cannot carry even after a lossless
//! re-code (4:4:4, 4:4:0, 4:1:1, grayscale, CMYK, Cb/Cr with separate
//! tables): decoded with zune-jpeg, encoded again with `jpeg-encoder` as
//! baseline 4:2:0 (RFC 2435 type 1) with the T.81 K.3 Huffman tables, at the
//! IJG quality nearest the source's luma table
//! (`rtsp_core::jpeg::estimate_quality`). This is host code: the core never
//! decodes pixels.

use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};
use rtsp_core::jpeg::{self, QuantTable};
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

/// Quality used when the source has no readable luma table.
const FALLBACK_QUALITY: u8 = 90;

/// Decodes `src` and encodes it into `out` as baseline 4:2:0; returns the
/// quality used. The error says why nothing here could decode it.
pub fn convert(src: &[u8], out: &mut Vec<u8>) -> Result<u8, String> {
    let mut d = JpegDecoder::new(ZCursor::new(src));
    d.decode_headers()
        .map_err(|e| format!("zune-jpeg: {e:?}"))?;
    // Stay in YCbCr when the source is YCbCr (no colour round trip); gray
    // decodes to Y alone; anything else (RGB, CMYK, YCCK) goes through RGB.
    let input = d.input_colorspace().unwrap_or(ColorSpace::RGB);
    let (to, kind) = match input {
        ColorSpace::YCbCr => (ColorSpace::YCbCr, ColorType::Ycbcr),
        ColorSpace::Luma => (ColorSpace::Luma, ColorType::Ycbcr),
        _ => (ColorSpace::RGB, ColorType::Rgb),
    };
    d.set_options(
        DecoderOptions::default()
            .jpeg_set_out_colorspace(to)
            .set_max_width(usize::from(u16::MAX))
            .set_max_height(usize::from(u16::MAX)),
    );
    let mut px = d.decode().map_err(|e| format!("zune-jpeg: {e:?}"))?;
    let (w, h) = d.dimensions().ok_or("zune-jpeg: no dimensions")?;
    let (Ok(w), Ok(h)) = (u16::try_from(w), u16::try_from(h)) else {
        return Err(format!("{w}x{h} is larger than JPEG allows"));
    };
    if to == ColorSpace::Luma {
        // Gray becomes YCbCr with neutral chroma (Cb = Cr = 128, T.871 §7).
        px = px.iter().flat_map(|&y| [y, 128, 128]).collect();
    }
    let quality = luma_table(src).map_or(FALLBACK_QUALITY, |t| {
        QuantTable::new(&t).map_or(FALLBACK_QUALITY, jpeg::estimate_quality)
    });
    out.clear();
    let mut enc = Encoder::new(&mut *out, quality);
    enc.set_sampling_factor(SamplingFactor::F_2_2);
    // libjpeg's box filter, not the top-left sample: chroma stays smooth.
    enc.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    enc.set_optimized_huffman_tables(false);
    enc.encode(&px, w, h, kind)
        .map_err(|e| format!("jpeg-encoder: {e}"))?;
    Ok(quality)
}

/// The luma (first component's) quantization table of `jpeg`, as its DQT
/// carries it (zigzag order, 64 or 128 bytes; T.81 §B.2.4.1, §B.2.2).
pub fn luma_table(jpeg: &[u8]) -> Option<Vec<u8>> {
    let mut tables: [Option<&[u8]>; 4] = [None; 4];
    let mut luma_tq = None;
    let mut p = 2;
    while p + 4 <= jpeg.len() {
        if jpeg[p] != 0xff {
            return None;
        }
        let marker = jpeg[p + 1];
        if marker == 0xff {
            p += 1;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([jpeg[p + 2], jpeg[p + 3]]));
        let body = jpeg.get(p + 4..p + 2 + len)?;
        match marker {
            0xdb => {
                let mut b = body;
                while let Some((&pq_tq, rest)) = b.split_first() {
                    let size = if pq_tq >> 4 == 0 { 64 } else { 128 };
                    let t = rest.get(..size)?;
                    *tables.get_mut(usize::from(pq_tq & 0x0f))? = Some(t);
                    b = &rest[size..];
                }
            }
            // SOFn (not DHT C4, JPG C8, DAC CC): the first component's Tq.
            // Its table may be defined after SOF, up to the scan.
            0xc0..=0xcf if !matches!(marker, 0xc4 | 0xc8 | 0xcc) => {
                luma_tq = Some(usize::from(*body.get(8)? & 3));
            }
            0xda => return tables.get(luma_tq?)?.map(<[u8]>::to_vec),
            0xd9 => return None,
            _ => {}
        }
        p += 2 + len;
    }
    None
}

/// How a frame `plan` sent to conversion is sampled or coded, for the log:
/// "4:4:4", "gray", "CMYK", "12-bit"...
pub fn source_name(why: &jpeg::Error) -> String {
    match *why {
        jpeg::Error::Sampling {
            h,
            v,
            chroma_h,
            chroma_v,
        } => {
            let ratio = (
                h.checked_div(chroma_h).unwrap_or(0),
                v.checked_div(chroma_v).unwrap_or(0),
            );
            match ratio {
                (1, 1) if h % chroma_h == 0 => "4:4:4".into(),
                (1, 2) => "4:4:0".into(),
                (4, 1) => "4:1:1".into(),
                (2, 1) => "4:2:2".into(),
                (2, 2) => "4:2:0".into(),
                _ => format!("Y {h}x{v}/chroma {chroma_h}x{chroma_v}"),
            }
        }
        jpeg::Error::Grayscale => "gray".into(),
        jpeg::Error::Components { count: 4 } => "CMYK".into(),
        jpeg::Error::Components { count } => format!("{count}-component"),
        jpeg::Error::Precision { bits } => format!("{bits}-bit"),
        jpeg::Error::Arithmetic => "arithmetic-coded".into(),
        jpeg::Error::Lossless => "lossless JPEG".into(),
        jpeg::Error::QuantTables => "separate Cb/Cr tables".into(),
        e => e.to_string(),
    }
}
