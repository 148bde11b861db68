//! SDP writer and reader tests, with descriptions real servers sent.

use super::*;
use crate::time::Duration;

/// gst-rtsp-server 1.x (Debian), `rtpjpegpay pt=26`, as captured in
/// core/src/rtsp/testdata/gst_server_udp.txt.
const GST: &str = "v=0\r\no=- 1635489283179474800 1 IN IP4 127.0.0.1\r\n\
s=Session streamed with GStreamer\r\ni=rtsp-server\r\nt=0 0\r\na=tool:GStreamer\r\n\
a=type:broadcast\r\na=control:*\r\na=range:npt=now-\r\nm=video 0 RTP/AVP 26\r\n\
c=IN IP4 0.0.0.0\r\na=rtpmap:26 JPEG/90000\r\na=framerate:25.000000\r\na=control:stream=0\r\n\
a=ts-refclk:local\r\na=mediaclk:sender\r\na=ssrc:3530699550 cname:user2055468551@host-c9d3e64b\r\n";

/// ffmpeg 5.1 `-f rtp -sdp_file` for a 2560x1440 MJPEG stream: LF only, a
/// real port, no control, no size.
const FFMPEG: &str = "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=No Name\nc=IN IP4 127.0.0.1\nt=0 0\n\
a=tool:libavformat LIBAVFORMAT_VERSION\nm=video 50010 RTP/AVP 26\nb=AS:200\n";

/// A Hikvision camera's DESCRIBE body (H.264 with x-dimensions, ONVIF
/// metadata), from retina's testdata.
const HIKVISION: &str = "v=0\r\no=- 1620251477190769 1620251477190769 IN IP4 192.168.5.106\r\n\
s=Media Presentation\r\ne=NONE\r\nb=AS:5050\r\nt=0 0\r\n\
a=control:rtsp://192.168.5.106:554/Streaming/Channels/101/?transportmode=unicast&profile=Profile_1\r\n\
m=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\nb=AS:5000\r\na=recvonly\r\na=x-dimensions:1920,1080\r\n\
a=control:rtsp://192.168.5.106:554/Streaming/Channels/101/trackID=1?transportmode=unicast&profile=Profile_1\r\n\
a=rtpmap:96 H264/90000\r\n\
a=fmtp:96 profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=Z00AKZpkA8ARPyzUBAQFAAADA+gAAOpgBA==,aO48gA==\r\n\
m=application 0 RTP/AVP 107\r\nc=IN IP4 0.0.0.0\r\nb=AS:50\r\na=recvonly\r\n\
a=control:rtsp://192.168.5.106:554/Streaming/Channels/101/trackID=3?transportmode=unicast&profile=Profile_1\r\n\
a=rtpmap:107 vnd.onvif.metadata/90000\r\n";

/// live555 (a Foscam camera), from retina's testdata, with the H.264 video
/// swapped for MJPEG the way live555's JPEG subsession writes it.
const LIVE555: &str = "v=0\r\no=- 1620845785796009 1 IN IP4 192.168.233.233\r\n\
s=IP Camera Video\r\ni=videoMain\r\nt=0 0\r\na=tool:LIVE555 Streaming Media v2014.02.10\r\n\
a=type:broadcast\r\na=control:*\r\na=range:npt=0-\r\na=x-qt-text-nam:IP Camera Video\r\n\
a=x-qt-text-inf:videoMain\r\nm=video 0 RTP/AVP 26\r\nc=IN IP4 0.0.0.0\r\nb=AS:96\r\n\
a=range:npt=0-\r\na=control:track1\r\nm=audio 0 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\nb=AS:64\r\n\
a=control:track2\r\n";

/// A small Python server's MJPEG description: cliprect, a stray rtpmap for
/// another type, x-framerate style rate.
const CLIPRECT: &str = "v=0\no=- 1272052389382023 1 IN IP4 0.0.0.0\n\
s=Session streamed by \"nessyMediaServer\"\ni=jpeg\nt=0 0\na=control:*\na=range:npt=0-\n\
m=video 0 RTP/AVP 26\nc=IN IP4 0.0.0.0\na=cliprect:0,0,720,1280\na=x-framerate:25\n\
a=rtpmap:0 PCMU/8000\n";

/// A camera with a dynamic payload type for JPEG, lower-case encoding name,
/// and a 4K size.
const DYNAMIC: &str =
    "v=0\r\ns=x\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\na=control:rtsp://h/a/audio\r\n\
m=video 0 RTP/AVP 96\r\na=rtpmap:96 jpeg/90000\r\na=control:rtsp://h/a/video\r\n\
a=x-dimensions:4096,2160\r\na=framerate:29.97\r\n";

fn parse(text: &str) -> SessionDescription<'_> {
    SessionDescription::parse(text.as_bytes()).unwrap()
}

