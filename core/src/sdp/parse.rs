//! Tolerant, zero-copy SDP reader (RFC 4566 §5) for real servers' output:
//! gst-rtsp-server, ffmpeg, live555 and cameras (Axis, Hikvision, …).
//!
//! Nothing is copied or stored but the input slice: each accessor walks the
//! lines again. Descriptions are a few hundred bytes, so this costs little
//! and never drops an attribute for lack of room.

use super::{Control, Error, Framerate, NptRange};

/// Splits off the next line (LF or CRLF; surrounding blanks trimmed).
fn next_line(rest: &[u8]) -> Option<(&[u8], &[u8])> {
    if rest.is_empty() {
        return None;
    }
    let (line, after) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (
            rest.get(..i).unwrap_or(&[]),
            rest.get(i + 1..).unwrap_or(&[]),
        ),
        None => (rest, &[][..]),
    };
    Some((line.trim_ascii(), after))
}

/// A `<type>=<value>` line as its type letter and UTF-8 value; `None` for
/// anything else (blank, malformed or not UTF-8 lines are skipped).
fn typed(line: &[u8]) -> Option<(u8, &str)> {
    match line {
        [kind, b'=', value @ ..] if kind.is_ascii_lowercase() => {
            Some((*kind, core::str::from_utf8(value).ok()?.trim()))
        }
        _ => None,
    }
}

/// The typed lines of `section`, in order.
fn lines(section: &[u8]) -> impl Iterator<Item = (u8, &str)> {
    let mut rest = section;
    core::iter::from_fn(move || loop {
        let (line, after) = next_line(rest)?;
        rest = after;
        if let Some(t) = typed(line) {
            return Some(t);
        }
    })
}

/// An attribute line, `a=<name>` or `a=<name>:<value>` (RFC 4566 §5.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Attribute<'a> {
    /// Attribute name, e.g. `rtpmap`.
    pub name: &'a str,
    /// The text after the first colon, if any.
    pub value: Option<&'a str>,
}

fn attributes<'a>(section: &'a [u8]) -> impl Iterator<Item = Attribute<'a>> + 'a {
    lines(section)
        .filter(|(k, _)| *k == b'a')
        .map(|(_, v)| match v.split_once(':') {
            Some((name, value)) => Attribute {
                name: name.trim(),
                value: Some(value.trim()),
            },
            None => Attribute {
                name: v,
                value: None,
            },
        })
}

/// The value of the first attribute called `name` (case-insensitive);
/// `Some("")` for a flag attribute.
fn attribute<'a>(section: &'a [u8], name: &str) -> Option<&'a str> {
    attributes(section)
        .find(|a| a.name.eq_ignore_ascii_case(name))
        .map(|a| a.value.unwrap_or(""))
}

/// The first line of type `kind`.
fn first(section: &[u8], kind: u8) -> Option<&str> {
    lines(section).find(|(k, _)| *k == kind).map(|(_, v)| v)
}

/// A bandwidth line `b=<modifier>:<kbit/s>` (RFC 4566 §5.8).
fn bandwidth(section: &[u8], modifier: &str) -> Option<u32> {
    lines(section)
        .filter(|(k, _)| *k == b'b')
        .find_map(|(_, v)| {
            let (m, value) = v.split_once(':')?;
            m.trim()
                .eq_ignore_ascii_case(modifier)
                .then(|| value.trim().parse().ok())
                .flatten()
        })
}

/// The origin line `o=` (RFC 4566 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Origin<'a> {
    /// User name (`-` when none).
    pub username: &'a str,
    /// Session id (a numeric string, often wider than 64 bits in practice).
    pub session_id: &'a str,
    /// Session version.
    pub session_version: &'a str,
    /// Address type, `IP4` or `IP6`.
    pub address_type: &'a str,
    /// Unicast address (or host name) of the originator.
    pub address: &'a str,
}

/// An `a=rtpmap:<pt> <encoding>/<clock rate>[/<params>]` (RFC 4566 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RtpMap<'a> {
    /// The payload type it binds.
    pub payload_type: u8,
    /// Encoding name, e.g. `JPEG` (compare case-insensitively).
    pub encoding: &'a str,
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Encoding parameters (channels for audio), if any.
    pub params: Option<&'a str>,
}

impl<'a> RtpMap<'a> {
    /// Reads the value of an `a=rtpmap` attribute.
    pub fn parse(value: &'a str) -> Option<RtpMap<'a>> {
        let (pt, rest) = value.trim().split_once(|c: char| c.is_ascii_whitespace())?;
        let mut parts = rest.trim().splitn(3, '/');
        let encoding = parts.next()?.trim();
        let clock_rate = parts.next()?.trim().parse().ok()?;
        Some(RtpMap {
            payload_type: pt.trim().parse().ok()?,
            encoding,
            clock_rate,
            params: parts.next().map(str::trim),
        })
    }
}

/// One media description, from its `m=` line to the next (RFC 4566 §5.14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Media<'a> {
    /// Media type: `video`, `audio`, `application`, …
    pub kind: &'a str,
    /// Transport port (0 in RTSP, where SETUP negotiates ports).
    pub port: u16,
    /// Transport protocol, e.g. `RTP/AVP`.
    pub protocol: &'a str,
    /// The format list as written (payload types for RTP).
    pub formats: &'a str,
    /// Lines after the `m=` line, up to the next one.
    section: &'a [u8],
}

