//! The interactive prompt, driven through a real terminal (tmux): setup,
//! play, pause, play, teardown, each answered in plain words with the
//! session state, a command invalid in the state refused with the reason,
//! and the server's own log confirming each step.

mod client_common;

use std::process::Command;
use std::time::Duration;

use client_common::{start, Server};
use rtsp_e2e::{bin, peer, wait_until, DEADLINE};

/// A tmux server on its own socket, killed (by that socket) on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new(cmdline: &str) -> Tmux {
        let socket = format!("rtsp-e2e-{}", std::process::id());
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
    assert!(
        wait_until(DEADLINE, || {
            t.send("stats");
            std::thread::sleep(Duration::from_millis(300));
            t.screen()
                .lines()
                .any(|l| l.starts_with("summary:") && !l.contains(": 0 frames received"))
        }),
        "no frames while playing:\n{}",
        t.screen()
    );

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
