//! MJPEG containers made by ffmpeg at test time: raw concatenated JPEG
//! (`-f mjpeg`) and the lab's `movie.Mjpeg` built from its frames.

use std::process::Command;

use rtsp_core::jpeg::Frame;
use rtsp_core::mjpeg::{Error, Format, Frames, Reader, Skip, SkipReason};

fn ffmpeg_mjpeg(frames: usize) -> Vec<u8> {
    // One file per call: tests run in parallel.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out =
        std::env::temp_dir().join(format!("rtsp-core-mjpeg-{}-{n}.mjpeg", std::process::id()));
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .args(["-i", "testsrc=size=320x240:rate=25"])
        .args(["-frames:v", &frames.to_string(), "-pix_fmt", "yuvj420p"])
        .args(["-huffman", "default", "-f", "mjpeg"])
        .arg(&out)
        .status()
        .expect("ffmpeg must be installed");
    assert!(status.success());
    let data = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(out);
    data
}

fn to_lab(frames: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::new();
    for f in frames {
        v.extend_from_slice(format!("{:05}", f.len()).as_bytes());
        v.extend_from_slice(f);
    }
    v
}

#[test]
fn ffmpeg_raw_mjpeg_splits_into_carriable_frames() {
    let raw = ffmpeg_mjpeg(5);
    assert_eq!(Format::detect(&raw), Some(Format::Raw));
    let frames: Vec<&[u8]> = Frames::new(&raw).map(Result::unwrap).collect();
    assert_eq!(frames.len(), 5);
    assert_eq!(frames.iter().map(|f| f.len()).sum::<usize>(), raw.len());
    for f in &frames {
        let frame = Frame::parse(f).unwrap();
        assert_eq!((frame.width(), frame.height()), (320, 240));
    }

    let lab = to_lab(&frames);
    assert_eq!(Format::detect(&lab), Some(Format::Lab));
    let again: Vec<&[u8]> = Frames::new(&lab).map(Result::unwrap).collect();
    assert_eq!(again, frames);

    // Incremental reads give the same frames, for both formats.
    for file in [&raw, &lab] {
        let mut r = Reader::new(&file[..], vec![0u8; 64 * 1024]);
        let mut n = 0;
        while let Some(f) = r.next_frame().unwrap() {
            assert_eq!(f, frames[n]);
            n += 1;
        }
        assert_eq!(n, 5);
    }
}

#[test]
fn truncated_files_end_with_a_typed_error_at_the_last_frame() {
    let raw = ffmpeg_mjpeg(3);
    let frames: Vec<&[u8]> = Frames::new(&raw).map(Result::unwrap).collect();
    let last = frames[0].len() + frames[1].len();
    let cut = &raw[..raw.len() - 100];
    let got: Vec<_> = Frames::new(cut).collect();
    assert_eq!(got.len(), 3);
    assert_eq!(got[2], Err(Error::Truncated { offset: last }));

    let lab = to_lab(&frames);
    let cut = &lab[..lab.len() - 100];
    let mut r = Reader::new(cut, vec![0u8; 64 * 1024]);
    assert!(r.next_frame().unwrap().is_some());
    assert!(r.next_frame().unwrap().is_some());
    assert_eq!(r.next_frame(), Err(Error::Truncated { offset: last + 10 }));
    assert_eq!(r.next_frame(), Ok(None));

    // Garbage between frames is passed over and reported with its range;
    // the frames after it are all read.
    let mut bad = frames[0].to_vec();
    bad.extend_from_slice(b"garbage");
    bad.extend_from_slice(frames[1]);
    let got: Vec<_> = Frames::new(&bad).collect();
    let start = frames[0].len();
    assert_eq!(
        got,
        [
            Ok(frames[0]),
            Err(Error::Skipped(Skip {
                start,
                end: start + 7,
                reason: SkipReason::Garbage
            })),
            Ok(frames[1]),
        ]
    );
}
