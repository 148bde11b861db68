//! `--pull NAME=rtsp://[user[:password]@]host[:port]/path` (RFC 2326 §3.2;
//! userinfo per RFC 3986 §3.2.1, percent-decoded).

use crate::cli::check_path_name;
use crate::media::percent_decode;

/// Default RTSP port (RFC 2326 §3.2).
const RTSP_PORT: u16 = 554;

/// One `--pull` argument, parsed.
#[derive(Clone, PartialEq, Eq)]
pub struct PullSpec {
    /// The path it is served at.
    pub name: String,
    /// The origin's URL as requests carry it (without userinfo).
    pub url: String,
    /// Host to connect to (brackets of an IPv6 literal removed).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// User and password from the URL, for a 401 (RFC 2326 §12.5).
    pub credentials: Option<(String, String)>,
    /// The URL for logs: without userinfo.
    pub shown: String,
}

impl std::fmt::Debug for PullSpec {
    // The password stays out of logs and panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PullSpec")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("user", &self.credentials.as_ref().map(|c| &c.0))
            .finish_non_exhaustive()
    }
}

/// Parses `NAME=rtsp://…`; the error is one line for the command line.
pub fn parse_pull(arg: &str) -> Result<PullSpec, String> {
    let Some((name, url)) = arg.split_once('=') else {
        return Err("expected NAME=rtsp://host[:port]/path".into());
    };
    check_path_name(name)?;
    let rest = match url.get(..7) {
        Some(s) if s.eq_ignore_ascii_case("rtsp://") => &url[7..],
        _ => return Err(format!("`{}` is not an rtsp:// URL", redact(url))),
    };
    let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let (credentials, authority) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            let decoded = percent_decode(user).zip(percent_decode(password));
            let Some(c) = decoded else {
                return Err("the URL's user or password has a bad %-escape".into());
            };
            (Some(c), host)
        }
        None => (None, authority),
    };
    let shown = format!("rtsp://{authority}{path}");
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("{shown}: unclosed [ in the host"))?;
            (h, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return Err(format!("{shown}: no host"));
    }
    let port = match port {
        Some(p) => p
            .parse()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("{shown}: `{p}` is not a port"))?,
        None => RTSP_PORT,
    };
    if !shown.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("{shown}: spaces or non-ASCII in the URL"));
    }
    Ok(PullSpec {
        name: name.into(),
        url: shown.clone(),
        host: host.into(),
        port,
        credentials,
        shown,
    })
}

/// `url` with any userinfo replaced by `***`, for messages.
fn redact(url: &str) -> String {
    match url.split_once('@') {
        Some((_, after)) if url.contains("://") => format!("***@{after}"),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_becomes_credentials_and_leaves_the_url() {
        let p = parse_pull("cam=rtsp://us%65r:p%40ss@127.0.0.1:9000/movie.Mjpeg").unwrap();
        assert_eq!(p.name, "cam");
        assert_eq!(p.url, "rtsp://127.0.0.1:9000/movie.Mjpeg");
        assert_eq!((p.host.as_str(), p.port), ("127.0.0.1", 9000));
        assert_eq!(
            p.credentials,
            Some(("user".to_string(), "p@ss".to_string()))
        );
        assert!(!format!("{p:?}").contains("p@ss"));
        let v6 = parse_pull("a/b=rtsp://[::1]/x").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 554));
    }

    #[test]
    fn bad_arguments_are_one_line_errors() {
        for bad in [
            "cam",
            "=rtsp://h/x",
            "../x=rtsp://h/x",
            "cam=http://h/x",
            "cam=rtsp:///x",
            "cam=rtsp://h:99999/x",
            "cam=rtsp://h:0/x",
            "cam=rtsp://u:%zz@h/x",
            "cam=rtsp://[::1/x",
        ] {
            let e = parse_pull(bad).unwrap_err();
            assert!(!e.contains('\n'), "{bad}: {e}");
        }
        assert!(!parse_pull("cam=ftp://u:secret@h/x")
            .unwrap_err()
            .contains("secret"));
    }
}
