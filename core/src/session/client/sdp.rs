//! What the client needs from a server's SDP (RFC 4566): the first video
//! stream's payload type, clock rate, control URL, frame rate, size and
//! duration. Read tolerantly: unknown lines, LF-only endings, missing
//! attributes and extra media sections are all accepted.

use crate::session::Framerate;
use crate::Duration;

/// The stream the server described (RFC 4566 §5.14, §6; RFC 2435 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Described {
    /// RTP payload type (26 for JPEG).
    pub payload_type: u8,
    /// RTP clock rate from `a=rtpmap` (90000 for JPEG; 90000 if absent).
    pub clock_rate: u32,
    /// Frame size from `a=x-dimensions:W,H` or `a=framesize:PT W-H`, if
    /// given; otherwise the RTP/JPEG headers will tell.
    pub size: Option<(u16, u16)>,
    /// `a=framerate`, if given.
    pub framerate: Option<Framerate>,
    /// Length of a file presentation from `a=range:npt=0-<end>`; `None` live.
    pub duration: Option<Duration>,
}

/// Reads the SDP; returns the description and the media-level control
/// (or the session-level one, or `None`). `None` without a video section.
pub(crate) fn read(body: &[u8]) -> Option<(Described, Option<&str>)> {
    let text = core::str::from_utf8(body).ok()?;
    let mut in_video = false;
    let mut seen_video = false;
    let mut session_control = None;
    let mut control = None;
    let mut d = Described {
        payload_type: 0,
        clock_rate: 90_000,
        size: None,
        framerate: None,
        duration: None,
    };
    for line in text.lines().map(|l| l.trim_end_matches('\r').trim()) {
        if let Some(m) = line.strip_prefix("m=") {
            if seen_video {
                // Only the first video section matters.
                in_video = false;
                if control.is_some() {
                    break;
                }
                continue;
            }
            let mut f = m.split_ascii_whitespace();
            in_video = f.next() == Some("video");
            if in_video {
                seen_video = true;
                d.payload_type = f.nth(2).and_then(|pt| pt.parse().ok()).unwrap_or(26);
            }
            continue;
        }
        let Some(attr) = line.strip_prefix("a=") else {
            continue;
        };
        let (name, value) = attr.split_once(':').unwrap_or((attr, ""));
        let value = value.trim();
        match name {
            "control" if in_video => control = Some(value),
            "control" if !seen_video => session_control = Some(value),
            "range" => d.duration = read_range(value).or(d.duration),
            "rtpmap" if in_video => {
                if let Some((pt, enc)) = value.split_once(' ') {
                    if pt.parse() == Ok(d.payload_type) {
                        if let Some(rate) =
                            enc.split('/').nth(1).and_then(|r| r.trim().parse().ok())
                        {
                            d.clock_rate = rate;
                        }
                    }
                }
            }
            "framerate" if in_video || !seen_video => {
                d.framerate = read_framerate(value).or(d.framerate)
            }
            "x-dimensions" if in_video => {
                d.size = value
                    .split_once(',')
                    .and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)));
            }
            "framesize" if in_video && d.size.is_none() => {
                let size = value.split_ascii_whitespace().nth(1);
                d.size = size
                    .and_then(|s| s.split_once('-'))
                    .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)));
            }
            _ => {}
        }
    }
    seen_video.then_some((d, control.or(session_control)))
}

/// `25`, `29.97`, `30000/1001`.
fn read_framerate(v: &str) -> Option<Framerate> {
    if let Some((n, d)) = v.split_once('/') {
        let (num, den) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
        return (den != 0).then_some(Framerate { num, den });
    }
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    let frac = frac.get(..frac.len().min(3)).unwrap_or_default();
    let den = 10u32.checked_pow(u32::try_from(frac.len()).ok()?)?;
    let whole: u32 = whole.parse().ok()?;
    let frac_v: u32 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    let num = whole.checked_mul(den)?.checked_add(frac_v)?;
    (num != 0).then_some(Framerate { num, den })
}

fn read_range(v: &str) -> Option<Duration> {
    match crate::rtsp::header::Range::parse(v).ok()? {
        crate::rtsp::header::Range::Npt {
            end: Some(crate::rtsp::header::NptTime::At(d)),
            ..
        } => Some(d),
        _ => None,
    }
}
