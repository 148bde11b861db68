//! The firmware's only `unsafe` code: memory-mapped registers of the
//! Stellaris Ethernet MAC and general-purpose timer, interrupt numbers for
//! sleeping, the fault handlers, stack painting, and reading the command
//! line from the semihosting host.
//!
//! Everything else in the firmware is `#![deny(unsafe_code)]` and reaches the
//! hardware through the safe wrappers below. Each `unsafe` block says why it
//! is sound.
#![allow(unsafe_code)]

use core::ptr::{read_volatile, write_volatile};
use core::sync::atomic::{AtomicBool, Ordering};

/// Base address of the Ethernet MAC (LM3S6965 datasheet, table 2-4).
const MAC_BASE: usize = 0x4004_8000;
/// System control: Run-Mode Clock Gating Control 2 (LM3S6965 datasheet §6.5).
const SYSCTL_RCGC2: usize = 0x400F_E108;
/// RCGC2 bits EMAC0 (28) and EPHY0 (30): clock the MAC and its PHY.
const RCGC2_ETHERNET: u32 = (1 << 28) | (1 << 30);

/// MAC registers used by the driver (LM3S6965 datasheet §15.5, offsets from
/// [`MAC_BASE`]).
#[derive(Clone, Copy, Debug, defmt::Format)]
#[repr(usize)]
pub enum MacReg {
    /// Raw interrupt status (read) / acknowledge (write).
    RisIack = 0x00,
    /// Interrupt mask.
    Im = 0x04,
    /// Receive control (RXEN, AMUL, PRMS, BADCRC, RSTFIFO).
    Rctl = 0x08,
    /// Transmit control (TXEN, PADEN, CRC, DUPLEX).
    Tctl = 0x0C,
    /// The RX/TX FIFO, one 32-bit word at a time.
    Data = 0x10,
    /// Station address, bytes 0..4.
    Ia0 = 0x14,
    /// Station address, bytes 4..6.
    Ia1 = 0x18,
    /// Transmit threshold; 0x3F (reset value) disables threshold mode.
    Thr = 0x1C,
    /// Number of whole frames waiting in the RX FIFO.
    Np = 0x34,
    /// Transmission request: write 1 to send the frame in the TX FIFO.
    Tr = 0x38,
}

/// Exclusive handle on the MAC's registers; [`Mac::take`] hands out one.
#[derive(Debug)]
pub struct Mac {
    _private: (),
}

static MAC_TAKEN: AtomicBool = AtomicBool::new(false);

