//! `Range` (RFC 2326 §12.29, §3.6 NPT) and `RTP-Info` (§12.33).

use core::fmt;

use super::{invalid, names, parse_decimal, split_unquoted, trim_str, unquote};
use crate::rtsp::Error;
use crate::Duration;

/// A normal-play-time instant (RFC 2326 §3.6): `now` or a position from the
/// start of the presentation, kept to the microsecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum NptTime {
    /// `now`: the live position.
    Now,
    /// A position, written as seconds (`12.5`) or `h:mm:ss.frac`.
    At(Duration),
}

impl NptTime {
    /// Reads `now`, `npt-sec` (`123.45`) or `npt-hhmmss` (`1:02:03.5`).
    pub fn parse(s: &str) -> Result<Self, Error> {
        let err = invalid(names::RANGE);
        let s = trim_str(s);
        if s.eq_ignore_ascii_case("now") {
            return Ok(NptTime::Now);
        }
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s, ""),
        };
        let mut secs: u64 = 0;
        let mut fields = 0;
        for part in whole.split(':') {
            fields += 1;
            let v: u64 = parse_decimal(part.as_bytes()).ok_or(err)?;
            // Minutes and seconds of the h:mm:ss form are below 60 (§3.6).
            if fields > 1 && v >= 60 {
                return Err(err);
            }
            secs = secs.checked_mul(60).ok_or(err)?.checked_add(v).ok_or(err)?;
        }
        if fields != 1 && fields != 3 {
            return Err(err);
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err);
        }
        // Keep six fractional digits (microseconds); ignore finer ones.
        let mut micros: u64 = 0;
        for i in 0..6 {
            let digit = frac.as_bytes().get(i).map_or(0, |b| u64::from(b - b'0'));
            micros = micros * 10 + digit;
        }
        let total = secs
            .checked_mul(1_000_000)
            .and_then(|m| m.checked_add(micros))
            .ok_or(err)?;
        Ok(NptTime::At(Duration::from_micros(total)))
    }
}

impl fmt::Display for NptTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NptTime::Now => f.write_str("now"),
            NptTime::At(d) => {
                let us = d.as_micros();
                let (secs, frac) = (us / 1_000_000, us % 1_000_000);
                if frac % 1_000 == 0 {
                    write!(f, "{secs}.{:03}", frac / 1_000)
                } else {
                    write!(f, "{secs}.{frac:06}")
                }
            }
        }
    }
}

/// `Range` (RFC 2326 §12.29). Only NPT is interpreted; SMPTE and clock
/// ranges are kept verbatim so a server can refuse them with 457.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Range<'a> {
    /// `npt=[start]-[end]` (RFC 2326 §3.6).
    Npt {
        /// Start position; `None` for `npt=-end`.
        start: Option<NptTime>,
        /// End position; `None` for an open range (`npt=0-`).
        end: Option<NptTime>,
    },
    /// `smpte=`, `clock=` or another unit, verbatim.
    Other(&'a str),
}

impl<'a> Range<'a> {
    /// Reads a Range value; a `;time=` parameter is ignored.
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let err = invalid(names::RANGE);
        let spec = trim_str(value.split(';').next().unwrap_or_default());
        let Some((unit, range)) = spec.split_once('=') else {
            return Err(err);
        };
        if !trim_str(unit).eq_ignore_ascii_case("npt") {
            return if spec.is_empty() {
                Err(err)
            } else {
                Ok(Range::Other(spec))
            };
        }
        let (start, end) = range.split_once('-').ok_or(err)?;
        let start = match trim_str(start) {
            "" => None,
            s => Some(NptTime::parse(s)?),
        };
        let end = match trim_str(end) {
            "" => None,
            e => Some(NptTime::parse(e)?),
        };
        if start.is_none() && end.is_none() {
            return Err(err);
        }
        Ok(Range::Npt { start, end })
    }
}

impl fmt::Display for Range<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Range::Npt { start, end } => {
                f.write_str("npt=")?;
                if let Some(s) = start {
                    write!(f, "{s}")?;
                }
                f.write_str("-")?;
                if let Some(e) = end {
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            Range::Other(s) => f.write_str(s),
        }
    }
}

/// One stream's entry of `RTP-Info` (RFC 2326 §12.33): the sequence number
/// and RTP timestamp of the first packet after a PLAY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RtpInfo<'a> {
    /// The stream URL.
    pub url: &'a str,
    /// RTP sequence number of the first packet.
    pub seq: Option<u16>,
    /// RTP timestamp of the first packet.
    pub rtptime: Option<u32>,
}

impl<'a> RtpInfo<'a> {
    /// Reads one entry (`url=..;seq=..;rtptime=..`, any order; `url` is
    /// required; unknown parameters such as `ssrc=` are ignored).
    pub fn parse(entry: &'a str) -> Result<Self, Error> {
        let err = invalid(names::RTP_INFO);
        let mut info = RtpInfo {
            url: "",
            seq: None,
            rtptime: None,
        };
        let mut has_url = false;
        for param in split_unquoted(entry, b';')
            .map(trim_str)
            .filter(|p| !p.is_empty())
        {
            let (k, v) = param.split_once('=').ok_or(err)?;
            let (k, v) = (trim_str(k), trim_str(v));
            if k.eq_ignore_ascii_case("url") {
                info.url = unquote(v);
                has_url = true;
            } else if k.eq_ignore_ascii_case("seq") {
                info.seq = Some(parse_decimal(v.as_bytes()).ok_or(err)?);
            } else if k.eq_ignore_ascii_case("rtptime") {
                info.rtptime = Some(parse_decimal(v.as_bytes()).ok_or(err)?);
            }
        }
        if has_url && !info.url.is_empty() && !info.url.contains([',', ';', '"']) {
            Ok(info)
        } else {
            Err(err)
        }
    }
}

impl fmt::Display for RtpInfo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "url={}", self.url)?;
        if let Some(seq) = self.seq {
            write!(f, ";seq={seq}")?;
        }
        if let Some(t) = self.rtptime {
            write!(f, ";rtptime={t}")?;
        }
        Ok(())
    }
}

/// A whole `RTP-Info` value: one entry per stream, comma-separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RtpInfoList<'a>(&'a str);

impl<'a> RtpInfoList<'a> {
    /// Checks that every entry is well formed.
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let list = RtpInfoList(trim_str(value));
        let mut n = 0;
        for entry in list.iter() {
            entry?;
            n += 1;
        }
        if n == 0 {
            return Err(invalid(names::RTP_INFO));
        }
        Ok(list)
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = Result<RtpInfo<'a>, Error>> {
        split_unquoted(self.0, b',')
            .map(trim_str)
            .filter(|e| !e.is_empty())
            .map(RtpInfo::parse)
    }

    /// The entry whose URL ends with `control` (e.g. `stream=0`), or the
    /// first one when there is a single stream.
    pub fn find(&self, control: &str) -> Option<RtpInfo<'a>> {
        let mut first = None;
        let mut count = 0;
        for info in self.iter().flatten() {
            count += 1;
            if info.url.ends_with(control) {
                return Some(info);
            }
            first.get_or_insert(info);
        }
        if count == 1 {
            first
        } else {
            None
        }
    }
}
