//! Commands in, session output out: what the loop does with a command, a
//! session transmit or event, and once a second (status, RR, stop
//! conditions, the UDP-to-TCP fallback); and the end-of-run output.

use std::io::Write;
use std::net::SocketAddr;

use rtsp_core::Instant;

use super::{Command, Player, TEARDOWN_GRACE_US};
use crate::control::{Event, Setup, Transmit};
use crate::error::Error;
use crate::media;
use crate::report::Report;

impl Player {
    /// Acts on one command; prints why when it is not valid now.
    pub(super) fn command(&mut self, now: Instant, c: Command) {
        tracing::debug!("command: {c:?}");
        let r = match c {
            Command::Setup => self.control.setup(now),
            Command::Play => self.control.play(now),
            Command::Pause => self.control.pause(now),
            Command::Seek(at) => self.control.seek(now, at),
            Command::TogglePlay => {
                if self.control.is_playing() {
                    self.control.pause(now)
                } else {
                    self.control.play(now)
                }
            }
            Command::Teardown => self.control.teardown(now),
            Command::Describe => {
                let t = self.control.describe(now);
                self.say(t);
                Ok(())
            }
            Command::Options => {
                let t = self.control.options(now);
                self.say(t);
                Ok(())
            }
            Command::Stats => {
                println!("{}", self.report(now).summary());
                self.prompt();
                Ok(())
            }
            Command::Quit | Command::Interrupt => {
                if c == Command::Interrupt {
                    println!("interrupted: tearing down");
                }
                self.leave(now);
                Ok(())
            }
        };
        if let Err(why) = r {
            println!(
                "cannot {}: {why} (session {})",
                command_name(c),
                self.control.state_name()
            );
            self.prompt();
        }
    }

    /// Prints what is already known (no request needed).
    fn say(&self, text: Option<String>) {
        if let Some(t) = text {
            println!("{t} (session {})", self.control.state_name());
            self.prompt();
        }
    }

    /// TEARDOWN if a session exists, then leave when answered (or after a
    /// grace period).
    pub(super) fn leave(&mut self, now: Instant) {
        if self.leaving.is_some() {
            return;
        }
        self.leaving = Some(now.as_micros() + TEARDOWN_GRACE_US);
        self.pause_clock(now);
        if self.control.has_session() {
            let _ = self.control.teardown(now);
        }
    }

    /// Drains the session's transmits and events.
    /// Events may queue new requests (DESCRIBE answered → SETUP), so this
    /// loops until both queues are empty.
    pub(super) fn drive(&mut self, now: Instant) -> Result<(), Error> {
        loop {
            let mut idle = true;
            while let Some(t) =
                self.control
                    .poll_transmit(now, &mut self.tx_buf, &mut self.media.metrics)?
            {
                idle = false;
                match t {
                    Transmit::Rtsp(n) => {
                        tracing::debug!("sent: {}", first_line(&self.tx_buf[..n]));
                    }
                    Transmit::Interleaved(n) => {
                        tracing::debug!("sent: RTCP receiver report, {n} bytes interleaved");
                    }
                    Transmit::Rtcp { len, port } => {
                        tracing::debug!("sent: RTCP receiver report, {len} bytes to port {port}");
                    }
                }
                match t {
                    Transmit::Rtsp(n) | Transmit::Interleaved(n) => {
                        if let Transmit::Interleaved(n) = t {
                            // Our RR, captured as tcpdump would see it.
                            let ch = self.control.interleaved_rtcp_channel().unwrap_or(1);
                            let path = super::tcp_path(
                                ch,
                                media::Path {
                                    src: self.local,
                                    dst: self.server,
                                },
                            );
                            self.media
                                .capture(path, self.tx_buf.get(4..n).unwrap_or_default());
                        }
                        match &mut self.post {
                            Some(post) => post.send(&self.tx_buf[..n]),
                            None => self.txbuf.send(&mut self.tcp, &self.tx_buf[..n]),
                        }
                        .map_err(Error::Connection)?
                    }
                    Transmit::Rtcp { len, port } => self.send_rtcp(len, port),
                }
            }
            while let Some(ev) = self.control.poll_event(now) {
                idle = false;
                self.on_event(now, ev)?;
            }
            if idle {
                break;
            }
        }
        match &mut self.post {
            Some(post) => post.flush(),
            None => self.txbuf.flush(&mut self.tcp),
        }
        .map_err(Error::Connection)
    }

