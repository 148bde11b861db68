//! Server-side authentication in the core (RFC 2326 §12.5, §12.44, RFC
//! 2617): 401 with the challenges, Digest with and without `qop=auth`
//! checked against responses computed here independently (md5 of the
//! RFC 2617 strings), Basic only when the host allows it, and the core's
//! own client logging in to the core's server.

mod session_common;

use md5::{Digest as _, Md5};
use rtsp_core::session::client::{self, AuthClientSession, TransportRequest};
use rtsp_core::session::server::{self, Event, Nonce, ServerSession, State};
use rtsp_core::session::{Destination, Input};
use rtsp_core::Instant;
use session_common::*;

const URL: &str = "rtsp://127.0.0.1/live";
const REALM: &str = "test realm";

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn server(basic: bool) -> (ServerSession, TestHost, Instant, String) {
    let mut host = TestHost::default();
    let nonce = Nonce::generate(|| server::Host::random_u32(&mut host));
    let text = nonce.as_str().to_string();
    host.auth = Some(("Mufasa".into(), "Circle Of Life".into(), basic, nonce));
    let config = server::Config::default();
    (
        ServerSession::new(config, PEER),
        host,
        Instant::from_micros(1_000_000),
        text,
    )
}

fn events(s: &mut ServerSession) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn challenges(reply: &str) -> Vec<&str> {
    reply
        .lines()
        .filter_map(|l| l.strip_prefix("WWW-Authenticate: "))
        .collect()
}

fn describe(auth: Option<&str>) -> String {
    let auth = auth.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
    format!("DESCRIBE {URL} RTSP/1.0\r\nCSeq: 2\r\n{auth}\r\n")
}

#[test]
fn without_credentials_is_401_with_a_digest_challenge_and_options_is_open() {
    let (mut s, mut h, now, nonce) = server(false);
    assert_eq!(nonce.len(), 16);
    let reply = ask(&mut s, &mut h, now, "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n");
    assert_eq!(status(&reply), 200, "{reply}");
    let reply = ask(&mut s, &mut h, now, &describe(None));
    assert_eq!(status(&reply), 401, "{reply}");
    assert_eq!(header(&reply, "CSeq"), Some("2"));
    assert_eq!(
        challenges(&reply),
        [format!(
            "Digest realm=\"{REALM}\", nonce=\"{nonce}\", qop=\"auth\", algorithm=MD5"
        )]
    );
    assert_eq!(
        events(&mut s),
        [Event::Unauthorized {
            wrong_credentials: false
        }]
    );
    // SETUP is refused too, and creates nothing.
    let setup = format!(
        "SETUP {URL}/stream=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n"
    );
    assert_eq!(status(&ask(&mut s, &mut h, now, &setup)), 401);
    assert_eq!(s.state(), State::Init);
    assert_eq!(h.sessions, 0);
}

#[test]
fn digest_without_qop_rfc2069_form() {
    let (mut s, mut h, now, nonce) = server(false);
    let ha1 = md5_hex(&format!("Mufasa:{REALM}:Circle Of Life"));
    let ha2 = md5_hex(&format!("DESCRIBE:{URL}"));
    let resp = md5_hex(&format!("{ha1}:{nonce}:{ha2}"));
    let auth = format!(
        "Digest username=\"Mufasa\", realm=\"{REALM}\", nonce=\"{nonce}\", uri=\"{URL}\", response=\"{resp}\""
    );
    let reply = ask(&mut s, &mut h, now, &describe(Some(&auth)));
    assert_eq!(status(&reply), 200, "{reply}");
    // Upper-case hex is accepted too.
    let upper = auth.replace(&resp, &resp.to_uppercase());
    assert_eq!(
        status(&ask(&mut s, &mut h, now, &describe(Some(&upper)))),
        200
    );
    // The method is part of HA2: the same response does not admit PLAY.
    let play = format!("PLAY {URL} RTSP/1.0\r\nCSeq: 4\r\nAuthorization: {auth}\r\n\r\n");
    assert_eq!(status(&ask(&mut s, &mut h, now, &play)), 401);
    assert_eq!(
        events(&mut s),
        [Event::Unauthorized {
            wrong_credentials: true
        }]
    );
    // Wrong password, wrong nonce, wrong user, wrong algorithm.
    let bad_pw = md5_hex(&format!(
        "{}:{nonce}:{ha2}",
        md5_hex(&format!("Mufasa:{REALM}:nope"))
    ));
    for bad in [
        auth.replace(&resp, &bad_pw),
        auth.replace(&nonce, "0123456789abcdef"),
        auth.replace("username=\"Mufasa\"", "username=\"Scar\""),
        format!("{auth}, algorithm=SHA-256"),
    ] {
        let reply = ask(&mut s, &mut h, now, &describe(Some(&bad)));
        assert_eq!(status(&reply), 401, "{bad}");
    }
}

