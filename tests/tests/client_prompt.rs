//! The interactive prompt, driven through a real terminal (tmux): setup,
//! play, pause, play, teardown, each answered in plain words with the
//! session state, a command invalid in the state refused with the reason,
//! and the server's own log confirming each step.

mod client_common;

use std::process::Command;
use std::time::Duration;

use client_common::{builtin_clip_scans, saved_clip_indices, start, start_with, Server};
use rtsp_e2e::{bin, peer, wait_until, Scratch, DEADLINE};

/// A tmux server on its own socket, killed (by that socket) on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new(cmdline: &str) -> Tmux {
        // One socket per terminal: the tests of this file run in parallel.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("rtsp-e2e-{}-{n}", std::process::id());
        let st = Command::new(peer("tmux"))
            .args([
                "-L",
                &socket,
                "new-session",
                "-d",
                "-s",
                "c",
                "-x",
                "200",
                "-y",
                "50",
                cmdline,
            ])
            // Keep the screen readable after the client exits.
            .args([";", "set-option", "-t", "c", "remain-on-exit", "on"])
            .status()
            .unwrap();
        assert!(st.success(), "tmux failed to start");
        Tmux { socket }
    }

    fn send(&self, line: &str) {
        let st = Command::new(peer("tmux"))
            .args(["-L", &self.socket, "send-keys", "-t", "c", line, "Enter"])
            .status()
            .unwrap();
        assert!(st.success());
    }

    fn screen(&self) -> String {
        let out = Command::new(peer("tmux"))
            .args([
                "-L",
                &self.socket,
                "capture-pane",
                "-p",
                "-t",
                "c",
                "-S",
                "-200",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// Waits until `needle` appears `count` times on the screen.
    fn wait_for(&self, needle: &str, count: usize) -> String {
        let ok = wait_until(DEADLINE, || self.screen().matches(needle).count() >= count);
        let s = self.screen();
        assert!(ok, "no {count}x {needle:?} on the terminal:\n{s}");
        s
    }
}

impl Tmux {
    /// Asks `stats` until its summary counts received frames.
    fn wait_for_frames(&self, when: &str) {
        let got = wait_until(DEADLINE, || {
            self.send("stats");
            std::thread::sleep(Duration::from_millis(300));
            self.screen()
                .lines()
                .any(|l| l.starts_with("summary:") && !l.contains(": 0 frames received"))
        });
        assert!(got, "no frames {when}:\n{}", self.screen());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

#[test]
fn client_prompt_drives_setup_play_pause_play_teardown() {
    let srv = start(Server::Ours);
    let t = Tmux::new(&format!(
        "{} {} --headless",
        bin("rtsp-client").display(),
        srv.url
    ));
    t.wait_for("rtsp>", 1);

    // Invalid in Init: says why, and the state.
    t.send("pause");
    t.wait_for(
        "cannot pause: no session yet: setup first (session Init)",
        1,
    );

    // describe and options answer from the server without a session.
    t.send("describe");
    t.wait_for("stream: JPEG (payload type 26)", 1);
    t.send("options");
    t.wait_for("the server supports", 2);

    t.send("setup");
    let s = t.wait_for("200 OK to SETUP", 1);
    assert!(s.contains("(session Ready)"), "{s}");
    srv.proc.wait_for_line("SETUP", DEADLINE);

    t.send("play");
    let s = t.wait_for("200 OK to PLAY: accepted; playing", 1);
    assert!(s.contains("(session Playing)"), "{s}");
    // Frames are arriving: `stats` shows them.
    t.wait_for_frames("while playing");

    t.send("pause");
    t.wait_for("200 OK to PAUSE: accepted; paused (session Ready)", 1);
    t.send("play");
    t.wait_for("200 OK to PLAY", 2);
    t.send("teardown");
    t.wait_for(
        "200 OK to TEARDOWN: accepted; session closed (session Init)",
        1,
    );
    t.send("play");
    t.wait_for("cannot play: no session yet: setup first (session Init)", 1);
    t.send("quit");
    t.wait_for("packets:", 1);

    // The server saw the same dialogue, each request accepted; `setup`
    // sent no PLAY of its own.
    let count = |method: &str| {
        srv.proc
            .output()
            .lines()
            .filter(|l| l.contains(&format!("{method} ")) && l.contains("200 OK"))
            .count()
    };
    assert!(
        wait_until(DEADLINE, || count("TEARDOWN") >= 1),
        "no TEARDOWN in the server log:\n{}",
        srv.proc.output()
    );
    for (method, n) in [("SETUP", 1), ("PLAY", 2), ("PAUSE", 1), ("TEARDOWN", 1)] {
        assert_eq!(
            count(method),
            n,
            "server log: {method}:\n{}",
            srv.proc.output()
        );
    }
}

/// The server closes a connection that has no session once it has been
/// quiet for the session timeout (here 2 s), as the prompt leaves it until
/// its user types `setup`: the client opens a new one, and setup and play
/// work as if nothing happened.
#[test]
fn client_prompt_survives_the_server_closing_its_idle_connection() {
    let srv = start_with(Server::Ours, &["--session-timeout", "2"]);
    let t = Tmux::new(&format!(
        "{} {} --headless",
        bin("rtsp-client").display(),
        srv.url
    ));
    t.wait_for("rtsp>", 1);
    srv.proc.wait_for_line("and no session", DEADLINE);
    t.send("setup");
    t.wait_for("200 OK to SETUP", 1);
    t.send("play");
    t.wait_for("200 OK to PLAY: accepted; playing", 1);
    t.wait_for_frames("after the new connection");
    t.send("quit");
    t.wait_for("packets:", 1);
}

#[test]
fn client_prompt_seeks_from_ready_and_while_playing() {
    let clip = builtin_clip_scans();
    // Frames are told apart by their scan data byte for byte: the clip as
    // it is, without the default restart re-coding.
    let srv = start_with(Server::Ours, &["--no-restart"]);
    let dir = Scratch::new("client-prompt-seek");
    let frames = dir.path("frames");
    let t = Tmux::new(&format!(
        "{} {} --headless --save-frames {}",
        bin("rtsp-client").display(),
        srv.url,
        frames.display()
    ));
    t.wait_for("rtsp>", 1);
    t.send("seek 1");
    t.wait_for("cannot seek: no session yet: setup first (session Init)", 1);
    t.send("seek soon");
    t.wait_for("seek needs a position in seconds", 1);
    t.send("setup");
    t.wait_for("200 OK to SETUP", 1);

    // From Ready: PLAY with Range npt=1.2-, so the first frame is the
    // clip's frame at 1.2 s (frame 30 at 25 fps).
    t.send("seek 1.2");
    t.wait_for("200 OK to PLAY: accepted; playing", 1);
    let saved = || saved_clip_indices(&frames, &clip);
    assert!(
        wait_until(DEADLINE, || saved().len() >= 3),
        "no frames saved after seek:\n{}",
        t.screen()
    );
    assert_eq!(saved()[0], Some(30), "first frame after seek 1.2");

    // While playing: PAUSE, then PLAY from 0.4 s (frame 10), back in the clip.
    t.send("seek 0.4");
    t.wait_for("200 OK to PAUSE: accepted; paused", 1);
    t.wait_for("200 OK to PLAY: accepted; playing", 2);
    let after = saved().len();
    assert!(
        wait_until(DEADLINE, || saved().len() >= after + 3),
        "no frames after the second seek:\n{}",
        t.screen()
    );
    t.send("quit");
    t.wait_for("packets:", 1);
    let shown = saved();
    let jump = shown
        .iter()
        .position(|&i| i == Some(10))
        .unwrap_or_else(|| panic!("clip frame 10 never shown: {shown:?}"));
    // Every frame is one of the clip's, in order, from 30 until the seek,
    // then from 10.
    for (k, w) in shown.windows(2).enumerate() {
        let (a, b) = (w[0].expect("a clip frame"), w[1].expect("a clip frame"));
        if k + 1 == jump {
            assert!(a >= 30, "the frame before the seek: {shown:?}");
        } else {
            assert_eq!(b, (a + 1) % clip.len(), "frames in order: {shown:?}");
        }
    }
}
