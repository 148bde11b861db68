//! The receive path for media: RTP/RTCP packets (from UDP or unwrapped from
//! the RTSP connection) into statistics, the reorder window, the RFC 2435
//! depacketizer, the window, `--save-frames` and `--pcap`.
//!
//! Packets go through rtsp-core's [`ReorderWindow`] (held while one before
//! them is missing, at most `--reorder-packets` packets and one frame
//! period, or `--reorder-ms`) and reach the depacketizer in sequence
//! order, so reordering, even across frames, costs nothing. A restart-marked
//! frame with packets lost comes out of the depacketizer rebuilt from the
//! intervals that arrived; it is shown concealed ([`crate::conceal`]).
//!
//! Steady state allocates nothing per packet: the packet arrives in the
//! loop's receive buffer, the depacketizer writes into one frame buffer
//! allocated up front, statistics are fixed-size, and the pcap writer
//! reuses a scratch buffer.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rtsp_core::jpeg::{self, Assembled, Depacketizer};
use rtsp_core::limits::JPEG_MAX_HEADER;
use rtsp_core::rtp::{self, ReorderWindow, RtpTimestamp};
use rtsp_core::{Duration, Instant};

use crate::conceal::{self, LastShown};
use crate::error::Error;
use crate::frame_slot::FrameSlot;
use crate::metrics::StreamMetrics;
use crate::pcap_out::PcapWriter;

/// Room for one frame's scan data: a 4K MJPEG frame at high quality.
const MAX_SCAN_DATA: usize = 4 << 20;

/// Bytes per packet the reorder window holds: a UDP datagram on an
/// Ethernet path. A larger packet out of order is taken as lost.
const REORDER_SLOT: usize = 2048;

/// The reorder window's wait before the frame period is known (25 fps).
pub const DEFAULT_REORDER_MS: u64 = 40;

/// How the reorder window is bounded (`--reorder-packets`, `--reorder-ms`).
#[derive(Debug, Clone, Copy)]
pub struct ReorderLimits {
    /// Most packets held behind a gap; 0 turns reordering off.
    pub packets: usize,
    /// Longest wait for a gap, ms; `None`: one frame period, measured from
    /// the RTP timestamps.
    pub ms: Option<u64>,
}

/// Where a packet came from and went to, for the pcap file.
#[derive(Debug, Clone, Copy)]
pub struct Path {
    /// Sender address.
    pub src: SocketAddr,
    /// Our address.
    pub dst: SocketAddr,
}

/// Media receive state for one RTP/JPEG stream.
#[derive(Debug)]
pub struct Media {
    /// Loss, jitter, rates (rtsp_core::stats).
    pub metrics: StreamMetrics,
    reorder: ReorderWindow<Vec<u8>>,
    reorder_ms: Option<u64>,
    depack: Depacketizer<Vec<u8>>,
    out: Output,
    /// Expected RTP payload type (from SDP, 26 when static).
    pub payload_type: u8,
    /// SSRC of the stream we follow (the first one seen).
    pub ssrc: Option<rtp::Ssrc>,
    /// A payload type other than the SDP's JPEG one, and how many packets
    /// carried it (the stream is refused if nothing else comes).
    pub foreign_payload_type: Option<(u8, u64)>,
    /// `--frames N`: once N frames are complete the run is ending, and
    /// media still in flight is neither counted nor saved.
    pub frame_limit: Option<u64>,
    /// Packets that were not RTP at all.
    pub not_rtp: u64,
    /// RTP packets seen (any SSRC), to detect "no media" for the fallback.
    pub packets_seen: u64,
    pcap: Option<PcapWriter>,
}

