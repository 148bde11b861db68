//! qemu-demo: rtsp-core and smoltcp serving an MJPEG clip over RTSP/RTP from
//! a Cortex-M3 (QEMU `lm3s6965evb`: 256 KiB flash, 64 KiB SRAM).
//!
//! `cargo run --release` boots it under QEMU (see `run.sh`) and prints the
//! URL to play. Everything but [`hw`] is free of `unsafe`.

#![no_std]
#![no_main]
#![deny(unsafe_code)]
// The publishing build (`--features push`) uses the clip, the network and
// `Stream::pump_tcp` but not the server, its UDP path or the benchmarks.
#![cfg_attr(feature = "push", allow(dead_code, unused_imports))]

mod bench;
mod clip;
mod clock;
mod config;
mod eth;
mod hw;
mod net;
#[cfg(feature = "push")]
mod push;
#[cfg(not(feature = "push"))]
mod server;
mod stream;

use cortex_m_semihosting::debug;
use defmt_semihosting as _;

use clock::SysTickClock;
use config::{Config, Crash, Mode};
use net::Net;
#[cfg(not(feature = "push"))]
use server::Server;

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
    let mut cmdline = [0u8; 128];
    let config = Config::parse(hw::semihosting_cmdline(&mut cmdline).unwrap_or(""));
    defmt::info!("config: {}", config);
    let summary = match clip::check() {
        Ok(s) => s,
        Err(e) => {
            defmt::error!("clip.mjpeg cannot be streamed over RTP/JPEG: {}", e);
            exit_failure()
        }
    };
    defmt::info!(
        "clip: {} in {=usize} B of flash, {=u32} frames/s",
        summary,
        clip::CLIP.len(),
        clip::FPS
    );
    let now = smoltcp_now(&clock);
    let mut net = Net::new(mac, now, clock.micros() ^ 0x5eed_1e55);
    net.hello_gateway();
    net.poll(smoltcp_now(&clock));
    defmt::info!(
        "ready: rtsp://10.0.2.15:{=u16}/movie.Mjpeg ({=usize} B statics)",
        net::RTSP_PORT,
        hw::statics_size()
    );
    match config.crash {
        Crash::Panic => panic!("self-test panic (crash=panic)"),
        Crash::Fault => cortex_m::asm::udf(),
        Crash::No => {}
    }
    #[cfg(feature = "push")]
    push::run(
        &mut net,
        &clock,
        summary,
        clock.micros() as u32 | 1,
        config.stats_secs,
    );
    #[cfg(not(feature = "push"))]
    serve(&mut net, &clock, config, summary)
}

/// Serves RTSP clients until the end of time. Inlined into `main`: a
/// frame of its own measured 1.3 KB more stack peak with two clients.
#[cfg(not(feature = "push"))]
#[inline(always)]
fn serve(net: &mut Net, clock: &SysTickClock, config: Config, summary: clip::Summary) -> ! {
    if let Mode::UdpBench { port } = config.mode {
        bench::udp_send_loop(net, clock, port, rtsp_core::limits::RTP_DEFAULT_MTU);
    }
    let fast = config.mode == (Mode::Serve { fast: true });
    let mut server = Server::new(
        config.session_timeout_secs,
        fast,
        clock.micros() as u32,
        summary.frames,
        summary.width,
        summary.height,
    );
    defmt::info!(
        "sizes: server {=usize} B (session {=usize} B, stream {=usize} B per client)",
        core::mem::size_of::<Server>(),
        core::mem::size_of::<rtsp_core::session::server::ServerSession>(),
        core::mem::size_of::<stream::Stream>()
    );
    let mut next_stats = clock.micros();
    // Sleep between frames instead of spinning: wake on a received frame or
    // every millisecond (timer 0 at 12.5 MHz), the pacing granularity.
    net.eth.enable_wakeups(crate::clock::TICK_HZ / 1000);
    loop {
        let (now, now_net) = net.poll_clock(clock);
        server.poll(now, net);
        if !fast && server.idle() && net.idle(now_net) {
            net.eth.sleep();
        }
        if fast {
            server.meter.report(now, 1_000_000);
        }
        if config.stats_secs > 0 && now >= next_stats {
            next_stats = now + u64::from(config.stats_secs) * 1_000_000;
            log_stats(server.playing());
        }
    }
}

/// The footprint line the tests and the README read: RAM taken by statics
/// and the deepest stack use so far (painted stack, see `hw`).
pub fn log_stats(playing: usize) {
    defmt::info!(
        "stats: playing={=usize} statics={=usize} stack_peak={=usize}",
        playing,
        hw::statics_size(),
        hw::stack_high_water()
    );
}

fn smoltcp_now(clock: &SysTickClock) -> smoltcp::time::Instant {
    smoltcp::time::Instant::from_micros(clock.micros() as i64)
}
