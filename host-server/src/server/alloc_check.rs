//! Proof that steady-state streaming does no heap allocation per frame or
//! per packet (issue 3, DESIGN.md benchmark 8): a counting global allocator
//! (test builds only) counts this thread's allocations while the server
//! sends many frames to a UDP and a TCP-interleaved session, RTCP sender
//! reports included, and to a browser (MJPEG over HTTP).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;

use rtsp_core::{Duration, Instant};

use crate::media::{Catalog, Clip, Source, BUILTIN_CLIP, BUILTIN_NAME, DEFAULT_FPS};
use crate::server::{Config, Server};

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            COUNT.with(|c| c.set(c.get() + 1));
        }
    });
}

/// Counts allocations made by threads that turned counting on.
struct Counting;

// The one place the hosts opt out of `unsafe_code = "deny"` (see the
// workspace Cargo.toml): `GlobalAlloc` is an unsafe trait by definition.
// Every method forwards to the system allocator unchanged.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: `ptr` came from this allocator, i.e. from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, i.e. from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Puts request bytes into connection `idx`'s input, as a read would.
fn feed(srv: &mut Server, idx: usize, bytes: &[u8], now: Instant) {
    let c = srv.conns.slots[idx].as_mut().unwrap();
    c.input.extend_from_slice(bytes);
    srv.handle_input(idx, now);
}

/// Reads and discards whatever is waiting on the receivers.
fn drain(udp: &UdpSocket, tcp: &mut TcpStream) -> usize {
    let mut buf = [0u8; 65536];
    let mut got = 0;
    while let Ok(n) = udp.recv(&mut buf) {
        got += n;
    }
    while let Ok(n) = tcp.read(&mut buf) {
        if n == 0 {
            break;
        }
        got += n;
    }
    got
}

#[test]
fn steady_state_streaming_does_not_allocate() {
    let fps = DEFAULT_FPS;
    let clip = Arc::new(
        Clip::load(
            BUILTIN_NAME,
            BUILTIN_CLIP,
            fps,
            crate::media::prepare::Options::STRICT,
        )
        .unwrap(),
    );
    let mut cat = Catalog::default();
    cat.insert(BUILTIN_NAME.into(), Source::Clip(clip.clone()));
    let cfg = Config {
        mtu: 1400,
        max_sessions: 10,
        session_timeout: Duration::from_secs(600),
        looping: true,
        fps,
        gso: true,
        http: true,
        restart: true,
    };
    let (mut srv, _waker) = Server::bind("127.0.0.1:0".parse().unwrap(), cat, cfg).unwrap();

    // A UDP receiver and a TCP-interleaved one, as two sessions.
    let udp_rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp_rx.set_nonblocking(true).unwrap();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut tcp_rx = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    tcp_rx.set_nonblocking(true).unwrap();
    let mut conns = Vec::new();
    for _ in 0..2 {
        let (s, peer): (_, SocketAddr) = if conns.is_empty() {
            (
                TcpStream::connect(l.local_addr().unwrap()).unwrap(),
                udp_rx.local_addr().unwrap(),
            )
        } else {
            let (s, p) = l.accept().unwrap();
            (s, p)
        };
        s.set_nonblocking(true).unwrap();
        conns.push(
            srv.add_conn(mio::net::TcpStream::from_std(s), peer)
                .unwrap(),
        );
    }
    // Set both sessions up and playing through the real RTSP dialogue.
    let start = srv.now();
    let url = "rtsp://127.0.0.1/movie.Mjpeg";
    let udp_port = udp_rx.local_addr().unwrap().port();
    let transports = [
        format!("RTP/AVP;unicast;client_port={udp_port}-{}", udp_port + 1),
        "RTP/AVP/TCP;unicast;interleaved=0-1".to_string(),
    ];
    for (&idx, transport) in conns.iter().zip(&transports) {
        let setup = format!("SETUP {url} RTSP/1.0\r\nCSeq: 1\r\nTransport: {transport}\r\n\r\n");
        feed(&mut srv, idx, setup.as_bytes(), start);
        let c = srv.conns.slots[idx].as_ref().unwrap();
        let id = c
            .core
            .session_id()
            .expect("SETUP created a session")
            .to_string();
        let play = format!("PLAY {url} RTSP/1.0\r\nCSeq: 2\r\nSession: {id}\r\n\r\n");
        feed(&mut srv, idx, play.as_bytes(), start);
        assert!(srv.conns.slots[idx].as_ref().unwrap().core.is_playing());
    }

    // A browser: MJPEG over HTTP on a connection of its own.
    let l2 = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut http_rx = TcpStream::connect(l2.local_addr().unwrap()).unwrap();
    http_rx.set_nonblocking(true).unwrap();
    let (s, peer) = l2.accept().unwrap();
    s.set_nonblocking(true).unwrap();
    let browser = srv
        .add_conn(mio::net::TcpStream::from_std(s), peer)
        .unwrap();
    let c = srv.conns.slots[browser].as_mut().unwrap();
    c.input
        .extend_from_slice(b"GET /movie.Mjpeg HTTP/1.1\r\nHost: h\r\n\r\n");
    srv.dispatch_input(browser, start);
    assert!(srv.conns.slots[browser]
        .as_ref()
        .unwrap()
        .viewer()
        .is_some());

    // The counter itself works: one box is one allocation.
    COUNTING.with(|c| c.set(true));
    drop(std::hint::black_box(Box::new(1u64)));
    COUNTING.with(|c| c.set(false));
    assert_eq!(
        COUNT.with(|c| c.replace(0)),
        1,
        "the counting allocator counts"
    );

    // Warm up (buffers reach their working size), then count 20 s of
    // streaming: 500 frames per session and four sender reports.
    let step = Duration::from_micros(40_000);
    let mut received = 0;
    let mut now = start;
    for round in 0..700 {
        if round == 200 {
            COUNTING.with(|c| c.set(true));
        }
        srv.on_timers(now);
        let _ = srv.next_deadline(now);
        received += drain(&udp_rx, &mut tcp_rx);
        received += drain(&udp_rx, &mut http_rx);
        now = now + step;
    }
    COUNTING.with(|c| c.set(false));
    let allocations = COUNT.with(Cell::get);
    let frames: u64 = conns
        .iter()
        .map(|&i| {
            srv.conns.slots[i]
                .as_ref()
                .unwrap()
                .media
                .as_ref()
                .unwrap()
                .frames
        })
        .sum();
    assert!(
        frames >= 2 * 690,
        "both sessions streamed ({frames} frames)"
    );
    let viewer = srv.conns.slots[browser].as_ref().unwrap().viewer().unwrap();
    assert!(
        viewer.frames >= 690 && viewer.skipped == 0,
        "the browser got the stream ({} frames, {} skipped)",
        viewer.frames,
        viewer.skipped
    );
    assert!(
        received > 5_000_000,
        "the receivers got the stream ({received} bytes)"
    );
    assert_eq!(
        allocations, 0,
        "heap allocations during 1000 frames of steady-state streaming"
    );
}
