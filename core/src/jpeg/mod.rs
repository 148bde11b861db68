//! RTP payload format for JPEG-compressed video (RFC 2435).
//!
//! * [`Frame::parse`] walks a baseline JPEG (SOI, APPn, COM, DQT, SOF0, DHT,
//!   DRI, SOS, EOI) and finds what RFC 2435 carries: the type (§3.1.3, §4.1),
//!   the size in 8-pixel blocks (§3.1.5, §3.1.6), the quantization tables
//!   (§3.1.8), the restart interval (§3.1.7) and the scan data (§3.1.9). It
//!   refuses, with an [`Error`] naming the reason, what the format cannot
//!   carry.
//! * [`Packetizer`] cuts a frame into RTP packets, one at a time into a
//!   caller buffer, the scan data borrowed from the frame; a frame with
//!   restart markers is cut at restart interval boundaries (§3.1.7), so a
//!   receiver can decode every interval that arrived.
//! * [`restart`] finds those boundaries and chooses a frame's restart
//!   interval from the MTU and the frame size.
//! * [`recode`] turns any Huffman-coded 4:2:0 or 4:2:2 JPEG into that one
//!   scan with the standard tables, losslessly (T.81 Annex F, G).
//! * [`Depacketizer`] reassembles packets into a complete JFIF that any
//!   decoder opens (RFC 2435 Appendix B), dropping and counting every frame
//!   with a gap; or, for restart-marked streams, rebuilding the restart
//!   intervals that arrived with a map of the missing ones ([`intervals`],
//!   §3.1.7).
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
//! **Grayscale** frames are refused by [`Frame::parse`]
//! ([`Error::Grayscale`]): RFC 2435 has no single-component type, and a
//! receiver rebuilds every frame with three components, so no standard
//! receiver could show one. They must become 4:2:0 with flat chroma first,
//! as the server's conversion does.
//!
//! **Anything else Huffman-coded** that RFC 2435 cannot carry as it is
//! (optimized tables, progressive, several scans) is re-coded losslessly by
//! [`recode`]; [`recode::plan`] tells which of the three a frame needs.

//! ## Example
//!
//! A server parses each frame once and packetizes it per send; a client
//! feeds whatever arrives to a depacketizer.
//!
//! ```
//! use rtsp_core::jpeg::{Depacketizer, Frame, Packetizer};
//! use rtsp_core::limits::{JPEG_MAX_HEADER, RTP_DEFAULT_MTU};
//! use rtsp_core::rtp::{self, RtpTimestamp, SeqNo, Ssrc};
//! # use rtsp_core::jpeg::{make_tables, JfifHeader, QuantTable, Type};
//! # let (l, c) = make_tables(50);
//! # let h = JfifHeader { kind: Type::Yuv420, width: 64, height: 32, restart_interval: 0,
//! #     luma: QuantTable::new(&l).unwrap(), chroma: QuantTable::new(&c).unwrap() };
//! # let mut jpeg = [0u8; 4096];
//! # let n = h.emit(&mut jpeg).unwrap();
//! # jpeg[n..n + 3000].fill(0x55);
//! # jpeg[n + 3000..n + 3002].copy_from_slice(&[0xff, 0xd9]);
//! # let jpeg = &jpeg[..n + 3002];
//! let frame = Frame::parse(jpeg)?; // refuses what RFC 2435 cannot carry
//! let rtp = rtp::Repr {
//!     marker: false,
//!     payload_type: rtsp_core::jpeg::PAYLOAD_TYPE,
//!     sequence: SeqNo(1000),
//!     timestamp: RtpTimestamp(90_000), // same for every packet of the frame
//!     ssrc: Ssrc(0x1234),
//! };
//! let mut packetizer = Packetizer::new(&frame, RTP_DEFAULT_MTU, rtp)?;
//! let mut receiver = Depacketizer::new([0u8; JPEG_MAX_HEADER + 8192]);
//! let mut packet = [0u8; RTP_DEFAULT_MTU];
//! let mut rebuilt = None;
//! while let Some(len) = packetizer.next_packet(&mut packet)? {
//!     // socket.send(&packet[..len]) on the server; on the client:
//!     let received = rtp::Packet::new_checked(&packet[..len]).unwrap();
//!     if let Some(jfif) = receiver.push(&received)? {
//!         rebuilt = Some(jfif.len()); // a complete JFIF any decoder opens
//!     }
//! }
//! assert_eq!(packetizer.packet_count(), 3);
//! assert!(rebuilt.is_some());
//! assert_eq!(receiver.frames_dropped(), 0);
//! # Ok::<(), rtsp_core::jpeg::Error>(())
//! ```

mod depacketizer;
mod error;
mod frame;
mod header;
pub mod intervals;
mod jfif;
pub(crate) mod markers;
mod packetizer;
#[cfg(test)]
mod partial_tests;
pub mod recode;
pub mod restart;
mod tables;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_aligned;

pub use depacketizer::{Assembled, Depacketizer};
pub use error::Error;
pub use frame::{Frame, QuantTable};
pub use header::{MainHeader, Payload, QuantHeader, RestartHeader, Type};
pub use intervals::IntervalMap;
pub use jfif::JfifHeader;
pub use packetizer::{Packetizer, Parts};
pub use tables::{estimate_quality, make_tables};

/// RTP payload type 26, assigned to JPEG by RFC 3551 §6 (RFC 2435 §3).
pub const PAYLOAD_TYPE: u8 = 26;
/// RTP clock rate for JPEG video (RFC 2435 §3: 90 kHz).
pub const CLOCK_RATE: u32 = 90_000;
/// Q value announcing in-band tables that may change every frame
/// (RFC 2435 §3.1.4, §4.2).
pub const Q_DYNAMIC: u8 = 255;
