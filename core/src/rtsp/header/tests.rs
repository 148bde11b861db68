use super::*;
use crate::Duration;
use proptest::prelude::*;
use std::string::{String, ToString};
use std::vec::Vec;

#[test]
fn cseq_and_session() {
    assert_eq!(CSeq::parse(" 42 ").unwrap(), CSeq(42));
    assert!(CSeq::parse("-1").is_err());
    assert!(CSeq::parse("99999999999").is_err());
    let s = Session::parse("47112344;timeout=60").unwrap();
    assert_eq!(
        s,
        Session {
            id: "47112344",
            timeout: Some(60)
        }
    );
    assert_eq!(s.to_string(), "47112344;timeout=60");
    assert_eq!(Session::parse("ABCDEF12").unwrap().timeout, None);
    assert!(Session::parse(";timeout=5").is_err());
    assert!(Session::parse("a;timeout=x").is_err());
}

/// Every Transport form real clients send (captured from ffmpeg 5.1 and
/// GStreamer 1.22; live555/VLC forms from its RTSPClient.cpp).
#[test]
fn transport_forms_of_real_clients() {
    let ffmpeg_udp = Transport::parse("RTP/AVP/UDP;unicast;client_port=34082-34083").unwrap();
    assert_eq!(ffmpeg_udp.lower, Some(LowerTransport::Udp));
    assert_eq!(ffmpeg_udp.cast, Some(Cast::Unicast));
    assert_eq!(ffmpeg_udp.client_port, Some(PortPair::new(34082, 34083)));
    assert!(!ffmpeg_udp.is_tcp());

    let gst_udp = Transport::parse("RTP/AVP;unicast;client_port=47066-47067").unwrap();
    assert_eq!(gst_udp.lower, None);
    assert_eq!(gst_udp.profile, Profile::Avp);

    let tcp = Transport::parse("RTP/AVP/TCP;unicast;interleaved=0-1").unwrap();
    assert!(tcp.is_tcp());
    assert_eq!(tcp.interleaved, Some(ChannelPair::new(0, 1)));

    let vlc_tcp_no_channels = Transport::parse("RTP/AVP/TCP;unicast").unwrap();
    assert!(vlc_tcp_no_channels.is_tcp());
    assert_eq!(vlc_tcp_no_channels.interleaved, None);

    let multicast =
        Transport::parse("RTP/AVP;multicast;destination=224.2.0.1;ttl=16;port=3456-3457").unwrap();
    assert!(multicast.is_multicast());
    assert_eq!(multicast.destination, Some("224.2.0.1"));
    assert_eq!(multicast.ttl, Some(16));
    assert_eq!(multicast.port, Some(PortPair::new(3456, 3457)));

    let reply = Transport::parse(
        "RTP/AVP;unicast;client_port=8000-8001;server_port=9000-9001;ssrc=1234ABCD;mode=\"PLAY\"",
    )
    .unwrap();
    assert_eq!(reply.server_port, Some(PortPair::new(9000, 9001)));
    assert_eq!(reply.ssrc, Some(0x1234_ABCD));
    assert_eq!(reply.mode, Some(Mode::Play));
    assert_eq!(
        Transport::parse("RTP/AVP;mode=record").unwrap().mode,
        Some(Mode::Record)
    );

    // Single ports default RTCP to port + 1 (RFC 3550 §11).
    let single = Transport::parse("RTP/AVP;unicast;client_port=5000")
        .unwrap()
        .client_port
        .unwrap();
    assert_eq!(
        (single.rtp, single.rtcp, single.rtcp_port()),
        (5000, None, 5001)
    );

    // Unknown parameters are skipped.
    let extra =
        Transport::parse("RTP/AVP;unicast;append;layers=2;x-foo=bar;client_port=1-2").unwrap();
    assert_eq!(extra.client_port, Some(PortPair::new(1, 2)));

    for bad in [
        "",
        "RTP",
        "RTP/AVP/SCTP",
        "RTP/AVP;client_port=a-b",
        "RTP/AVP;ssrc=123456789",
        "RTP/AVP;ttl=300",
    ] {
        assert!(Transport::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn transport_alternatives() {
    // RFC 2326 §12.39 example: alternatives in order of preference; a
    // quoted mode list keeps its comma.
    let list = Transports::parse(
        "RTP/AVP;multicast;ttl=127;mode=\"PLAY\",RTP/AVP;unicast;client_port=3456-3457;mode=\"PLAY\"",
    )
    .unwrap();
    assert_eq!(list.0.len(), 2);
    assert!(list.0[0].is_multicast());
    assert_eq!(list.0[1].client_port, Some(PortPair::new(3456, 3457)));
    let quoted = Transports::parse("RTP/AVP;mode=\"PLAY,RECORD\"").unwrap();
    assert_eq!(quoted.0[0].mode, Some(Mode::Unknown("PLAY,RECORD")));
    let many = Transports::parse("RTP/AVP,RTP/AVP,RTP/AVP,RTP/AVP,RTP/AVP,RTP/AVP").unwrap();
    assert_eq!(many.0.len(), crate::limits::TRANSPORT_MAX_ALTERNATIVES);
    assert!(Transports::parse(" , ").is_err());
}

#[test]
fn range_forms() {
    let at = |s| Some(NptTime::At(Duration::from_micros(s)));
    assert_eq!(
        Range::parse("npt=0.000-").unwrap(),
        Range::Npt {
            start: at(0),
            end: None
        }
    );
    assert_eq!(
        Range::parse("npt=0-").unwrap(),
        Range::Npt {
            start: at(0),
            end: None
        }
    );
    assert_eq!(
        Range::parse("npt=now-").unwrap(),
        Range::Npt {
            start: Some(NptTime::Now),
            end: None
        }
    );
    // RFC 2326 §3.6 examples.
    assert_eq!(
        Range::parse("npt=123.45-125").unwrap(),
        Range::Npt {
            start: at(123_450_000),
            end: at(125_000_000)
        }
    );
    assert_eq!(
        Range::parse("npt=12:05:35.3-").unwrap(),
        Range::Npt {
            start: at(43_535_300_000),
            end: None
        }
    );
    assert_eq!(
        Range::parse("npt=-20").unwrap(),
        Range::Npt {
            start: None,
            end: at(20_000_000)
        }
    );
    assert_eq!(
        Range::parse("smpte=0:10:00-").unwrap(),
        Range::Other("smpte=0:10:00-")
    );
    assert_eq!(
        Range::parse("npt=0-;time=19970123T143720Z").unwrap(),
        Range::Npt {
            start: at(0),
            end: None
        }
    );
    assert_eq!(
        Range::parse("npt=5.5-10").unwrap().to_string(),
        "npt=5.500-10.000"
    );
    for bad in ["npt=-", "npt=1:99:00-", "npt=x-", "npt", ""] {
        assert!(Range::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn rtp_info_forms() {
    // RFC 2326 §12.33 example, with a sequence number that fits 16 bits.
    let list = RtpInfoList::parse(
        "url=rtsp://foo.com/bar.avi/streamid=0;seq=45102,url=rtsp://foo.com/bar.avi/streamid=1;seq=30211",
    )
    .unwrap();
    let all: Vec<_> = list.iter().map(|r| r.unwrap()).collect();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].seq, Some(30211));
    assert_eq!(list.find("streamid=1").unwrap().seq, Some(30211));
    // GStreamer's form with ssrc is accepted.
    let gst = RtpInfoList::parse("url=rtsp://h/cam/stream=0;seq=1;rtptime=2;ssrc=3").unwrap();
    assert_eq!(gst.find("stream=9").unwrap().rtptime, Some(2));
    // The RFC's own example seq=12312232 does not fit 16 bits: refused.
    assert!(RtpInfo::parse("url=rtsp://v/x;seq=12312232;rtptime=78712811").is_err());
    assert!(RtpInfoList::parse("seq=1").is_err());
}

#[test]
fn public_and_option_tags() {
    let set =
        MethodSet::parse("OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, X-FOO")
            .unwrap();
    assert!(set.contains(crate::rtsp::Method::GetParameter));
    assert!(!set.contains(crate::rtsp::Method::Record));
    assert_eq!(
        set.to_string(),
        "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER"
    );
    assert!(MethodSet::parse("PLAY PAUSE").is_err());
    let tags = OptionTags::parse("play.basic, com.example.foo").unwrap();
    assert_eq!(
        tags.iter().collect::<Vec<_>>(),
        ["play.basic", "com.example.foo"]
    );
    assert!(ContentType::parse("application/sdp; charset=utf-8")
        .unwrap()
        .is_sdp());
    assert_eq!(
        ContentBase::parse("rtsp://h/cam/").unwrap().0,
        "rtsp://h/cam/"
    );
    assert!(ContentBase::parse("cam/").is_err());
}

#[test]
fn authentication_headers() {
    // live555's challenge and VLC's Digest answer.
    let c = Challenge::parse("Digest realm=\"LIVE555 Streaming Media\", nonce=\"a3f1c2\"").unwrap();
    assert_eq!(c.scheme, Scheme::Digest);
    assert_eq!(c.params.realm(), Some("LIVE555 Streaming Media"));
    assert_eq!(c.params.nonce(), Some("a3f1c2"));
    let basic = Challenge::parse("Basic realm=\"cam\"").unwrap();
    assert_eq!(
        (basic.scheme, basic.params.realm()),
        (Scheme::Basic, Some("cam"))
    );
    let a = Authorization::parse(
        "Digest username=\"u\", realm=\"LIVE555 Streaming Media\", nonce=\"a3f1c2\", uri=\"rtsp://h/cam\", response=\"0123abcd\"",
    )
    .unwrap();
    let d = a.digest().unwrap();
    assert_eq!(
        (d.username(), d.uri(), d.response()),
        (Some("u"), Some("rtsp://h/cam"), Some("0123abcd"))
    );
    assert_eq!(
        Authorization::parse("Basic dXNlcjpwYXNz")
            .unwrap()
            .basic_token(),
        Some("dXNlcjpwYXNz")
    );
    assert!(Authorization::parse("Basic a b").is_err());
    assert!(Challenge::parse("Digest realm=\"open").is_err());
}

fn npt() -> impl Strategy<Value = NptTime> {
    prop_oneof![
        Just(NptTime::Now),
        (0u64..1 << 40).prop_map(|us| NptTime::At(Duration::from_micros(us)))
    ]
}

fn ports() -> impl Strategy<Value = Option<PortPair>> {
    proptest::option::of(
        (any::<u16>(), proptest::option::of(any::<u16>()))
            .prop_map(|(rtp, rtcp)| PortPair { rtp, rtcp }),
    )
}

prop_compose! {
    fn transport()(
        profile in prop_oneof![Just(Profile::Avp), Just(Profile::Avpf), Just(Profile::Savp), Just(Profile::Savpf)],
        lower in proptest::option::of(prop_oneof![Just(LowerTransport::Udp), Just(LowerTransport::Tcp)]),
        cast in proptest::option::of(prop_oneof![Just(Cast::Unicast), Just(Cast::Multicast)]),
        destination in proptest::option::of(prop_oneof![Just("127.0.0.1"), Just("224.2.0.1"), Just("::1")]),
        interleaved in proptest::option::of((any::<u8>(), proptest::option::of(any::<u8>()))),
        ttl in proptest::option::of(any::<u8>()),
        port in ports(), client_port in ports(), server_port in ports(),
        ssrc in proptest::option::of(any::<u32>()),
        mode in proptest::option::of(prop_oneof![Just(Mode::Play), Just(Mode::Record), Just(Mode::Unknown("PLAY,RECORD"))]),
    ) -> Transport<'static> {
        Transport {
            profile, lower, cast, destination, source: None,
            interleaved: interleaved.map(|(rtp, rtcp)| ChannelPair { rtp, rtcp }),
            ttl, port, client_port, server_port, ssrc, mode,
        }
    }
}

proptest! {
    #[test]
    fn transport_round_trips(list in proptest::collection::vec(transport(), 1..=4)) {
        let value = Transports(list.iter().copied().collect());
        let text = value.to_string();
        prop_assert_eq!(Transports::parse(&text).unwrap(), value);
    }

    #[test]
    fn range_round_trips(start in proptest::option::of(npt()), end in proptest::option::of(npt())) {
        prop_assume!(start.is_some() || end.is_some());
        let r = Range::Npt { start, end };
        let text = r.to_string();
        prop_assert_eq!(Range::parse(&text).unwrap(), r);
    }

    #[test]
    fn session_cseq_rtp_info_round_trip(
        id in "[0-9A-Za-z$_.+-]{1,32}", timeout in proptest::option::of(any::<u32>()),
        cseq in any::<u32>(), seq in proptest::option::of(any::<u16>()), rtptime in proptest::option::of(any::<u32>()),
        path in "[a-z0-9/=_.]{1,40}",
    ) {
        let s = Session { id: &id, timeout };
        let text = s.to_string();
        prop_assert_eq!(Session::parse(&text).unwrap(), s);
        prop_assert_eq!(CSeq::parse(&CSeq(cseq).to_string()).unwrap(), CSeq(cseq));
        let url = String::from("rtsp://h:554/") + &path;
        let info = RtpInfo { url: &url, seq, rtptime };
        let text = info.to_string();
        prop_assert_eq!(RtpInfo::parse(&text).unwrap(), info);
    }

    #[test]
    fn method_set_round_trips(bits in any::<u16>()) {
        let set = crate::rtsp::method::KNOWN
            .iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .fold(MethodSet::EMPTY, |s, (_, m)| s.with(*m));
        prop_assert_eq!(MethodSet::parse(&set.to_string()).unwrap(), set);
    }

    #[test]
    fn typed_parsers_never_panic(s in "\\PC{0,80}") {
        let _ = Transports::parse(&s);
        let _ = Range::parse(&s);
        let _ = RtpInfoList::parse(&s);
        let _ = Session::parse(&s);
        let _ = Challenge::parse(&s);
        let _ = Authorization::parse(&s);
        let _ = MethodSet::parse(&s);
        let _ = OptionTags::parse(&s);
    }
}
