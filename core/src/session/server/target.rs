//! Request URLs of the server session (RFC 2326 §3.2, C.1.1): the
//! presentation path and whether the stream or the aggregate is named.

/// Control suffix of the one stream of every presentation (the SDP's
/// `a=control:stream=0`, RFC 2326 C.1.1).
pub(crate) const STREAM_CONTROL: &str = "stream=0";

/// A request URL split into the presentation path and whether it names
/// the stream (`…/stream=0`) rather than the aggregate (RFC 2326 §3.2).
pub(crate) struct Target<'a> {
    pub path: &'a str,
    pub stream: bool,
}

/// Splits `rtsp://host[:port]/path[/stream=0][?query]` or `/path…`.
pub(crate) fn target(uri: &str) -> Option<Target<'_>> {
    let rest = if let Some(scheme_end) = uri.find("://") {
        let scheme = uri.get(..scheme_end)?;
        if !scheme.eq_ignore_ascii_case("rtsp") && !scheme.eq_ignore_ascii_case("rtsps") {
            return None;
        }
        let after = uri.get(scheme_end + 3..)?;
        after.find('/').and_then(|i| after.get(i..)).unwrap_or("")
    } else if uri.starts_with('/') {
        uri
    } else {
        return None;
    };
    let rest = rest.split('?').next().unwrap_or_default();
    let rest = rest.trim_start_matches('/').trim_end_matches('/');
    if let Some(prefix) = rest.strip_suffix(STREAM_CONTROL) {
        if prefix.is_empty() || prefix.ends_with('/') {
            return Some(Target {
                path: prefix.trim_end_matches('/'),
                stream: true,
            });
        }
    }
    Some(Target {
        path: rest,
        stream: false,
    })
}

/// The presentation path a request URL names, as [`Host::media`] receives
/// it (`rtsp://host/cam/stream=0` → `cam`): for a host that looks at a
/// request before handing it to the session (a relay waiting for its
/// origin before it answers DESCRIBE).
///
/// [`Host::media`]: super::Host::media
pub fn request_path(uri: &str) -> Option<&str> {
    target(uri).map(|t| t.path)
}
