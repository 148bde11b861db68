//! Attribute values shared by the SDP writer and reader.

use crate::time::Duration;
use core::fmt;

/// A frame rate as a fraction, `num / den` frames per second, so that
/// `a=framerate:29.97` and `30000/1001` keep their exact value
/// (`a=framerate`, RFC 4566 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Framerate {
    /// Frames…
    pub num: u32,
    /// …per this many seconds (never 0 when parsed).
    pub den: u32,
}

impl Framerate {
    /// Whole frames per second.
    pub const fn fps(fps: u32) -> Self {
        Framerate { num: fps, den: 1 }
    }

    /// A rate given in thousandths of a frame per second (`29_970` for
    /// 29.97 fps), as hosts round a float rate: whole frames per second
    /// when it is exact, else `millis/1000`.
    pub const fn from_millis(millis: u32) -> Self {
        if millis % 1000 == 0 {
            Framerate::fps(millis / 1000)
        } else {
            Framerate {
                num: millis,
                den: 1000,
            }
        }
    }

    /// Reads `25`, `25.000000`, `29.97` or `30000/1001` (the forms of
    /// `a=framerate` and `a=x-framerate` seen from GStreamer, live555, Axis
    /// and others). Keeps up to 6 decimals. `None` for zero or garbage.
    pub fn parse(text: &str) -> Option<Framerate> {
        let text = text.trim();
        if let Some((n, d)) = text.split_once('/') {
            let (num, den) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
            return (num != 0 && den != 0).then_some(Framerate { num, den });
        }
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let frac = frac
            .get(..frac.len().min(6))
            .unwrap_or("")
            .trim_end_matches('0');
        let den = 10u32.checked_pow(u32::try_from(frac.len()).ok()?)?;
        let whole: u32 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let frac_v: u32 = if frac.is_empty() {
            0
        } else {
            frac.parse().ok()?
        };
        let num = whole.checked_mul(den)?.checked_add(frac_v)?;
        (num != 0).then_some(Framerate { num, den })
    }

    /// Frames per second as a float (for display).
    pub fn as_f64(&self) -> f64 {
        if self.den == 0 {
            0.0
        } else {
            f64::from(self.num) / f64::from(self.den)
        }
    }
}

impl fmt::Display for Framerate {
    /// `25`, `29.97`, or `30000/1001` when not a short decimal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 0 {
            return f.write_str("0");
        }
        let whole = self.num / self.den;
        let rest = self.num % self.den;
        if rest == 0 {
            return write!(f, "{whole}");
        }
        // Exact decimal with up to 3 digits, else the fraction itself.
        let milli = u64::from(rest) * 1000;
        if milli % u64::from(self.den) == 0 {
            let digits = milli / u64::from(self.den);
            let mut s = [b'0'; 3];
            let mut d = digits;
            for slot in s.iter_mut().rev() {
                *slot = b'0' + (d % 10) as u8;
                d /= 10;
            }
            let mut len = 3;
            while len > 1 && s.get(len - 1) == Some(&b'0') {
                len -= 1;
            }
            let frac = core::str::from_utf8(s.get(..len).unwrap_or(&[])).unwrap_or("0");
            write!(f, "{whole}.{frac}")
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// What an `a=control` attribute points at (RFC 2326 §C.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Control<'a> {
    /// `*`: the base URL itself (aggregate control).
    Aggregate,
    /// An absolute `rtsp://` (or `rtsps://`, `rtspu://`) URL.
    Absolute(&'a str),
    /// Relative to the Content-Base (or request URL), e.g. `trackID=1`.
    Relative(&'a str),
}

impl<'a> Control<'a> {
    /// Classifies an `a=control` value.
    pub fn classify(value: &'a str) -> Control<'a> {
        let value = value.trim();
        let scheme = value.split_once("://").map(|(s, _)| s);
        match scheme {
            _ if value == "*" => Control::Aggregate,
            Some(s)
                if s.eq_ignore_ascii_case("rtsp")
                    || s.eq_ignore_ascii_case("rtsps")
                    || s.eq_ignore_ascii_case("rtspu") =>
            {
                Control::Absolute(value)
            }
            _ => Control::Relative(value),
        }
    }
}

/// A normal-play-time range, `a=range:npt=` (RFC 2326 §3.6, §C.1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NptRange {
    /// Start; `None` for `now` (live).
    pub start: Option<Duration>,
    /// End, if the presentation has one (a file).
    pub end: Option<Duration>,
}

impl NptRange {
    /// Reads `npt=0-12.5`, `npt=now-`, `npt=0.000000-`, `npt=00:01:02.5-`.
    pub fn parse(text: &str) -> Option<NptRange> {
        let v = text
            .trim()
            .strip_prefix("npt")?
            .trim_start()
            .strip_prefix('=')?
            .trim();
        let (start, end) = v.split_once('-')?;
        let start = match start.trim() {
            "now" => None,
            s => Some(npt_time(s)?),
        };
        let end = match end.trim() {
            "" => None,
            e => Some(npt_time(e)?),
        };
        Some(NptRange { start, end })
    }
}

/// `12.5` or `hh:mm:ss.frac` to a duration (RFC 2326 §3.6).
fn npt_time(text: &str) -> Option<Duration> {
    let (clock, frac) = text.split_once('.').unwrap_or((text, ""));
    let mut secs: u64 = 0;
    for part in clock.split(':') {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        secs = secs.checked_mul(60)?.checked_add(part.parse().ok()?)?;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut micros: u64 = 0;
    let mut scale = 100_000;
    for b in frac.bytes().take(6) {
        micros += u64::from(b - b'0') * scale;
        scale /= 10;
    }
    Some(Duration::from_micros(
        secs.checked_mul(1_000_000)?.checked_add(micros)?,
    ))
}
