//! Timers and frames: when each session needs the loop, clip frames paced
//! at the frame rate, live frames fanned out as they arrive, and the core
//! sessions' own timers (expiry, RTCP sender reports).
//!
//! Each frame's RTP header comes from the session
//! (`ServerSession::frame_header`, 90 kHz timestamps from the frame's media
//! time, RFC 2435 §3) and the packets sent are reported back
//! (`on_rtp_sent`), so RTP-Info, sender reports and PAUSE/PLAY continuity
//! stay the core's business.

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

impl Source {
    /// Frames of a clip; `None` for a live source.
    pub fn clip_frames(&self) -> Option<usize> {
        match self {
            Source::Clip(c) => Some(c.frames.len()),
            _ => None,
        }
    }
}

impl Server {
    /// The earliest instant anything has to happen.
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        self.conns
            .iter()
            .flatten()
            .filter_map(|c| {
                let frame = c
                    .media
                    .as_ref()
                    .filter(|m| m.playing && m.source.clip_frames().is_some())
                    .map(|m| m.next_due);
                match (c.core.poll_timeout(), frame) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            })
            .min()
            .map(|d| d.max(now))
    }

    /// Runs every connection's due timers and frames.
    pub fn on_timers(&mut self, now: Instant) {
        for idx in 0..self.conns.len() {
            let Some(c) = self.conns.get_mut(idx).and_then(Option::as_mut) else {
                continue;
            };
            if c.core.poll_timeout().is_some_and(|t| t <= now) {
                c.core.handle_timeout(now);
                self.drain_session(idx, now);
            }
            self.send_due_frames(idx, now);
            if self
                .conns
                .get(idx)
                .is_some_and(|c| c.as_ref().is_some_and(|c| c.closing && c.out.is_empty()))
            {
                self.close(idx, now, "closed after the session ended");
            }
        }
    }

    /// Sends the clip frames of connection `idx` that are due by `now`.
    pub fn send_due_frames(&mut self, idx: usize, now: Instant) {
        let period = self.period;
        let looping = self.cfg.looping;
        let mtu = self.cfg.mtu;
        let Server {
            conns,
            scratch,
            rtp,
            ..
        } = self;
        let Some(c) = conns.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        let Some(m) = c.media.as_mut() else { return };
        let Source::Clip(clip) = &m.source else {
            return;
        };
        let clip = clip.clone();
        let mut sent_tcp = false;
        while m.playing && m.next_due <= now {
            // Far behind (the process was stopped): skip ahead, no burst.
            let late = now.saturating_since(m.next_due);
            if late > Duration::from_millis(500) {
                let skip = late.as_micros() / period.as_micros().max(1);
                m.next_due = m.next_due + Duration::from_micros(skip * period.as_micros());
                m.pos += skip as usize;
            }
            if m.pos >= clip.frames.len() && !looping {
                m.playing = false;
                m.ended = true;
                tracing::info!("{}: end of {} (--no-loop)", c.peer, clip.name);
                break;
            }
            let media_time = Duration::from_micros(m.pos as u64 * period.as_micros());
            let Some(repr) = c.core.frame_header(media_time) else {
                // The session stopped playing without telling us yet.
                m.playing = false;
                break;
            };
            let r = stream::send_frame(
                clip.frame(m.pos),
                repr,
                mtu,
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
            note_outcome(c.peer, m, r);
            sent_tcp |= matches!(m.dest, MediaDestination::Interleaved { .. });
            m.pos += 1;
            m.next_due = m.next_due + period;
        }
        if sent_tcp {
            self.flush_conn(idx);
        }
    }

    /// Frames from the live source: sent at once to all its sessions.
    pub fn drain_live(&mut self, now: Instant) {
        loop {
            let Some(feed) = self.live.as_ref() else {
                return;
            };
            let Ok(msg) = feed.rx.try_recv() else { return };
            let live = feed.live.clone();
            match msg {
                Input::Frame(buf) => {
                    match jpeg::Frame::parse(&buf) {
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
                            self.fan_out_live(&live, &f, now);
                        }
                        Err(e) => tracing::warn!("live {}: frame skipped: {e}", live.name),
                    }
                    if let Some(feed) = self.live.as_ref() {
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

    fn fan_out_live(&mut self, live: &Arc<Live>, frame: &jpeg::Frame<'_>, now: Instant) {
        let mtu = self.cfg.mtu;
        // Any monotonic clock serves as a live source's media time, but two
        // frames handed over in one wake-up must not share an RTP timestamp
        // (RFC 2435 §3: one timestamp per frame; receivers would see one
        // frame twice): each frame is at least a millisecond after the last.
        let us = now
            .as_micros()
            .max(live.last_media_us.load(Ordering::Relaxed) + 1_000);
        live.last_media_us.store(us, Ordering::Relaxed);
        let media_time = Duration::from_micros(us);
        for idx in 0..self.conns.len() {
            let Server {
                conns,
                scratch,
                rtp,
                ..
            } = self;
            let Some(c) = conns.get_mut(idx).and_then(Option::as_mut) else {
                continue;
            };
            let Some(m) = c.media.as_mut() else { continue };
            if !m.playing || !matches!(&m.source, Source::Live(l) if Arc::ptr_eq(l, live)) {
                continue;
            }
            let Some(repr) = c.core.frame_header(media_time) else {
                continue;
            };
            let r = stream::send_frame(frame, repr, mtu, m.dest, scratch, rtp, &mut c.out);
            if let Outcome::Sent {
                packets, octets, ..
            } = r
            {
                c.core.on_rtp_sent(now, packets, octets);
            }
            note_outcome(c.peer, m, r);
            let tcp = matches!(m.dest, MediaDestination::Interleaved { .. });
            if tcp {
                self.flush_conn(idx);
            }
        }
    }
}

/// Counts a frame; logs drops (the first, then every 100th) and refusals.
fn note_outcome(peer: SocketAddr, m: &mut Media, r: Outcome) {
    let lost = match r {
        Outcome::Sent {
            packets, dropped, ..
        } => {
            m.packets += u64::from(packets);
            m.frames += 1;
            dropped > 0
        }
        Outcome::Dropped => true,
        Outcome::Refused(e) => {
            tracing::warn!("{peer}: frame {} of {} cannot be sent: {e}", m.pos, m.path);
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
