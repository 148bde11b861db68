//! Timers and frames: when each session needs the loop, clip frames paced
//! at the frame rate, live frames fanned out as they arrive, and the core
//! sessions' own timers (expiry, RTCP sender reports).
//!
//! Which clip frame is due when, with its RTP header, comes from the
//! session's frame clock (`ServerSession::poll_frame`: start, seek, pause,
//! lateness, end and looping, RFC 2326 §12.29, RFC 2435 §3); a live
//! frame's header from `frame_header`. The packets sent are reported back
//! (`on_rtp_sent`), so RTP-Info, sender reports and PAUSE/PLAY continuity
//! stay the core's business. The host only picks each session's phase of
//! the frame period (`Server::grid_after`, `schedule_frames`), so sessions
//! on one phase are served in one wake-up.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use rtsp_core::{jpeg, Duration, Instant};

use crate::live::{Input, Live};
use crate::media::Source;
use crate::server::Server;
use crate::session::Media;
use crate::stream::{self, Outcome};
use rtsp_core::session::MediaDestination;

impl Server {
    /// The earliest instant anything has to happen: each core session's
    /// timeout, its next clip frame included.
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        self.conns
            .slots
            .iter()
            .flatten()
            .filter_map(|c| {
                let http = c.http_timeout();
                let idle = c.idle_timeout();
                c.core
                    .poll_timeout()
                    .into_iter()
                    .chain(http)
                    .chain(idle)
                    .min()
            })
            .chain(self.relays.next_deadline())
            .min()
            .map(|d| d.max(now))
    }

    /// Runs every connection's due timers and frames.
    pub fn on_timers(&mut self, now: Instant) {
        self.release_held(now);
        for idx in 0..self.conns.slots.len() {
            let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
                continue;
            };
            if c.core.poll_timeout().is_some_and(|t| t <= now) {
                c.core.handle_timeout(now);
                self.drain_session(idx, now);
            }
            self.send_due_frames(idx, now);
            self.on_http_timers(idx, now);
            self.on_tunnel_timers(idx, now);
            self.on_idle_timers(idx, now);
            if self.conns.slots.get(idx).is_some_and(|c| {
                c.as_ref()
                    .is_some_and(|c| c.closing && c.out.is_empty() && !c.lingering())
            }) {
                self.close(idx, now, "closed after the session ended");
            }
        }
    }

    /// Sends the clip frames of connection `idx` that its core session
    /// hands out as due by `now` (the core's frame clock: position,
    /// lateness, end and looping).
    pub fn send_due_frames(&mut self, idx: usize, now: Instant) {
        let cut = self.cfg.cut();
        let Server {
            conns, sched, rtp, ..
        } = self;
        let scratch = &mut sched.scratch;
        let Some(c) = conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        let Some(m) = c.media.as_mut() else { return };
        let Source::Clip(clip) = &m.source else {
            return;
        };
        let clip = clip.clone();
        let mut sent_tcp = false;
        let clocked = c.core.frame_due().is_some();
        while let Some(f) = c.core.poll_frame(now) {
            if !m.drives {
                // A multicast member: the group's driver sends this frame.
                continue;
            }
            let index = f.index as usize;
            let r = stream::send_frame(
                clip.frame(index),
                f.header,
                cut,
                m.dest,
                scratch,
                rtp,
                &mut c.out,
            );
            if let Outcome::Sent {
                packets, octets, ..
            } = r
            {
                c.core.on_rtp_sent(now, packets, octets);
            }
            note_outcome(c.peer, m, index, r);
            sent_tcp |= matches!(m.dest, MediaDestination::Interleaved { .. });
        }
        let stopped = clocked && c.core.frame_due().is_none();
        if sent_tcp {
            self.flush_conn(idx);
        }
        if stopped {
            // The clip ended (Event::Ended, no --loop).
            self.drain_session(idx, now);
        }
    }

    /// Frames from the live sources: sent at once to all their sessions.
    pub fn drain_live(&mut self, now: Instant) {
        for i in 0..self.sched.live.len() {
            self.drain_feed(i, now);
        }
        // A pull's origin may have come up or failed: held requests go on.
        self.release_held(now);
    }

    fn drain_feed(&mut self, i: usize, now: Instant) {
        loop {
            let Some(feed) = self.sched.live.get(i) else {
                return;
            };
            let Ok(msg) = feed.rx.try_recv() else { return };
            let live = feed.live.clone();
            match msg {
                Input::Frame(buf) => {
                    self.live_frame(&live, &buf, now);
                    if let Some(feed) = self.sched.live.get(i) {
                        feed.recycle(buf);
                    }
                }
                Input::End(why) => {
                    tracing::warn!(
                        "live {}: {why} after {} frames ({} dropped while the loop was busy, \
                         {} skipped as damaged or refused); its sessions get no more frames",
                        live.name,
                        live.frames_in.load(std::sync::atomic::Ordering::Relaxed),
                        live.frames_dropped
                            .load(std::sync::atomic::Ordering::Relaxed),
                        live.frames_damaged
                            .load(std::sync::atomic::Ordering::Relaxed)
                    );
                }
            }
        }
    }

    /// A whole JPEG frame of `live` (from its thread, or a publisher's
    /// reassembled RTP): its size is noted and it goes to every session
    /// playing it; one that does not parse is skipped and logged.
    pub fn live_frame(&mut self, live: &Arc<Live>, jpeg: &[u8], now: Instant) {
        match jpeg::Frame::parse(jpeg) {
            Ok(f) => {
                if live.dimensions().is_none() {
                    tracing::info!(
                        "live {}: first frame, {}x{}",
                        live.name,
                        f.width(),
                        f.height()
                    );
                }
                live.set_dimensions(f.width(), f.height());
                self.fan_out_live(live, &f, now);
            }
            Err(e) => tracing::warn!("live {}: frame skipped: {e}", live.name),
        }
    }

    /// Sends one frame of `live` at once to every session playing it: the
    /// entry point for any live source (standard input, a pull, a
    /// publisher).
    pub fn fan_out_live(&mut self, live: &Arc<Live>, frame: &jpeg::Frame<'_>, now: Instant) {
        self.fan_out_live_mjpeg(live, frame);
        let cut = self.cfg.cut();
        // Any monotonic clock serves as a live source's media time, but two
        // frames handed over in one wake-up must not share an RTP timestamp
        // (RFC 2435 §3: one timestamp per frame; receivers would see one
        // frame twice): each frame is at least a millisecond after the last.
        let us = now
            .as_micros()
            .max(live.last_media_us.load(Ordering::Relaxed) + 1_000);
        live.last_media_us.store(us, Ordering::Relaxed);
        let media_time = Duration::from_micros(us);
        for idx in 0..self.conns.slots.len() {
            let Server {
                conns, sched, rtp, ..
            } = self;
            let scratch = &mut sched.scratch;
            let Some(c) = conns.slots.get_mut(idx).and_then(Option::as_mut) else {
                continue;
            };
            let Some(m) = c.media.as_mut() else { continue };
            if !m.drives || !matches!(&m.source, Source::Live(l) if Arc::ptr_eq(l, live)) {
                continue;
            }
            let Some(repr) = c.core.frame_header(media_time) else {
                continue;
            };
            let r = stream::send_frame(frame, repr, cut, m.dest, scratch, rtp, &mut c.out);
            if let Outcome::Sent {
                packets, octets, ..
            } = r
            {
                c.core.on_rtp_sent(now, packets, octets);
            }
            note_outcome(c.peer, m, 0, r);
            let tcp = matches!(m.dest, MediaDestination::Interleaved { .. });
            if tcp {
                self.flush_conn(idx);
            }
        }
    }
}

/// Counts a frame; logs drops (the first, then every 100th) and refusals
/// (naming clip frame `index`).
fn note_outcome(peer: SocketAddr, m: &mut Media, index: usize, r: Outcome) {
    let lost = match r {
        Outcome::Sent {
            packets,
            octets,
            dropped,
        } => {
            m.packets += u64::from(packets);
            m.octets += octets as u64;
            m.frames += 1;
            dropped > 0
        }
        Outcome::Dropped => true,
        Outcome::Refused(e) => {
            tracing::warn!("{peer}: frame {index} of {} cannot be sent: {e}", m.path);
            return;
        }
    };
    if lost {
        m.frames_dropped += 1;
        if m.frames_dropped % 100 == 1 {
            let why = match m.dest {
                MediaDestination::Interleaved { .. } => "its TCP connection is not keeping up",
                MediaDestination::Udp { .. } => "the UDP send buffer was full",
            };
            tracing::warn!(
                "{peer}: {} frame(s) dropped so far: {why}",
                m.frames_dropped
            );
        }
    }
}
