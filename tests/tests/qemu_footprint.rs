//! qemu-demo's RAM footprint with two clients playing at once (one over UDP,
//! one over TCP interleaved): statics plus the stack high-water mark, which
//! the firmware measures by painting its stack at boot and logs every second
//! with `stats=1`. The budget is 32 KiB of the board's 64 KiB.

mod qemu_support;

use std::process::Command;

use qemu_support::*;
use rtsp_e2e::{peer, Proc, DEADLINE};

#[test]
fn ram_with_two_clients_playing_stays_within_32_kib() {
    let mut guest = Guest::boot("stats=1");
    let ffmpeg = |transport: &str| {
        let mut cmd = Command::new(peer("ffmpeg"));
        cmd.args([
            "-nostdin",
            "-v",
            "error",
            "-rtsp_transport",
            transport,
            "-timeout",
            "20000000",
        ])
        .args(["-i", &guest.url(), "-t", "4", "-f", "null", "-"]);
        Proc::spawn(transport, &mut cmd)
    };
    let mut clients = [ffmpeg("udp"), ffmpeg("tcp")];
    guest.proc.wait_for_line("playing=2", DEADLINE);
    for c in &mut clients {
        let status = c.wait_exit(DEADLINE);
        assert!(status.success(), "{} failed:\n{}", c.name, c.output());
    }
    // One more stats line after both finished: the peak is monotonic.
    let seen = stats_lines(&guest.proc.output()).len();
    assert!(
        rtsp_e2e::wait_until(DEADLINE, || stats_lines(&guest.proc.output()).len() > seen),
        "no stats line after the clients finished"
    );
    let lines = stats_lines(&guest.proc.output());
    assert!(
        lines.iter().any(|l| l.0 == 2),
        "never saw two clients playing: {lines:?}"
    );
    let (_, statics, stack) = *lines.last().unwrap();
    let total = statics + stack;
    eprintln!(
        "qemu-demo RAM with 2 clients: statics {statics} B + stack peak {stack} B = {total} B"
    );
    assert!(
        stack > 512,
        "stack peak {stack} B is implausibly small: painting broken?"
    );
    assert!(
        total <= 32 * 1024,
        "RAM {total} B exceeds the 32 KiB budget"
    );
    guest.assert_alive();
}
