//! rtsp-server `--multicast` against ffmpeg (`-rtsp_transport
//! udp_multicast`, RFC 2326 §12.39): each member decodes the clip at its
//! frame rate and size, and two members at once share one stream, sent once
//! (RFC 2326 §10.4). Members' RTCP receiver reports sent to the group
//! (RFC 3550 §6) are read, logged and keep the member alive; the members in
//! those tests speak RTSP and RTCP from the test itself ([`Member`]), so
//! the test decides exactly what they send.
//!
//! Multicast never leaves this machine: the server and the peers run in a
//! network namespace the test creates (only `lo`, with a route for
//! 224.0.0.0/4) and deletes on drop, even when the test fails.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::sched::{setns, CloneFlags};
use nix::sys::socket::{bind, connect, socket, AddressFamily, SockFlag, SockType, SockaddrIn};
use rtsp_core::rtcp::{self, ReceiverReport, ReportBlock, ReportBlocks, Sdes};
use rtsp_core::rtp::Ssrc;
use rtsp_core::rtsp::header::Transport;
use rtsp_e2e::{bin, peer, Proc, DEADLINE};

/// The built-in clip: 320×240 at 25 fps.
const FPS: f64 = 25.0;
const GROUP: &str = "239.255.77.1";

/// A network namespace with `lo` up and multicast routed to it; deleted on
/// drop.
struct Netns(String);

impl Netns {
    fn new() -> Netns {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("rtspmc{}_{nanos}", std::process::id());
        run(Command::new("ip").args(["netns", "add", &name]));
        let ns = Netns(name);
        run(ns.exec("ip").args(["link", "set", "lo", "up"]));
        run(ns
            .exec("ip")
            .args(["route", "add", "224.0.0.0/4", "dev", "lo"]));
        ns
    }

    /// `program` run inside the namespace (`ip netns exec` execs it, so the
    /// child's PID is the program's own).
    fn exec(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.0]).arg(program);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.0])
            .status();
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run ip");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts the server in `ns` with `--multicast`; returns it and its URL.
fn server(ns: &Netns) -> (Proc, String) {
    server_with(ns, &[])
}

/// [`server`] with more arguments, logging at debug level (receiver
/// reports are logged at debug).
fn server_with(ns: &Netns, args: &[&str]) -> (Proc, String) {
    let mut cmd = ns.exec(bin("rtsp-server"));
    cmd.env("RUST_LOG", "rtsp_server=debug")
        .args(["--bind", "127.0.0.1", "--port", "8554"])
        .args(["--multicast", &format!("{GROUP}:6000")])
        .args(args);
    let proc = Proc::spawn("rtsp-server", &mut cmd);
    proc.wait_for_line("rtsp://127.0.0.1:8554/", DEADLINE);
    (proc, "rtsp://127.0.0.1:8554/movie.Mjpeg".into())
}

/// Decoded frame sizes from ffmpeg pulling `secs` seconds over multicast
/// (`-f framecrc`: one line per decoded frame).
fn ffmpeg_multicast(ns: &Netns, url: &str, secs: u32) -> Vec<usize> {
    let out = ns
        .exec(peer("ffmpeg"))
        .args([
            "-nostdin",
            "-v",
            "error",
            "-rtsp_transport",
            "udp_multicast",
        ])
        .args(["-timeout", "10000000", "-i", url, "-t", &secs.to_string()])
        .args(["-f", "framecrc", "-"])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split(',').nth(4).unwrap().trim().parse().unwrap())
        .collect()
}

fn check_frames(frames: &[usize], secs: u32) {
    let want = FPS * f64::from(secs);
    let n = frames.len() as f64;
    assert!(
        n >= want * 0.9 && n <= want + 3.0,
        "{n} frames decoded in {secs} s, expected about {want}"
    );
    // A 320x240 yuvj420p picture is 320*240*3/2 bytes.
    assert!(frames.iter().all(|&s| s == 320 * 240 * 3 / 2), "{frames:?}");
}

