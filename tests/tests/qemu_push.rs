//! The firmware publishes (qemu-demo `--features push`): built with
//! `PUSH_URL=rtsp://10.0.2.2:PORT/cam`, it sends its flash clip to
//! rtsp-server on the host through QEMU's user network (ANNOUNCE, SETUP
//! mode=record over TCP interleaved, RECORD: the core's client session and
//! publisher), and ffmpeg plays the path from rtsp-server: every frame
//! decodes and its scan data is byte for byte one of the firmware's clip
//! frames, in the clip's order; the firmware stays within its RAM budget.

mod qemu_support;
mod server_util;

use qemu_support::*;
use rtsp_e2e::{ecs, ffmpeg_copy_pull, Scratch, DEADLINE};
use server_util::Server;

/// The firmware's RAM budget (statics plus stack peak), as serving.
const RAM_BUDGET: usize = 32 * 1024;

#[test]
fn firmware_publishes_to_rtsp_server_and_ffmpeg_plays_it_byte_exact() {
    let server = Server::start(&["--publish-paths", "cam"]);
    let elf = firmware_push(&format!("rtsp://10.0.2.2:{}/cam", server.port));
    let mut guest = Guest::boot_elf(&elf, "stats=1");
    guest.proc.wait_for_line("push: recording", DEADLINE);
    server.proc.wait_for_line("records cam", DEADLINE);

    let scratch = Scratch::new("qemu-push");
    let (decoded, received) = ffmpeg_copy_pull(&scratch, "push", &server.url("cam"), "tcp", 4);
    // 4 s of the 10 fps clip.
    assert!(received.len() >= 30, "{} frames in 4 s", received.len());
    assert!(
        decoded.len().abs_diff(received.len()) <= 1,
        "{} frames decoded of {} received",
        decoded.len(),
        received.len()
    );
    let clip: Vec<Vec<u8>> = clip_frames().iter().map(|f| ecs(f)).collect();
    let mut last: Option<usize> = None;
    for (n, f) in received.iter().enumerate() {
        let scan = ecs(f);
        let Some(i) = clip.iter().position(|c| *c == scan) else {
            panic!("frame {n} is no frame of the firmware's clip");
        };
        if let Some(l) = last {
            assert_eq!(i, (l + 1) % clip.len(), "frame {n} after clip frame {l}");
        }
        last = Some(i);
    }

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
}
