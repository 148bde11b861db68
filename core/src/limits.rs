//! Every capacity of the core, in one place.
//!
//! The core never allocates: each bounded buffer or table is sized by one of
//! these constants, and exceeding one is a typed error naming it, never a
//! panic. Hosts size their own buffers from the same constants.

/// Longest RTSP request/status line or header line, in bytes (RFC 2326 §4).
pub const RTSP_MAX_LINE: usize = 1024;
/// Most headers in one RTSP message; callers pass a header array this long.
pub const RTSP_MAX_HEADERS: usize = 32;
/// Largest RTSP body (e.g. SDP) accepted by the parser, in bytes.
pub const RTSP_MAX_BODY: usize = 4096;
/// Largest whole RTSP message (start line, headers and body), in bytes.
pub const RTSP_MAX_MESSAGE: usize = 8192;
/// Most comma-separated alternatives kept from one `Transport:` header.
pub const TRANSPORT_MAX_ALTERNATIVES: usize = 4;
/// Longest RTSP session identifier we issue or accept (RFC 2326 §12.37).
pub const SESSION_ID_MAX: usize = 32;
/// Most entries kept from a `Public:` header.
pub const PUBLIC_MAX_METHODS: usize = 16;

/// Default RTP payload budget per packet (DESIGN.md: about 1400 bytes), so a
/// packet with IP/UDP headers fits a 1500-byte Ethernet MTU.
pub const RTP_DEFAULT_MTU: usize = 1400;
/// Largest RTP packet the core writes or reassembles, in bytes.
pub const RTP_MAX_PACKET: usize = 65_535;
/// Most CSRCs in one RTP header (the 4-bit CC field).
pub const RTP_MAX_CSRC: usize = 15;

/// Most report blocks in one RTCP SR or RR (the 5-bit RC field).
pub const RTCP_MAX_REPORT_BLOCKS: usize = 31;
/// Longest SDES CNAME we emit or keep.
pub const RTCP_CNAME_MAX: usize = 64;
/// Room for one compound RTCP packet we emit (SR/RR + SDES [+ BYE]).
pub const RTCP_MAX_COMPOUND: usize = 256;

/// Most `m=` sections kept from one SDP description.
pub const SDP_MAX_MEDIA: usize = 4;
/// Most attributes kept per SDP media section.
pub const SDP_MAX_ATTRIBUTES: usize = 16;

/// Most packets a [`ReorderWindow`](crate::rtp::ReorderWindow) holds while
/// one before them is missing (the caller's storage may allow fewer).
pub const RTP_REORDER_MAX_SLOTS: usize = 128;
/// A sequence-number jump ahead larger than this is a sender restarting its
/// numbering, not loss (RFC 3550 A.1 `MAX_DROPOUT`).
pub const RTP_REORDER_MAX_DROPOUT: u16 = 3000;
/// A packet further behind than this is either very late or the sender
/// restarting (RFC 3550 A.1 `MAX_MISORDER`).
pub const RTP_REORDER_MAX_MISORDER: u16 = 100;

/// Most quantization tables in one JPEG frame we carry (luma + chroma).
pub const JPEG_MAX_QUANT_TABLES: usize = 2;
/// Q values 128–254 whose in-band tables a depacketizer caches (RFC 2435 §3.1.8).
pub const JPEG_QUANT_CACHE: usize = 4;
/// Size of the JFIF headers the depacketizer writes in front of scan data.
pub const JPEG_MAX_HEADER: usize = 1024;
/// Largest frame dimension expressible in the RTP/JPEG header (255 × 8 px).
pub const JPEG_MAX_HEADER_DIMENSION: u16 = 2040;

// -- jpeg (owner "jpeg") --
/// Disjoint runs of scan data a depacketizer tracks within one frame while
/// packets arrive out of order (RFC 2435 §4.3); one more hole drops the frame.
pub const JPEG_REORDER_RANGES: usize = 32;
/// Most packets of one frame whose restart header (RFC 2435 §3.1.7) a
/// depacketizer remembers to salvage a frame with holes; a frame of more
/// packets is dropped whole when one is missing.
pub const JPEG_MAX_FRAME_PACKETS: usize = 256;
/// Most restart intervals per frame whose presence a depacketizer tracks
/// (RFC 2435 §3.1.7); a frame with more is dropped whole when one is
/// missing. A 640×480 frame cut every MCU row has 30.
pub const JPEG_MAX_INTERVALS: usize = 2048;
/// How far back (in 90 kHz ticks, 1 s) a packet's timestamp may lie and still
/// be taken for a late packet of an old frame rather than a stream restart.
pub const JPEG_LATE_WINDOW: u32 = 90_000;
/// Most scans in one JPEG frame the re-coder reads (a progressive frame has
/// about 10; libjpeg-turbo warns past 1000). More is taken for damage.
pub const JPEG_MAX_SCANS: usize = 100;
/// Largest frame the MJPEG `movie.Mjpeg` length prefix can announce (5 digits).
pub const MJPEG_LAB_MAX_FRAME: usize = 99_999;

/// Frames of history for sliding-window frame and data rates.
pub const STATS_WINDOW_FRAMES: usize = 64;

// -- stats (owner "rtp") --
/// Sequence numbers remembered behind the highest one to tell a duplicate
/// from a late packet (a bitmap of this many bits, 128 bytes).
pub const STATS_SEEN_WINDOW: usize = 1024;

// -- rtsp / session (owner "rtsp") --
/// Longest request URL a server session keeps for `Content-Base` and
/// `RTP-Info` (a longer one is answered 414, RFC 2326 §11.4.13).
pub const RTSP_URL_MAX: usize = 128;
/// Room a client session keeps for its aggregate and stream control URLs
/// together (RFC 2326 C.1.1).
pub const CLIENT_URLS_MAX: usize = 192;
/// Bytes a client session keeps of an RTP encoding name from SDP
/// `a=rtpmap` (RFC 4566 §6): the registered names in common use fit
/// (`JPEG`, `H264`, `H265`, `MP4V-ES`, `RAW`, `VP8`); a longer one is cut.
/// Eight keeps `ClientSession` within its 512 bytes.
pub const CLIENT_ENCODING_NAME_MAX: usize = 8;
/// Events a session queues between two `poll_event` drains.
pub const SESSION_MAX_EVENTS: usize = 4;
/// Default session timeout announced in `Session: id;timeout=` (RFC 2326 §12.37).
pub const SESSION_DEFAULT_TIMEOUT_SECS: u32 = 60;
/// How far behind its frame clock a server session may fall and still
/// catch up by sending the late frames back to back; further behind, it
/// skips to the frame due now (see `session::server` "Frame clock").
pub const FRAME_MAX_LATENESS_MS: u64 = 500;
/// Interval between RTCP sender/receiver reports (RFC 3550 §6.2, DESIGN.md: ~5 s).
pub const RTCP_REPORT_INTERVAL_SECS: u64 = 5;

// -- client authentication (owner "auth") --
/// Room an `AuthClientSession` keeps for the user, the password and the
/// Digest challenge's realm, nonce and opaque together, with one separator
/// between each (RFC 2326 §12.5, RFC 2617 §3.2.1); at most `u16::MAX`.
pub const CLIENT_AUTH_MAX: usize = 256;

// -- RTSP over HTTP tunnel (owner "tunnel") --
/// Longest `x-sessioncookie` a tunnel GET or POST may carry (the peers
/// send 16–23 characters); a longer one is refused with 400.
pub const TUNNEL_COOKIE_MAX: usize = 64;
