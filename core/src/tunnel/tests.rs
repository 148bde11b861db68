//! Tunnel requests as the peers send them, and the base64 body decoder
//! against RFC 4648 §10's vectors and any split of a peer's stream.

use proptest::prelude::*;
use std::vec::Vec;

use super::*;

/// ffmpeg 5.1's GET (libavformat/rtsp.c with `-rtsp_transport http`).
const FFMPEG_GET: &[(&str, &[u8])] = &[
    ("User-Agent", b"Lavf59.27.100"),
    ("Accept", b"*/*"),
    ("Range", b"bytes=0-"),
    ("Connection", b"close"),
    ("Host", b"127.0.0.1:8554"),
    ("Icy-MetaData", b"1"),
    ("x-sessioncookie", b"4a1b0f3c9d2e7a65"),
    ("Accept", b"application/x-rtsp-tunnelled"),
    ("Pragma", b"no-cache"),
    ("Cache-Control", b"no-cache"),
];

/// GStreamer 1.22's POST (gstrtspconnection.c `setup_tunneling`).
const GST_POST: &[(&str, &[u8])] = &[
    ("x-sessioncookie", b"qwertyuiopasdfghjklzxcv"),
    ("Content-Type", b"application/x-rtsp-tunnelled"),
    ("Pragma", b"no-cache"),
    ("Cache-Control", b"no-cache"),
    ("Content-Length", b"32767"),
    ("Expires", b"Sun, 9 Jan 1972 00:00:00 GMT"),
];

fn classify_list(
    method: &str,
    h: &[(&'static str, &'static [u8])],
) -> Result<Option<Role>, TunnelError> {
    classify(method, h.iter().copied())
}

#[test]
fn test_classify_peers() {
    let get = classify_list("GET", FFMPEG_GET).unwrap().unwrap();
    assert_eq!(get, Role::Get(Cookie::parse(b"4a1b0f3c9d2e7a65").unwrap()));
    assert_eq!(get.cookie().as_str(), "4a1b0f3c9d2e7a65");
    let post = classify_list("POST", GST_POST).unwrap().unwrap();
    assert_eq!(post.cookie().as_str(), "qwertyuiopasdfghjklzxcv");
    assert!(matches!(post, Role::Post(_)));
}

#[test]
fn test_classify_plain_http() {
    // A browser's GET, and methods that never open a tunnel.
    let browser: &[(&str, &[u8])] = &[("Accept", b"text/html,image/*;q=0.8")];
    assert_eq!(classify_list("GET", browser), Ok(None));
    assert_eq!(classify_list("GET", &[]), Ok(None));
    assert_eq!(classify_list("PUT", GST_POST), Ok(None));
    assert_eq!(classify_list("OPTIONS", FFMPEG_GET), Ok(None));
}

#[test]
fn test_classify_broken() {
    let no_cookie: &[(&str, &[u8])] =
        &[("accept", b"text/plain, Application/X-RTSP-Tunnelled; q=1")];
    assert_eq!(
        classify_list("GET", no_cookie),
        Err(TunnelError::MissingCookie)
    );
    let no_cookie: &[(&str, &[u8])] = &[("content-type", b"application/x-rtsp-tunnelled")];
    assert_eq!(
        classify_list("POST", no_cookie),
        Err(TunnelError::MissingCookie)
    );
    let long = [b'a'; TUNNEL_COOKIE_MAX + 1];
    for bad in [&b""[..], b"has space", b"tab\there", "é".as_bytes(), &long] {
        let h = [("X-SessionCookie", bad)];
        assert_eq!(
            classify("GET", h),
            Err(TunnelError::InvalidCookie),
            "{bad:?}"
        );
    }
    let max = [b'z'; TUNNEL_COOKIE_MAX];
    assert!(classify("POST", [("x-sessioncookie", &max[..])])
        .unwrap()
        .is_some());
}

#[test]
fn test_get_ok_is_http() {
    let text = core::str::from_utf8(GET_OK).unwrap();
    assert!(text.starts_with("HTTP/1.0 200 OK\r\n"));
    assert!(text.ends_with("\r\n\r\n"));
    assert!(text.contains("Content-Type: application/x-rtsp-tunnelled\r\n"));
    assert!(text.contains("Cache-Control: no-cache\r\n"));
    assert!(text.contains("Connection: close\r\n"));
}

