//! RTP payload format for JPEG-compressed video (RFC 2435).
//!
//! * [`Frame::parse`] walks a baseline JPEG (SOI, APPn, COM, DQT, SOF0, DHT,
//!   DRI, SOS, EOI) and finds what RFC 2435 carries: the type (§3.1.3, §4.1),
//!   the size in 8-pixel blocks (§3.1.5, §3.1.6), the quantization tables
//!   (§3.1.8), the restart interval (§3.1.7) and the scan data (§3.1.9). It
//!   refuses, with an [`Error`] naming the reason, what the format cannot
//!   carry.
//! * [`Packetizer`] cuts a frame into RTP packets, one at a time into a
//!   caller buffer, the scan data borrowed from the frame.
//! * [`Depacketizer`] reassembles packets into a complete JFIF that any
//!   decoder opens (RFC 2435 Appendix B), dropping and counting every frame
//!   with a gap.
//!
//! ## What can be carried
//!
//! RFC 2435 defines two image types, both 8-bit baseline Huffman-coded
//! YCbCr with one interleaved scan, Y using quantization table 0 and the
//! chroma components table 1, and the Huffman tables of ITU-T T.81 K.3:
//!
//! | type | Y sampling | Cb, Cr | common name |
//! |------|------------|--------|-------------|
//! | 0    | 2x1        | 1x1    | 4:2:2       |
//! | 1    | 2x2        | 1x1    | 4:2:0       |
//!
//! Adding 64 to the type says restart markers are present (§3.1.7).
//!
//! **Grayscale** frames are refused ([`Error::Grayscale`]): RFC 2435 has no
//! single-component type, and a receiver rebuilds every frame with three
//! components, so no standard receiver could show one. Encode grayscale as
//! 4:2:0 with flat chroma instead; it costs a few bytes per MCU.

mod depacketizer;
mod error;
mod frame;
mod header;
mod jfif;
pub(crate) mod markers;
mod packetizer;
mod tables;
#[cfg(test)]
mod tests;

pub use depacketizer::Depacketizer;
pub use error::Error;
pub use frame::{Frame, QuantTable};
pub use header::{MainHeader, Payload, QuantHeader, RestartHeader, Type};
pub use jfif::JfifHeader;
pub use packetizer::{Packetizer, Parts};
pub use tables::make_tables;

/// RTP payload type 26, assigned to JPEG by RFC 3551 §6 (RFC 2435 §3).
pub const PAYLOAD_TYPE: u8 = 26;
/// RTP clock rate for JPEG video (RFC 2435 §3: 90 kHz).
pub const CLOCK_RATE: u32 = 90_000;
/// Q value announcing in-band tables that may change every frame
/// (RFC 2435 §3.1.4, §4.2).
pub const Q_DYNAMIC: u8 = 255;
