//! The status page at `/`: one static HTML page, no framework, no external
//! assets. Each stream (size, rate, source, players, publishers) with an
//! `<img>` preview that plays (the stream's own MJPEG URL, so a preview is
//! a viewer like any other), and each session (peer, transport, state,
//! packets, bytes, loss and jitter from its latest RTCP receiver report).
//!
//! The browser refreshes it: a few lines of inline script fetch the page
//! again every 2 s and swap in the new tables, leaving the previews
//! playing; without script, a `<meta refresh>` reloads the whole page.

use std::fmt::Write as _;

use rtsp_core::Instant;

use super::metrics::{transport, HTTP_MJPEG};
use super::Answer;
use crate::media::Source;
use crate::server::publish::Shown;
use crate::server::Server;

/// Seconds between refreshes of the tables.
pub const REFRESH_SECS: u32 = 2;
/// Streams shown playing on the page; the others get a link. A browser
/// opens at most six HTTP/1.1 connections to one host, and each preview
/// holds one for good: more would stall the page's own refresh.
pub const PREVIEWS_MAX: usize = 4;

/// `s` with the HTML special characters escaped.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A path as it goes in a URL: each byte outside the unreserved set and
/// `/` percent-encoded (RFC 3986 §2).
fn url_path(p: &str) -> String {
    let mut out = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:1em 2em;color:#222}\
table{border-collapse:collapse;margin:.5em 0 1.5em}\
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}\
.previews{display:flex;flex-wrap:wrap;gap:1em}\
figure{margin:0}figcaption{font-size:12px;color:#555}\
img{background:#000;max-width:480px}";

impl Server {
    /// The `/` answer.
    pub(super) fn status_page(&self, _now: Instant) -> Answer {
        let mut p = String::new();
        let _ = write!(
            p,
            "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>\
             <title>rtsp-server status</title>\
             <noscript><meta http-equiv=refresh content=5></noscript>\
             <style>{STYLE}</style></head><body>\n<h1>rtsp-server</h1>\n\
             <div class=previews>"
        );
        let mut entries = self.catalog.entries();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let playable = entries
            .iter()
            .filter(|(_, src)| !matches!(src, Source::Refused(_)));
        for (i, (path, _)) in playable.enumerate() {
            let url = url_path(path);
            let name = html(path);
            if i < PREVIEWS_MAX {
                let _ = write!(
                    p,
                    "<figure><img src=\"/{url}\" alt=\"{name}\" id=\"preview-{name}\"><figcaption>\
                     {name} &middot; rtsp://&lt;host&gt;/{name}</figcaption></figure>"
                );
            } else {
                let _ = write!(p, "<figure><a href=\"/{url}\">{name}</a></figure>");
            }
        }
        p.push_str("</div>\n<div id=live>");
        self.status_tables(&mut p, &entries);
        let _ = write!(
            p,
            "</div>\n<script>setInterval(function(){{fetch(location.href,{{cache:'no-store'}})\
             .then(function(r){{return r.text()}}).then(function(t){{\
             var d=new DOMParser().parseFromString(t,'text/html').getElementById('live');\
             if(d)document.getElementById('live').innerHTML=d.innerHTML}}).catch(function(){{}})}},\
             {}000);</script>\n</body></html>\n",
            REFRESH_SECS
        );
        Answer {
            code: 200,
            content_type: "text/html; charset=utf-8",
            headers: String::new(),
            body: p.into_bytes(),
        }
    }

    /// The refreshed part: streams and sessions.
    fn status_tables(&self, p: &mut String, entries: &[(&str, &Source)]) {
        let _ = write!(
            p,
            "<p>up {:.0} s &middot; {} sessions (limit {})</p>\n<h2>Streams</h2>\n<table id=streams>\
             <tr><th>path</th><th>size</th><th>fps</th><th>source</th><th>players</th>\
             <th>publishers</th></tr>",
            self.totals.uptime_secs(),
            self.conns.sessions,
            self.cfg.max_sessions
        );
        let publishers = self.publishers_shown();
        for (path, src) in entries {
            let players = self.players_of(path);
            let (size, fps, what, publishers) = match src {
                Source::Clip(c) => (
                    format!("{}×{}", c.width, c.height),
                    format!("{}", c.fps),
                    format!(
                        "clip, {} frames ({:.1} s), looping: {}",
                        c.frames.len(),
                        c.duration_secs(),
                        if self.cfg.looping { "yes" } else { "no" }
                    ),
                    0,
                ),
                Source::Live(l) => {
                    let frames = l.frames_in.load(std::sync::atomic::Ordering::Relaxed);
                    // A publisher's path shows who publishes it; a pull's
                    // publisher is its origin, there while it is up.
                    let published = publishers
                        .iter()
                        .find(|p| p.path == *path && self.publishers.feeds(l));
                    let (what, publishers) = match (published, self.relays.pull_of(src)) {
                        (Some(pb), _) => published_by(pb),
                        (None, Some(p)) => (
                            format!(
                                "relay of {} ({:?}), {frames} frames in",
                                p.spec.shown,
                                p.status()
                            ),
                            usize::from(p.is_ready()),
                        ),
                        (None, None) => (format!("live (stdin), {frames} frames in"), 1),
                    };
                    (
                        l.dimensions()
                            .map_or("—".into(), |(w, h)| format!("{w}×{h}")),
                        format!("{}", l.fps),
                        what,
                        publishers,
                    )
                }
                Source::Refused(why) => ("—".into(), "—".into(), format!("refused: {why}"), 0),
            };
            let _ = write!(
                p,
                "<tr><td>{}</td><td>{size}</td><td class=n>{fps}</td><td>{}</td>\
                 <td class=n>{players}</td><td class=n>{publishers}</td></tr>",
                html(path),
                html(&what)
            );
        }
        p.push_str(
            "</table>\n<h2>Sessions</h2>\n<p>packets and bytes: sent to a player, received from a \
             publisher (state Recording); loss and jitter: its latest receiver report, or our \
             statistics of a publisher's stream.</p>\n<table id=sessions><tr><th>peer</th><th>path</th>\
             <th>transport</th><th>state</th><th>frames</th><th>packets</th><th>bytes</th>\
             <th>skipped</th><th>loss</th><th>jitter</th></tr>",
        );
        for (idx, c) in self.conns.slots.iter().enumerate() {
            let Some(c) = c else { continue };
            if let Some(m) = &c.media {
                let (loss, jitter) = match m.last_report {
                    Some(r) => (
                        format!(
                            "{} ({:.1}% recently)",
                            r.cumulative_lost,
                            f64::from(r.fraction_lost) * 100.0 / 256.0
                        ),
                        format!("{:.2} ms", f64::from(r.jitter) / 90.0),
                    ),
                    None => ("—".into(), "—".into()),
                };
                let _ = write!(
                    p,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:?}</td><td class=n>{}</td>\
                     <td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td>{loss}</td>\
                     <td>{jitter}</td></tr>",
                    c.peer,
                    html(&m.path),
                    transport(c, m.dest),
                    c.core.state(),
                    m.frames,
                    m.packets,
                    m.octets,
                    m.frames_dropped
                );
            }
            if let Some(pb) = publishers.iter().find(|pb| pb.conn == idx) {
                let r = pb.received;
                let _ = write!(
                    p,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:?}</td><td class=n>{}</td>\
                     <td class=n>{}</td><td class=n>{}</td><td class=n>—</td><td>{}</td>\
                     <td>{:.2} ms</td></tr>",
                    c.peer,
                    html(pb.path),
                    pb.transport.unwrap_or("—"),
                    c.core.state(),
                    r.frames,
                    r.packets,
                    r.bytes,
                    r.lost,
                    f64::from(r.jitter) / 90.0
                );
            }
            if let Some(v) = c.viewer() {
                let _ = write!(
                    p,
                    "<tr><td>{}</td><td>{}</td><td>{HTTP_MJPEG}</td><td>Playing</td>\
                     <td class=n>{}</td><td class=n>—</td><td class=n>{}</td>\
                     <td class=n>{}</td><td>—</td><td>—</td></tr>",
                    c.peer,
                    html(&v.path),
                    v.frames,
                    v.bytes,
                    v.skipped
                );
            }
        }
        p.push_str("</table>\n");
    }

    /// RTSP sessions and browsers playing `path`.
    pub fn players_of(&self, path: &str) -> usize {
        self.conns
            .slots
            .iter()
            .flatten()
            .filter(|c| {
                c.media.as_ref().is_some_and(|m| m.path == path)
                    || c.viewer().is_some_and(|v| v.path == path)
            })
            .count()
    }
}

/// A published path's source column and its publishers count: 1 while
/// its publisher records (after ANNOUNCE and before RECORD, 0).
fn published_by(p: &Shown<'_>) -> (String, usize) {
    let how = p.transport.unwrap_or("not set up");
    let what = if p.recording {
        format!(
            "published by {} ({how}), {} frames in",
            p.peer, p.received.frames
        )
    } else {
        format!("announced by {} ({how}), not recording yet", p.peer)
    };
    (what, usize::from(p.recording))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(url_path("a b/c\"d.mjpeg"), "a%20b/c%22d.mjpeg");
    }
}