/// Where frames go once reassembled: the statistics, the window,
/// `--save-frames`, and what concealment needs of the last one shown.
#[derive(Debug)]
struct Output {
    /// Frame size of the last frame shown.
    width: u16,
    height: u16,
    /// Frames the depacketizer has given up so far, already passed on to
    /// the statistics (which count every frame, once).
    drops_counted: u64,
    save_dir: Option<PathBuf>,
    saved: u64,
    slot: Option<Arc<FrameSlot>>,
    last_shown: LastShown,
    /// Frames shown with concealed intervals.
    concealed: u64,
    /// Restart intervals concealed in them.
    intervals_lost: u64,
    /// PLAYs so far, and the RTP time the current one starts at (RTP-Info,
    /// else its first packet's): saved frames are named by both.
    plays: u32,
    play_start: Option<RtpTimestamp>,
    /// The last saved position and how many frames were saved at it (a
    /// sender repeating timestamps must not overwrite a file).
    last_saved: Option<(u32, u64, u32)>,
    /// The last frame's RTP timestamp and the frame period seen, in ticks.
    last_ts: Option<RtpTimestamp>,
    period: Option<u32>,
}

impl Media {
    /// Sets up the receive path; fails if `--save-frames` or `--pcap` cannot
    /// be created.
    pub fn new(
        save_dir: Option<PathBuf>,
        pcap: Option<&std::path::Path>,
        slot: Option<Arc<FrameSlot>>,
        reorder: ReorderLimits,
    ) -> Result<Media, Error> {
        let create = |path: &std::path::Path| {
            let path = path.to_path_buf();
            move |source| Error::Create { path, source }
        };
        if let Some(d) = &save_dir {
            std::fs::create_dir_all(d).map_err(create(d))?;
        }
        let pcap = match pcap {
            Some(p) => Some(PcapWriter::create(p).map_err(create(p))?),
            None => None,
        };
        let frame_buf = || vec![0u8; JPEG_MAX_HEADER + MAX_SCAN_DATA + 2];
        let slots = reorder
            .packets
            .min(rtsp_core::limits::RTP_REORDER_MAX_SLOTS);
        let wait = Duration::from_millis(reorder.ms.unwrap_or(DEFAULT_REORDER_MS));
        Ok(Media {
            metrics: StreamMetrics::new(),
            reorder: ReorderWindow::new(vec![0u8; slots * REORDER_SLOT], REORDER_SLOT, slots, wait),
            reorder_ms: reorder.ms,
            depack: Depacketizer::new(frame_buf()).with_partial_frames(frame_buf()),
            out: Output {
                width: 0,
                height: 0,
                drops_counted: 0,
                save_dir,
                saved: 0,
                slot,
                last_shown: LastShown::default(),
                concealed: 0,
                intervals_lost: 0,
                plays: 0,
                play_start: None,
                last_saved: None,
                last_ts: None,
                period: None,
            },
            payload_type: jpeg::PAYLOAD_TYPE,
            ssrc: None,
            foreign_payload_type: None,
            frame_limit: None,
            not_rtp: 0,
            packets_seen: 0,
            pcap,
        })
    }

    /// Frame size from SDP `a=x-dimensions` (frames above 2040 px).
    pub fn set_dimensions(&mut self, width: u16, height: u16) {
        self.depack.set_dimensions(width, height);
    }

    /// PLAY was accepted; `rtptime` from its RTP-Info (RFC 2326 §12.33):
    /// saved frames are named by their position since this PLAY.
    pub fn on_play(&mut self, rtptime: Option<RtpTimestamp>) {
        self.out.plays += 1;
        self.out.play_start = rtptime;
    }

    /// Size of the last frame shown.
    pub fn size(&self) -> (u16, u16) {
        (self.out.width, self.out.height)
    }

    /// Complete frames delivered (the statistics' count).
    pub fn frames_complete(&self) -> u64 {
        self.metrics.frames_complete()
    }

    /// Frames shown with missing restart intervals concealed.
    pub fn frames_concealed(&self) -> u64 {
        self.out.concealed
    }

    /// Restart intervals missing from the concealed frames.
    pub fn intervals_lost(&self) -> u64 {
        self.out.intervals_lost
    }

