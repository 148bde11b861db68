//! Multicast SETUP/PLAY/TEARDOWN of the server session (RFC 2326 §12.39,
//! §10.4; RFC 7826 §18.54): the answer names the host's group, a client's
//! other group or port is 403, no group is 461, RTCP goes to the group's
//! RTCP port and members follow the shared stream's sender.

use std::net::{IpAddr, Ipv4Addr};

use rtsp_core::rtp::Ssrc;
use rtsp_core::rtsp::header::PortPair;
use rtsp_core::rtsp::StatusCode;
use rtsp_core::session::server::{
    self, Admission, Host, MediaInfo, MulticastGroup, ServerSession, State,
};
use rtsp_core::session::{Destination, Framerate, MediaDestination, MediaTransport};
use rtsp_core::{Duration, Instant};

const PEER: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const GROUP: Ipv4Addr = Ipv4Addr::new(239, 255, 42, 1);

struct McHost {
    group: Option<MulticastGroup>,
    rng: u32,
}

impl Host for McHost {
    fn media(&mut self, path: &str) -> Result<MediaInfo, StatusCode> {
        (path == "live")
            .then_some(MediaInfo {
                width: 320,
                height: 240,
                framerate: Framerate::fps(25),
                duration: None,
            })
            .ok_or(StatusCode::NotFound)
    }
    fn admit(&mut self, _path: &str) -> Admission {
        Admission::Accept
    }
    fn random_u32(&mut self) -> u32 {
        self.rng = self.rng.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        self.rng
    }
    fn multicast(&mut self, path: &str) -> Option<MulticastGroup> {
        self.group.filter(|_| path == "live")
    }
}

fn host() -> McHost {
    McHost {
        group: Some(MulticastGroup {
            addr: GROUP,
            ports: PortPair::new(5002, 5003),
            ttl: 1,
            ssrc: Ssrc(0xCAFE_F00D),
        }),
        rng: 7,
    }
}

fn session() -> ServerSession {
    let config = server::Config {
        server_ports: Some(PortPair::new(6970, 6971)),
        ..server::Config::default()
    };
    ServerSession::new(config, PEER)
}

fn ask(s: &mut ServerSession, h: &mut McHost, now: Instant, req: &str) -> String {
    s.handle_input(now, req.as_bytes(), h).unwrap();
    let mut buf = [0u8; 2048];
    let tx = s.poll_transmit(now, &mut buf).unwrap().unwrap();
    assert_eq!(tx.destination, Destination::Rtsp);
    String::from_utf8(buf[..tx.len].to_vec()).unwrap()
}

fn header<'a>(m: &'a str, name: &str) -> Option<&'a str> {
    m.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn status(m: &str) -> u16 {
    m.split(' ').nth(1).unwrap().parse().unwrap()
}

fn setup(transport: &str) -> String {
    format!("SETUP rtsp://127.0.0.1/live/stream=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: {transport}\r\n\r\n")
}

#[test]
fn multicast_setup_names_the_group_and_rtcp_goes_there() {
    let (mut s, mut h) = (session(), host());
    let t0 = Instant::from_micros(1_000_000);
    // ffmpeg's `-rtsp_transport udp_multicast` request.
    let r = ask(&mut s, &mut h, t0, &setup("RTP/AVP/UDP;multicast"));
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(
        header(&r, "Transport"),
        Some("RTP/AVP/UDP;multicast;destination=239.255.42.1;ttl=1;port=5002-5003;ssrc=CAFEF00D;mode=\"PLAY\"")
    );
    let g = s.multicast().expect("multicast session");
    assert_eq!(g.addr, GROUP);
    // Media goes to the group, never to the peer.
    assert_eq!(
        s.media_destination(),
        Some(MediaDestination::Udp {
            rtp: (GROUP, 5002).into(),
            rtcp: (GROUP, 5003).into(),
        })
    );
    assert_eq!(s.sender().ssrc(), Ssrc(0xCAFE_F00D));
    assert!(matches!(
        s.media_transport(),
        Some(MediaTransport::Udp { client, .. }) if client == PortPair::new(5002, 5003)
    ));

    let r = ask(
        &mut s,
        &mut h,
        t0,
        "PLAY rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 3\r\n\r\n",
    );
    assert_eq!(status(&r), 200, "{r}");
    // A member joins a running stream: RTP-Info names the URL only.
    assert_eq!(
        header(&r, "RTP-Info"),
        Some("url=rtsp://127.0.0.1/live/stream=0")
    );
    assert_eq!(s.state(), State::Playing);

    // The first sender report goes to the group's RTCP port.
    let later = t0 + Duration::from_secs(6);
    s.handle_timeout(later);
    let mut buf = [0u8; 2048];
    let tx = s.poll_transmit(later, &mut buf).unwrap().unwrap();
    assert_eq!(tx.destination, Destination::Rtcp { port: 5003 });
    assert_eq!(buf[1], 200, "an SR");

    // TEARDOWN: a BYE to the group, then no more multicast.
    s.handle_input(
        later,
        b"TEARDOWN rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 4\r\n\r\n",
        &mut h,
    )
    .unwrap();
    let tx = s.poll_transmit(later, &mut buf).unwrap().unwrap();
    assert_eq!(tx.destination, Destination::Rtsp);
    let tx = s.poll_transmit(later, &mut buf).unwrap().unwrap();
    assert_eq!(tx.destination, Destination::Rtcp { port: 5003 });
    assert!(buf[..tx.len].windows(2).any(|w| w == [0x81, 203]), "BYE");
    assert_eq!(s.multicast(), None);
}