    fn send_rtcp(&mut self, n: usize, port: u16) {
        let Some((_, rtcp)) = &self.udp else { return };
        let dst = SocketAddr::new(self.server.ip(), port);
        let data = &self.tx_buf[..n];
        let _ = rtcp.send_to(data, dst);
        let src = rtcp.local_addr().unwrap_or(self.local);
        // Our own RR goes into the capture too, as tcpdump would see it.
        self.media
            .capture(media::Path { src, dst }, &self.tx_buf[..n]);
    }

    fn on_event(&mut self, now: Instant, ev: Event) -> Result<(), Error> {
        tracing::debug!("event: {ev:?}");
        match ev {
            Event::Answer(text) => {
                println!("{text} (session {})", self.control.state_name());
            }
            Event::Described { size, payload_type } => {
                self.media.payload_type = payload_type;
                if let Some((w, h)) = size {
                    self.media.set_dimensions(w, h);
                }
                self.prompt();
            }
            Event::SetUp => {
                self.tcp_media = self.control.interleaved_rtcp_channel().is_some();
                self.prompt();
            }
            Event::Playing { rtptime } => {
                self.media.on_play(rtptime);
                let t = now.as_micros();
                self.playing_since.get_or_insert(t);
                self.first_play.get_or_insert(t);
                self.next_status = t + 1_000_000;
                if self.control.interleaved_rtcp_channel().is_none() && !self.fell_back {
                    self.udp_check = Some((t, self.media.packets_seen));
                }
                self.metrics_sample(now);
                self.prompt();
            }
            Event::Paused => {
                self.pause_clock(now);
                self.prompt();
            }
            Event::TornDown => {
                self.pause_clock(now);
                if self.fallback_pending {
                    self.fallback_pending = false;
                    self.control.restart(Setup::Tcp)?;
                    self.control.play_now(now);
                } else if self.leaving.is_none() && self.opts.auto_play {
                    self.leave(now);
                }
                self.prompt();
            }
            Event::Failed(why) => {
                // A refused request in --play mode ends the run: nothing will come.
                if self.opts.auto_play && self.leaving.is_none() {
                    return Err(Error::Refused(why));
                }
                println!("{why} (session {})", self.control.state_name());
                self.prompt();
            }
            Event::Bye => {
                println!("the server ended the stream (RTCP BYE)");
                if self.opts.auto_play {
                    self.leave(now);
                }
                self.prompt();
            }
        }
        Ok(())
    }

    fn pause_clock(&mut self, now: Instant) {
        if let Some(since) = self.playing_since.take() {
            self.played_us += now.as_micros().saturating_sub(since);
        }
        self.udp_check = None;
    }

    fn played_us(&self, now: Instant) -> u64 {
        self.played_us
            + self
                .playing_since
                .map_or(0, |s| now.as_micros().saturating_sub(s))
    }

    fn metrics_sample(&mut self, now: Instant) -> crate::report::Sample {
        let t = self
            .first_play
            .map_or(0.0, |f| now.as_micros().saturating_sub(f) as f64 / 1e6);
        self.media.metrics.sample(now.as_micros(), t)
    }

    /// Once a second: status line, plot sample, RR, stop conditions and
    /// the UDP fallback.
    pub(super) fn periodic(&mut self, now: Instant) {
        let t = now.as_micros();
        // A stream of nothing but another payload type is not JPEG: refuse
        // it; a stray packet among JPEG ones is only ignored.
        if let Some((pt, n)) = self.media.foreign_payload_type {
            if n >= 10 && self.media.metrics.received() == 0 && self.leaving.is_none() {
                println!(
                    "refusing the stream: RTP payload type {pt} is not JPEG ({})",
                    self.media.payload_type
                );
                self.leave(now);
            }
        }
        if self.playing_since.is_none() || self.leaving.is_some() {
            return;
        }
        if t >= self.next_status {
            self.next_status = t + 1_000_000;
            let s = self.metrics_sample(now);
            self.samples.push(s);
            let line = self.report(now).status_line(s.fps, s.kbps);
            if let Some(slot) = &self.slot {
                let r = self.report(now);
                slot.set_title(&format!(
                    "rtsp-client {:.1} fps {:.0} kbit/s loss {:.2}% concealed {}",
                    s.fps, s.kbps, r.loss_percent, r.frames_concealed
                ));
            }
            if self.status_on_tty {
                print!("\r{line}\x1b[K");
                let _ = std::io::stdout().flush();
            } else if self.opts.auto_play || !self.stdout_tty {
                println!("{line}");
            } else {
                // At the prompt on a terminal a line every second would
                // break what the user types: the status goes to the
                // terminal's title instead (OSC 0), and `stats` prints it.
                print!(
                    "\x1b]0;rtsp-client {}\x07",
                    line.split_whitespace().collect::<Vec<_>>().join(" ")
                );
                let _ = std::io::stdout().flush();
            }
        }
        if let Some((since, seen)) = self.udp_check {
            if self.media.packets_seen > seen {
                self.udp_check = None;
            } else if t.saturating_sub(since) >= self.opts.udp_timeout_us {
                self.udp_check = None;
                println!(
                    "no RTP over UDP within {:.1} s (a firewall or NAT?): switching to RTP over TCP (interleaved)",
                    self.opts.udp_timeout_us as f64 / 1e6
                );
                self.fell_back = true;
                self.fallback_pending = true;
                let _ = self.control.teardown(now);
                // Nothing played over UDP: --duration counts from the TCP PLAY.
                self.pause_clock(now);
                self.played_us = 0;
                self.first_play = None;
                self.samples.clear();
                return;
            }
        }
        let by_time = self
            .opts
            .duration_us
            .is_some_and(|d| self.played_us(now) >= d);
        let by_frames = self
            .opts
            .frames
            .is_some_and(|n| self.media.frames_complete() >= n);
        if by_time || by_frames {
            self.leave(now);
        }
    }

