//! Feeding a connection's bytes to its `rtsp_core` server session and
//! carrying out what the session decides (RFC 2326): responses onto the
//! connection, RTCP to the client's RTCP port or channel, and the session's
//! events (set up, playing, paused, torn down, expired, receiver reports)
//! onto the host's media state.

use std::net::SocketAddr;

use rtsp_core::limits;
use rtsp_core::session::server::{Event, Step};
use rtsp_core::session::Destination;
use rtsp_core::Instant;

use crate::server::Server;
use crate::session::{HostCtx, Media};
use rtsp_core::session::MediaDestination;

impl Server {
    /// Hands every whole message buffered on connection `idx` to its
    /// session, draining the session after each one.
    pub fn handle_input(&mut self, idx: usize, now: Instant) {
        let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        // Take the buffer out so the session can read it while the server
        // changes (an empty Box does not allocate).
        let input = std::mem::take(&mut c.input);
        let len = input.len();
        let mut start = 0;
        while start < len {
            if self.hold_for_origin(idx, &input[start..len], now) {
                break;
            }
            let mut host = HostCtx {
                catalog: &self.catalog,
                sessions: self.conns.sessions,
                max_sessions: self.cfg.max_sessions,
                admitted: None,
                multicast: self.multicast.as_mut(),
                auth: self.auth.as_ref(),
                relays: &self.relays,
                publishers: &self.publishers,
                conn: idx,
                announced: None,
            };
            let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
                return;
            };
            let step = c.core.read_input(now, &input[start..len], &mut host);
            if let Some(path) = host.admitted.take() {
                c.admitted = Some(path);
            }
            let announced = host.announced.take();
            match step {
                Step::NeedMore => break,
                Step::Used(n) => {
                    c.last_request = request_line(&input[start..start + n]);
                    start += n;
                }
                Step::Rtp(n) => {
                    // The packet follows `$`, channel and length.
                    if let Some(packet) = input.get(start + 4..start + n) {
                        self.on_interleaved_rtp(idx, packet, now);
                    }
                    start += n;
                }
                Step::Close(e) => {
                    tracing::info!(
                        "{}: unreadable request ({e}): answering and closing",
                        c.peer
                    );
                    c.last_request = request_line(&input[start..len]);
                    c.closing = true;
                    start = len;
                }
                Step::Drain => {
                    tracing::warn!("{}: session output not drained", c.peer);
                    break;
                }
            }
            if let Some((path, fps)) = announced {
                self.announced(idx, path, fps);
            }
            self.drain_session(idx, now);
            if self
                .conns
                .slots
                .get(idx)
                .is_none_or(|c| c.as_ref().is_none_or(|c| c.closing))
            {
                break;
            }
        }
        let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        let mut input = input;
        input.drain(..start);
        c.input = input;
    }

    /// RTCP from a UDP client on our RTCP port: its session reads it.
    pub fn on_rtcp(&mut self, from: SocketAddr, payload: &[u8], now: Instant) {
        let Some(&idx) = self.conns.rtcp_peers.get(&from) else {
            return;
        };
        self.rtcp_to_session(idx, payload, now);
    }

    /// RTCP from session `idx`'s client (unicast on our RTCP port, or a
    /// multicast member's report on the group, `crate::multicast`): the
    /// core reads it, which counts as liveness (RFC 2326 §12.37) and turns
    /// a report on our stream into a receiver report event (RFC 3550
    /// §6.4.2).
    pub fn rtcp_to_session(&mut self, idx: usize, payload: &[u8], now: Instant) {
        let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        c.core.handle_rtcp(now, payload);
        self.drain_session(idx, now);
    }

    /// Sends everything session `idx` has queued and acts on its events.
    pub fn drain_session(&mut self, idx: usize, now: Instant) {
        let mut buf = [0u8; limits::RTSP_MAX_MESSAGE];
        self.mcast_sync(idx);
        let mcast = self.mcast_rtcp(idx);
        let Server {
            conns,
            rtcp,
            totals,
            ..
        } = self;
        let Some(c) = conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        loop {
            match c.core.poll_transmit(now, &mut buf) {
                Ok(Some(tx)) => {
                    let bytes = &buf[..tx.len];
                    match tx.destination {
                        Destination::Rtsp => {
                            log_exchange(c.peer, c.last_request.take(), bytes, c.core.session_id());
                            totals.note_response(bytes);
                            c.out.push(bytes);
                        }
                        Destination::Interleaved { .. } => {
                            if c.out.has_room(bytes.len()) {
                                c.out.push(bytes);
                            }
                        }
                        Destination::Rtcp { port } => match mcast {
                            Some(m) if m.allows(bytes) => {
                                rtcp.send_one(bytes, m.to);
                            }
                            Some(_) => {}
                            None => {
                                rtcp.send_one(bytes, SocketAddr::new(c.peer.ip(), port));
                            }
                        },
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::error!("{}: cannot write the session's output: {e}", c.peer);
                    break;
                }
            }
        }
        while let Some(ev) = self.conns.slots[idx]
            .as_mut()
            .and_then(|c| c.core.poll_event())
        {
            self.on_event(idx, ev, now);
        }
        self.flush_conn(idx);
    }

    fn on_event(&mut self, idx: usize, ev: Event, now: Instant) {
        let first_due = self.grid_after(now, idx);
        let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        let peer = c.peer;
        match ev {
            Event::SetUp { id, transport } if c.core.is_publisher() => {
                // Its media comes to us: see `publish` (from RECORD on).
                c.admitted = None;
                tracing::info!("{peer}: session {id} set up to publish: {transport:?}");
                self.publisher_set_up(idx);
            }
            Event::SetUp { id, .. } => {
                let path = c.admitted.take().unwrap_or_default();
                let Some(source) = self.catalog.get(&path).cloned() else {
                    tracing::error!(
                        "{peer}: session {id} set up for {path:?}, which is not served"
                    );
                    return;
                };
                let group = c.core.multicast();
                let Some(dest) = c.core.media_destination() else {
                    return;
                };
                if let MediaDestination::Udp { rtcp, .. } = dest {
                    if !rtcp.ip().is_multicast() {
                        self.conns.rtcp_peers.insert(rtcp, idx);
                    }
                }
                tracing::info!("{peer}: session {id} set up for {path}: {}", describe(dest));
                // A pull stays open while its path has sessions.
                if let Some(pull) = self.relays.pull_of(&source) {
                    pull.join();
                }
                c.media = Some(Media::new(id.to_string(), path, source, dest));
                self.conns.sessions += 1;
                if let Some(g) = group {
                    // Members report to the group (RFC 3550 §6).
                    self.mcast_listen(g);
                }
            }
            Event::Playing { .. } => {
                let group = self.mcast_addr(idx);
                let joins = group.filter(|&to| self.mcast_driver(to, idx).is_some());
                let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
                    return;
                };
                let Some(m) = c.media.as_mut() else { return };
                if let Some(to) = joins {
                    // The group's stream runs already: join it as it is.
                    tracing::info!("{peer}: joins the multicast stream to {to}");
                    m.drives = false;
                    return;
                }
                m.drives = true;
                // The core's frame clock starts now; move it to this
                // connection's phase of the frame period (README "Pacing").
                c.core.schedule_frames(first_due);
            }
            Event::Paused => {
                let driving = c.media.as_ref().is_some_and(|m| m.drives);
                if let Some(m) = c.media.as_mut() {
                    m.drives = false;
                }
                if let (true, Some(to)) = (driving, self.mcast_addr(idx)) {
                    self.mcast_hand_over(idx, to);
                }
            }
            Event::Ended => {
                if let Some(crate::media::Source::Clip(clip)) = c.media.as_ref().map(|m| &m.source)
                {
                    tracing::info!("{peer}: end of {} (--no-loop)", clip.name);
                }
            }
            Event::TornDown => {
                self.hand_over_if_driving(idx);
                self.end_media(idx, "TEARDOWN");
            }
            Event::Expired => {
                let tcp = matches!(
                    c.media.as_ref().map(|m| m.dest),
                    Some(MediaDestination::Interleaved { .. })
                );
                self.hand_over_if_driving(idx);
                let why = format!(
                    "expired after {} s without a request or RTCP report",
                    self.cfg.session_timeout.as_secs()
                );
                self.end_media(idx, &why);
                if tcp {
                    // RFC 2326 §12.37: nothing more will come on it.
                    if let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) {
                        c.closing = true;
                    }
                }
            }
            Event::PublishStarted => self.recording(idx),
            Event::PublishStopped => self.unpublish(idx, "it stopped"),
            Event::Unauthorized { wrong_credentials } => {
                // The exchange itself was logged with its 401.
                tracing::info!(
                    "{peer}: refused: {}",
                    if wrong_credentials {
                        "wrong credentials"
                    } else {
                        "no credentials"
                    }
                );
            }
            Event::ReceiverReport {
                fraction_lost,
                cumulative_lost,
                jitter,
                round_trip_us,
                ..
            } => {
                let id = c.core.session_id();
                if let Some(m) = c.media.as_mut() {
                    m.reports += 1;
                    m.last_report = Some(crate::session::Report {
                        fraction_lost,
                        cumulative_lost,
                        jitter,
                    });
                }
                tracing::debug!(
                    "{peer}: session {}: receiver report: {:.1}% lost recently, {cumulative_lost} in all, jitter {:.2} ms{}",
                    id.map(|i| i.to_string()).unwrap_or_default(),
                    f64::from(fraction_lost) * 100.0 / 256.0,
                    f64::from(jitter) / 90.0,
                    round_trip_us.map(|r| format!(", round trip {:.2} ms", f64::from(r) / 1000.0)).unwrap_or_default()
                );
            }
        }
    }

    /// A leaving multicast driver hands the stream to another member.
    fn hand_over_if_driving(&mut self, idx: usize) {
        let Some(m) = self
            .conns
            .slots
            .get(idx)
            .and_then(|c| c.as_ref()?.media.as_ref())
        else {
            return;
        };
        if let (true, MediaDestination::Udp { rtp, .. }) = (m.drives, m.dest) {
            if rtp.ip().is_multicast() {
                self.mcast_hand_over(idx, rtp);
            }
        }
    }

    /// Forgets a session's media, releases its capacity, logs a summary.
    pub fn end_media(&mut self, idx: usize, why: &str) {
        // A connection without a session is closed when idle (`idle`):
        // counted from the session's end, so a client still gets told
        // 454 on the same connection after an expiry.
        let idle_until = self.now() + self.cfg.session_timeout;
        let Some(c) = self.conns.slots.get_mut(idx).and_then(Option::as_mut) else {
            return;
        };
        let Some(m) = c.media.take() else { return };
        c.idle_until = idle_until;
        let transport = crate::server::http::metrics::transport(c, m.dest);
        self.conns.sessions = self.conns.sessions.saturating_sub(1);
        if let Some(pull) = self.relays.pull_of(&m.source) {
            pull.leave();
        }
        self.totals.media_ended(transport, &m);
        if let MediaDestination::Udp { rtcp, .. } = m.dest {
            self.conns.rtcp_peers.remove(&rtcp);
        }
        tracing::info!(
            "{}: session {} for {} ended ({why}): {} frames and {} packets sent, {} frames dropped, {} receiver reports",
            c.peer,
            m.id,
            m.path,
            m.frames,
            m.packets,
            m.frames_dropped,
            m.reports
        );
        if let MediaDestination::Udp { rtcp, .. } = m.dest {
            if rtcp.ip().is_multicast() {
                self.mcast_unlisten(rtcp);
            }
        }
    }
}