impl<'a> Media<'a> {
    fn parse(value: &'a str, section: &'a [u8]) -> Media<'a> {
        let mut f = value.split_ascii_whitespace();
        let kind = f.next().unwrap_or("");
        let port = f.next().unwrap_or("");
        let port = port
            .split('/')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let protocol = f.next().unwrap_or("");
        // The formats are the rest of the line after the protocol.
        let formats = value
            .find(protocol)
            .filter(|_| !protocol.is_empty())
            .and_then(|i| value.get(i + protocol.len()..))
            .unwrap_or("")
            .trim();
        Media {
            kind,
            port,
            protocol,
            formats,
            section,
        }
    }

    /// The RTP payload types listed in the `m=` line (unparsable entries are
    /// skipped).
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + 'a {
        self.formats
            .split_ascii_whitespace()
            .filter_map(|f| f.parse().ok())
    }

    /// Media-level attributes, in order.
    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'a>> + 'a {
        attributes(self.section)
    }

    /// The first media-level attribute called `name` (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<&'a str> {
        attribute(self.section, name)
    }

    /// Media-level `c=` connection data (RFC 4566 §5.7).
    pub fn connection(&self) -> Option<&'a str> {
        first(self.section, b'c')
    }

    /// Media-level `b=<modifier>:` bandwidth in kbit/s, e.g. `AS`.
    pub fn bandwidth(&self, modifier: &str) -> Option<u32> {
        bandwidth(self.section, modifier)
    }

    /// The `a=rtpmap` for payload type `pt`.
    pub fn rtpmap(&self, pt: u8) -> Option<RtpMap<'a>> {
        self.attributes()
            .filter(|a| a.name.eq_ignore_ascii_case("rtpmap"))
            .filter_map(|a| RtpMap::parse(a.value?))
            .find(|m| m.payload_type == pt)
    }

    /// The media-level `a=control` (RFC 2326 §C.1.1).
    pub fn control(&self) -> Option<Control<'a>> {
        self.attribute("control").map(Control::classify)
    }

    /// `a=framerate` (RFC 4566 §6), else `a=x-framerate`.
    pub fn framerate(&self) -> Option<Framerate> {
        self.attribute("framerate")
            .or_else(|| self.attribute("x-framerate"))
            .and_then(Framerate::parse)
    }

    /// Frame size from `a=x-dimensions:W,H` (GStreamer, cameras), else
    /// `a=framesize:<pt> W-H` (live555, 3GPP), else `a=cliprect:T,L,B,R`
    /// (QuickTime, RFC 2326-era servers).
    pub fn dimensions(&self) -> Option<(u16, u16)> {
        let pair = |v: &str, sep: char| -> Option<(u16, u16)> {
            let (w, h) = v.split_once(sep)?;
            Some((w.trim().parse().ok()?, h.trim().parse().ok()?))
        };
        if let Some(d) = self.attribute("x-dimensions").and_then(|v| pair(v, ',')) {
            return Some(d);
        }
        if let Some(v) = self.attribute("framesize") {
            let size = v.split_ascii_whitespace().nth(1).unwrap_or(v);
            if let Some(d) = pair(size, '-') {
                return Some(d);
            }
        }
        let rect = self.attribute("cliprect")?;
        let mut n = rect.split(',').map(|x| x.trim().parse::<u16>().ok());
        let (top, left, bottom, right) = (n.next()??, n.next()??, n.next()??, n.next()??);
        Some((right.checked_sub(left)?, bottom.checked_sub(top)?))
    }
}

/// A JPEG video stream found in a description (RFC 2435 §3, RFC 4566 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct JpegVideo<'a> {
    /// Payload type: 26, or the dynamic one bound to `JPEG/90000`.
    pub payload_type: u8,
    /// RTP clock rate (90000).
    pub clock_rate: u32,
    /// Media-level control, else the session-level one.
    pub control: Option<Control<'a>>,
    /// `a=framerate` / `a=x-framerate` (media, else session level).
    pub framerate: Option<Framerate>,
    /// Size from `a=x-dimensions` (or `framesize`, `cliprect`), if given;
    /// otherwise the RTP/JPEG headers tell.
    pub dimensions: Option<(u16, u16)>,
    /// `a=range` (media, else session level): the length of a file.
    pub range: Option<NptRange>,
    /// `b=AS` in kbit/s (media, else session level).
    pub bandwidth_kbps: Option<u32>,
}