fn decode_all(input: &[u8], chunk: usize, out_room: usize) -> Result<Vec<u8>, Base64Error> {
    let (out, err, at_boundary) = decode_all_lenient(input, chunk, out_room);
    if let Some(e) = err {
        return Err(e);
    }
    assert!(at_boundary, "stream ended inside a quantum");
    Ok(out)
}

#[test]
fn test_rfc4648_vectors() {
    let vectors: [(&[u8], &[u8]); 7] = [
        (b"", b""),
        (b"Zg==", b"f"),
        (b"Zm8=", b"fo"),
        (b"Zm9v", b"foo"),
        (b"Zm9vYg==", b"foob"),
        (b"Zm9vYmE=", b"fooba"),
        (b"Zm9vYmFy", b"foobar"),
    ];
    for (enc, dec) in vectors {
        assert_eq!(decode_all(enc, 64, 64).unwrap(), dec);
        assert_eq!(decode_all(enc, 1, 3).unwrap(), dec);
    }
}

#[test]
fn test_padded_messages_back_to_back() {
    // Two requests encoded one by one, padding between them, with the
    // line breaks some peers add.
    let a = b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n";
    let b = b"DESCRIBE rtsp://h/x RTSP/1.0\r\nCSeq: 2\r\n\r\n";
    let mut enc = encode(a);
    enc.extend_from_slice(b"\r\n");
    enc.extend_from_slice(&encode(b));
    let mut want = a.to_vec();
    want.extend_from_slice(b);
    assert_eq!(decode_all(&enc, 7, 5).unwrap(), want);
}

#[test]
fn test_invalid() {
    let cases: [(&[u8], u8, u64); 6] = [
        (b"Zm9v$", b'$', 4),
        (b"=", b'=', 0),
        (b"Z=", b'=', 1),
        (b"Zg=v", b'v', 3),
        (b"Zm9v\0", 0, 4),
        (b"Zm-v", b'-', 2),
    ];
    for (input, byte, offset) in cases {
        let err = decode_all(input, 64, 64).unwrap_err();
        assert_eq!(err, Base64Error { byte, offset }, "{input:?}");
        assert!(!std::format!("{err}").is_empty());
    }
}

#[test]
fn test_no_room_keeps_the_quantum() {
    let mut d = Base64Decoder::new();
    let mut out = [0u8; 2];
    let r = d.decode(b"Zm9vYmFy", &mut out).unwrap();
    assert_eq!((r.consumed, r.written), (3, 0));
    let mut out = [0u8; 6];
    let r = d.decode(b"vYmFy", &mut out).unwrap();
    assert_eq!((r.consumed, r.written), (5, 6));
    assert_eq!(&out, b"foobar");
}

/// A plain RFC 4648 encoder for the tests.
fn encode(data: &[u8]) -> Vec<u8> {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    for c in data.chunks(3) {
        let n = u32::from(c[0]) << 16
            | u32::from(*c.get(1).unwrap_or(&0)) << 8
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
    out
}

proptest! {
    /// Any split of a valid stream, any output room, any whitespace
    /// between quanta: the same bytes as the messages sent.
    #[test]
    fn prop_any_split_decodes_the_same(
        messages in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 1..6),
        chunk in 1usize..40,
        room in 3usize..50,
        breaks in any::<bool>(),
    ) {
        let mut enc = Vec::new();
        let mut want = Vec::new();
        for m in &messages {
            let e = encode(m);
            for (i, q) in e.chunks(4).enumerate() {
                enc.extend_from_slice(q);
                if breaks && i % 19 == 18 {
                    enc.extend_from_slice(b"\r\n");
                }
            }
            want.extend_from_slice(m);
        }
        prop_assert_eq!(decode_all(&enc, chunk, room).unwrap(), want);
    }

    /// Garbage never panics, and a split never changes the verdict.
    #[test]
    fn prop_garbage(input in prop::collection::vec(any::<u8>(), 0..300), chunk in 1usize..17) {
        let (whole, e1, _) = decode_all_lenient(&input, input.len(), 64);
        let (split, e2, _) = decode_all_lenient(&input, chunk, 3);
        prop_assert_eq!((whole, e1), (split, e2));
    }
}

