//! The interactive prompt: the lab's `setup`, `play`, `pause`, `teardown`,
//! plus `seek SECS`, `describe`, `options`, `stats`, `quit`, read line by
//! line from standard input on a thread of its own.

use std::io::{BufRead, Write};

use crate::command::{parse_seconds, Command};

/// The prompt string, printed after each answer.
pub const PROMPT: &str = "rtsp> ";

/// Help shown for `help` or an unknown command.
pub const HELP: &str =
    "commands: setup, play, pause, teardown (the lab's four), seek SECS, describe, options, stats, quit";

/// What a line typed at the prompt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// A session command.
    Command(Command),
    /// `help` or `?`.
    Help,
    /// Nothing typed.
    Empty,
    /// Not a command.
    Unknown,
    /// A command with a bad argument: what is wrong.
    Invalid(&'static str),
}

/// Parses one typed line (case-insensitive; only `seek` reads a second
/// word).
pub fn parse_line(line: &str) -> Line {
    let mut words = line.split_whitespace();
    let word = words.next().unwrap_or("").to_ascii_lowercase();
    let cmd = match word.as_str() {
        "" => return Line::Empty,
        "help" | "?" | "h" => return Line::Help,
        "setup" | "s" => Command::Setup,
        "play" | "p" => Command::Play,
        "pause" => Command::Pause,
        "seek" => match words.next().map(parse_seconds) {
            Some(Some(at)) => Command::Seek(at),
            _ => return Line::Invalid("seek needs a position in seconds, e.g. seek 2.5"),
        },
        "teardown" | "t" => Command::Teardown,
        "describe" | "d" => Command::Describe,
        "options" | "o" => Command::Options,
        "stats" | "stat" => Command::Stats,
        "quit" | "q" | "exit" => Command::Quit,
        _ => return Line::Unknown,
    };
    Line::Command(cmd)
}

/// Reads standard input until end of file or `quit`, sending commands.
/// End of input counts as `quit`, so a closed terminal tears down.
pub fn spawn(send: impl Fn(Command) + Send + 'static) {
    std::thread::spawn(move || {
        print_prompt();
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            match parse_line(&line) {
                Line::Command(c) => {
                    send(c);
                    if c == Command::Quit {
                        return;
                    }
                }
                Line::Help => {
                    println!("{HELP}");
                    print_prompt();
                }
                Line::Empty => print_prompt(),
                Line::Invalid(why) => {
                    println!("{why}");
                    print_prompt();
                }
                Line::Unknown => {
                    println!("unknown command {:?}; {HELP}", line.trim());
                    print_prompt();
                }
            }
        }
        send(Command::Quit);
    });
}

/// Prints the prompt without a newline.
pub fn print_prompt() {
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{PROMPT}");
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_commands_parse() {
        assert_eq!(parse_line("SETUP"), Line::Command(Command::Setup));
        assert_eq!(parse_line("  play  "), Line::Command(Command::Play));
        assert_eq!(parse_line("pause"), Line::Command(Command::Pause));
        assert_eq!(parse_line("teardown"), Line::Command(Command::Teardown));
        assert_eq!(parse_line("quit"), Line::Command(Command::Quit));
        assert_eq!(parse_line(""), Line::Empty);
        assert_eq!(parse_line("dance"), Line::Unknown);
        assert_eq!(
            parse_line("seek 2.5"),
            Line::Command(Command::Seek(std::time::Duration::from_millis(2500)))
        );
        assert_eq!(
            parse_line("SEEK 0"),
            Line::Command(Command::Seek(std::time::Duration::ZERO))
        );
        for bad in ["seek", "seek -1", "seek soon", "seek inf", "seek NaN"] {
            assert!(matches!(parse_line(bad), Line::Invalid(_)), "{bad}");
        }
    }
}