#[test]
fn foreign_group_is_403_and_no_group_is_461() {
    let (mut s, mut h) = (session(), host());
    let now = Instant::from_micros(1);
    let r = ask(
        &mut s,
        &mut h,
        now,
        &setup("RTP/AVP;multicast;destination=239.1.1.1;port=5002-5003"),
    );
    assert_eq!(status(&r), 403, "{r}");
    let r = ask(
        &mut s,
        &mut h,
        now,
        &setup("RTP/AVP;multicast;port=7000-7001"),
    );
    assert_eq!(status(&r), 403, "{r}");
    // The same group with the client's own TTL is fine: TTL is ours.
    let r = ask(
        &mut s,
        &mut h,
        now,
        &setup("RTP/AVP;multicast;destination=239.255.42.1;port=5002-5003;ttl=9"),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert!(header(&r, "Transport").unwrap().contains(";ttl=1;"));

    let (mut s, mut h) = (session(), host());
    h.group = None;
    let r = ask(&mut s, &mut h, now, &setup("RTP/AVP;multicast"));
    assert_eq!(status(&r), 461, "{r}");
    // A unicast alternative after the multicast one is taken instead.
    let r = ask(
        &mut s,
        &mut h,
        now,
        &setup("RTP/AVP;multicast,RTP/AVP;unicast;client_port=4000-4001"),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(s.multicast(), None);
    assert!(header(&r, "Transport")
        .unwrap()
        .contains("client_port=4000-4001"));
}

#[test]
fn members_follow_the_shared_stream() {
    let mut h = host();
    let now = Instant::from_micros(1_000);
    let play = "PLAY rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 3\r\n\r\n";
    let (mut a, mut b) = (session(), session());
    for s in [&mut a, &mut b] {
        assert_eq!(
            status(&ask(s, &mut h, now, &setup("RTP/AVP;multicast"))),
            200
        );
        assert_eq!(status(&ask(s, &mut h, now, play)), 200);
    }
    let hdr = a.frame_header(Duration::ZERO).unwrap();
    a.on_rtp_sent(now, 10, 10_000);
    b.follow(a.sender());
    assert_eq!(b.sender().next_sequence(), hdr.sequence.wrapping_add(10));
    assert_eq!(b.sender().packet_count(), 10);
    let next = b.frame_header(Duration::from_millis(40)).unwrap();
    assert_eq!(next.ssrc, Ssrc(0xCAFE_F00D));
    assert_eq!(next.sequence, hdr.sequence.wrapping_add(10));

    // A unicast session never follows a group's sender.
    let mut u = session();
    let r = ask(
        &mut u,
        &mut h,
        now,
        &setup("RTP/AVP;unicast;client_port=4000-4001"),
    );
    assert_eq!(status(&r), 200);
    let before = *u.sender();
    u.follow(a.sender());
    assert_eq!(*u.sender(), before);
}

#[test]
fn re_setup_into_the_group_takes_its_ssrc() {
    let (mut s, mut h) = (session(), host());
    let now = Instant::from_micros(1);
    let r = ask(
        &mut s,
        &mut h,
        now,
        &setup("RTP/AVP;unicast;client_port=4000-4001"),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_ne!(s.sender().ssrc(), Ssrc(0xCAFE_F00D));
    let r = ask(&mut s, &mut h, now, &setup("RTP/AVP;multicast"));
    assert_eq!(status(&r), 200, "{r}");
    assert!(
        header(&r, "Transport").unwrap().contains("ssrc=CAFEF00D"),
        "{r}"
    );
    assert_eq!(s.sender().ssrc(), Ssrc(0xCAFE_F00D));
    // And back to unicast: the group's SSRC is left behind.
    let r = ask(
        &mut s,
        &mut h,
        now,
        &setup("RTP/AVP;unicast;client_port=4000-4001"),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_ne!(s.sender().ssrc(), Ssrc(0xCAFE_F00D));
    assert_eq!(s.multicast(), None);
}
