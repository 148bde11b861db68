//! RTSP over HTTP (`rtsph://` or `--tunnel`): the QuickTime GET/POST pair
//! that ffmpeg, VLC and GStreamer open, built with `rtsp_core::tunnel`.
//! The GET carries the server's output (read as the RTSP connection); each
//! request goes out on the POST, base64-encoded on its own. The media is
//! interleaved in the GET (`--tcp` is implied).
//!
//! With credentials, a GET answered 401 is sent again once with Digest
//! (RFC 2617 §3.2.2, the RFC 2069 form) or, if only Basic is offered, Basic.

use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream as StdTcp};

use mio::net::TcpStream;
use rtsp_core::rtsp::header::{Challenge, Scheme};
use rtsp_core::session::digest::{BasicToken, DigestInput};
use rtsp_core::tunnel::{self, Cookie};

use crate::cli::{Credentials, Target};
use crate::error::{failed_to, Error};
use crate::net::{connect_blocking, non_blocking, TxBuf, CONNECT_TIMEOUT};

/// An open tunnel: the GET (read as the RTSP connection) and the POST.
#[derive(Debug)]
pub struct Tunnel {
    /// The GET: the server's output.
    pub get: TcpStream,
    /// What the server sent after the GET's response head.
    pub early: Vec<u8>,
    /// The POST: our requests.
    pub post: Post,
}

/// The POST half: where requests go, base64.
#[derive(Debug)]
pub struct Post {
    stream: TcpStream,
    /// Encoded requests the socket has not taken yet.
    queue: TxBuf,
}

impl Post {
    /// Sends one message, base64-encoded on its own.
    pub fn send(&mut self, message: &[u8]) -> io::Result<()> {
        let mut enc = vec![0u8; tunnel::encoded_len(message.len())];
        let n = tunnel::base64_encode(message, &mut enc).map_err(io::Error::other)?;
        self.queue.send(&mut self.stream, &enc[..n])
    }

    /// Writes what is queued until the socket would block.
    pub fn flush(&mut self) -> io::Result<()> {
        self.queue.flush(&mut self.stream)
    }
}

/// A fresh cookie: 16 hex digits from the standard library's per-process
/// random hash keys and the clock (no cryptography needed: it only has to
/// differ from other clients' cookies).
fn new_cookie() -> Cookie {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    let text = format!("{:016x}", h.finish());
    // 16 hex digits are a valid cookie.
    Cookie::parse(text.as_bytes()).expect("hex digits make a cookie")
}

/// The path and `host:port` of `target`'s URL, for the HTTP requests.
fn path_and_host(target: &Target) -> (String, String) {
    let rest = target.url.split_once("://").map_or("", |(_, r)| r);
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
    (path.to_string(), authority.to_string())
}

/// Opens the tunnel to `target` at `addr` (`shown` as written, for errors).
pub fn open(addr: SocketAddr, shown: &str, target: &Target) -> Result<Tunnel, Error> {
    let (path, host) = path_and_host(target);
    let cookie = new_cookie();
    let (mut get, mut head) = request_get(addr, shown, &path, &host, &cookie, None)?;
    if head.code == 401 {
        let Some(creds) = &target.credentials else {
            return Err(refused(
                shown,
                "401: the server wants credentials (give --user/--password)",
            ));
        };
        let authorization = answer(&head.text, creds, &path).ok_or_else(|| {
            refused(
                shown,
                "401 with no Digest or Basic challenge this client can answer",
            )
        })?;
        (get, head) = request_get(addr, shown, &path, &host, &cookie, Some(&authorization))?;
    }
    if head.code != 200 {
        let first = head.text.lines().next().unwrap_or_default().to_string();
        return Err(refused(shown, &first));
    }
    let mut post = connect_blocking(addr, shown)?;
    let mut buf = [0u8; 512];
    let n = tunnel::write_post(&mut buf, &path, &host, &cookie)
        .map_err(|e| refused(shown, &e.to_string()))?;
    post.write_all(&buf[..n]).map_err(Error::Connection)?;
    Ok(Tunnel {
        get: non_blocking(get)?,
        early: head.rest,
        post: Post {
            stream: non_blocking(post)?,
            queue: TxBuf::default(),
        },
    })
}

fn refused(shown: &str, why: &str) -> Error {
    Error::Tunnel {
        server: shown.to_string(),
        why: why.to_string(),
    }
}

/// The GET's response head.
struct Head {
    code: u16,
    /// The head as text (for the challenges and errors).
    text: String,
    /// What followed it.
    rest: Vec<u8>,
}

fn request_get(
    addr: SocketAddr,
    shown: &str,
    path: &str,
    host: &str,
    cookie: &Cookie,
    authorization: Option<&str>,
) -> Result<(StdTcp, Head), Error> {
    let mut s = connect_blocking(addr, shown)?;
    let mut buf = vec![0u8; rtsp_core::limits::RTSP_MAX_MESSAGE];
    let n = tunnel::write_get(&mut buf, path, host, cookie, authorization)
        .map_err(|e| refused(shown, &e.to_string()))?;
    s.write_all(&buf[..n]).map_err(Error::Connection)?;
    s.set_read_timeout(Some(CONNECT_TIMEOUT))
        .map_err(failed_to("set a read timeout"))?;
    let mut got = Vec::new();
    loop {
        match tunnel::read_response_head(&got) {
            Ok(Some((code, used))) => {
                let text = String::from_utf8_lossy(&got[..used]).into_owned();
                let rest = got[used..].to_vec();
                return Ok((s, Head { code, text, rest }));
            }
            Ok(None) => {}
            Err(e) => return Err(refused(shown, &e.to_string())),
        }
        match s.read(&mut buf) {
            Ok(0) => return Err(Error::Closed),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => return Err(Error::Connection(e)),
        }
    }
}

/// `Authorization` for the GET from the head's challenges: Digest
/// preferred, Basic if it is all that is offered.
fn answer(head: &str, creds: &Credentials, path: &str) -> Option<String> {
    let challenges: Vec<Challenge<'_>> = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case("WWW-Authenticate"))
        .filter_map(|(_, v)| Challenge::parse(v.trim()).ok())
        .collect();
    if let Some(d) = challenges.iter().find(|c| c.scheme == Scheme::Digest) {
        let (realm, nonce) = (d.params.realm()?, d.params.nonce()?);
        let response = DigestInput {
            username: &creds.user,
            realm,
            password: &creds.password,
            method: "GET",
            uri: path,
            nonce,
            qop_auth: None,
        }
        .response();
        let mut a = format!(
            "Digest username=\"{}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{path}\", response=\"{}\"",
            creds.user,
            response.as_str()
        );
        if let Some(o) = d.params.opaque() {
            a.push_str(&format!(", opaque=\"{o}\""));
        }
        return Some(a);
    }
    challenges
        .iter()
        .any(|c| c.scheme == Scheme::Basic)
        .then(|| {
            let token = BasicToken {
                user: &creds.user,
                password: &creds.password,
            };
            format!("Basic {token}")
        })
}
