//! The firmware publishes (qemu-demo `--features push`): built with
//! `PUSH_URL=rtsp://10.0.2.2:PORT/cam`, it sends its flash clip to
//! rtsp-server on the host through QEMU's user network (ANNOUNCE, SETUP
//! mode=record over TCP interleaved, RECORD: the core's client session and
//! publisher), and ffmpeg plays the path from rtsp-server and through a
//! relay pulling it (`--pull`): every frame decodes and its scan data is
//! byte for byte one of the firmware's clip frames, in the clip's order;
//! the firmware stays within its RAM budget.

mod qemu_support;
mod server_util;

use qemu_support::*;
use rtsp_e2e::{ecs, ffmpeg_copy_pull, Scratch, DEADLINE};
use server_util::Server;

/// The firmware's RAM budget (statics plus stack peak), as serving.
const RAM_BUDGET: usize = 32 * 1024;

#[test]
fn firmware_publishes_to_rtsp_server_and_ffmpeg_plays_it_direct_and_relayed_byte_exact() {
    // A short session timeout: the publisher must keep its session alive
    // (GET_PARAMETER at half of it, RFC 2326 §12.37) for the whole test.
    let server = Server::start(&["--publish-paths", "cam", "--session-timeout", "4"]);
    let elf = firmware_push(&format!("rtsp://10.0.2.2:{}/cam", server.port));
    let mut guest = Guest::boot_elf(&elf, "stats=1");
    guest.proc.wait_for_line("push: recording", DEADLINE);
    server.proc.wait_for_line("records cam", DEADLINE);

    let scratch = Scratch::new("qemu-push");
    let relay = Server::start(&["--pull", &format!("cam={}", server.url("cam"))]);
    let clip: Vec<Vec<u8>> = clip_frames().iter().map(|f| ecs(f)).collect();
    for (tag, url) in [("direct", server.url("cam")), ("relayed", relay.url("cam"))] {
        let (decoded, received) = ffmpeg_copy_pull(&scratch, tag, &url, "tcp", 4);
        // 4 s of the 10 fps clip.
        assert!(
            received.len() >= 30,
            "{tag}: {} frames in 4 s",
            received.len()
        );
        assert!(
            decoded.len().abs_diff(received.len()) <= 1,
            "{tag}: {} frames decoded of {} received",
            decoded.len(),
            received.len()
        );
        let mut last: Option<usize> = None;
        let mut in_order = 0;
        for (n, f) in received.iter().enumerate() {
            let scan = ecs(f);
            let Some(i) = clip.iter().position(|c| *c == scan) else {
                panic!("{tag}: frame {n} is no frame of the firmware's clip");
            };
            if last.is_some_and(|l| (l + 1) % clip.len() == i) {
                in_order += 1;
            }
            last = Some(i);
        }
        // In the clip's order; a live queue on a busy machine may drop a
        // frame, never many.
        assert!(
            in_order * 10 >= (received.len() - 1) * 9,
            "{tag}: {in_order} of {} frames follow their predecessor",
            received.len()
        );
    }

    // Keep-alives from the firmware's client session held the session.
    server
        .proc
        .wait_for_line("GET_PARAMETER rtsp://10.0.2.2", DEADLINE);
    let log = server.proc.output();
    assert!(
        !log.contains("expired"),
        "the publisher's session expired:\n{log}"
    );

    // RAM while publishing: statics plus the stack's high-water mark.
    let seen = stats_lines(&guest.proc.output()).len();
    assert!(rtsp_e2e::wait_until(DEADLINE, || {
        stats_lines(&guest.proc.output()).len() > seen
    }));
    let (playing, statics, stack) = *stats_lines(&guest.proc.output()).last().unwrap();
    assert_eq!(playing, 1, "publishing");
    eprintln!(
        "RAM publishing: statics {statics} + stack peak {stack} = {} B",
        statics + stack
    );
    assert!(
        statics + stack <= RAM_BUDGET,
        "statics {statics} + stack {stack} over {RAM_BUDGET}"
    );
    guest.assert_alive();

    // The server goes away and comes back on its port: the firmware
    // publishes again by itself.
    let port = server.port;
    drop(server);
    guest
        .proc
        .wait_for_line("push: connection closed", DEADLINE);
    let server = Server::start_on(port, &["--publish-paths", "cam"]);
    server.proc.wait_for_line("records cam", DEADLINE);
    guest.assert_alive();
}