#[test]
fn digest_with_qop_auth() {
    let (mut s, mut h, now, nonce) = server(false);
    let ha1 = md5_hex(&format!("Mufasa:{REALM}:Circle Of Life"));
    let ha2 = md5_hex(&format!("DESCRIBE:{URL}"));
    let resp = md5_hex(&format!("{ha1}:{nonce}:00000001:0a4f113b:auth:{ha2}"));
    let auth = format!(
        "Digest username=\"Mufasa\", realm=\"{REALM}\", nonce=\"{nonce}\", uri=\"{URL}\", \
         algorithm=MD5, qop=auth, nc=00000001, cnonce=\"0a4f113b\", response=\"{resp}\""
    );
    assert_eq!(
        status(&ask(&mut s, &mut h, now, &describe(Some(&auth)))),
        200
    );
    for bad in [
        auth.replace("nc=00000001", "nc=00000002"),
        auth.replace("nc=00000001", "nc=1"),
        auth.replace("0a4f113b", "0a4f113c"),
        auth.replace("qop=auth,", "qop=auth-int,"),
    ] {
        assert_eq!(
            status(&ask(&mut s, &mut h, now, &describe(Some(&bad)))),
            401,
            "{bad}"
        );
    }
}

#[test]
fn basic_only_when_the_host_allows_it() {
    // RFC 2617 §2: base64("Mufasa:Circle Of Life").
    let basic = "Basic TXVmYXNhOkNpcmNsZSBPZiBMaWZl";
    let (mut s, mut h, now, _) = server(false);
    let reply = ask(&mut s, &mut h, now, &describe(Some(basic)));
    assert_eq!(status(&reply), 401, "Basic refused unless allowed");
    assert_eq!(challenges(&reply).len(), 1);

    let (mut s, mut h, now, _) = server(true);
    let reply = ask(&mut s, &mut h, now, &describe(None));
    let ch = challenges(&reply);
    assert_eq!(ch.len(), 2, "{reply}");
    assert!(ch[0].starts_with("Digest "), "strongest first: {ch:?}");
    assert_eq!(ch[1], format!("Basic realm=\"{REALM}\""));
    assert_eq!(
        status(&ask(&mut s, &mut h, now, &describe(Some(basic)))),
        200
    );
    for bad in [
        "Basic TXVmYXNhOkNpcmNsZSBPZiBMaWZm",
        "Basic TXVmYXNhOkNpcmNsZSBPZiBMaWZlZQ==",
        "Basic TXVmYXNh",
    ] {
        assert_eq!(
            status(&ask(&mut s, &mut h, now, &describe(Some(bad)))),
            401,
            "{bad}"
        );
    }
}

/// The core's client answers the core's server's challenge (Digest with
/// qop) and plays; without credentials it gets the 401 as an error.
#[test]
fn the_cores_client_logs_in_to_the_cores_server() {
    for (creds, plays) in [(Some(("Mufasa", "Circle Of Life")), true), (None, false)] {
        let (mut s, mut h, now, _) = server(false);
        let config = client::Config {
            transport: TransportRequest::Tcp,
            ..client::Config::default()
        };
        let mut c = AuthClientSession::with_auth(config, URL).unwrap();
        if let Some((u, p)) = creds {
            c.set_credentials(u, p).unwrap();
        }
        c.play(now);
        let mut buf = vec![0u8; rtsp_core::limits::RTSP_MAX_MESSAGE];
        let mut statuses = Vec::new();
        for _ in 0..32 {
            let mut moved = false;
            while let Some(tx) = c.poll_transmit(now, &mut buf, &mut ()).unwrap() {
                moved = true;
                assert_eq!(tx.destination, Destination::Rtsp);
                let r = s.handle_input(now, &buf[..tx.len], &mut h);
                assert!(matches!(r, Ok(Input::Consumed(_))), "{r:?}");
                let mut out = vec![0u8; rtsp_core::limits::RTSP_MAX_MESSAGE];
                while let Some(tx) = s.poll_transmit(now, &mut out).unwrap() {
                    let text = std::str::from_utf8(&out[..tx.len]).unwrap();
                    statuses.push(status(text));
                    let r = c.handle_input(now, &out[..tx.len]);
                    assert!(matches!(r, Ok(client::Received::Consumed(_))), "{r:?}");
                }
            }
            while c.poll_event().is_some() {
                moved = true;
            }
            if !moved {
                break;
            }
        }
        if plays {
            assert_eq!(
                statuses,
                [200, 401, 200, 200, 200],
                "OPTIONS, DESCRIBE twice, SETUP, PLAY"
            );
            assert_eq!(s.state(), State::Playing);
        } else {
            assert_eq!(statuses, [200, 401]);
            assert_eq!(s.state(), State::Init);
        }
    }
}
