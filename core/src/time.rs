//! Time as plain values: the core owns no clock.
//!
//! Sessions take `now` as an [`Instant`] (microseconds since an arbitrary
//! epoch chosen by the host). Any [`embedded_time::Clock`] converts into it
//! with [`Instant::from_clock`]: the std hosts feed
//! `std_embedded_time::StandardClock` instants and the firmware its SysTick
//! clock, so the same session code runs on both. A concrete microsecond type
//! (rather than a generic `Instant<C>`) keeps every session type free of a
//! clock parameter and small.

use core::ops::{Add, Sub};

/// A point in time, in microseconds since the host's epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant(u64);

/// A span of time, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Duration(u64);

impl Instant {
    /// The host epoch itself.
    pub const ZERO: Instant = Instant(0);

    /// An instant `micros` microseconds after the epoch.
    pub const fn from_micros(micros: u64) -> Self {
        Instant(micros)
    }

    /// Microseconds since the epoch.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Converts an instant of any `embedded_time` clock (ticks × scaling
    /// factor), saturating instead of overflowing.
    pub fn from_clock<C>(instant: embedded_time::Instant<C>) -> Self
    where
        C: embedded_time::Clock,
        C::T: Into<u64>,
    {
        let since = instant.duration_since_epoch();
        let ticks: u64 = since.integer().into();
        let scale = since.scaling_factor();
        let num = u64::from(*scale.numerator()).saturating_mul(1_000_000);
        let den = u64::from((*scale.denominator()).max(1));
        // micros = ticks × num / den, split into whole and fractional
        // periods of `den` so it stays in u64: 128-bit division costs about
        // 4 KB of flash on a Cortex-M3. The remainder term is < den × num,
        // which fits u64 for every clock rate up to GHz; it saturates past that.
        let whole = (ticks / den).saturating_mul(num);
        let part = (ticks % den).saturating_mul(num) / den;
        Instant(whole.saturating_add(part))
    }

    /// Time elapsed since `earlier`, or zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration(0);

    /// A duration of `micros` microseconds.
    pub const fn from_micros(micros: u64) -> Self {
        Duration(micros)
    }

    /// A duration of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Duration(millis.saturating_mul(1_000))
    }

    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Duration(secs.saturating_mul(1_000_000))
    }

    /// Length in microseconds.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Length in whole milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0 / 1_000
    }

    /// Length in whole seconds.
    pub const fn as_secs(self) -> u64 {
        self.0 / 1_000_000
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_add(rhs.0))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_since(rhs)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        Duration(self.0.saturating_add(rhs.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_time::Clock;

    #[test]
    fn converts_standard_clock_nanoseconds_to_micros() {
        let clock = std_embedded_time::StandardClock::default();
        let a = Instant::from_clock(clock.try_now().unwrap());
        let b = Instant::from_clock(clock.try_now().unwrap());
        assert!(b >= a);
        assert!(b - a < Duration::from_secs(1));
    }

    #[test]
    fn converts_slow_and_fast_tick_rates_exactly() {
        #[derive(Debug)]
        struct SysTick;
        impl Clock for SysTick {
            type T = u64;
            const SCALING_FACTOR: embedded_time::fraction::Fraction =
                embedded_time::fraction::Fraction::new(1, 12_500_000);
            fn try_now(&self) -> Result<embedded_time::Instant<Self>, embedded_time::clock::Error> {
                Ok(embedded_time::Instant::new(0))
            }
        }
        // 12.5 MHz: 100 days of ticks converts without overflow or drift.
        let ticks = 12_500_000u64 * 86_400 * 100 + 25;
        let t = Instant::from_clock(embedded_time::Instant::<SysTick>::new(ticks));
        assert_eq!(t.as_micros(), 86_400 * 100 * 1_000_000 + 2);
    }

    #[test]
    fn arithmetic_saturates() {
        let t = Instant::from_micros(5);
        assert_eq!(t - Instant::from_micros(9), Duration::ZERO);
        assert_eq!(
            Instant::from_micros(u64::MAX) + Duration::from_secs(1),
            Instant::from_micros(u64::MAX)
        );
    }
}