/// Frames the server sent for ended sessions, from its summary lines
/// ("… ended (TEARDOWN): N frames and P packets sent …").
fn frames_sent(log: &str) -> Vec<u64> {
    log.lines()
        .filter(|l| l.contains(" ended ("))
        .filter_map(|l| {
            let (_, rest) = l.split_once("): ")?;
            rest.split(' ').next()?.parse().ok()
        })
        .collect()
}

/// The receiver reports counted in a session's summary line ("…, N
/// receiver reports").
fn reports_in(summary: &str) -> u64 {
    let (head, _) = summary
        .rsplit_once(" receiver reports")
        .unwrap_or_else(|| panic!("no report count in {summary:?}"));
    head.rsplit(' ').next().unwrap().parse().unwrap()
}

/// ffmpeg decodes the group's stream, and the receiver reports it sends to
/// the group (RFC 3550 §6) reach its session on the server.
#[test]
fn ffmpeg_decodes_the_multicast_stream() {
    let ns = Netns::new();
    let (srv, url) = server(&ns);
    let secs = 4;
    check_frames(&ffmpeg_multicast(&ns, &url, secs), secs);
    let log = srv.wait_for_line(" ended (", DEADLINE);
    let out = srv.output();
    assert!(
        out.contains(&format!(
            "RTP/AVP over UDP multicast to {GROUP} ports 6000-6001"
        )),
        "{out}"
    );
    assert!(log.contains("TEARDOWN"), "{log}");
    assert!(reports_in(&log) >= 1, "{out}");
    assert!(out.contains("receiver report: "), "{out}");
}

#[test]
fn two_members_share_one_stream_sent_once() {
    let ns = Netns::new();
    let (srv, url) = server(&ns);
    let secs = 4;
    let (a, b) = thread::scope(|s| {
        let a = s.spawn(|| ffmpeg_multicast(&ns, &url, secs));
        let b = s.spawn(|| ffmpeg_multicast(&ns, &url, secs));
        (a.join().unwrap(), b.join().unwrap())
    });
    check_frames(&a, secs);
    check_frames(&b, secs);
    assert!(rtsp_e2e::wait_until(DEADLINE, || frames_sent(
        &srv.output()
    )
    .len()
        == 2));
    let out = srv.output();
    assert!(out.contains("joins the multicast stream"), "{out}");
    // One copy for the group: the server sent the frames of the union of
    // the two members' time (the overlap once), not a copy per member. Two
    // unicast-style copies would add up to at least what both decoded.
    let total: u64 = frames_sent(&out).iter().sum();
    let (na, nb) = (a.len() as u64, b.len() as u64);
    assert!(
        total >= na.max(nb) && total + 20 <= na + nb,
        "server sent {total} frames for members that decoded {na} and {nb}:\n{out}"
    );
}

#[test]
fn gstreamer_rtspsrc_decodes_the_multicast_stream() {
    let ns = Netns::new();
    let (srv, url) = server(&ns);
    // `num-buffers=50`: the pipeline ends (exit 0) only after 50 decoded
    // frames; the caps filter fails negotiation on any other size.
    let mut gst = Proc::spawn(
        "gst-launch-1.0",
        ns.exec(peer("gst-launch-1.0")).args([
            "-q",
            "rtspsrc",
            &format!("location={url}"),
            "protocols=udp-mcast",
            "!",
            "rtpjpegdepay",
            "!",
            "jpegdec",
            "!",
            "video/x-raw,width=320,height=240",
            "!",
            "fakesink",
            "num-buffers=50",
        ]),
    );
    let status = gst.wait_exit(DEADLINE);
    assert!(status.success(), "gst-launch: {}", gst.output());
    let log = srv.wait_for_line(" ended (", DEADLINE);
    let frames = frames_sent(&log);
    assert!(frames.first().is_some_and(|&f| f >= 50), "{log}");
    assert!(
        srv.output()
            .contains(&format!("UDP multicast to {GROUP} ports 6000-6001")),
        "{}",
        srv.output()
    );
}

// ------------------------------------------------ members' RTCP on the group

