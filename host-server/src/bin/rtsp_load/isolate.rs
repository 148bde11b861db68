//! `--isolate`: the run moved into a network namespace of its own, so that
//! each sender pays only for its own send path.

use std::process::Command;

use crate::DRAIN_CPU;

/// Runs this benchmark again inside a new network namespace whose loopback
/// steers every received packet to [`DRAIN_CPU`] (RPS), pinned to that CPU
/// itself; then removes the namespace. On loopback the kernel otherwise
/// does the receiver's work (IP and UDP input, socket queueing, wake-ups)
/// inside the sender's `sendmsg`, charging it to the sender: there a sender
/// pays for its receivers, which on a network it never does.
pub(crate) fn isolate() -> ! {
    let sh = |cmd: &mut Command| {
        let st = cmd
            .status()
            .unwrap_or_else(|e| panic!("--isolate: {cmd:?}: {e}"));
        assert!(
            st.success(),
            "--isolate: {cmd:?} failed (root and iproute2 are needed)"
        );
    };
    assert!(
        std::thread::available_parallelism().map_or(0, |n| n.get()) >= 2,
        "--isolate needs two CPUs"
    );
    let ns = format!("rtsp-load-{}", std::process::id());
    sh(Command::new("ip").args(["netns", "add", &ns]));
    // RPS queues packets for the drain's CPU, at most netdev_max_backlog
    // (1 000) of them; GStreamer sends each packet to every client back to
    // back, a burst of 20 × N packets a frame, which would be dropped there
    // and counted against it. The sysctl is global: raised for the run and
    // restored after.
    const BACKLOG: &str = "/proc/sys/net/core/netdev_max_backlog";
    let backlog = std::fs::read_to_string(BACKLOG).expect("read netdev_max_backlog");
    /// Deletes the namespace and restores the backlog however the run ends.
    struct Netns(String, String);
    impl Drop for Netns {
        fn drop(&mut self) {
            let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
            let _ = std::fs::write(BACKLOG, &self.1);
        }
    }
    let guard = Netns(ns.clone(), backlog);
    std::fs::write(BACKLOG, "1000000").expect("raise netdev_max_backlog (root is needed)");
    sh(Command::new("ip").args(["-n", &ns, "link", "set", "lo", "up"]));
    let mask = 1u32 << DRAIN_CPU.parse::<u32>().unwrap();
    sh(Command::new("ip")
        .args(["netns", "exec", &ns, "sh", "-c"])
        .arg(format!(
            "echo {mask:x} > /sys/class/net/lo/queues/rx-0/rps_cpus"
        )));
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--isolate")
        .collect();
    let st = Command::new("ip")
        .args(["netns", "exec", &ns, "taskset", "-c", DRAIN_CPU])
        .arg(std::env::current_exe().unwrap())
        .arg("--in-netns")
        .args(args)
        .status()
        .expect("run the isolated benchmark");
    drop(guard);
    std::process::exit(st.code().unwrap_or(1));
}
