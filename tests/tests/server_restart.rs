//! Restart-aligned packets (RFC 2435 §3.1.7) end to end, on a moving
//! 640×480 clip made by ffmpeg (`testsrc2`, ffmpeg's optimized Huffman
//! tables, no restart interval), served by the real rtsp-server.
//!
//! What a user would check:
//! * the start line says what the restart markers cost, under 3 %;
//! * ffmpeg and GStreamer decode every frame with no error, to exactly the
//!   pixels each decodes from the source clip itself;
//! * tshark (an independent RTP/JPEG dissector) sees types 65 with a
//!   restart header on every packet, packets cut just after RSTn markers,
//!   F/L and the restart count as §3.1.7 says; `--no-restart` gives type 1;
//! * our own rtsp-client plays it with no frame dropped.

mod client_common;
mod server_util;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use client_common::{play_headless, report, u};
use rtsp_e2e::{gst_launch, peer, Proc, Scratch, DEADLINE};
use server_util::Server;

const W: usize = 640;
const H: usize = 480;
const FRAMES: usize = 50;
const FPS: f64 = 25.0;
/// Seconds each peer plays: more than a loop of the clip.
const PLAY_SECS: u32 = 3;
/// Bytes of one decoded 4:2:0 frame.
const FRAME_BYTES: usize = W * H * 3 / 2;

/// Writes the clip into `dir/clip.mjpeg`.
fn make_clip(dir: &Path) {
    let out = Command::new(peer("ffmpeg"))
        .args(["-nostdin", "-v", "error", "-f", "lavfi"])
        .args(["-i", &format!("testsrc2=size={W}x{H}:rate={FPS}")])
        .args(["-frames:v", &FRAMES.to_string()])
        .args(["-c:v", "mjpeg", "-q:v", "4", "-pix_fmt", "yuvj420p"])
        .args(["-f", "mjpeg", "-y"])
        .arg(dir.join("clip.mjpeg"))
        .output()
        .expect("ffmpeg");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The MD5 of each frame ffmpeg decodes from `input` (`-f framemd5`), and
/// ffmpeg's error output, which must stay empty.
fn ffmpeg_md5s(pre: &[&str], input: &str, post: &[&str]) -> (Vec<String>, String) {
    let out = Command::new(peer("ffmpeg"))
        .args(["-nostdin", "-v", "error"])
        .args(pre)
        .args(["-i", input])
        .args(post)
        .args(["-fps_mode", "passthrough", "-pix_fmt", "yuv420p"])
        .args(["-f", "framemd5", "-"])
        .output()
        .expect("ffmpeg");
    let errors = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "ffmpeg {input}: {errors}");
    let md5s = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.rsplit(',').next().unwrap().trim().to_string())
        .collect();
    (md5s, errors)
}

/// The frames GStreamer's `jpegdec` decodes from `src` (a pipeline head),
/// as raw I420, until `limit` buffers (`identity eos-after`) or the end.
fn gst_frames(scratch: &Scratch, tag: &str, src: &str, limit: Option<usize>) -> Vec<Vec<u8>> {
    let raw = scratch.path(&format!("{tag}.i420"));
    let limit = limit.map_or(String::new(), |n| format!("identity eos-after={n} !"));
    let pipeline = format!(
        "{src} ! jpegdec ! videoconvert ! video/x-raw,format=I420,width={W},height={H} ! \
         {limit} filesink location={}",
        raw.display()
    );
    gst_launch(tag, &pipeline);
    let data = std::fs::read(&raw).unwrap();
    assert_eq!(data.len() % FRAME_BYTES, 0, "{tag}: whole frames");
    data.chunks(FRAME_BYTES).map(<[u8]>::to_vec).collect()
}

/// The "+X.X % bytes" the start line gives for the clip.
fn logged_overhead(line: &str) -> f64 {
    let at = line
        .find(" % bytes")
        .unwrap_or_else(|| panic!("no overhead in the start line {line:?}"));
    let start = line[..at].rfind(' ').unwrap() + 1;
    line[start..at].parse().unwrap()
}