    /// The metrics so far.
    pub(super) fn report(&self, now: Instant) -> Report {
        let m = &self.media.metrics;
        // Rates over the time spent playing, which only the host knows
        // (pauses excluded); loss and jitter are the core's figures.
        let dur = self.played_us(now) as f64 / 1e6;
        Report {
            url: self.opts.target.url.clone(),
            transport: if self.tcp_media { "tcp" } else { "udp" }.into(),
            frames_received: self.media.frames_complete(),
            frames_dropped: self.media.frames_dropped(),
            frames_complete: self.media.frames_complete(),
            frames_concealed: self.media.frames_concealed(),
            intervals_lost: self.media.intervals_lost(),
            width: u32::from(self.media.size().0),
            height: u32::from(self.media.size().1),
            fps: if dur > 0.0 {
                self.media.frames_complete() as f64 / dur
            } else {
                0.0
            },
            payload_kbps: if dur > 0.0 {
                m.payload_bytes() as f64 * 8.0 / dur / 1000.0
            } else {
                0.0
            },
            packets_received: m.received(),
            packets_expected: m.expected(),
            packets_lost: m.lost(),
            loss_percent: m.lost_percent(),
            jitter_ms: m.jitter_ms(),
            duplicates: m.duplicates(),
            reordered: m.reordered(),
            packets_late: self.media.packets_late(),
            duration_s: dur,
            ssrc: self
                .media
                .ssrc
                .map(|s| format!("0x{:08X}", s.0))
                .unwrap_or_default(),
            rtcp_rr_sent: self.control.receiver_reports_sent(),
            keepalives_sent: self.control.keepalives_sent(),
        }
    }

    /// End of run: summary, report, plot, capture.
    pub(super) fn finish(&mut self) {
        let now = self.now();
        self.pause_clock(now);
        self.media.finish(now.as_micros());
        if self.status_on_tty {
            println!();
        }
        if let Some(slot) = &self.slot {
            slot.close();
        }
        let report = self.report(now);
        println!("{}", report.summary());
        if let Some(p) = &self.opts.report {
            match report.write_json(p) {
                Ok(()) => println!("report written to {}", p.display()),
                Err(e) => eprintln!("{e}"),
            }
        }
        if let Some(p) = &self.opts.plot {
            match crate::plot::write(p, &self.samples) {
                Ok(legend) => println!("{legend}"),
                Err(e) => eprintln!("{e}"),
            }
        }
        if let Some(d) = &self.opts.save_frames {
            println!(
                "{} frames saved in {}",
                self.media.frames_saved(),
                d.display()
            );
        }
    }

    fn prompt(&self) {
        if !self.opts.auto_play && self.leaving.is_none() {
            crate::prompt::print_prompt();
        }
    }
}

/// The start line of an RTSP message (RFC 2326 §6.1, §7.1), for the log.
pub(super) fn first_line(message: &[u8]) -> std::borrow::Cow<'_, str> {
    let end = message
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(message.len());
    String::from_utf8_lossy(&message[..end])
}

fn command_name(c: Command) -> &'static str {
    match c {
        Command::Setup => "setup",
        Command::Play => "play",
        Command::Pause => "pause",
        Command::Seek(_) => "seek",
        Command::TogglePlay => "play/pause",
        Command::Teardown => "teardown",
        Command::Describe => "describe",
        Command::Options => "options",
        Command::Stats => "stats",
        Command::Quit | Command::Interrupt => "quit",
    }
}