/// The group as an address, and its RTP and RTCP ports (`server`).
const GROUP_IP: Ipv4Addr = Ipv4Addr::new(239, 255, 77, 1);
const GROUP_RTP: u16 = 6000;
const GROUP_RTCP: u16 = 6001;
/// A second host address on the namespace's `lo` (all of 127/8 is local),
/// so a member can be told apart from one on 127.0.0.1 by its address.
const OTHER_HOST: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// Runs `f` on a thread that entered `ns` (setns(2) moves only the calling
/// thread) to make sockets there: a socket stays in the namespace it was
/// made in, whichever thread uses it afterwards.
fn in_netns<T: Send>(ns: &Netns, f: impl FnOnce() -> T + Send) -> T {
    thread::scope(|s| {
        s.spawn(|| {
            let fd = File::open(format!("/var/run/netns/{}", ns.0)).expect("open the netns");
            setns(&fd, CloneFlags::CLONE_NEWNET).expect("setns into the netns");
            f()
        })
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

/// A TCP connection to the server from `local` (bound before connecting,
/// so the server sees that address as the RTSP peer).
fn connect_from(local: Ipv4Addr) -> TcpStream {
    let fd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .unwrap();
    bind(
        fd.as_raw_fd(),
        &SockaddrIn::from(SocketAddrV4::new(local, 0)),
    )
    .unwrap();
    let to = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8554);
    connect(fd.as_raw_fd(), &SockaddrIn::from(to)).unwrap();
    let s = TcpStream::from(fd);
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    s
}

/// A multicast member that speaks RTSP itself (SETUP with `multicast`,
/// then PLAY) and afterwards sends only what the test asks for: no
/// keep-alive.
struct Member {
    rtsp: TcpStream,
    /// The socket its receiver reports leave from (on its own address).
    rtcp: UdpSocket,
    url: String,
    session: String,
    cseq: u32,
    /// The group stream's SSRC, from the SETUP answer's `ssrc=`.
    ssrc: Ssrc,
}

impl Member {
    fn join(ns: &Netns, local: Ipv4Addr, url: &str) -> Member {
        let (rtsp, rtcp) = in_netns(ns, || {
            (connect_from(local), UdpSocket::bind((local, 0)).unwrap())
        });
        let mut m = Member {
            rtsp,
            rtcp,
            url: url.into(),
            session: String::new(),
            cseq: 0,
            ssrc: Ssrc(0),
        };
        let setup = m.request("SETUP", "Transport: RTP/AVP;multicast\r\n");
        assert!(setup.starts_with("RTSP/1.0 200"), "{setup}");
        let session = header(&setup, "Session");
        m.session = session.split(';').next().unwrap().trim().to_string();
        let t = header(&setup, "Transport");
        let t = Transport::parse(&t).unwrap();
        assert!(t.destination.is_some_and(|d| d == GROUP), "{setup}");
        m.ssrc = Ssrc(t.ssrc.expect("ssrc= in the SETUP answer"));
        let play = m.request("PLAY", "");
        assert!(play.starts_with("RTSP/1.0 200"), "{play}");
        m
    }

    /// Sends a request on the member's session; returns the answer's head.
    fn request(&mut self, method: &str, extra: &str) -> String {
        self.cseq += 1;
        let session = match self.session.as_str() {
            "" => String::new(),
            s => format!("Session: {s}\r\n"),
        };
        let req = format!(
            "{method} {} RTSP/1.0\r\nCSeq: {}\r\n{session}{extra}\r\n",
            self.url, self.cseq
        );
        self.rtsp.write_all(req.as_bytes()).unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(self.rtsp.read(&mut byte).unwrap(), 1, "connection closed");
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        let body: usize = header(&head, "Content-Length").parse().unwrap_or(0);
        let mut skip = vec![0u8; body];
        self.rtsp.read_exact(&mut skip).unwrap();
        head
    }

    /// Sends a compound RR from `sender` with `block` (RFC 3550 §6.4.2,
    /// with the SDES CNAME §6.1 requires) to the group's RTCP port.
    fn report_as(&self, sender: u32, block: ReportBlock) {
        send_rr(&self.rtcp, sender, block);
    }

    /// [`Member::report_as`] from the member's own SSRC.
    fn report(&self, block: ReportBlock) {
        self.report_as(0x5eed_0001, block);
    }
}

fn send_rr(sock: &UdpSocket, sender: u32, block: ReportBlock) {
    let blocks = [block];
    let packets = [
        rtcp::Packet::Rr(ReceiverReport {
            ssrc: Ssrc(sender),
            reports: ReportBlocks::new(&blocks),
        }),
        rtcp::Packet::Sdes(Sdes::cname(Ssrc(sender), "member@rtsp-e2e")),
    ];
    let mut buf = [0u8; 128];
    let n = rtcp::emit_compound(&packets, &mut buf).unwrap();
    sock.send_to(&buf[..n], (GROUP_IP, GROUP_RTCP)).unwrap();
}

/// The value of header `name` in a response head ("" when absent).
fn header(head: &str, name: &str) -> String {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// A socket in `ns` receiving the group's RTP, as any member's would.
fn group_receiver(ns: &Netns) -> UdpSocket {
    in_netns(ns, || {
        let s = UdpSocket::bind((GROUP_IP, GROUP_RTP)).unwrap();
        s.join_multicast_v4(&GROUP_IP, &Ipv4Addr::LOCALHOST)
            .unwrap();
        s
    })
}

/// RTP packets of `ssrc` that reach `rx` within `window`.
fn rtp_packets(rx: &UdpSocket, ssrc: Ssrc, window: Duration) -> usize {
    let end = Instant::now() + window;
    let mut buf = [0u8; 2048];
    let mut n = 0;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return n;
        }
        rx.set_read_timeout(Some(left)).unwrap();
        match rx.recv(&mut buf) {
            Ok(len) if len >= 12 && buf[8..12] == ssrc.0.to_be_bytes() => n += 1,
            Ok(_) => {}
            Err(_) => return n,
        }
    }
}

/// Log lines that contain every one of `parts`.
fn lines_with(log: &str, parts: &[&str]) -> usize {
    log.lines()
        .filter(|l| parts.iter().all(|p| l.contains(p)))
        .count()
}

/// With a 6 s session timeout, a member that sends receiver reports to the
/// group but no RTSP request stays alive (its session still answers, the
/// group's packets still arrive) long after a silent member expired. The
/// silent member joins first, so it drives the stream and the server's own
/// sender reports go to the group from 127.0.0.1, its address: it expiring
/// shows they are not taken for its receiver reports.
#[test]
fn receiver_reports_on_the_group_keep_a_member_alive() {
    const TIMEOUT: Duration = Duration::from_secs(6);
    let ns = Netns::new();
    let (srv, url) = server_with(&ns, &["--session-timeout", "6"]);
    let rx = group_receiver(&ns);
    let mut silent = Member::join(&ns, Ipv4Addr::LOCALHOST, &url);
    let mut reporting = Member::join(&ns, OTHER_HOST, &url);
    assert_eq!(silent.ssrc, reporting.ssrc, "one stream for the group");
    let ssrc = reporting.ssrc;
    let started = Instant::now();
    let mut block = ReportBlock {
        ssrc,
        ..ReportBlock::default()
    };
    // Report twice a second (receiving the group's packets in between)
    // until the silent member expired, then for a whole timeout more.
    let mut expired = None;
    while expired.is_none_or(|t: Instant| t.elapsed() < TIMEOUT + Duration::from_secs(2)) {
        block.highest_seq += 10;
        reporting.report(block);
        rtp_packets(&rx, ssrc, Duration::from_millis(500));
        let log = srv.output();
        if expired.is_none() && lines_with(&log, &["127.0.0.1:", "ended (expired"]) == 1 {
            expired = Some(Instant::now());
            // Told at once: a connection left with no session is closed
            // after one more timeout of silence (rtsp-server's `idle`).
            let gone = silent.request("GET_PARAMETER", "");
            assert!(gone.starts_with("RTSP/1.0 454"), "{gone}");
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the silent member never expired:\n{log}"
        );
    }
    // The reporting member's last request was its PLAY, more than two
    // timeouts ago: only its reports kept it.
    assert!(started.elapsed() > 2 * TIMEOUT);
    let packets = rtp_packets(&rx, ssrc, Duration::from_secs(2));
    assert!(
        packets >= 25,
        "{packets} RTP packets in 2 s after the expiry"
    );
    let alive = reporting.request("GET_PARAMETER", "");
    assert!(alive.starts_with("RTSP/1.0 200"), "{alive}");
    let log = srv.output();
    assert_eq!(lines_with(&log, &["127.0.0.2:", " ended ("]), 0, "{log}");
    assert!(
        lines_with(&log, &["127.0.0.2:", "receiver report:"]) >= 10,
        "{log}"
    );
    assert_eq!(
        lines_with(&log, &["127.0.0.1:", "receiver report:"]),
        0,
        "{log}"
    );
    // The leaving driver handed the stream over; one group receiver for
    // both members.
    assert_eq!(lines_with(&log, &["127.0.0.2:", "now drives"]), 1, "{log}");
    assert_eq!(
        lines_with(
            &log,
            &[format!("receiving members' RTCP on {GROUP}:6001").as_str()]
        ),
        1,
        "{log}"
    );
}

/// A report the test crafts (25 % lost recently, 42 in all, jitter 900
/// RTP units = 10 ms at 90 kHz) is logged with those numbers for the
/// member at its address; reports from a host that is no member, from the
/// stream's own SSRC, or about another source are not. The group is left
/// when the last member tears down.
#[test]
fn a_members_report_on_the_group_is_logged_with_its_numbers() {
    let ns = Netns::new();
    let (srv, url) = server_with(&ns, &[]);
    let mut member = Member::join(&ns, OTHER_HOST, &url);
    srv.wait_for_line(
        &format!("receiving members' RTCP on {GROUP}:6001 (group joined on 127.0.0.1)"),
        DEADLINE,
    );
    let ssrc = member.ssrc;
    let half = ReportBlock {
        ssrc,
        fraction_lost: 128,
        ..ReportBlock::default()
    };
    let stranger = in_netns(&ns, || UdpSocket::bind("127.0.0.3:0").unwrap());
    send_rr(&stranger, 0x5eed_0003, half);
    member.report_as(ssrc.0, half);
    member.report(ReportBlock {
        ssrc: Ssrc(ssrc.0 ^ 1),
        ..half
    });
    member.report(ReportBlock {
        ssrc,
        fraction_lost: 64,
        cumulative_lost: 42,
        highest_seq: 1000,
        jitter: 900,
        ..ReportBlock::default()
    });
    let line = srv.wait_for_line("receiver report: 25.0% lost recently", DEADLINE);
    assert!(line.contains("127.0.0.2:"), "{line}");
    assert!(line.contains("42 in all, jitter 10.00 ms"), "{line}");
    srv.wait_for_line("127.0.0.3:", DEADLINE);
    // A later report: by the time it is logged, the decoys sent before it
    // were all read.
    member.report(ReportBlock {
        ssrc,
        fraction_lost: 32,
        cumulative_lost: 43,
        highest_seq: 1100,
        jitter: 450,
        ..ReportBlock::default()
    });
    srv.wait_for_line("12.5% lost recently, 43 in all, jitter 5.00 ms", DEADLINE);
    let log = srv.output();
    assert_eq!(lines_with(&log, &["receiver report:"]), 2, "{log}");
    assert_eq!(lines_with(&log, &["50.0% lost"]), 0, "{log}");
    assert!(
        lines_with(&log, &["127.0.0.3:", "from no member's address"]) == 1,
        "{log}"
    );
    let bye = member.request("TEARDOWN", "");
    assert!(bye.starts_with("RTSP/1.0 200"), "{bye}");
    let summary = srv.wait_for_line(" ended (TEARDOWN)", DEADLINE);
    assert_eq!(reports_in(&summary), 2, "{summary}");
    srv.wait_for_line(&format!("stopped receiving RTCP on {GROUP}:6001"), DEADLINE);
}
