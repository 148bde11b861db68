//! The client session answering authentication challenges (RFC 2326 §12.5,
//! §12.44; RFC 2617 §2, §3.2.2): Digest with and without `qop=auth`,
//! Basic only when alone, one retry, the exact `Authorization` on the wire,
//! and the errors a user sees when it cannot get in.
//!
//! The expected Digest responses were computed outside this crate (Python's
//! hashlib) from RFC 2617 §3.2.2.1's formulas.

mod session_common;

use rtsp_core::limits::CLIENT_AUTH_MAX;
use rtsp_core::rtp::Ssrc;
use rtsp_core::rtsp::StatusCode;
use rtsp_core::session::client::{
    AuthClientSession, AuthError, ClientSession, Config, Event, Request, State, TransportRequest,
};
use rtsp_core::Duration;
use session_common::{header, Scripted};

const URL: &str = "rtsp://h/movie.Mjpeg";
const SDP: &str = "v=0\r\nm=video 0 RTP/AVP 26\r\na=control:stream=0\r\n";
/// RFC 2617 §3.5's challenge.
const RFC_CHALLENGE: &str = "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
     nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

/// A client with room for credentials (given ones set) against `replies`.
fn scripted(credentials: Option<(&str, &str)>, replies: &[String]) -> Scripted<CLIENT_AUTH_MAX> {
    let config = Config {
        transport: TransportRequest::Tcp,
        user_agent: "test-client",
        // Our client nonce: RFC 2617 §3.5's "0a4f113b".
        ssrc: Ssrc(0x0a4f_113b),
        ..Config::default()
    };
    let mut client = AuthClientSession::with_auth(config, URL).unwrap();
    if let Some((u, p)) = credentials {
        client.set_credentials(u, p).unwrap();
    }
    let replies = replies.iter().map(|r| r.as_bytes().to_vec()).collect();
    Scripted::new(client, replies)
}

fn ok(cseq: u32, extra: &str, body: &str) -> String {
    let mut r = format!("RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n{extra}");
    if !body.is_empty() {
        r += &format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n",
            body.len()
        );
    }
    r + "\r\n" + body
}

fn unauthorized(cseq: u32, challenges: &[&str]) -> String {
    let mut r = format!("RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\n");
    for c in challenges {
        r += &format!("WWW-Authenticate: {c}\r\n");
    }
    r + "\r\n"
}

fn public() -> String {
    ok(
        1,
        "Public: OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER\r\n",
        "",
    )
}

/// The `Authorization` value for user Mufasa in RFC 2617 §3.5's realm.
fn digest(uri: &str, nc: u32, nonce: &str, response: &str) -> String {
    format!(
        "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", nonce=\"{nonce}\", \
         uri=\"{uri}\", qop=auth, nc={nc:08x}, cnonce=\"0a4f113b\", response=\"{response}\", \
         opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""
    )
}

const NONCE: &str = "dcd98b7102dd2f0e8b11d0f600bfb0c093";

#[test]
fn digest_challenge_is_answered_and_every_later_request_carries_it() {
    let replies = [
        public(),
        unauthorized(2, &[RFC_CHALLENGE]),
        ok(3, "", SDP),
        ok(
            4,
            "Session: abc;timeout=60\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n",
            "",
        ),
        ok(5, "Session: abc\r\n", ""),
    ];
    let mut s = scripted(Some(("Mufasa", "Circle Of Life")), &replies);
    s.client.play(s.now);
    s.run();

    assert_eq!(s.request_line(0), format!("OPTIONS {URL} RTSP/1.0"));
    assert_eq!(s.header(0, "Authorization"), None, "no challenge known yet");
    assert_eq!(s.request_line(1), format!("DESCRIBE {URL} RTSP/1.0"));
    assert_eq!(s.header(1, "Authorization"), None);
    // The same request again, with the next CSeq and the answer.
    assert_eq!(s.request_line(2), format!("DESCRIBE {URL} RTSP/1.0"));
    assert_eq!(header(&s.requests[2], "CSeq"), Some("3"));
    assert_eq!(
        s.header(2, "Authorization"),
        Some(digest(URL, 1, NONCE, "27565234cf89114b41225df0270897a3").as_str())
    );
    // SETUP and PLAY: their own method and URI, nc counting up.
    let control = format!("{URL}/stream=0");
    assert_eq!(s.request_line(3), format!("SETUP {control} RTSP/1.0"));
    assert_eq!(
        s.header(3, "Authorization"),
        Some(digest(&control, 2, NONCE, "2be9aaaab26a497683b55f4d51254a76").as_str())
    );
    assert_eq!(s.request_line(4), format!("PLAY {URL} RTSP/1.0"));
    assert_eq!(
        s.header(4, "Authorization"),
        Some(digest(URL, 3, NONCE, "f9b3478ed36f6b6031d248bf25ec865d").as_str())
    );
    assert_eq!(s.requests.len(), 5);
    assert_eq!(s.client.state(), State::Playing);
    assert!(
        !s.events.iter().any(|e| matches!(e, Event::Error { .. })),
        "{:?}",
        s.events
    );

    // The keep-alive at timeout/2 carries nc 4. The server has meanwhile
    // let the nonce go stale (RFC 2617 §3.2.1): the client answers the new
    // challenge once, with nc back at 1.
    let stale = "Digest realm=\"testrealm@host.com\", qop=\"auth\", nonce=\"5f2b1a\", \
                 opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", stale=TRUE";
    s.replies = [unauthorized(6, &[stale]), ok(7, "Session: abc\r\n", "")]
        .map(String::into_bytes)
        .into();
    s.advance(Duration::from_secs(30));
    assert_eq!(s.requests.len(), 7, "{:#?}", &s.requests[5..]);
    assert_eq!(s.request_line(5), format!("GET_PARAMETER {URL} RTSP/1.0"));
    assert_eq!(
        s.header(5, "Authorization"),
        Some(digest(URL, 4, NONCE, "d7e348ae0243bf1e33144d3aa45c3d30").as_str())
    );
    assert_eq!(s.request_line(6), format!("GET_PARAMETER {URL} RTSP/1.0"));
    assert_eq!(
        s.header(6, "Authorization"),
        Some(digest(URL, 1, "5f2b1a", "653ccf0272137a7a0effb9d1af99bd2f").as_str())
    );
    assert_eq!(s.client.state(), State::Playing);
    assert!(!s.client.is_busy());
}

