//! The receive path for media: RTP/RTCP packets (from UDP or unwrapped from
//! the RTSP connection) into statistics, the RFC 2435 depacketizer, the
//! window, `--save-frames` and `--pcap`.
//!
//! Steady state allocates nothing per packet: the packet arrives in the
//! loop's receive buffer, the depacketizer writes into one frame buffer
//! allocated up front, statistics are fixed-size, and the pcap writer
//! reuses a scratch buffer.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rtsp_core::jpeg::{self, Depacketizer};
use rtsp_core::limits::JPEG_MAX_HEADER;
use rtsp_core::rtp;

use crate::error::Error;
use crate::frame_slot::FrameSlot;
use crate::metrics::StreamMetrics;
use crate::pcap_out::PcapWriter;

/// Room for one frame's scan data: a 4K MJPEG frame at high quality.
const MAX_SCAN_DATA: usize = 4 << 20;

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
    depack: Depacketizer<Vec<u8>>,
    /// Expected RTP payload type (from SDP, 26 when static).
    pub payload_type: u8,
    /// SSRC of the stream we follow (the first one seen).
    pub ssrc: Option<rtp::Ssrc>,
    /// A payload type other than the SDP's JPEG one, and how many packets
    /// carried it (the stream is refused if nothing else comes).
    pub foreign_payload_type: Option<(u8, u64)>,
    /// Frame size of the last complete frame.
    pub width: u16,
    /// Frame height of the last complete frame.
    pub height: u16,
    /// Frames the depacketizer has given up so far, already passed on to
    /// the statistics (which count every frame, once).
    drops_counted: u64,
    /// `--frames N`: once N frames are complete the run is ending, and
    /// media still in flight is neither counted nor saved.
    pub frame_limit: Option<u64>,
    /// Packets that were not RTP at all.
    pub not_rtp: u64,
    /// RTP packets seen (any SSRC), to detect "no media" for the fallback.
    pub packets_seen: u64,
    save_dir: Option<PathBuf>,
    saved: u64,
    pcap: Option<PcapWriter>,
    slot: Option<Arc<FrameSlot>>,
}

impl Media {
    /// Sets up the receive path; fails if `--save-frames` or `--pcap` cannot
    /// be created.
    pub fn new(
        save_dir: Option<PathBuf>,
        pcap: Option<&std::path::Path>,
        slot: Option<Arc<FrameSlot>>,
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
        Ok(Media {
            metrics: StreamMetrics::new(),
            depack: Depacketizer::new(vec![0u8; JPEG_MAX_HEADER + MAX_SCAN_DATA + 2]),
            payload_type: jpeg::PAYLOAD_TYPE,
            ssrc: None,
            foreign_payload_type: None,
            width: 0,
            height: 0,
            drops_counted: 0,
            frame_limit: None,
            not_rtp: 0,
            packets_seen: 0,
            save_dir,
            saved: 0,
            pcap,
            slot,
        })
    }

    /// Frame size from SDP `a=x-dimensions` (frames above 2040 px).
    pub fn set_dimensions(&mut self, width: u16, height: u16) {
        self.depack.set_dimensions(width, height);
    }

    /// Complete frames delivered (the statistics' count).
    pub fn frames_complete(&self) -> u64 {
        self.metrics.frames_complete()
    }

    /// Frames dropped: gaps, overflow, inconsistency, or a corrupt rebuild
    /// (the statistics' count).
    pub fn frames_dropped(&self) -> u64 {
        self.metrics.frames_dropped()
    }

    /// Handles one RTP packet arriving at `now_us`. Returns true when it
    /// completed a frame.
    pub fn on_rtp(&mut self, now_us: u64, path: Path, data: &[u8]) -> bool {
        if self
            .frame_limit
            .is_some_and(|n| self.frames_complete() >= n)
        {
            return false;
        }
        self.capture(path, data);
        let Ok(pkt) = rtp::Packet::new_checked(data) else {
            self.not_rtp += 1;
            return false;
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
            return false;
        }
        match self.ssrc {
            None => self.ssrc = Some(pkt.ssrc()),
            // One stream per session: another SSRC is someone else's.
            Some(s) if s != pkt.ssrc() => return false,
            Some(_) => {}
        }
        self.metrics.on_packet(now_us, &pkt);
        let completed = self.reassemble(now_us, &pkt);
        // Frames the depacketizer gave up go to the statistics once, after
        // the frame's borrow of its buffer has ended.
        let dropped = self.depack.frames_dropped();
        for _ in self.drops_counted..dropped {
            self.metrics.on_frame(now_us, false, 0);
        }
        self.drops_counted = dropped;
        completed
    }

    /// Feeds one packet to the depacketizer; a frame it completes goes to
    /// the statistics, the window and `--save-frames`. True when it did.
    fn reassemble(&mut self, now_us: u64, pkt: &rtp::Packet<&[u8]>) -> bool {
        let frame = match self.depack.push(pkt) {
            Ok(Some(frame)) => frame,
            _ => return false,
        };
        let Ok(parsed) = jpeg::Frame::parse(frame) else {
            self.metrics.on_frame(now_us, false, frame.len());
            return false;
        };
        self.width = parsed.width();
        self.height = parsed.height();
        self.metrics.on_frame(now_us, true, frame.len());
        if let Some(slot) = &self.slot {
            slot.publish(frame);
        }
        if let Some(dir) = &self.save_dir {
            self.saved += 1;
            let p = dir.join(format!("frame{:06}.jpg", self.saved));
            if let Err(e) = std::fs::write(&p, frame) {
                eprintln!(
                    "cannot write {}: {e}; no more frames will be saved",
                    p.display()
                );
                self.save_dir = None;
            }
        }
        true
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

    /// Ends the stream: flushes the capture. (A frame cut short by TEARDOWN
    /// is not counted as dropped: the network lost nothing.)
    pub fn finish(&mut self) {
        if let Some(w) = &mut self.pcap {
            let _ = w.flush();
        }
    }

    /// Frames saved by `--save-frames`.
    pub fn frames_saved(&self) -> u64 {
        self.saved
    }
}
