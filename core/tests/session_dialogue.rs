//! A server session and a client session driven against each other on a
//! virtual clock (RFC 2326 §A), no sockets.

mod session_common;

use rtsp_core::session::client::ClientSession;
use rtsp_core::session::client::{self, TransportRequest};
use rtsp_core::session::server::{ServerSession, State};
use rtsp_core::Duration;
use session_common::*;

#[test]
fn session_types_fit_512_bytes() {
    let s = std::mem::size_of::<ServerSession>();
    let c = std::mem::size_of::<ClientSession>();
    println!("size_of ServerSession = {s}, ClientSession = {c}");
    assert!(s <= 512, "ServerSession is {s} bytes");
    assert!(c <= 512, "ClientSession is {c} bytes");
}

#[test]
fn tcp_dialogue_setup_play_pause_play_teardown() {
    let mut p = Pair::new(TransportRequest::Tcp, "rtsp://127.0.0.1:8554/live");
    p.client.play(p.now);
    p.pump();
    let methods: Vec<&str> = p
        .wire
        .requests
        .iter()
        .map(|r| r.split(' ').next().unwrap())
        .collect();
    assert_eq!(methods, ["OPTIONS", "DESCRIBE", "SETUP", "PLAY"]);
    assert!(
        p.wire.responses.iter().all(|r| status(r) == 200),
        "{:#?}",
        p.wire.responses
    );
    assert_eq!(p.server.state(), State::Playing);
    assert_eq!(p.client.state(), client::State::Playing);
    let play_reply = &p.wire.responses[3];
    let rtp_info = header(play_reply, "RTP-Info").unwrap();
    assert!(
        rtp_info.starts_with("url=rtsp://127.0.0.1:8554/live/stream=0;"),
        "{rtp_info}"
    );
    let Some(client::Event::Playing { seq, rtptime }) = p
        .wire
        .client_events
        .iter()
        .rev()
        .find(|e| matches!(e, client::Event::Playing { .. }))
        .copied()
    else {
        panic!("{:?}", p.wire.client_events)
    };
    // The first frame after PLAY carries exactly RTP-Info's seq and rtptime.
    let first = p.send_frame(Duration::from_secs(100), 3, 3000).unwrap();
    assert_eq!(Some(first.sequence), seq);
    assert_eq!(Some(first.timestamp), rtptime);
    assert_eq!(p.rtp_received.len(), 3);
}
