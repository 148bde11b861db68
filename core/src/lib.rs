//! # rtsp-core
//!
//! A `no_std`, allocation-free, sans-IO core for streaming MJPEG over RTP,
//! controlled by RTSP. It owns no socket and reads no clock: hosts hand it
//! bytes and the current time, and drain what it wants to send.
//!
//! ```text
//!  +------------------------------------------------------------------------+
//!  | session::{server, client}   sans-IO state machines (RFC 2326 §A)        |
//!  |   handle_*(now, input) -> poll_transmit(now, buf) / poll_event() /      |
//!  |   poll_timeout()                                                        |
//!  +------------------------------------------------------------------------+
//!  | rtsp (RFC 2326/7826)  sdp (RFC 4566)  rtp (RFC 3550 §5)  rtcp (§6)      |
//!  | jpeg (RFC 2435)       mjpeg (containers)   stats (RFC 3550 A.1/A.3/A.8) |
//!  | tunnel (RTSP over HTTP: the QuickTime GET/POST pair, base64 input)      |
//!  +------------------------------------------------------------------------+
//!  | limits (every capacity)   time (Instant/Duration from embedded-time)    |
//!  +------------------------------------------------------------------------+
//! ```
//!
//! ## Contract
//!
//! * **No panics on input.** A panic is a bug, never a reaction to bytes from
//!   the network or a file. Every parser returns a typed error; fuzz targets
//!   under `core/fuzz` and a malformed-input test enforce this.
//! * **No allocation.** Buffers are caller-owned `&mut [u8]` or `heapless`
//!   types sized by [`limits`]. Writers report the size they need.
//! * **Wire formats** follow smoltcp: `Packet<T: AsRef<[u8]>>` views with
//!   `new_checked`, after which no accessor panics, and `Repr` types with
//!   `parse`, `emit` and `buffer_len`.
//! * **Errors** are one small `Copy` enum per layer, `#[non_exhaustive]`, with
//!   `Display`, `core::error::Error` and `defmt::Format` (feature `defmt`).
//!
//! ## Host run loop
//!
//! Every host (the std server and client, and the firmware) is the same loop:
//!
//! ```text
//! loop {
//!     let now = Instant::from_clock(clock.try_now()?);
//!     // 1. feed input
//!     session.handle_input(now, &bytes_from_socket)?;
//!     // 2. drain output until nothing is left
//!     while let Some(tx) = session.poll_transmit(now, &mut buf) { socket.send(tx) }
//!     while let Some(ev) = session.poll_event() { log(ev) }
//!     // 3. sleep until the next timer or input
//!     wait_until(session.poll_timeout());
//! }
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    clippy::std_instead_of_core,
    clippy::alloc_instead_of_core,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

#[cfg(test)]
extern crate std;

pub(crate) mod fmt;

pub mod jpeg;
pub mod limits;
pub mod mjpeg;
pub mod rtcp;
pub mod rtp;
pub mod rtsp;
pub mod sdp;
pub mod session;
pub mod stats;
pub mod time;
pub mod tunnel;

pub use time::{Duration, Instant};
