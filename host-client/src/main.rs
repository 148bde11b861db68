//! `rtsp-client`: the lab's RTSP/RTP MJPEG client, with a video window,
//! honest stream metrics (RFC 3550 loss and jitter, as Wireshark counts
//! them) and a capture analyzer.
//!
//! All protocol logic comes from `rtsp-core`; this binary is the socket
//! loop ([`player`]), the window ([`window`]), the prompt ([`prompt`]), the
//! metrics output ([`report`], [`plot`], [`pcap_out`]) and the analyzer
//! ([`analyze`]).
//!
//! Threads: the network loop runs on its own thread (mio, one poll for the
//! RTSP connection and the RTP/RTCP sockets); the window, when there is
//! one, runs on the main thread; the prompt reads standard input on a
//! third. Commands from all of them (and Ctrl-C) reach the network loop
//! through one channel and a mio waker.

#[cfg(test)]
mod alloc_check;
mod analyze;
mod cli;
mod command;
mod conceal;
mod control;
mod error;
mod frame_slot;
mod media;
mod metrics;
mod net;
mod pcap_out;
mod player;
mod plot;
mod prompt;
mod publish;
mod report;
mod tunnel;
mod window;
mod words;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use crate::cli::{Args, Mode};
use crate::error::Error;
use crate::player::{Command, Options};

fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(args.verbose);
    let mode = match args.mode() {
        Ok(m) => m,
        Err(e) => return fail("rtsp-client", &Error::Usage(e)),
    };
    match mode {
        Mode::Analyze(path) => match analyze::run(&path, args.json) {
            Ok(code) => ExitCode::from(code as u8),
            Err(e) => fail("rtsp-client analyze", &e),
        },
        Mode::Play(target) => match play(&args, target) {
            Ok(code) => code,
            Err(e) => fail("rtsp-client", &e),
        },
        Mode::Publish { source, target } => {
            let opts = publish::PublishOptions {
                source,
                target,
                tcp: args.tcp,
                looping: args.loop_,
                fps: args.fps.unwrap_or(25.0),
                duration: args.duration,
            };
            match publish::run(&opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail("rtsp-client publish", &e),
            }
        }
    }
}

/// The error in one line on standard error, and its exit status.
fn fail(who: &str, e: &Error) -> ExitCode {
    tracing::debug!("{e:?}");
    eprintln!("{who}: {e}");
    ExitCode::from(e.exit_code())
}

/// `-v` logs the protocol at debug level (requests, answers, events),
/// `-vv` also every packet at trace level, on standard error; without
/// them, warnings only. `RUST_LOG` overrides.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}

fn play(args: &Args, target: cli::Target) -> Result<ExitCode, Error> {
    let opts = Options::from_args(args, target);
    let slot = Arc::new(frame_slot::FrameSlot::default());
    let window = if args.headless {
        None
    } else {
        window::open(&format!("rtsp-client {}", opts.target.url))
    };
    let player = player::Player::connect(opts, window.is_some().then(|| slot.clone()))?;
    let commands = player.commands();
    {
        let c = commands.clone();
        if let Err(e) = ctrlc::set_handler(move || c.send(Command::Interrupt)) {
            eprintln!("rtsp-client: cannot catch Ctrl-C: {e}");
        }
    }
    if !args.play {
        let c = commands.clone();
        prompt::spawn(move |cmd| c.send(cmd));
    }
    let handle = std::thread::spawn(move || player.run());
    if let Some(w) = window {
        let c = commands.clone();
        window::run(w, slot, move |cmd| c.send(cmd));
    }
    match handle.join() {
        Ok(result) => result.map(|()| ExitCode::SUCCESS),
        Err(_) => Ok(ExitCode::from(101)),
    }
}
