//! Time from SysTick, behind [`embedded_time::Clock`] — the same trait the
//! std hosts satisfy with `std_embedded_time::StandardClock`, so the core's
//! sessions see one kind of `now` everywhere.
//!
//! SysTick is a 24-bit down-counter. Clocked by the core (CLKSOURCE = 1) on
//! QEMU's lm3s6965evb it runs at 12.5 MHz after reset and wraps every
//! 2^24 / 12.5 MHz = 1.34 s, so the clock is extended in software: every
//! read adds the ticks elapsed since the previous read. The main loop reads
//! it many times a second, far more often than once per wrap.

use core::cell::Cell;
use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use embedded_time::clock::Error;
use embedded_time::fraction::Fraction;
use embedded_time::{Clock, Instant};

/// SysTick input frequency with CLKSOURCE = 1 on QEMU's lm3s6965evb.
pub const TICK_HZ: u32 = 12_500_000;
const RELOAD: u32 = 0x00FF_FFFF;

/// Milliseconds since boot as of the latest clock read, for defmt timestamps.
static MILLIS: AtomicU32 = AtomicU32::new(0);

defmt::timestamp!("{=u32:ms}", MILLIS.load(Ordering::Relaxed));

/// A monotonic 64-bit tick count extended from SysTick.
pub struct SysTickClock {
    _syst: SYST,
    last: Cell<u32>,
    ticks: Cell<u64>,
}

impl SysTickClock {
    /// Starts SysTick free-running from the core clock, no interrupt.
    pub fn new(mut syst: SYST) -> Self {
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(RELOAD);
        syst.clear_current();
        syst.disable_interrupt();
        syst.enable_counter();
        SysTickClock {
            _syst: syst,
            last: Cell::new(SYST::get_current()),
            ticks: Cell::new(0),
        }
    }

    /// Now, as the core's microsecond instant, through the
    /// `embedded_time::Clock` impl below (`Instant::from_clock`), exactly as
    /// the std hosts convert `StandardClock` instants.
    pub fn now(&self) -> rtsp_core::Instant {
        match self.try_now() {
            Ok(instant) => rtsp_core::Instant::from_clock(instant),
            // `try_now` cannot fail for this clock.
            Err(_) => rtsp_core::Instant::ZERO,
        }
    }

    /// Microseconds since boot.
    pub fn micros(&self) -> u64 {
        self.now().as_micros()
    }

    /// Reads SysTick and extends it; also publishes milliseconds for defmt.
    fn tick(&self) -> u64 {
        let current = SYST::get_current();
        // Down-counter: elapsed = previous - current, modulo 2^24.
        let elapsed = self.last.get().wrapping_sub(current) & RELOAD;
        self.last.set(current);
        let ticks = self.ticks.get() + u64::from(elapsed);
        self.ticks.set(ticks);
        MILLIS.store(
            (ticks / u64::from(TICK_HZ / 1000)) as u32,
            Ordering::Relaxed,
        );
        ticks
    }
}

impl Clock for SysTickClock {
    type T = u64;
    const SCALING_FACTOR: Fraction = Fraction::new(1, TICK_HZ);

    fn try_now(&self) -> Result<Instant<Self>, Error> {
        Ok(Instant::new(self.tick()))
    }
}
