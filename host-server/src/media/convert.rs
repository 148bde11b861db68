//! Lossy conversion of frames RFC 2435 cannot carry even after a lossless
//! re-code (4:4:4, 4:4:0, 4:1:1, grayscale, CMYK, Cb/Cr with separate
//! tables): decoded with zune-jpeg, encoded again with `jpeg-encoder` as
//! baseline 4:2:0 (RFC 2435 type 1) with the T.81 K.3 Huffman tables, at the
//! IJG quality nearest the source's luma table
//! (`rtsp_core::jpeg::estimate_quality`). This is host code: the core never
//! decodes pixels.

use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};
use rtsp_core::jpeg::{self, recode::Outline};
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

/// Quality used when the source has no readable luma table.
const FALLBACK_QUALITY: u8 = 90;

/// Why a frame could not be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConvertError {
    /// A kind of JPEG nothing here decodes right.
    Unsupported(String),
    /// The decoder or the encoder failed on this frame.
    Failed(String),
}

/// Decodes `src` and encodes it into `out` as baseline 4:2:0, with the
/// restart interval `restart_interval` gives for its width and height (0:
/// none); returns the quality used.
pub fn convert(
    src: &[u8],
    out: &mut Vec<u8>,
    restart_interval: impl FnOnce(u16, u16) -> u16,
) -> Result<u8, ConvertError> {
    use ConvertError::{Failed, Unsupported};
    let outline = Outline::parse(src).ok_or(Failed("its markers do not parse".into()))?;
    if !outline.progressive && outline.scans > 1 {
        // zune-jpeg 0.5 decodes these to wrong pixels without an error
        // (zune-image issues 422 and 448): refuse rather than show garbage.
        return Err(Unsupported(format!(
            "sequential JPEG in {} scans, which zune-jpeg decodes wrong",
            outline.scans
        )));
    }
    let mut d = JpegDecoder::new(ZCursor::new(src));
    d.decode_headers()
        .map_err(|e| Failed(format!("zune-jpeg: {e:?}")))?;
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
    let mut px = d
        .decode()
        .map_err(|e| Failed(format!("zune-jpeg: {e:?}")))?;
    let (w, h) = d
        .dimensions()
        .ok_or(Failed("zune-jpeg: no dimensions".into()))?;
    let (Ok(w), Ok(h)) = (u16::try_from(w), u16::try_from(h)) else {
        return Err(Failed(format!("{w}x{h} is larger than JPEG allows")));
    };
    if to == ColorSpace::Luma {
        // Gray becomes YCbCr with neutral chroma (Cb = Cr = 128, T.871 §7).
        px = px.iter().flat_map(|&y| [y, 128, 128]).collect();
    }
    let quality = outline
        .luma
        .map_or(FALLBACK_QUALITY, jpeg::estimate_quality);
    out.clear();
    let mut enc = Encoder::new(&mut *out, quality);
    enc.set_sampling_factor(SamplingFactor::F_2_2);
    // libjpeg's box filter, not the top-left sample: chroma stays smooth.
    enc.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    enc.set_optimized_huffman_tables(false);
    let restart = restart_interval(w, h);
    if restart > 0 {
        enc.set_restart_interval(restart);
    }
    enc.encode(&px, w, h, kind)
        .map_err(|e| Failed(format!("jpeg-encoder: {e}")))?;
    Ok(quality)
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