fn describe(d: MediaDestination) -> String {
    match d {
        MediaDestination::Udp { rtp, rtcp } => format!(
            "RTP/AVP over UDP{} to {} ports {}-{}",
            if rtp.ip().is_multicast() {
                " multicast"
            } else {
                ""
            },
            rtp.ip(),
            rtp.port(),
            rtcp.port()
        ),
        MediaDestination::Interleaved { rtp, rtcp } => {
            format!("RTP/AVP/TCP interleaved on channels {rtp}-{rtcp}")
        }
    }
}

/// The first line of a request, for the log (`None` for interleaved data).
fn request_line(bytes: &[u8]) -> Option<String> {
    if bytes.first() == Some(&b'$') {
        return None;
    }
    let end = bytes
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(bytes.len())
        .min(200);
    let line = String::from_utf8_lossy(&bytes[..end]);
    Some(
        line.trim_end_matches(" RTSP/1.0")
            .trim_end_matches(" RTSP/2.0")
            .to_string(),
    )
}

/// One readable line per exchange: who, what, status (keep-alives at debug).
fn log_exchange(
    peer: SocketAddr,
    request: Option<String>,
    response: &[u8],
    session: Option<rtsp_core::session::server::SessionId>,
) {
    let end = response
        .iter()
        .position(|&b| b == b'\r')
        .unwrap_or(response.len())
        .min(100);
    let status = String::from_utf8_lossy(&response[..end]);
    let status = status.split_once(' ').map_or(&*status, |(_, s)| s);
    let request = request.unwrap_or_else(|| "(request)".into());
    let sid = session
        .map(|s| format!(" [session {s}]"))
        .unwrap_or_default();
    let quiet = status.starts_with("200")
        && (request.starts_with("GET_PARAMETER")
            || request.starts_with("SET_PARAMETER")
            || request.starts_with("OPTIONS"));
    if quiet {
        tracing::debug!("{peer}: {request} -> {status}{sid}");
    } else {
        tracing::info!("{peer}: {request} -> {status}{sid}");
    }
}