impl Mac {
    /// Returns the only handle, once, after clocking the MAC.
    pub fn take() -> Option<Mac> {
        if MAC_TAKEN.swap(true, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: RCGC2 is a documented, always-mapped, 4-byte-aligned system
        // control register; setting the Ethernet gate bits has no effect on
        // anything but the MAC/PHY clocks, and nothing else writes RCGC2.
        unsafe {
            let rcgc2 = SYSCTL_RCGC2 as *mut u32;
            write_volatile(rcgc2, read_volatile(rcgc2) | RCGC2_ETHERNET);
        }
        Some(Mac { _private: () })
    }

    /// Reads one MAC register (reading [`MacReg::Data`] pops the RX FIFO).
    pub fn read(&self, reg: MacReg) -> u32 {
        // SAFETY: MAC_BASE + offset is a mapped, aligned 32-bit MAC register
        // (the enum holds only documented offsets); register reads have no
        // memory-safety side effects, and `Mac` is a singleton so no other
        // code races on the FIFO.
        unsafe { read_volatile((MAC_BASE + reg as usize) as *const u32) }
    }

    /// Writes one MAC register (writing [`MacReg::Data`] pushes the TX FIFO).
    pub fn write(&mut self, reg: MacReg, value: u32) {
        // SAFETY: as in `read`; `&mut self` makes writes exclusive.
        unsafe { write_volatile((MAC_BASE + reg as usize) as *mut u32, value) }
    }
}

/// General-purpose timer 0 (LM3S6965 datasheet §10.5).
const TIMER0_BASE: usize = 0x4003_0000;
/// RCGC1 (datasheet §6.5): bit 16 clocks timer 0.
const SYSCTL_RCGC1: usize = 0x400F_E104;
const GPTM_CFG: usize = 0x000;
const GPTM_TAMR: usize = 0x004;
const GPTM_CTL: usize = 0x00C;
const GPTM_IMR: usize = 0x018;
const GPTM_ICR: usize = 0x024;
const GPTM_TAILR: usize = 0x028;
/// MACIM/MACRIS bit RXINT: a frame was received.
const MAC_RXINT: u32 = 1 << 0;

/// The two interrupts that wake the CPU from `wfi` (LM3S6965 vector table,
/// datasheet table 2-9). They never run a handler: PRIMASK stays set, and
/// a pending, enabled interrupt wakes `wfi` all the same (ARMv7-M ARM B1.5.19).
#[derive(Clone, Copy, Debug)]
#[repr(u16)]
enum Irq {
    Timer0A = 19,
    Ethernet = 42,
}

// SAFETY: the numbers are valid LM3S6965 interrupt numbers (< 240).
unsafe impl cortex_m::interrupt::InterruptNumber for Irq {
    fn number(self) -> u16 {
        self as u16
    }
}

fn timer0_write(offset: usize, value: u32) {
    // SAFETY: TIMER0_BASE + offset is one of the documented, aligned GPTM
    // registers above; only this module touches timer 0.
    unsafe { write_volatile((TIMER0_BASE + offset) as *mut u32, value) }
}

/// Arms the wake-ups used by [`Mac::sleep`]: timer 0 times out every
/// `period` timer clocks, and the MAC signals received frames; both are
/// enabled in the NVIC with interrupts masked (PRIMASK), so they only end a
/// `wfi` and never run a handler.
pub fn enable_wakeups(mac: &mut Mac, period: u32) {
    cortex_m::interrupt::disable();
    // SAFETY: RCGC1 is a documented system control register; setting the
    // timer 0 gate bit only starts that timer's clock.
    unsafe {
        let rcgc1 = SYSCTL_RCGC1 as *mut u32;
        write_volatile(rcgc1, read_volatile(rcgc1) | 1 << 16);
    }
    timer0_write(GPTM_CTL, 0); // disabled while configured
    timer0_write(GPTM_CFG, 0); // 32-bit timer
    timer0_write(GPTM_TAMR, 0x2); // periodic
    timer0_write(GPTM_TAILR, period);
    timer0_write(GPTM_IMR, 1); // time-out interrupt
    timer0_write(GPTM_CTL, 1); // enable timer A
    mac.write(MacReg::Im, MAC_RXINT);
    // SAFETY: unmasking cannot break a critical section here: PRIMASK is set
    // for the rest of the program, so no handler ever runs for these.
    unsafe {
        cortex_m::peripheral::NVIC::unmask(Irq::Timer0A);
        cortex_m::peripheral::NVIC::unmask(Irq::Ethernet);
    }
}

impl Mac {
    /// Sleeps until a frame arrives or the wake timer ticks (at most one
    /// timer period), then clears both causes.
    pub fn sleep(&mut self) {
        cortex_m::asm::wfi();
        timer0_write(GPTM_ICR, 1);
        self.write(MacReg::RisIack, MAC_RXINT);
        cortex_m::peripheral::NVIC::unpend(Irq::Timer0A);
        cortex_m::peripheral::NVIC::unpend(Irq::Ethernet);
    }
}

/// Word written over the unused stack at boot; the first word that differs,
/// counting up from the bottom of the stack, marks the deepest use.
const STACK_PAINT: u32 = 0xC0DE_CAFE;

extern "C" {
    // cortex-m-rt's linker script: the stack grows down from `_stack_start`
    // (end of RAM) towards `_stack_end` (end of .bss/.uninit, 4-aligned).
    static _stack_start: u32;
    static _stack_end: u32;
}

fn stack_bounds() -> (usize, usize) {
    // Only the addresses of the linker symbols are taken, never their
    // (meaningless) values: no unsafe needed.
    (
        core::ptr::addr_of!(_stack_end) as usize,
        core::ptr::addr_of!(_stack_start) as usize,
    )
}

/// Paints the free stack below the current frame (keeping a 256-byte margin
/// under the stack pointer) with [`STACK_PAINT`]. Call once, early in `main`.
pub fn paint_stack() {
    let (bottom, _) = stack_bounds();
    let sp = cortex_m::register::msp::read() as usize;
    let top = sp.saturating_sub(256) & !3;
    let mut addr = bottom;
    while addr < top {
        // SAFETY: [bottom, top) lies between the end of the statics and
        // 256 bytes below the live stack pointer: RAM that no Rust object
        // occupies (no heap exists), so overwriting it aliases nothing.
        unsafe { write_volatile(addr as *mut u32, STACK_PAINT) };
        addr += 4;
    }
}

/// Bytes of stack used so far at the deepest point (high-water mark), from
/// the painted words [`paint_stack`] left untouched.
pub fn stack_high_water() -> usize {
    let (bottom, top) = stack_bounds();
    let mut addr = bottom;
    while addr < top {
        // SAFETY: an aligned word of our own RAM between the statics and the
        // top of the stack; a volatile read of it cannot fault.
        if unsafe { read_volatile(addr as *const u32) } != STACK_PAINT {
            break;
        }
        addr += 4;
    }
    top - addr
}

/// Bytes of RAM occupied by statics (.data + .bss + .uninit), i.e. from the
/// start of RAM to the bottom of the stack.
pub fn statics_size() -> usize {
    stack_bounds().0 - 0x2000_0000
}

/// Reads the command line QEMU passes to the guest (`-semihosting-config
/// ...,arg=A,arg=B` joins the args with spaces) into `buf`; `None` if the
/// host refuses or it is not UTF-8.
pub fn semihosting_cmdline(buf: &mut [u8]) -> Option<&str> {
    // ARM semihosting SYS_GET_CMDLINE (0x15): r1 points at a two-word block,
    // {buffer address, buffer size}; the host writes the string (with a NUL)
    // and stores its length in the second word.
    let mut block = [buf.as_mut_ptr() as usize, buf.len()];
    // SAFETY: `block` and `buf` are live, writable and exclusively ours for
    // the duration of the call; the host writes at most `buf.len()` bytes
    // into `buf` and one word into `block[1]`, then returns.
    let status = unsafe {
        cortex_m_semihosting::syscall1(
            cortex_m_semihosting::nr::GET_CMDLINE,
            block.as_mut_ptr() as usize,
        )
    };
    if status != 0 {
        return None;
    }
    let len = block[1].min(buf.len());
    core::str::from_utf8(buf.get(..len)?).ok()
}

// A fault exits QEMU with a failure code (semihosting) instead of hanging, so
// a test sees the crash at once.
// SAFETY (of the `unsafe fn` signature required by cortex-m-rt): the handler
// only reads the stacked frame it is given and never returns.
#[cortex_m_rt::exception]
unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    defmt::error!(
        "HardFault at pc={=u32:#x} lr={=u32:#x}",
        frame.pc(),
        frame.lr()
    );
    crate::exit_failure()
}

// Any other unexpected exception or interrupt: same policy as HardFault.
// SAFETY: as for HardFault.
#[cortex_m_rt::exception]
unsafe fn DefaultHandler(irqn: i16) {
    defmt::error!("unexpected exception or interrupt {=i16}", irqn);
    crate::exit_failure()
}
