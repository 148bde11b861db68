//! Proof that the receive path allocates nothing per packet in steady
//! state: a counting global allocator (test builds only) watches
//! [`Media::on_rtp`] reassemble real RTP/JPEG packets from rtsp-core's
//! packetizer, statistics included.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use rtsp_core::jpeg::{Frame, Packetizer};
use rtsp_core::rtp::{self, RtpTimestamp, SeqNo, Ssrc};

use crate::media::{Media, Path};

thread_local! {
    /// Allocations made by this thread (tests run on several threads).
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// Counts allocations per thread, then defers to the system allocator.
struct Counting;

// The one unsafe item of the crate, in test builds only: GlobalAlloc is an
// unsafe trait. It adds a counter and forwards to `System` unchanged.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's, forwarded unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// A 640x480 4:2:0 baseline JPEG with standard tables.
fn test_frame() -> Vec<u8> {
    let (w, h) = (640usize, 480usize);
    let rgb: Vec<u8> = (0..w * h)
        .flat_map(|i| {
            [
                (i % w * 255 / w) as u8,
                (i / w) as u8,
                (((i % w) ^ (i / w)) * 3) as u8,
            ]
        })
        .collect();
    let mut out = Vec::new();
    let mut e = jpeg_encoder::Encoder::new(&mut out, 80);
    e.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    e.encode(&rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// All packets of `frames` frames, back to back, with their lengths.
fn packets(jpeg: &[u8], frames: u32) -> Vec<Vec<u8>> {
    let frame = Frame::parse(jpeg).unwrap();
    let mut seq = SeqNo(1000);
    let mut out = Vec::new();
    for i in 0..frames {
        let repr = rtp::Repr {
            marker: false,
            payload_type: 26,
            sequence: seq,
            timestamp: RtpTimestamp(i * 3600),
            ssrc: Ssrc(0x1234),
        };
        let mut p = Packetizer::new(&frame, 1400, repr).unwrap();
        let mut buf = vec![0u8; 1400];
        while let Some(n) = p.next_packet(&mut buf).unwrap() {
            out.push(buf[..n].to_vec());
        }
        seq = p.next_sequence();
    }
    out
}

#[test]
fn receive_path_allocates_nothing_per_packet() {
    let jpeg = test_frame();
    let pkts = packets(&jpeg, 40);
    let per_frame = pkts.len() / 40;
    assert!(
        per_frame > 5,
        "want several packets per frame, got {per_frame}"
    );
    let mut media = Media::new(
        None,
        None,
        None,
        crate::media::ReorderLimits {
            packets: 64,
            ms: None,
        },
    )
    .unwrap();
    let path = Path {
        src: "127.0.0.1:5000".parse().unwrap(),
        dst: "127.0.0.1:6000".parse().unwrap(),
    };
    // Warm-up: the first frames may size buffers.
    let (warm, steady) = pkts.split_at(per_frame * 5);
    for (i, p) in warm.iter().enumerate() {
        media.on_rtp(i as u64 * 1000, path, p);
    }
    let before = allocations();
    for (i, p) in steady.iter().enumerate() {
        media.on_rtp(1_000_000 + i as u64 * 1000, path, p);
    }
    let made = allocations() - before;
    // The counter does see this thread's allocations.
    let probe = allocations();
    let v = std::hint::black_box(vec![1u8; 64]);
    assert!(allocations() > probe);
    drop(v);
    assert_eq!(media.frames_complete(), 40, "every frame reassembled");
    assert_eq!(made, 0, "{made} allocations for {} packets", steady.len());
}