#[test]
fn reads_gstreamer() {
    let sdp = parse(GST);
    assert_eq!(sdp.session_name(), Some("Session streamed with GStreamer"));
    assert_eq!(sdp.origin().unwrap().session_id, "1635489283179474800");
    assert_eq!(sdp.control(), Some(Control::Aggregate));
    assert_eq!(
        sdp.range(),
        Some(NptRange {
            start: None,
            end: None
        })
    );
    let v = sdp.jpeg_video().unwrap();
    assert_eq!((v.payload_type, v.clock_rate), (26, 90_000));
    assert_eq!(v.control, Some(Control::Relative("stream=0")));
    assert_eq!(v.framerate, Some(Framerate::fps(25)));
    assert_eq!(v.dimensions, None);
    let media = sdp.media().next().unwrap();
    assert_eq!(
        media.attribute("ssrc"),
        Some("3530699550 cname:user2055468551@host-c9d3e64b")
    );
    assert_eq!(media.attributes().count(), 6);
}

#[test]
fn reads_ffmpeg_lf_only() {
    let sdp = parse(FFMPEG);
    let v = sdp.jpeg_video().unwrap();
    assert_eq!(
        (v.payload_type, v.control, v.bandwidth_kbps),
        (26, None, Some(200))
    );
    let m = sdp.media().next().unwrap();
    assert_eq!(
        (m.kind, m.port, m.protocol, m.formats),
        ("video", 50010, "RTP/AVP", "26")
    );
    assert_eq!(sdp.connection(), Some("IN IP4 127.0.0.1"));
}

#[test]
fn reads_hikvision_without_jpeg() {
    let sdp = parse(HIKVISION);
    assert_eq!(sdp.jpeg_video(), None, "H.264 is not JPEG");
    let kinds: std::vec::Vec<_> = sdp.media().map(|m| m.kind).collect();
    assert_eq!(kinds, ["video", "application"]);
    let video = sdp.media().next().unwrap();
    assert_eq!(video.dimensions(), Some((1920, 1080)));
    assert_eq!(video.rtpmap(96).unwrap().encoding, "H264");
    assert!(matches!(video.control(), Some(Control::Absolute(u)) if u.ends_with("Profile_1")));
    assert_eq!(sdp.bandwidth("AS"), Some(5050));
    assert_eq!(video.bandwidth("as"), Some(5000));
}

#[test]
fn reads_live555() {
    let sdp = parse(LIVE555);
    let v = sdp.jpeg_video().unwrap();
    assert_eq!(v.control, Some(Control::Relative("track1")));
    assert_eq!(
        v.range,
        Some(NptRange {
            start: Some(Duration::ZERO),
            end: None
        })
    );
    assert_eq!(v.bandwidth_kbps, Some(96));
    assert_eq!(
        sdp.media().nth(1).unwrap().control(),
        Some(Control::Relative("track2"))
    );
}

#[test]
fn reads_cliprect_and_x_framerate() {
    let v = parse(CLIPRECT).jpeg_video().unwrap();
    assert_eq!(v.payload_type, 26);
    assert_eq!(v.dimensions, Some((1280, 720)));
    assert_eq!(v.framerate, Some(Framerate::fps(25)));
    assert_eq!(
        v.control,
        Some(Control::Aggregate),
        "falls back to the session control"
    );
}

#[test]
fn reads_dynamic_payload_type() {
    let v = parse(DYNAMIC).jpeg_video().unwrap();
    assert_eq!((v.payload_type, v.clock_rate), (96, 90_000));
    assert_eq!(v.control, Some(Control::Absolute("rtsp://h/a/video")));
    assert_eq!(v.dimensions, Some((4096, 2160)));
    assert_eq!(
        v.framerate,
        Some(Framerate {
            num: 2997,
            den: 100
        })
    );
}

#[test]
fn refuses_non_sdp_but_tolerates_junk_lines() {
    assert_eq!(SessionDescription::parse(b"hello\r\n"), Err(Error::NotSdp));
    assert_eq!(SessionDescription::parse(b""), Err(Error::NotSdp));
    let junk = b"garbage\n\n  v=0  \nX=upper\nm=video\n\xff=\na=control\nm=video 0 RTP/AVP 26 27\n";
    let sdp = SessionDescription::parse(junk).unwrap();
    let media: std::vec::Vec<_> = sdp.media().collect();
    assert_eq!(media.len(), 2);
    assert_eq!((media[0].kind, media[0].port), ("video", 0));
    assert_eq!(media[0].attribute("control"), Some(""));
    assert_eq!(
        media[1].payload_types().collect::<std::vec::Vec<_>>(),
        [26, 27]
    );
    assert_eq!(sdp.jpeg_video().unwrap().payload_type, 26);
}