#[test]
fn restart_aligned_stream_plays_pixel_exact_in_ffmpeg_gstreamer_and_ours() {
    let scratch = Scratch::new("server-restart-peers");
    let media = scratch.path("media");
    std::fs::create_dir_all(&media).unwrap();
    make_clip(&media);
    let clip = media.join("clip.mjpeg");
    let server = Server::start(&["--media", media.to_str().unwrap()]);
    let line = server.proc.wait_for_line("/clip.mjpeg ", DEADLINE);
    assert!(
        line.contains("50 frames re-coded losslessly (optimized Huffman → standard)")
            && line.contains("restart-aligned packets (interval"),
        "{line}"
    );
    let overhead = logged_overhead(&line);
    assert!(
        overhead > 0.0 && overhead < 3.0,
        "restart markers cost {overhead} %: {line}"
    );
    let url = server.url("clip.mjpeg");

    // ffmpeg: every frame decodes with no error, to the pixels ffmpeg
    // decodes from a source frame, over UDP and TCP.
    let (source, errors) = ffmpeg_md5s(&[], clip.to_str().unwrap(), &[]);
    assert!(errors.is_empty(), "source: {errors}");
    assert_eq!(source.len(), FRAMES);
    let source: BTreeSet<String> = source.into_iter().collect();
    for transport in ["udp", "tcp"] {
        let t = PLAY_SECS.to_string();
        let (got, errors) = ffmpeg_md5s(
            &["-rtsp_transport", transport, "-timeout", "10000000"],
            &url,
            &["-t", &t],
        );
        assert!(
            errors.trim().is_empty(),
            "{transport}: decoder errors:\n{errors}"
        );
        let want = FPS * f64::from(PLAY_SECS);
        assert!(
            got.len() as f64 >= want * 0.85,
            "{transport}: {} frames decoded in {PLAY_SECS} s",
            got.len()
        );
        let foreign = got.iter().filter(|m| !source.contains(*m)).count();
        assert_eq!(
            foreign, 0,
            "{transport}: {foreign} frames differ from every source frame"
        );
        let distinct: BTreeSet<_> = got.iter().collect();
        assert!(
            distinct.len() >= FRAMES,
            "{transport}: a whole loop arrives"
        );
    }

    // GStreamer: the same, against jpegdec decoding the source file.
    let source = gst_frames(
        &scratch,
        "source",
        &format!("filesrc location={} ! jpegparse", clip.display()),
        None,
    );
    assert_eq!(source.len(), FRAMES);
    let source: BTreeSet<Vec<u8>> = source.into_iter().collect();
    let played = gst_frames(
        &scratch,
        "rtsp",
        &format!("rtspsrc location={url} protocols=udp latency=200 ! rtpjpegdepay"),
        Some(FRAMES + 10),
    );
    assert!(
        played.len() >= FRAMES,
        "GStreamer played {} frames",
        played.len()
    );
    let foreign = played.iter().filter(|f| !source.contains(*f)).count();
    assert_eq!(
        foreign, 0,
        "GStreamer: {foreign} frames differ from every source frame"
    );

    // Ours.
    let rep = scratch.path("report.json");
    let (ok, out) = play_headless(&url, f64::from(PLAY_SECS), &rep, &[]);
    assert!(ok, "rtsp-client failed:\n{out}");
    let r = report(&rep);
    assert!(
        u(&r, "frames_received") as f64 >= FPS * f64::from(PLAY_SECS) * 0.85,
        "{r}"
    );
    assert_eq!(
        (u(&r, "width"), u(&r, "height")),
        (W as u64, H as u64),
        "{r}"
    );
    assert_eq!(u(&r, "frames_dropped"), 0, "{r}");
}

/// One RTP/JPEG packet as tshark dissects it.
#[derive(Debug)]
struct Packet {
    seq: u16,
    timestamp: u32,
    marker: bool,
    kind: u8,
    offset: usize,
    /// (interval, F, L, count) of the restart header, if any.
    restart: Option<(u16, bool, bool, u16)>,
    /// The scan data it carries.
    data: Vec<u8>,
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(char::is_ascii_hexdigit).collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn flag(s: &str) -> bool {
    matches!(s, "1" | "True" | "true")
}

/// Plays the clip over UDP on a pinned port pair while tshark captures
/// it, and returns what tshark dissects.
fn capture(scratch: &Scratch, server: &Server, tag: &str) -> Vec<Packet> {
    let pcap = scratch.path(&format!("{tag}.pcap"));
    let port = rtsp_e2e::free_udp_pair();
    let mut cap = Command::new(peer("tshark"));
    cap.args(["-i", "lo", "-f", &format!("udp and port {port}"), "-w"])
        .arg(&pcap);
    let mut tshark = Proc::spawn(&format!("tshark {tag}"), &mut cap);
    tshark.wait_for_line("Capturing on", DEADLINE);
    let ports = [port.to_string(), (port + 1).to_string()];
    let (frames, errors) = ffmpeg_md5s(
        &[
            "-rtsp_transport",
            "udp",
            "-min_port",
            &ports[0],
            "-max_port",
            &ports[1],
        ],
        &server.url("clip.mjpeg"),
        &["-t", "2"],
    );
    assert!(errors.trim().is_empty(), "{tag}: {errors}");
    assert!(frames.len() >= 40, "{tag}: {} frames", frames.len());
    server.proc.wait_for_line("TEARDOWN", DEADLINE);
    tshark.interrupt();
    tshark.wait_exit(DEADLINE);

    let out = Command::new(peer("tshark"))
        .arg("-r")
        .arg(&pcap)
        .args(["-d", &format!("udp.port=={port},rtp")])
        .args(["-Y", &format!("rtp && udp.dstport=={port}"), "-T", "fields"])
        .args(["-e", "rtp.seq", "-e", "rtp.timestamp", "-e", "rtp.marker"])
        .args(["-e", "jpeg.main_hdr.type", "-e", "jpeg.main_hdr.offset"])
        .args([
            "-e",
            "jpeg.restart_hdr.interval",
            "-e",
            "jpeg.restart_hdr.f",
        ])
        .args(["-e", "jpeg.restart_hdr.l", "-e", "jpeg.restart_hdr.count"])
        .args(["-e", "jpeg.payload"])
        .output()
        .expect("tshark -r");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let r: Vec<&str> = l.split('\t').collect();
            Packet {
                seq: r[0].parse().unwrap(),
                timestamp: r[1].parse().unwrap(),
                marker: flag(r[2]),
                kind: r[3]
                    .parse()
                    .unwrap_or_else(|_| panic!("no JPEG header: {l}")),
                offset: r[4].parse().unwrap(),
                restart: (!r[5].is_empty()).then(|| {
                    (
                        r[5].parse().unwrap(),
                        flag(r[6]),
                        flag(r[7]),
                        r[8].parse().unwrap(),
                    )
                }),
                data: hex(r[9]),
            }
        })
        .collect()
}