    /// Frames dropped: gaps, overflow, inconsistency, or a corrupt rebuild
    /// (the statistics' count).
    pub fn frames_dropped(&self) -> u64 {
        self.metrics.frames_dropped()
    }

    /// Packets that arrived after the reorder window gave up on them
    /// (counted received by RFC 3550, but lost to the picture).
    pub fn packets_late(&self) -> u64 {
        self.reorder.late()
    }

    /// When the reorder window gives up on a gap, if it holds packets.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.reorder.poll_timeout()
    }

    /// Releases what the reorder window has held long enough at `now_us`.
    pub fn poll(&mut self, now_us: u64) {
        if self.limit_reached() {
            return;
        }
        let now = Instant::from_micros(now_us);
        let (depack, out, metrics) = (&mut self.depack, &mut self.out, &mut self.metrics);
        self.reorder
            .poll(now, |bytes| out.feed(now_us, depack, metrics, bytes));
        self.follow_frame_period();
    }

    fn limit_reached(&self) -> bool {
        self.frame_limit
            .is_some_and(|n| self.frames_complete() >= n)
    }

    /// Handles one RTP packet arriving at `now_us`.
    pub fn on_rtp(&mut self, now_us: u64, path: Path, data: &[u8]) {
        if self.limit_reached() {
            return;
        }
        self.capture(path, data);
        let Ok(pkt) = rtp::Packet::new_checked(data) else {
            self.not_rtp += 1;
            return;
        };
        self.packets_seen += 1;
        tracing::trace!(
            "RTP seq {} ts {} marker {} {} bytes from {}",
            pkt.sequence_number().0,
            pkt.timestamp().0,
            pkt.marker(),
            data.len(),
            path.src
        );
        if pkt.payload_type() != self.payload_type {
            let n = self.foreign_payload_type.map_or(0, |(_, n)| n);
            self.foreign_payload_type = Some((pkt.payload_type(), n + 1));
            return;
        }
        match self.ssrc {
            None => self.ssrc = Some(pkt.ssrc()),
            // One stream per session: another SSRC is someone else's.
            Some(s) if s != pkt.ssrc() => return,
            Some(_) => {}
        }
        self.metrics.on_packet(now_us, &pkt);
        let now = Instant::from_micros(now_us);
        let (depack, out, metrics) = (&mut self.depack, &mut self.out, &mut self.metrics);
        self.reorder
            .push(now, data, |bytes| out.feed(now_us, depack, metrics, bytes));
        self.follow_frame_period();
    }

    /// Without `--reorder-ms`, the window waits one frame period.
    fn follow_frame_period(&mut self) {
        if let (None, Some(ticks)) = (self.reorder_ms, self.out.period) {
            let us = u64::from(ticks) * 1_000_000 / u64::from(jpeg::CLOCK_RATE);
            self.reorder.set_max_delay(Duration::from_micros(us));
        }
    }

    /// Writes a packet to the `--pcap` capture: RTCP both ways (the server's
    /// reports, our receiver reports), as tcpdump would see it.
    pub fn capture(&mut self, path: Path, data: &[u8]) {
        if let Some(w) = &mut self.pcap {
            if let Err(e) = w.write_udp(path.src, path.dst, data) {
                eprintln!("pcap write failed: {e}; capture stopped");
                self.pcap = None;
            }
        }
    }

    /// Ends the stream: releases what the reorder window holds, flushes the
    /// capture. (A frame cut short by TEARDOWN is not counted as dropped:
    /// the network lost nothing.)
    pub fn finish(&mut self, now_us: u64) {
        if !self.limit_reached() {
            let (depack, out, metrics) = (&mut self.depack, &mut self.out, &mut self.metrics);
            self.reorder
                .flush(|bytes| out.feed(now_us, depack, metrics, bytes));
        }
        if let Some(w) = &mut self.pcap {
            let _ = w.flush();
        }
    }

    /// Frames saved by `--save-frames`.
    pub fn frames_saved(&self) -> u64 {
        self.out.saved
    }
}

