//! The core's one logging shim: `defmt` when the `defmt` feature is on,
//! nothing otherwise (embassy-net's `fmt.rs` pattern). Hosts log with
//! `tracing` from the events the sessions report, so the core never needs
//! `std` logging.

#![allow(unused_macros)]

macro_rules! trace {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        defmt::trace!($($arg)*);
    }};
}

macro_rules! debug {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        defmt::debug!($($arg)*);
    }};
}

macro_rules! warning {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        defmt::warn!($($arg)*);
    }};
}

#[allow(unused_imports)]
pub(crate) use {debug, trace, warning};