fn is_rst(pair: &[u8]) -> bool {
    pair.len() == 2 && pair[0] == 0xff && (0xd0..=0xd7).contains(&pair[1])
}

/// RSTn markers in `scan` before `at`.
fn markers_before(scan: &[u8], at: usize) -> u16 {
    scan[..at].windows(2).filter(|w| is_rst(w)).count() as u16
}

#[test]
fn tshark_sees_types_65_cut_at_restart_markers_and_no_restart_gives_type_1() {
    let scratch = Scratch::new("server-restart-tshark");
    let media = scratch.path("media");
    std::fs::create_dir_all(&media).unwrap();
    make_clip(&media);
    let dir = media.to_str().unwrap();
    // `--no-gso`: a capture on `lo` sees a GSO batch as one datagram.
    let server = Server::start(&["--media", dir, "--no-gso"]);
    let pkts = capture(&scratch, &server, "aligned");
    assert!(pkts.len() > 200, "only {} packets", pkts.len());

    // Whole frames, by timestamp, from the first frame start captured.
    let mut frames: BTreeMap<u32, Vec<&Packet>> = BTreeMap::new();
    let first = pkts.iter().position(|p| p.offset == 0).unwrap();
    for p in &pkts[first..] {
        frames.entry(p.timestamp).or_default().push(p);
    }
    let mut whole = 0;
    let mut split = 0;
    for (ts, f) in &frames {
        if !f.last().unwrap().marker {
            continue; // cut off by the end of the capture
        }
        whole += 1;
        let scan: Vec<u8> = f.iter().flat_map(|p| p.data.clone()).collect();
        let mut offset = 0;
        let mut open: Option<u16> = None;
        for (i, p) in f.iter().enumerate() {
            assert_eq!(p.kind, 65, "ts {ts}: 4:2:0 with restart markers");
            assert_eq!(p.offset, offset, "ts {ts}: contiguous offsets");
            assert_eq!(p.marker, i + 1 == f.len(), "ts {ts}: marker on the last");
            assert!(i == 0 || p.seq == f[i - 1].seq.wrapping_add(1));
            let (interval, first, last, count) = p.restart.expect("a restart header");
            assert!(interval > 0 && count < 0x3fff, "ts {ts}: aligned, {p:?}");
            let end = offset + p.data.len();
            if first {
                assert_eq!(open, None, "ts {ts}: F after an unfinished chunk");
                assert!(
                    offset == 0 || is_rst(&scan[offset - 2..offset]),
                    "ts {ts}: F at a boundary"
                );
                assert_eq!(
                    count,
                    markers_before(&scan, offset),
                    "ts {ts}: restart count"
                );
            } else {
                assert_eq!(
                    open,
                    Some(count),
                    "ts {ts}: a split interval keeps its count"
                );
                split += 1;
            }
            if last {
                assert!(
                    end == scan.len() || is_rst(&scan[end - 2..end]),
                    "ts {ts}: L at a boundary"
                );
                open = None;
            } else {
                open = Some(count);
            }
            offset = end;
        }
    }
    assert!(whole >= 40, "only {whole} whole frames captured");
    // At this MTU and clip, intervals fit packets: splitting is rare.
    assert!(
        split * 20 <= pkts.len(),
        "{split} split packets of {}",
        pkts.len()
    );
    drop(server);

    // --no-restart: the old packets, types 1 without restart header.
    let server = Server::start(&["--media", dir, "--no-gso", "--no-restart"]);
    let line = server.proc.wait_for_line("/clip.mjpeg ", DEADLINE);
    assert!(!line.contains("restart-aligned"), "{line}");
    let pkts = capture(&scratch, &server, "plain");
    assert!(pkts.len() > 200, "only {} packets", pkts.len());
    assert!(pkts.iter().all(|p| p.kind == 1 && p.restart.is_none()));
    // All but a frame's last packet fill the MTU.
    for w in pkts.windows(2) {
        if !w[0].marker && w[1].offset != 0 {
            assert_eq!(w[1].offset - w[0].offset, w[0].data.len());
        }
    }
}
