//! The RTSP-over-HTTP tunnel (core/src/tunnel): no POST body and no
//! cookie or GET response head may panic, how TCP splits a body or how
//! much output room the host gives never changes what it decodes to, and
//! what the client's encoder writes decodes back.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rtsp_core::tunnel::{
    base64_encode, classify, encoded_len, read_response_head, Base64Decoder, Base64Error,
};

fn decode(body: &[u8], chunk: usize, room: usize) -> (Vec<u8>, Option<Base64Error>) {
    let mut d = Base64Decoder::new();
    let mut out = Vec::new();
    let mut buf = vec![0u8; room];
    for piece in body.chunks(chunk) {
        let mut rest = piece;
        while !rest.is_empty() {
            match d.decode(rest, &mut buf) {
                Ok(r) => {
                    assert!(r.consumed <= rest.len() && r.written <= room);
                    assert!(r.consumed > 0, "no progress with {room} bytes of room");
                    out.extend_from_slice(&buf[..r.written]);
                    rest = &rest[r.consumed..];
                }
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

fuzz_target!(|data: &[u8]| {
    let [a, b, body @ ..] = data else { return };
    let chunk = usize::from(*a % 32) + 1;
    let room = usize::from(*b % 16) + 3;
    let whole = decode(body, body.len().max(1), body.len() + 3);
    assert_eq!(decode(body, chunk, room), whole);
    // The client's side: what the encoder writes decodes back.
    let mut enc = vec![0u8; encoded_len(body.len())];
    let n = base64_encode(body, &mut enc).expect("room given");
    assert_eq!(decode(&enc[..n], chunk, room), (body.to_vec(), None));
    if let Ok(Some((_, used))) = read_response_head(body) {
        assert!(used <= body.len());
    }
    for method in ["GET", "POST"] {
        let _ = classify(method, [("x-sessioncookie", body)]);
        let _ = classify(method, [("Accept", body), ("Content-Type", body)]);
    }
});
