//! A polled [`smoltcp::phy::Device`] for the Stellaris LM3S6965 Ethernet MAC,
//! as QEMU's `lm3s6965evb` emulates it (no crate exists for it).
//!
//! The MAC moves whole frames through one 32-bit FIFO register (LM3S6965
//! datasheet §15.3):
//!
//! ```text
//! RX FIFO, per frame (MACNP counts whole frames waiting):
//!   word 0: | len lo | len hi | dst[0] | dst[1] |   len = 2 + frame + 4 (FCS)
//!   word 1: | dst[2] | dst[3] | dst[4] | dst[5] |   ... ceil(len / 4) words
//! TX FIFO, per frame:
//!   word 0: | (frame len - 14) lo | hi | frame[0] | frame[1] |
//!   word 1: | frame[2] ... frame[5] |               ... then MACTR = 1
//! ```
//!
//! Transmission is started by writing MACTR.NEWTX. Threshold mode (MACTHR
//! below 0x3F) must stay off: combined with MACTR, QEMU sends the frame twice.

use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

use crate::hw::{Mac, MacReg};

/// Largest Ethernet frame we move (1500-byte MTU + 14-byte header), without FCS.
pub const MAX_FRAME: usize = 1514;
/// Driver buffer size: a whole frame, rounded up to whole FIFO words.
pub const BUF_LEN: usize = 1516;

const RCTL_RXEN: u32 = 1 << 0;
const RCTL_BADCRC: u32 = 1 << 3;
const RCTL_RSTFIFO: u32 = 1 << 4;
const TCTL_TXEN: u32 = 1 << 0;
const TCTL_PADEN: u32 = 1 << 1;
const TCTL_CRC: u32 = 1 << 2;
const TCTL_DUPLEX: u32 = 1 << 4;
const THR_DISABLED: u32 = 0x3F;
const TR_NEWTX: u32 = 1 << 0;
/// Bytes of the RX length word that are not frame: the 2-byte length itself
/// and the 4-byte FCS.
const RX_OVERHEAD: usize = 6;

/// Frame buffers the driver copies through (the FIFO is word-wide, smoltcp
/// wants byte slices).
#[derive(Debug)]
pub struct Buffers {
    rx: [u8; BUF_LEN],
    tx: [u8; BUF_LEN],
}

impl Buffers {
    /// Zeroed buffers, for a `static`.
    pub const fn new() -> Self {
        Buffers {
            rx: [0; BUF_LEN],
            tx: [0; BUF_LEN],
        }
    }
}

/// The polled Ethernet device.
#[derive(Debug)]
pub struct StellarisEth {
    mac: Mac,
    bufs: &'static mut Buffers,
    /// Frames dropped because they did not fit [`MAX_FRAME`].
    pub rx_oversized: u32,
}

impl StellarisEth {
    /// Resets the RX FIFO and enables the receiver and transmitter (padding
    /// and CRC by the MAC, full duplex, no interrupts: the main loop polls).
    pub fn new(mut mac: Mac, bufs: &'static mut Buffers) -> Self {
        mac.write(MacReg::Im, 0);
        // Note: `enable_wakeups` later unmasks RXINT to end `wfi`.
        mac.write(MacReg::Rctl, RCTL_RSTFIFO);
        mac.write(MacReg::Rctl, RCTL_RXEN | RCTL_BADCRC);
        mac.write(
            MacReg::Tctl,
            TCTL_TXEN | TCTL_PADEN | TCTL_CRC | TCTL_DUPLEX,
        );
        mac.write(MacReg::Thr, THR_DISABLED);
        mac.write(MacReg::RisIack, 0x7F);
        StellarisEth {
            mac,
            bufs,
            rx_oversized: 0,
        }
    }

    /// The station address the board was given (QEMU: `52:54:00:12:34:56`
    /// unless `-nic ...,mac=` says otherwise).
    pub fn mac_address(&self) -> [u8; 6] {
        let lo = self.mac.read(MacReg::Ia0).to_le_bytes();
        let hi = self.mac.read(MacReg::Ia1).to_le_bytes();
        [lo[0], lo[1], lo[2], lo[3], hi[0], hi[1]]
    }