#[test]
fn framerate_forms() {
    assert_eq!(Framerate::parse("25.000000"), Some(Framerate::fps(25)));
    assert_eq!(
        Framerate::parse("30000/1001"),
        Some(Framerate {
            num: 30000,
            den: 1001
        })
    );
    assert_eq!(
        Framerate::parse("12.5"),
        Some(Framerate { num: 125, den: 10 })
    );
    assert_eq!(Framerate::parse("0"), None);
    assert_eq!(Framerate::parse("abc"), None);
    assert_eq!(Framerate::parse("1/0"), None);
    assert_eq!(
        std::format!(
            "{}",
            Framerate {
                num: 2997,
                den: 100
            }
        ),
        "29.97"
    );
    assert_eq!(
        std::format!(
            "{}",
            Framerate {
                num: 30000,
                den: 1001
            }
        ),
        "30000/1001"
    );
    assert_eq!(std::format!("{}", Framerate::fps(25)), "25");
}

#[test]
fn npt_forms() {
    let r = NptRange::parse("npt=00:01:02.5-125.25").unwrap();
    assert_eq!(r.start, Some(Duration::from_micros(62_500_000)));
    assert_eq!(r.end, Some(Duration::from_micros(125_250_000)));
    assert_eq!(NptRange::parse("smpte=0-"), None);
    assert_eq!(NptRange::parse("npt=x-"), None);
}

fn description(width: u16, height: u16) -> MjpegDescription<'static> {
    MjpegDescription {
        session_id: 1_700_000_000,
        session_version: 1,
        origin: "127.0.0.1",
        session_name: "movie.Mjpeg",
        width,
        height,
        framerate: Some(Framerate::fps(25)),
        control: "trackID=0",
        duration: Some(Duration::from_millis(12_500)),
    }
}

#[test]
fn writes_mjpeg_description() {
    let mut buf = [0u8; 512];
    let len = description(640, 480).write(&mut buf).unwrap();
    let text = core::str::from_utf8(&buf[..len]).unwrap();
    assert_eq!(
        text,
        "v=0\r\no=- 1700000000 1 IN IP4 127.0.0.1\r\ns=movie.Mjpeg\r\nc=IN IP4 0.0.0.0\r\n\
t=0 0\r\na=control:*\r\na=range:npt=0-12.500\r\nm=video 0 RTP/AVP 26\r\n\
a=rtpmap:26 JPEG/90000\r\na=control:trackID=0\r\na=framerate:25\r\n"
    );
    assert_eq!(description(640, 480).buffer_len(), len);
    // Our own output reads back through the tolerant parser.
    let v = parse(text).jpeg_video().unwrap();
    assert_eq!(v.control, Some(Control::Relative("trackID=0")));
    assert_eq!(v.dimensions, None, "640x480 fits the RTP/JPEG header");
    assert_eq!(v.range.unwrap().end, Some(Duration::from_millis(12_500)));
}

#[test]
fn writes_x_dimensions_above_2040() {
    let mut buf = [0u8; 512];
    for (w, h, expect) in [(2040, 2040, false), (2048, 1080, true), (1080, 2560, true)] {
        let d = MjpegDescription {
            duration: None,
            ..description(w, h)
        };
        let len = d.write(&mut buf).unwrap();
        let text = core::str::from_utf8(&buf[..len]).unwrap();
        assert_eq!(
            text.contains(&std::format!("a=x-dimensions:{w},{h}\r\n")),
            expect,
            "{w}x{h}"
        );
        assert!(!text.contains("a=range"));
        let v = parse(text).jpeg_video().unwrap();
        assert_eq!(v.dimensions, expect.then_some((w, h)));
    }
}

#[test]
fn write_reports_size_and_writes_to_io() {
    let d = description(4096, 2160);
    let need = d.buffer_len();
    let mut small = [0u8; 64];
    assert_eq!(
        d.write(&mut small),
        Err(Error::BufferTooSmall { required: need })
    );
    let mut io_buf = [0u8; 512];
    let mut sink = &mut io_buf[..];
    assert_eq!(d.write_to(&mut sink), Ok(need));
    let mut buf = [0u8; 512];
    let len = d.write(&mut buf).unwrap();
    assert_eq!(&buf[..len], &io_buf[..len]);
    let mut tiny_buf = [0u8; 16];
    let mut tiny = &mut tiny_buf[..];
    assert_eq!(d.write_to(&mut tiny), Err(Error::Write));
}

#[test]
fn caller_text_cannot_add_lines() {
    let d = MjpegDescription {
        session_name: "evil\r\na=control:rtsp://elsewhere/",
        control: "track\n1",
        ..description(640, 480)
    };
    let mut buf = [0u8; 512];
    let len = d.write(&mut buf).unwrap();
    assert_eq!(d.buffer_len(), len);
    let text = core::str::from_utf8(&buf[..len]).unwrap();
    assert!(text.contains("s=evila=control:rtsp://elsewhere/\r\n"));
    assert!(text.contains("a=control:track1\r\n"));
    assert_eq!(
        text.lines().filter(|l| l.starts_with("a=control")).count(),
        2
    );
}
