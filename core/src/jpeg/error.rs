//! The jpeg layer's one error type.

use core::fmt;

/// Why a JPEG frame or an RTP/JPEG packet could not be handled (RFC 2435).
///
/// The refusal variants name what RFC 2435 cannot carry, so a server can
/// tell its operator how to re-encode a clip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The bytes do not start with SOI (T.81 §B.1.1.3): not a JPEG.
    NotJpeg,
    /// The input ended inside a marker segment or before SOS/EOI.
    Truncated {
        /// Byte offset where more input was needed.
        offset: usize,
    },
    /// A marker segment is malformed (bad length, bad field, marker where
    /// none may be).
    Malformed {
        /// Byte offset of the offending marker.
        offset: usize,
    },
    /// Progressive DCT (SOF2/SOF6/SOF10/SOF14): RFC 2435 carries one
    /// sequential baseline scan only.
    Progressive,
    /// Lossless or hierarchical JPEG (SOF3, SOF5-7, SOF11, SOF13-15).
    Lossless,
    /// Arithmetic coding (SOF9-11, DAC): RFC 2435 rebuilds Huffman tables.
    Arithmetic,
    /// Sample precision other than 8 bits (e.g. 12-bit, T.81 §B.2.2).
    Precision {
        /// Bits per sample in the frame header.
        bits: u8,
    },
    /// One component: RFC 2435 has no grayscale type (see the module docs).
    Grayscale,
    /// A component count other than 3 (RFC 2435 §4.1 types are YCbCr).
    Components {
        /// Components in the frame header.
        count: u8,
    },
    /// Sampling that is not type 0 (Y 2x1) or type 1 (Y 2x2) with 1x1
    /// chroma, e.g. 4:4:4 (RFC 2435 §4.1).
    Sampling {
        /// Luma horizontal sampling factor.
        h: u8,
        /// Luma vertical sampling factor.
        v: u8,
        /// Horizontal sampling factor of the first chroma component not 1x1
        /// (1 when both are).
        chroma_h: u8,
        /// Its vertical sampling factor.
        chroma_v: u8,
    },
    /// Huffman tables other than T.81 K.3 (e.g. ffmpeg's optimized ones),
    /// which RFC 2435 cannot signal: re-encode with `ffmpeg -huffman default`.
    NonStandardHuffman,
    /// Quantization tables missing, or Cb and Cr using different tables
    /// (RFC 2435 §4.1: chroma shares table 1).
    QuantTables,
    /// Not one interleaved 3-component scan covering all coefficients.
    Scan,
    /// Width or height 0 (DNL) or beyond 65535 pixels.
    Dimensions {
        /// Width in pixels.
        width: u16,
        /// Height in pixels.
        height: u16,
    },
    /// Scan data beyond the 24-bit fragment offset (RFC 2435 §3.1.2).
    FrameTooLarge {
        /// Scan bytes in the frame.
        len: usize,
    },
    /// The MTU leaves no room for scan data after the headers.
    MtuTooSmall {
        /// Smallest MTU that works for this frame.
        required: usize,
    },
    /// A caller buffer is too small.
    BufferTooSmall {
        /// Bytes needed.
        required: usize,
    },
    /// The RTP packet is not a valid RTP/JPEG packet (RFC 2435 §3.1).
    BadPacket,
    /// The packet's type is not 0/1 (+64) (RFC 2435 §4.1).
    UnsupportedType {
        /// The type field.
        kind: u8,
    },
    /// Q 128-254 with no in-band tables and none cached (RFC 2435 §3.1.8).
    MissingQuantTables {
        /// The Q field.
        q: u8,
    },
    /// The header says width or height 0 and no SDP `a=x-dimensions` was
    /// given to [`Depacketizer::set_dimensions`](crate::jpeg::Depacketizer::set_dimensions).
    UnknownDimensions,
    /// A Huffman table (DHT) that is not a prefix code, or a scan using a
    /// table never defined (T.81 §B.2.4.2, Annex C).
    HuffmanTable,
    /// Entropy-coded data that does not decode: a code no table has, a
    /// coefficient past the block's end, a missing restart marker, or data
    /// ending before the last MCU (T.81 Annex F, G).
    EntropyData {
        /// Byte offset (in the frame) near the undecodable data.
        offset: usize,
    },
    /// A coefficient the baseline K.3 tables cannot code (an AC value
    /// beyond ±1023 or a DC difference beyond ±2047, T.81 §F.1.2).
    CoefficientRange,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::NotJpeg => f.write_str("not a JPEG (no SOI marker)"),
            Error::Truncated { offset } => write!(f, "JPEG truncated at byte {offset}"),
            Error::Malformed { offset } => write!(f, "malformed JPEG marker at byte {offset}"),
            Error::Progressive => {
                f.write_str("progressive JPEG cannot be sent over RTP (RFC 2435): use baseline")
            }
            Error::Lossless => f.write_str("lossless/hierarchical JPEG cannot be sent (RFC 2435)"),
            Error::Arithmetic => {
                f.write_str("arithmetic-coded JPEG cannot be sent (RFC 2435): use Huffman coding")
            }
            Error::Precision { bits } => {
                write!(
                    f,
                    "{bits}-bit JPEG cannot be sent (RFC 2435 carries 8-bit only)"
                )
            }
            Error::Grayscale => f.write_str(
                "grayscale JPEG cannot be sent: RFC 2435 has no grayscale type; encode as 4:2:0",
            ),
            Error::Components { count } => {
                write!(
                    f,
                    "{count}-component JPEG cannot be sent (RFC 2435 needs YCbCr)"
                )
            }
            Error::Sampling {
                h,
                v,
                chroma_h,
                chroma_v,
            } => write!(
                f,
                "sampling Y {h}x{v}, chroma {chroma_h}x{chroma_v} cannot be sent: RFC 2435 needs \
                 4:2:2 (Y 2x1) or 4:2:0 (Y 2x2) with 1x1 chroma"
            ),
            Error::NonStandardHuffman => f.write_str(
                "non-standard (optimized) Huffman tables cannot be sent (RFC 2435): \
                 re-encode with `ffmpeg -huffman default`",
            ),
            Error::QuantTables => f.write_str("quantization tables missing or not shared by Cb/Cr"),
            Error::Scan => f.write_str("not a single interleaved baseline scan"),
            Error::Dimensions { width, height } => write!(f, "bad JPEG size {width}x{height}"),
            Error::FrameTooLarge { len } => {
                write!(
                    f,
                    "{len} bytes of scan data exceed RTP/JPEG's 24-bit offset"
                )
            }
            Error::MtuTooSmall { required } => write!(f, "MTU too small: need {required} bytes"),
            Error::BufferTooSmall { required } => {
                write!(f, "buffer too small: need {required} bytes")
            }
            Error::BadPacket => f.write_str("malformed RTP/JPEG packet"),
            Error::UnsupportedType { kind } => write!(f, "unsupported RTP/JPEG type {kind}"),
            Error::MissingQuantTables { q } => {
                write!(f, "no quantization tables for Q={q}")
            }
            Error::UnknownDimensions => {
                f.write_str("RTP/JPEG size 0 and no a=x-dimensions from the SDP")
            }
            Error::HuffmanTable => f.write_str("invalid or missing Huffman table"),
            Error::EntropyData { offset } => {
                write!(f, "undecodable entropy-coded data near byte {offset}")
            }
            Error::CoefficientRange => f.write_str("a DCT coefficient out of the baseline range"),
        }
    }
}

impl core::error::Error for Error {}