    /// Arms the wake-ups of [`sleep`](Self::sleep) (see `hw::enable_wakeups`).
    pub fn enable_wakeups(&mut self, period: u32) {
        crate::hw::enable_wakeups(&mut self.mac, period);
    }

    /// Whether received frames wait in the FIFO.
    pub fn rx_pending(&self) -> bool {
        self.mac.read(MacReg::Np) != 0
    }

    /// Sleeps (`wfi`) until a frame arrives or the wake timer ticks.
    pub fn sleep(&mut self) {
        self.mac.sleep();
    }

    /// Pops one whole frame from the RX FIFO into the RX buffer; returns its
    /// length, or `None` if it was dropped (too large) or none is waiting.
    fn pop_frame(&mut self) -> Option<usize> {
        if self.mac.read(MacReg::Np) == 0 {
            return None;
        }
        let first = self.mac.read(MacReg::Data).to_le_bytes();
        let fifo_len = usize::from(u16::from_le_bytes([first[0], first[1]]));
        let words = fifo_len.div_ceil(4);
        let frame_len = fifo_len.saturating_sub(RX_OVERHEAD);
        if frame_len > MAX_FRAME || fifo_len < RX_OVERHEAD {
            // Drain the rest of the frame so the FIFO stays in step.
            for _ in 1..words {
                self.mac.read(MacReg::Data);
            }
            self.rx_oversized = self.rx_oversized.wrapping_add(1);
            return None;
        }
        let rx = &mut self.bufs.rx;
        rx[0] = first[2];
        rx[1] = first[3];
        // Words 1.. carry frame bytes 2.. (and, at the end, the FCS, which
        // lands past `frame_len` or is read and discarded).
        for i in 1..words {
            let word = self.mac.read(MacReg::Data).to_le_bytes();
            let at = 4 * i - 2;
            for (k, b) in word.iter().enumerate() {
                if let Some(slot) = rx.get_mut(at + k) {
                    *slot = *b;
                }
            }
        }
        Some(frame_len)
    }
}

/// A received frame, borrowed from the driver's RX buffer.
#[derive(Debug)]
pub struct RxToken<'a>(&'a [u8]);

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

/// Room for one frame to send, pushed into the TX FIFO on `consume`.
#[derive(Debug)]
pub struct TxToken<'a> {
    mac: &'a mut Mac,
    buf: &'a mut [u8; BUF_LEN],
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let len = len.min(MAX_FRAME);
        let result = f(&mut self.buf[..len]);
        // Zero the tail of the last word so no stale bytes go out as padding.
        let padded = (len + 2).div_ceil(4) * 4 - 2;
        self.buf[len..padded.min(BUF_LEN)].fill(0);
        let data_len = len.saturating_sub(14) as u32;
        let first = data_len | u32::from(self.buf[0]) << 16 | u32::from(self.buf[1]) << 24;
        self.mac.write(MacReg::Data, first);
        for chunk in self.buf[2..padded.min(BUF_LEN)].chunks_exact(4) {
            let word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            self.mac.write(MacReg::Data, word);
        }
        self.mac.write(MacReg::Tr, TR_NEWTX);
        result
    }
}

impl Device for StellarisEth {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        let len = self.pop_frame()?;
        let Buffers { rx, tx } = &mut *self.bufs;
        Some((
            RxToken(&rx[..len]),
            TxToken {
                mac: &mut self.mac,
                buf: tx,
            },
        ))
    }

    fn transmit(&mut self, _now: Instant) -> Option<TxToken<'_>> {
        // A frame still waiting to go out owns the TX FIFO (real hardware;
        // QEMU sends synchronously and always reads 0).
        if self.mac.read(MacReg::Tr) & TR_NEWTX != 0 {
            return None;
        }
        Some(TxToken {
            mac: &mut self.mac,
            buf: &mut self.bufs.tx,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MAX_FRAME;
        caps.max_burst_size = Some(1);
        caps
    }
}
