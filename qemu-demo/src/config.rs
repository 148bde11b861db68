//! Run-time options, read from the QEMU command line through semihosting
//! (`run.sh` turns `QEMU_DEMO_ARGS="timeout=5 pace=fast"` into
//! `-semihosting-config ...,arg=timeout=5,arg=pace=fast`), so one firmware
//! build serves the demo, the tests and the benchmarks.
//!
//! | option            | effect                                                        |
//! |-------------------|---------------------------------------------------------------|
//! | `timeout=S`       | RTSP session timeout in seconds (default 60, RFC 2326 §12.37)   |
//! | `pace=fast`       | benchmark: send frames as fast as the stack takes them        |
//! | `bench-udp=PORT`  | benchmark: bare smoltcp UDP send loop of the clip to the host |
//! | `stats=S`         | log rates and the stack high-water mark every S seconds       |
//! | `crash=panic`     | self-test: panic after boot (QEMU must exit with status 1)    |
//! | `crash=fault`     | self-test: undefined instruction → HardFault (status 1)       |

/// What the firmware does after boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
pub enum Mode {
    /// Serve RTSP; frames paced at the clip's rate (or unpaced if `fast`).
    Serve {
        /// Send frames as fast as the network stack accepts them.
        fast: bool,
    },
    /// No RTSP: send the clip's bytes to 10.0.2.2:`port` in RTP-sized UDP
    /// datagrams, as fast as possible (the throughput baseline).
    UdpBench {
        /// Host port (slirp delivers it to 127.0.0.1:port).
        port: u16,
    },
}

/// A deliberate failure after boot, to prove failures end QEMU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
pub enum Crash {
    /// Run normally.
    No,
    /// `panic!`.
    Panic,
    /// Execute an undefined instruction (UsageFault escalated to HardFault).
    Fault,
}

/// Parsed options.
#[derive(Clone, Copy, Debug, defmt::Format)]
pub struct Config {
    /// Mode of operation.
    pub mode: Mode,
    /// Session timeout announced in `Session: id;timeout=` and enforced.
    pub session_timeout_secs: u32,
    /// Interval of the statistics log line, seconds (0: never).
    pub stats_secs: u32,
    /// Self-test failure to trigger after boot.
    pub crash: Crash,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Serve { fast: false },
            session_timeout_secs: 60,
            stats_secs: 5,
            crash: Crash::No,
        }
    }
}

impl Config {
    /// Parses whitespace-separated `key=value` words; unknown or malformed
    /// words are logged and ignored (the first word is the program name).
    pub fn parse(cmdline: &str) -> Config {
        let mut config = Config::default();
        for word in cmdline.split_ascii_whitespace() {
            let Some((key, value)) = word.split_once('=') else {
                continue;
            };
            let number = value.parse::<u32>().ok();
            match (key, number) {
                ("timeout", Some(s)) if s > 0 => config.session_timeout_secs = s,
                ("stats", Some(s)) => config.stats_secs = s,
                ("pace", _) if value == "fast" => config.mode = Mode::Serve { fast: true },
                ("crash", _) if value == "panic" => config.crash = Crash::Panic,
                ("crash", _) if value == "fault" => config.crash = Crash::Fault,
                ("bench-udp", Some(p)) => {
                    if let Ok(port) = u16::try_from(p) {
                        config.mode = Mode::UdpBench { port };
                    }
                }
                _ => defmt::warn!("ignoring option {=str}", word),
            }
        }
        config
    }
}
