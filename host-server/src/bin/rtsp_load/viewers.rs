//! `--browsers N`: CPU per frame per browser viewer (MJPEG over HTTP,
//! `multipart/x-mixed-replace`) beside CPU per frame per RTSP/TCP
//! interleaved client, in one run, N of each against a fresh server each,
//! the same clip and the same drain loop (issue 14's benchmark; goal: a
//! browser costs at most 1.5× an RTSP/TCP client).
//!
//! The drain reads every connection (mio, one thread) and counts whole
//! frames: RTP packets with the marker bit on interleaved channel 0 (RFC
//! 2326 §10.12, RFC 2435 §3), or multipart boundaries after a part (RFC
//! 2046 §5.1.1). Server CPU is its scheduler run time over the measured
//! seconds (all threads, loopback receive work included alike for both).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token};

use crate::measure::cpu_secs;
use crate::rtsp::open_tcp_session;
use crate::servers::Server;

/// What ends each MJPEG part on the wire (rtsp-server's boundary).
const PART_END: &[u8] = b"\r\n--mjpegframe\r\n";

/// One connection's frame counter.
enum Counter {
    /// `$`-framed RTP: bytes of an unfinished frame header or packet.
    Interleaved(Vec<u8>),
    /// MJPEG: the last bytes seen, to find a boundary split across reads.
    Multipart(Vec<u8>),
}

impl Counter {
    /// Feeds bytes; returns the frames they finished.
    fn feed(&mut self, bytes: &[u8]) -> u64 {
        match self {
            Counter::Interleaved(buf) => {
                buf.extend_from_slice(bytes);
                let mut at = 0;
                let mut frames = 0;
                while let [b'$', ch, hi, lo, ..] = buf[at..] {
                    let len = usize::from(u16::from_be_bytes([hi, lo]));
                    let Some(p) = buf.get(at + 4..at + 4 + len) else {
                        break;
                    };
                    // RTP marker bit: the last packet of a frame.
                    if ch == 0 && p.get(1).is_some_and(|b| b & 0x80 != 0) {
                        frames += 1;
                    }
                    at += 4 + len;
                }
                buf.drain(..at);
                frames
            }
            Counter::Multipart(tail) => {
                tail.extend_from_slice(bytes);
                let frames = tail
                    .windows(PART_END.len())
                    .filter(|w| *w == PART_END)
                    .count() as u64;
                let keep = tail.len().saturating_sub(PART_END.len() - 1);
                tail.drain(..keep);
                frames
            }
        }
    }
}

/// Frames delivered and server CPU seconds over `secs`, with `n`
/// connections opened by `open`.
fn run(
    server: &Server,
    n: usize,
    secs: u64,
    open: &dyn Fn() -> (TcpStream, Counter, Vec<u8>),
) -> (u64, f64) {
    let mut poll = Poll::new().unwrap();
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        let (tcp, mut counter, rest) = open();
        counter.feed(&rest);
        tcp.set_nonblocking(true).unwrap();
        let mut tcp = mio::net::TcpStream::from_std(tcp);
        poll.registry()
            .register(&mut tcp, Token(i), Interest::READABLE)
            .unwrap();
        conns.push((tcp, counter));
    }
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 1 << 16];
    let start = Instant::now();
    let warm = Duration::from_secs(1);
    let end = warm + Duration::from_secs(secs);
    let (mut frames, mut cpu0) = (0u64, None);
    while start.elapsed() < end {
        if cpu0.is_none() && start.elapsed() >= warm {
            cpu0 = Some(cpu_secs(server.child.id()));
            frames = 0;
        }
        poll.poll(&mut events, Some(Duration::from_millis(10)))
            .unwrap();
        for ev in &events {
            let (tcp, counter) = &mut conns[ev.token().0];
            loop {
                match tcp.read(&mut buf) {
                    Ok(0) => break,
                    Ok(k) => frames += counter.feed(&buf[..k]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("reading a viewer: {e}"),
                }
            }
        }
    }
    let cpu = cpu_secs(server.child.id()) - cpu0.unwrap_or(0.0);
    (frames, cpu)
}

/// The comparison for `n` viewers of each kind, printed.
pub(crate) fn compare(start: &dyn Fn() -> Server, n: usize, secs: u64) {
    let rtsp = start();
    let url = rtsp.url.clone();
    let (tcp_frames, tcp_cpu) = run(&rtsp, n, secs, &|| {
        let (tcp, rest) = open_tcp_session(&url);
        (tcp, Counter::Interleaved(Vec::new()), rest)
    });
    drop(rtsp);
    let http = start();
    let target = http.url.trim_start_matches("rtsp://").to_string();
    let (host, path) = target.split_once('/').unwrap();
    let (mj_frames, mj_cpu) = run(&http, n, secs, &|| {
        let mut tcp = TcpStream::connect(host).unwrap();
        write!(tcp, "GET /{path} HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
        (tcp, Counter::Multipart(Vec::new()), Vec::new())
    });
    let want = n as f64 * 25.0 * secs as f64;
    let per = |cpu: f64, f: u64| cpu * 1e6 / f.max(1) as f64;
    println!("{n} viewers each, {secs} s, 640x480 25 fps ({want:.0} frames expected per kind):");
    println!(
        "  RTSP/TCP interleaved: {tcp_frames} frames delivered ({:.1}%), server CPU {tcp_cpu:.2} s, {:.1} us per frame per client",
        tcp_frames as f64 * 100.0 / want,
        per(tcp_cpu, tcp_frames)
    );
    println!(
        "  browser MJPEG/HTTP:   {mj_frames} frames delivered ({:.1}%), server CPU {mj_cpu:.2} s, {:.1} us per frame per viewer",
        mj_frames as f64 * 100.0 / want,
        per(mj_cpu, mj_frames)
    );
    println!(
        "  browser / RTSP-TCP CPU per frame = {:.2} (goal <= 1.5)",
        per(mj_cpu, mj_frames) / per(tcp_cpu, tcp_frames).max(1e-9)
    );
}