impl Output {
    /// One packet in sequence order into the depacketizer; the frames it
    /// ends are shown.
    fn feed(
        &mut self,
        now_us: u64,
        depack: &mut Depacketizer<Vec<u8>>,
        metrics: &mut StreamMetrics,
        bytes: &[u8],
    ) {
        let Ok(pkt) = rtp::Packet::new_checked(bytes) else {
            return;
        };
        let _ = depack.push_frames(&pkt, |a| self.show(now_us, metrics, a));
        // Frames the depacketizer gave up go to the statistics once.
        let dropped = depack.frames_dropped();
        for _ in self.drops_counted..dropped {
            metrics.on_frame(now_us, false, 0);
        }
        self.drops_counted = dropped;
    }

    fn show(&mut self, now_us: u64, metrics: &mut StreamMetrics, a: Assembled<'_>) {
        if let Some(last) = self.last_ts {
            let ticks = a.timestamp.distance(last);
            // A plausible frame period (1-100 fps) sets the reorder wait.
            if (900..=90_000).contains(&ticks) {
                self.period = Some(ticks.unsigned_abs());
            }
        }
        self.last_ts = Some(a.timestamp);
        let start = *self.play_start.get_or_insert(a.timestamp);
        let ms =
            u64::from(a.timestamp.0.wrapping_sub(start.0)) * 1000 / u64::from(jpeg::CLOCK_RATE);
        match a.missing {
            None => self.show_complete(now_us, metrics, a.jfif, ms),
            Some(map) => {
                let Some((rgb, w, h)) = self.last_shown.conceal(a.jfif, map) else {
                    metrics.on_frame(now_us, false, 0);
                    return;
                };
                self.concealed += 1;
                self.intervals_lost += u64::from(map.missing_count());
                (self.width, self.height) = (w as u16, h as u16);
                if let Some(slot) = &self.slot {
                    slot.publish_rgb(rgb, w, h);
                }
                if self.save_dir.is_some() {
                    if let Some(jpeg) = conceal::encode(rgb, w, h) {
                        self.save(&jpeg, ms, "-concealed");
                    }
                }
            }
        }
    }

    fn show_complete(&mut self, now_us: u64, metrics: &mut StreamMetrics, frame: &[u8], ms: u64) {
        let Ok(parsed) = jpeg::Frame::parse(frame) else {
            metrics.on_frame(now_us, false, frame.len());
            return;
        };
        self.width = parsed.width();
        self.height = parsed.height();
        metrics.on_frame(now_us, true, frame.len());
        self.last_shown.shown_complete(frame);
        if let Some(slot) = &self.slot {
            slot.publish(frame);
        }
        self.save(frame, ms, "");
    }

    /// `--save-frames`: `frame-P<play>-<ms since PLAY>ms[-concealed].jpg`,
    /// so a gap in the names is a frame never shown; a further frame at the
    /// same position (a sender repeating timestamps) gets `_<n>` (6 digits) after it.
    fn save(&mut self, jpeg: &[u8], ms: u64, tag: &str) {
        let Some(dir) = &self.save_dir else { return };
        self.saved += 1;
        let again = match self.last_saved {
            Some((play, at, n)) if play == self.plays && at == ms => n + 1,
            _ => 0,
        };
        self.last_saved = Some((self.plays, ms, again));
        let again = if again > 0 {
            format!("_{again:06}")
        } else {
            String::new()
        };
        let p = dir.join(format!(
            "frame-P{:02}-{ms:09}ms{tag}{again}.jpg",
            self.plays
        ));
        if let Err(e) = std::fs::write(&p, jpeg) {
            eprintln!(
                "cannot write {}: {e}; no more frames will be saved",
                p.display()
            );
            self.save_dir = None;
        }
    }
}
