//! qemu-demo: rtsp-core and smoltcp serving an MJPEG clip over RTSP/RTP from
//! a Cortex-M3 (QEMU `lm3s6965evb`: 256 KiB flash, 64 KiB SRAM).
//!
//! `cargo run --release` boots it under QEMU (see `run.sh`) and prints the
//! URL to play. Everything but [`hw`] is free of `unsafe`.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

mod clock;
mod eth;
mod hw;
mod net;

use cortex_m_semihosting::debug;
use defmt_semihosting as _;
use smoltcp::socket::tcp;

use clock::SysTickClock;
use net::Net;

/// Ends the QEMU run with a failure exit code (semihosting `SYS_EXIT`).
pub fn exit_failure() -> ! {
    debug::exit(debug::EXIT_FAILURE);
    // Outside a semihosting host `exit` returns: stop here rather than run on.
    loop {
        cortex_m::asm::bkpt();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    defmt::error!("panic: {}", defmt::Display2Format(info));
    exit_failure()
}

#[cortex_m_rt::entry]
fn main() -> ! {
    hw::paint_stack();
    let Some(cp) = cortex_m::Peripherals::take() else {
        exit_failure()
    };
    let Some(mac) = hw::Mac::take() else {
        exit_failure()
    };
    let clock = SysTickClock::new(cp.SYST);
    let now = smoltcp_now(&clock);
    let mut net = Net::new(mac, now, clock.micros() ^ 0x5eed_1e55);
    net.hello_gateway();
    net.poll(smoltcp_now(&clock));
    defmt::info!(
        "ready: rtsp://10.0.2.15:{=u16}/movie.Mjpeg ({=usize} B statics)",
        net::RTSP_PORT,
        hw::statics_size()
    );
    loop {
        let now = smoltcp_now(&clock);
        net.poll(now);
        for i in 0..net::MAX_CLIENTS {
            let socket = net.sockets.get_mut::<tcp::Socket>(net.tcp[i]);
            if socket.can_recv() {
                let _ = socket.recv(|b| (b.len(), ()));
                let _ = socket.send_slice(b"RTSP/1.0 501 Not Implemented\r\nCSeq: 0\r\n\r\n");
            }
            if !socket.is_open() || socket.state() == tcp::State::CloseWait {
                net.listen(i);
            }
        }
    }
}

fn smoltcp_now(clock: &SysTickClock) -> smoltcp::time::Instant {
    smoltcp::time::Instant::from_micros(clock.micros() as i64)
}
