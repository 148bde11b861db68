//! Optional access control (`--user`/`--password`, `--basic`): the one user
//! clients must log in as. The checking (RFC 2326 §12.5, RFC 2617 Digest
//! with or without `qop=auth`, Basic only with `--basic`) and the 401 with
//! its challenges are the core session's, through `Host::credentials`.

use rtsp_core::session::server::{Credentials, Nonce};

/// Realm announced in challenges (RFC 2617 §1.2).
pub const REALM: &str = "rtsp-server";

/// The user clients must authenticate as.
#[derive(Debug, Clone)]
pub struct Auth {
    user: String,
    password: String,
    basic: bool,
    /// One nonce for the server's lifetime, from our random source.
    nonce: Nonce,
}

impl Auth {
    /// One user; `basic` also accepts Basic credentials.
    pub fn new(user: &str, password: &str, basic: bool) -> Auth {
        Auth {
            user: user.into(),
            password: password.into(),
            basic,
            nonce: Nonce::generate(|| crate::session::random() as u32),
        }
    }

    /// What the core session checks requests against.
    pub fn credentials(&self) -> Credentials<'_> {
        Credentials {
            realm: REALM,
            user: &self.user,
            password: &self.password,
            nonce: &self.nonce,
            basic: self.basic,
        }
    }
}