#[test]
fn wrong_password_ends_the_goal_with_a_401_error() {
    let replies = [
        public(),
        unauthorized(2, &[RFC_CHALLENGE]),
        unauthorized(3, &[RFC_CHALLENGE]),
    ];
    let mut s = scripted(Some(("Mufasa", "wrong")), &replies);
    s.client.play(s.now);
    s.run();
    // One retry only: OPTIONS, DESCRIBE, DESCRIBE with credentials.
    assert_eq!(s.requests.len(), 3, "{:#?}", s.requests);
    assert!(s
        .header(2, "Authorization")
        .unwrap()
        .starts_with("Digest username=\"Mufasa\""));
    let Some(&Event::Error {
        request,
        status,
        auth,
    }) = s.events.last()
    else {
        panic!("no error event: {:?}", s.events)
    };
    assert_eq!(
        (request, status.as_u16(), auth),
        (Request::Describe, 401, Some(AuthError::Rejected))
    );
    assert_eq!(status.reason(), "Unauthorized");
    assert_eq!(s.client.state(), State::Init);
    assert!(!s.client.is_busy());
}

#[test]
fn basic_only_challenge_gets_basic_credentials() {
    let replies = [
        public(),
        unauthorized(2, &["Basic realm=\"cam\""]),
        ok(3, "", SDP),
        ok(
            4,
            "Session: abc\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n",
            "",
        ),
    ];
    // RFC 2617 §2's example user.
    let mut s = scripted(Some(("Aladdin", "open sesame")), &replies);
    s.client.play(s.now);
    s.run();
    assert_eq!(s.header(1, "Authorization"), None);
    for i in [2, 3] {
        assert_eq!(
            s.header(i, "Authorization"),
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            "{}",
            s.requests[i]
        );
    }
    assert_eq!(s.client.state(), State::Ready);
}

#[test]
fn digest_is_preferred_over_basic_and_works_without_qop() {
    // Our rtsp-server's challenges with --basic: Digest without qop, with
    // algorithm=MD5, and Basic (here listed first).
    let challenges = [
        "Basic realm=\"rtsp-server\"",
        "Digest realm=\"rtsp-server\", nonce=\"abc123\", algorithm=MD5",
    ];
    let replies = [public(), unauthorized(2, &challenges), ok(3, "", SDP)];
    let mut s = scripted(Some(("user", "pass")), &replies);
    s.client.describe(s.now);
    s.run();
    assert_eq!(
        s.header(2, "Authorization"),
        Some(
            "Digest username=\"user\", realm=\"rtsp-server\", nonce=\"abc123\", \
             uri=\"rtsp://h/movie.Mjpeg\", algorithm=MD5, \
             response=\"a1ccc7676ae564cefc86f3d2fe01f075\""
        )
    );
    assert_eq!(s.events, [Event::Described]);
}