/// Decoded bytes, the error if any, and whether the stream ended between
/// quanta, decoding `input` in `chunk`-byte pieces into `room` bytes.
fn decode_all_lenient(
    input: &[u8],
    chunk: usize,
    room: usize,
) -> (Vec<u8>, Option<Base64Error>, bool) {
    let mut d = Base64Decoder::new();
    let mut out = Vec::new();
    let mut buf = std::vec![0u8; room];
    for piece in input.chunks(chunk.max(1)) {
        let mut rest = piece;
        while !rest.is_empty() {
            match d.decode(rest, &mut buf) {
                Ok(r) => {
                    assert!(r.consumed > 0 || room < 3, "no progress");
                    out.extend_from_slice(&buf[..r.written]);
                    rest = &rest[r.consumed..];
                }
                Err(e) => return (out, Some(e), d.at_boundary()),
            }
        }
    }
    (out, None, d.at_boundary())
}

#[test]
fn test_client_requests_are_what_the_server_classifies() {
    let cookie = Cookie::parse(b"0123456789abcdef").unwrap();
    let mut buf = [0u8; 512];
    let n = write_get(
        &mut buf,
        "/movie.Mjpeg",
        "127.0.0.1:8554",
        &cookie,
        Some("Basic YTpi"),
    )
    .unwrap();
    let get = std::string::String::from_utf8(buf[..n].to_vec()).unwrap();
    assert!(
        get.starts_with("GET /movie.Mjpeg HTTP/1.0\r\nHost: 127.0.0.1:8554\r\n"),
        "{get}"
    );
    assert!(get.contains("Authorization: Basic YTpi\r\n") && get.ends_with("\r\n\r\n"));
    let headers: Vec<(&str, &[u8])> = get
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k, v.as_bytes()))
        .collect();
    assert_eq!(classify("GET", headers), Ok(Some(Role::Get(cookie))));
    let n = write_post(&mut buf, "/movie.Mjpeg", "h", &cookie).unwrap();
    let post = core::str::from_utf8(&buf[..n]).unwrap();
    assert!(post.contains("Content-Length: 32767\r\n"), "{post}");
    assert!(
        post.contains("Content-Type: application/x-rtsp-tunnelled\r\n"),
        "{post}"
    );
    assert_eq!(
        write_get(&mut buf, "/a\r\nX: y", "h", &cookie, None),
        Err(crate::rtsp::Error::HeaderValue)
    );
    assert!(matches!(
        write_post(&mut [0u8; 8], "/", "h", &cookie),
        Err(crate::rtsp::Error::BufferTooSmall { .. })
    ));
}

#[test]
fn test_response_head() {
    assert_eq!(
        read_response_head(b"HTTP/1.0 200 OK\r\nPragma: no-cache\r\n"),
        Ok(None)
    );
    let head = b"HTTP/1.0 200 OK\r\nContent-Type: application/x-rtsp-tunnelled\r\n\r\nRTSP/1.0";
    assert_eq!(read_response_head(head), Ok(Some((200, head.len() - 8))));
    assert_eq!(read_response_head(GET_OK), Ok(Some((200, GET_OK.len()))));
    assert_eq!(
        read_response_head(b"HTTP/1.1 401 Unauthorized\r\n\r\n"),
        Ok(Some((401, 29)))
    );
    assert_eq!(
        read_response_head(b"RTSP/1.0 200 OK\r\n\r\n"),
        Err(TunnelError::NotHttp)
    );
    assert_eq!(
        read_response_head(b"HTTP/1.0 2x0 OK\r\n\r\n"),
        Err(TunnelError::NotHttp)
    );
}

proptest! {
    /// What the encoder writes, the decoder reads back.
    #[test]
    fn prop_encode_decode(data in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut enc = std::vec![0u8; encoded_len(data.len())];
        let n = base64_encode(&data, &mut enc).unwrap();
        prop_assert_eq!(&enc[..n], &encode(&data)[..]);
        prop_assert_eq!(decode_all(&enc[..n], 5, 3).unwrap(), data);
    }
}