/// A parsed session description, borrowing the input (RFC 4566 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SessionDescription<'a> {
    /// Session-level lines (before the first `m=`).
    session: &'a [u8],
    /// From the first `m=` line on.
    media: &'a [u8],
}

impl<'a> SessionDescription<'a> {
    /// Accepts any text with a `v=` line; unknown or malformed lines are
    /// ignored rather than refused (RFC 4566 §5: "be tolerant").
    pub fn parse(text: &'a [u8]) -> Result<SessionDescription<'a>, Error> {
        let mut rest = text;
        let mut seen_v = false;
        let mut split = text.len();
        while let Some((line, after)) = next_line(rest) {
            match typed(line) {
                Some((b'v', _)) => seen_v = true,
                Some((b'm', _)) => {
                    split = text.len() - rest.len();
                    break;
                }
                _ => {}
            }
            rest = after;
        }
        if !seen_v {
            return Err(Error::NotSdp);
        }
        Ok(SessionDescription {
            session: text.get(..split).unwrap_or(&[]),
            media: text.get(split..).unwrap_or(&[]),
        })
    }

    /// `v=` (RFC 4566 §5.1; always `0`).
    pub fn version(&self) -> Option<&'a str> {
        first(self.session, b'v')
    }

    /// `o=` (RFC 4566 §5.2), if well formed.
    pub fn origin(&self) -> Option<Origin<'a>> {
        let mut f = first(self.session, b'o')?.split_ascii_whitespace();
        let (username, session_id, session_version) = (f.next()?, f.next()?, f.next()?);
        let _net = f.next()?;
        Some(Origin {
            username,
            session_id,
            session_version,
            address_type: f.next()?,
            address: f.next()?,
        })
    }

    /// `s=` (RFC 4566 §5.3).
    pub fn session_name(&self) -> Option<&'a str> {
        first(self.session, b's')
    }

    /// Session-level `c=` (RFC 4566 §5.7).
    pub fn connection(&self) -> Option<&'a str> {
        first(self.session, b'c')
    }

    /// Session-level `b=<modifier>:` in kbit/s (RFC 4566 §5.8).
    pub fn bandwidth(&self, modifier: &str) -> Option<u32> {
        bandwidth(self.session, modifier)
    }

    /// Session-level attributes, in order.
    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'a>> + 'a {
        attributes(self.session)
    }

    /// The first session-level attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&'a str> {
        attribute(self.session, name)
    }

    /// Session-level `a=control` (aggregate control, RFC 2326 §C.1.1).
    pub fn control(&self) -> Option<Control<'a>> {
        self.attribute("control").map(Control::classify)
    }

    /// Session-level `a=range` (RFC 2326 §C.1.5).
    pub fn range(&self) -> Option<NptRange> {
        self.attribute("range").and_then(NptRange::parse)
    }

    /// The media descriptions, in order.
    pub fn media(&self) -> impl Iterator<Item = Media<'a>> + 'a {
        let mut rest = self.media;
        core::iter::from_fn(move || loop {
            let (line, after) = next_line(rest)?;
            rest = after;
            let Some((b'm', value)) = typed(line) else {
                continue;
            };
            // The section runs to the next m= line.
            let mut end = rest;
            let mut len = 0;
            while let Some((l, a)) = next_line(end) {
                if matches!(typed(l), Some((b'm', _))) {
                    break;
                }
                len = rest.len() - a.len();
                end = a;
            }
            let section = rest.get(..len).unwrap_or(&[]);
            rest = rest.get(len..).unwrap_or(&[]);
            return Some(Media::parse(value, section));
        })
    }

    /// The first video stream carrying JPEG: payload type 26 (RFC 3551), or
    /// any type mapped to `JPEG/<rate>` by `a=rtpmap` (case-insensitive).
    pub fn jpeg_video(&self) -> Option<JpegVideo<'a>> {
        self.media()
            .filter(|m| m.kind.eq_ignore_ascii_case("video"))
            .find_map(|m| {
                let (payload_type, clock_rate) =
                    m.payload_types().find_map(|pt| match m.rtpmap(pt) {
                        Some(map) if map.encoding.eq_ignore_ascii_case("JPEG") => {
                            Some((pt, map.clock_rate))
                        }
                        Some(_) => None,
                        None if pt == super::super::rtp::PayloadType::JPEG => Some((pt, 90_000)),
                        None => None,
                    })?;
                Some(JpegVideo {
                    payload_type,
                    clock_rate,
                    control: m.control().or_else(|| self.control()),
                    framerate: m.framerate().or_else(|| {
                        self.attribute("framerate")
                            .or_else(|| self.attribute("x-framerate"))
                            .and_then(Framerate::parse)
                    }),
                    dimensions: m.dimensions(),
                    range: m
                        .attribute("range")
                        .and_then(NptRange::parse)
                        .or_else(|| self.range()),
                    bandwidth_kbps: m.bandwidth("AS").or_else(|| self.bandwidth("AS")),
                })
            })
    }
}