#[test]
fn challenges_this_client_cannot_answer() {
    for challenges in [
        // No challenge at all.
        &[][..],
        // Algorithms and qops other than MD5 / auth.
        &["Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256"][..],
        &["Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess"][..],
        &["Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\""][..],
        // An unanswerable Digest is not downgraded to Basic.
        &[
            "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256",
            "Basic realm=\"r\"",
        ][..],
        &["Bearer realm=\"r\""][..],
        // Garbage.
        &["Digest realm=\"unterminated"][..],
    ] {
        let replies = [public(), unauthorized(2, challenges)];
        let mut s = scripted(Some(("u", "p")), &replies);
        s.client.describe(s.now);
        s.run();
        assert_eq!(s.requests.len(), 2, "no retry for {challenges:?}");
        assert_eq!(
            s.events,
            [Event::Error {
                request: Request::Describe,
                status: StatusCode::Unauthorized,
                auth: Some(AuthError::UnsupportedChallenge),
            }],
            "{challenges:?}"
        );
    }
}

#[test]
fn without_credentials_a_401_says_so() {
    let replies = [public(), unauthorized(2, &[RFC_CHALLENGE])];
    let mut s = scripted(None, &replies);
    s.client.describe(s.now);
    s.run();
    assert_eq!(s.requests.len(), 2);
    assert_eq!(
        s.events,
        [Event::Error {
            request: Request::Describe,
            status: StatusCode::Unauthorized,
            auth: Some(AuthError::NoCredentials),
        }]
    );
    // A session without room for credentials refuses them.
    let mut plain = ClientSession::new(Config::default(), URL).unwrap();
    assert_eq!(
        plain.set_credentials("u", "p"),
        Err(AuthError::CredentialsTooLong { limit: 0 })
    );
}

#[test]
fn credentials_and_challenges_are_bounded() {
    let mut c = AuthClientSession::with_auth(Config::default(), URL).unwrap();
    let limit = CLIENT_AUTH_MAX as u16;
    let long = "x".repeat(CLIENT_AUTH_MAX);
    assert_eq!(
        c.set_credentials(&long, ""),
        Err(AuthError::CredentialsTooLong { limit })
    );
    assert_eq!(
        c.set_credentials("a\r\nInjected: 1", "p"),
        Err(AuthError::InvalidCredentials)
    );
    assert_eq!(
        c.set_credentials("a", "p\0"),
        Err(AuthError::InvalidCredentials)
    );
    // Exactly full: user + separator + password.
    let user = "u".repeat(CLIENT_AUTH_MAX - 2);
    assert_eq!(c.set_credentials(&user, "p"), Ok(()));

    // A nonce that does not fit next to the credentials.
    let nonce = "n".repeat(CLIENT_AUTH_MAX);
    let challenge = format!("Digest realm=\"r\", nonce=\"{nonce}\"");
    let replies = [public(), unauthorized(2, &[&challenge])];
    let mut s = scripted(Some(("u", "p")), &replies);
    s.client.describe(s.now);
    s.run();
    assert_eq!(
        s.events,
        [Event::Error {
            request: Request::Describe,
            status: StatusCode::Unauthorized,
            auth: Some(AuthError::ChallengeTooLong { limit }),
        }]
    );
}

#[test]
fn the_password_never_shows_in_debug_output() {
    let mut c = AuthClientSession::with_auth(Config::default(), URL).unwrap();
    c.set_credentials("Mufasa", "Circle Of Life").unwrap();
    let text = format!("{c:?}");
    assert!(text.contains("Mufasa"), "{text}");
    assert!(!text.contains("Circle Of Life"), "{text}");
}

#[test]
fn auth_costs_its_buffer_and_nothing_without_it() {
    let plain = std::mem::size_of::<ClientSession>();
    let auth = std::mem::size_of::<AuthClientSession>();
    println!("size_of ClientSession = {plain}, AuthClientSession = {auth}");
    assert!(plain <= 512, "{plain}");
    assert!(auth <= plain + CLIENT_AUTH_MAX + 8, "{auth} vs {plain}");
}

proptest::proptest! {
    /// Any challenge text (RFC 2326 §12.44 header values are single lines)
    /// is either answered by one retry carrying `Authorization`, or ends the
    /// goal with a 401 error; never a panic, never a loop.
    #[test]
    fn any_challenge_is_answered_once_or_refused(value in "\\PC{0,300}", digest in proptest::bool::ANY) {
        let value = if digest { format!("Digest {value}") } else { value };
        let replies = [public(), unauthorized(2, &[&value]), unauthorized(3, &[&value])];
        let mut s = scripted(Some(("u", "p")), &replies);
        s.client.describe(s.now);
        s.run();
        let retried = s.requests.len() == 3;
        proptest::prop_assert!(s.requests.len() == 2 || retried, "{:?}", s.requests);
        if retried {
            proptest::prop_assert!(s.header(2, "Authorization").is_some());
        }
        let is_401 = match s.events.as_slice() {
            [Event::Error { status: StatusCode::Unauthorized, auth: Some(a), .. }] => {
                if retried {
                    *a == AuthError::Rejected
                } else {
                    matches!(a, AuthError::UnsupportedChallenge | AuthError::ChallengeTooLong { .. })
                }
            }
            _ => false,
        };
        proptest::prop_assert!(is_401, "{:?}", s.events);
    }
}
