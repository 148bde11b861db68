//! Fuzzes what a server reads of an HTTP request on its RTSP port: the
//! protocol sniff of the first line and the HTTP/1.x head parser
//! (`rtsp::http`), then the server's credential check of what parses.
//! None may panic; a whole head never claims more bytes than given, and the
//! sniff agrees with the parser about what is HTTP (an HTTP method with an
//! HTTP version).
#![no_main]
use libfuzzer_sys::fuzz_target;
use rtsp_core::limits::RTSP_MAX_HEADERS;
use rtsp_core::rtsp::{http, Header, Protocol, Status};
use rtsp_core::session::server::{Credentials, Nonce};

fuzz_target!(|data: &[u8]| {
    let sniffed = http::protocol_of(data);
    let mut headers = [Header::EMPTY; RTSP_MAX_HEADERS];
    if let Ok(Status::Complete((req, used))) = http::parse_request(data, &mut headers) {
        assert!(used <= data.len());
        assert!(req.body.is_empty());
        if http::HTTP_METHODS.contains(&req.method.as_str().as_bytes()) {
            assert_eq!(sniffed, Status::Complete(Protocol::Http));
        }
        let nonce = Nonce::generate(|| 7);
        let creds = Credentials {
            realm: "r",
            user: "u",
            password: "p",
            nonce: &nonce,
            basic: true,
        };
        let _ = creds.check(&req);
        let _ = creds.challenges().count();
    }
});
