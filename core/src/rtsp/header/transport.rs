//! `Transport` (RFC 2326 §12.39, RFC 7826 §18.54).
//!
//! ```text
//! Transport      = "Transport" ":" 1#transport-spec
//! transport-spec = transport-protocol/profile[/lower-transport] *parameter
//! parameter      = ( "unicast" | "multicast" ) | ";" "destination" [ "=" address ]
//!                | ";" "interleaved" "=" channel [ "-" channel ] | ";" "ttl" "=" ttl
//!                | ";" "port" "=" port [ "-" port ] | ";" "client_port" "=" port [ "-" port ]
//!                | ";" "server_port" "=" port [ "-" port ] | ";" "ssrc" "=" ssrc
//!                | ";" "mode" = <"> 1#mode <">  | ";" "append" | ";" "layers" "=" 1*DIGIT
//! ```

use core::fmt;

use super::{invalid, names, parse_decimal, split_unquoted, trim_str, unquote};
use crate::limits::TRANSPORT_MAX_ALTERNATIVES;
use crate::rtsp::Error;

/// The `transport-protocol/profile` part (RFC 2326 §12.39; RFC 3550, 3711,
/// 4585 profiles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Profile<'a> {
    /// `RTP/AVP` (RFC 3551).
    Avp,
    /// `RTP/AVPF` (RFC 4585).
    Avpf,
    /// `RTP/SAVP` (RFC 3711).
    Savp,
    /// `RTP/SAVPF` (RFC 5124).
    Savpf,
    /// Anything else, e.g. `RAW/RAW`, kept verbatim.
    Unknown(&'a str),
}

/// The lower transport (RFC 2326 §12.39; absent means UDP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LowerTransport {
    /// `/UDP`.
    Udp,
    /// `/TCP`: interleaved on the RTSP connection (RFC 2326 §10.12).
    Tcp,
}

/// `unicast` or `multicast` (RFC 2326 §12.39).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Cast {
    /// `unicast`.
    Unicast,
    /// `multicast`.
    Multicast,
}

/// `mode=` (RFC 2326 §12.39): the method the transport is set up for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Mode<'a> {
    /// `PLAY` (the default).
    Play,
    /// `RECORD`.
    Record,
    /// Another mode list, verbatim without quotes.
    Unknown(&'a str),
}

/// A UDP port pair `rtp[-rtcp]` (RFC 2326 §12.39). RTCP conventionally
/// uses `rtp + 1` when the second port is absent (RFC 3550 §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PortPair {
    /// The RTP port.
    pub rtp: u16,
    /// The RTCP port, if given.
    pub rtcp: Option<u16>,
}

impl PortPair {
    /// An `rtp-rtcp` pair.
    pub const fn new(rtp: u16, rtcp: u16) -> Self {
        PortPair {
            rtp,
            rtcp: Some(rtcp),
        }
    }

    /// The RTCP port, defaulting to `rtp + 1` (RFC 3550 §11).
    pub fn rtcp_port(&self) -> u16 {
        self.rtcp.unwrap_or(self.rtp.wrapping_add(1))
    }
}

/// Interleaved channels `rtp[-rtcp]` (RFC 2326 §10.12, §12.39).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ChannelPair {
    /// Channel of RTP frames.
    pub rtp: u8,
    /// Channel of RTCP frames, if given.
    pub rtcp: Option<u8>,
}

impl ChannelPair {
    /// An `rtp-rtcp` pair.
    pub const fn new(rtp: u8, rtcp: u8) -> Self {
        ChannelPair {
            rtp,
            rtcp: Some(rtcp),
        }
    }

    /// The RTCP channel, defaulting to `rtp + 1`.
    pub fn rtcp_channel(&self) -> u8 {
        self.rtcp.unwrap_or(self.rtp.wrapping_add(1))
    }
}

/// One `transport-spec` (RFC 2326 §12.39). Parameters this crate does not
/// model (`append`, `layers`, vendor extensions) are skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Transport<'a> {
    /// `RTP/AVP` and friends.
    pub profile: Profile<'a>,
    /// `/UDP` or `/TCP` if written; `None` means UDP.
    pub lower: Option<LowerTransport>,
    /// `unicast` / `multicast`, if given.
    pub cast: Option<Cast>,
    /// `destination=`: where the client wants the media sent.
    pub destination: Option<&'a str>,
    /// `source=`: where the server sends from.
    pub source: Option<&'a str>,
    /// `interleaved=`: channels on the RTSP connection.
    pub interleaved: Option<ChannelPair>,
    /// `ttl=` for multicast.
    pub ttl: Option<u8>,
    /// `port=` for multicast.
    pub port: Option<PortPair>,
    /// `client_port=`: the client's RTP/RTCP ports.
    pub client_port: Option<PortPair>,
    /// `server_port=`: the server's RTP/RTCP ports.
    pub server_port: Option<PortPair>,
    /// `ssrc=`: the sender's SSRC, in hexadecimal on the wire.
    pub ssrc: Option<u32>,
    /// `mode=`.
    pub mode: Option<Mode<'a>>,
}

impl<'a> Transport<'a> {
    /// A bare `RTP/AVP` spec, to fill in.
    pub const fn rtp_avp() -> Self {
        Transport {
            profile: Profile::Avp,
            lower: None,
            cast: None,
            destination: None,
            source: None,
            interleaved: None,
            ttl: None,
            port: None,
            client_port: None,
            server_port: None,
            ssrc: None,
            mode: None,
        }
    }

    /// Whether media goes over the RTSP TCP connection.
    pub fn is_tcp(&self) -> bool {
        self.lower == Some(LowerTransport::Tcp)
    }

    /// Whether the spec asks for multicast.
    pub fn is_multicast(&self) -> bool {
        self.cast == Some(Cast::Multicast)
    }

    /// Reads one transport-spec (no commas).
    pub fn parse(spec: &'a str) -> Result<Self, Error> {
        let err = invalid(names::TRANSPORT);
        let mut params = split_unquoted(spec, b';').map(trim_str);
        let head = params.next().unwrap_or_default();
        let mut t = Transport::rtp_avp();
        let mut parts = head.split('/');
        let proto = parts.next().unwrap_or_default();
        let profile = parts.next().ok_or(err)?;
        let lower = parts.next();
        if parts.next().is_some() {
            return Err(err);
        }
        t.profile = if proto.eq_ignore_ascii_case("RTP") {
            match profile {
                p if p.eq_ignore_ascii_case("AVP") => Profile::Avp,
                p if p.eq_ignore_ascii_case("AVPF") => Profile::Avpf,
                p if p.eq_ignore_ascii_case("SAVP") => Profile::Savp,
                p if p.eq_ignore_ascii_case("SAVPF") => Profile::Savpf,
                _ => Profile::Unknown(
                    head.get(..head.len().saturating_sub(lower.map_or(0, |l| l.len() + 1)))
                        .ok_or(err)?,
                ),
            }
        } else {
            if proto.is_empty() || profile.is_empty() || !head.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err(err);
            }
            Profile::Unknown(
                head.get(..head.len().saturating_sub(lower.map_or(0, |l| l.len() + 1)))
                    .ok_or(err)?,
            )
        };
        t.lower = match lower {
            None => None,
            Some(l) if l.eq_ignore_ascii_case("UDP") => Some(LowerTransport::Udp),
            Some(l) if l.eq_ignore_ascii_case("TCP") => Some(LowerTransport::Tcp),
            Some(_) => return Err(err),
        };
        for param in params.filter(|p| !p.is_empty()) {
            let (key, value) = match param.split_once('=') {
                Some((k, v)) => (trim_str(k), Some(trim_str(v))),
                None => (param, None),
            };
            match (key, value) {
                (k, None) if k.eq_ignore_ascii_case("unicast") => t.cast = Some(Cast::Unicast),
                (k, None) if k.eq_ignore_ascii_case("multicast") => t.cast = Some(Cast::Multicast),
                (k, Some(v)) if k.eq_ignore_ascii_case("destination") => {
                    t.destination = Some(unquote(v))
                }
                (k, Some(v)) if k.eq_ignore_ascii_case("source") => t.source = Some(unquote(v)),
                (k, Some(v)) if k.eq_ignore_ascii_case("interleaved") => {
                    let (a, b) = range_pair::<u8>(v).ok_or(err)?;
                    t.interleaved = Some(ChannelPair { rtp: a, rtcp: b });
                }
                (k, Some(v)) if k.eq_ignore_ascii_case("ttl") => {
                    t.ttl = Some(parse_decimal(v.as_bytes()).ok_or(err)?);
                }
                (k, Some(v)) if k.eq_ignore_ascii_case("port") => {
                    t.port = Some(port_pair(v).ok_or(err)?)
                }
                (k, Some(v)) if k.eq_ignore_ascii_case("client_port") => {
                    t.client_port = Some(port_pair(v).ok_or(err)?);
                }
                (k, Some(v)) if k.eq_ignore_ascii_case("server_port") => {
                    t.server_port = Some(port_pair(v).ok_or(err)?);
                }
                (k, Some(v)) if k.eq_ignore_ascii_case("ssrc") => {
                    let v = unquote(v);
                    if v.is_empty() || v.len() > 8 {
                        return Err(err);
                    }
                    t.ssrc = Some(u32::from_str_radix(v, 16).map_err(|_| err)?);
                }
                (k, Some(v)) if k.eq_ignore_ascii_case("mode") => {
                    let v = trim_str(unquote(v));
                    t.mode = Some(if v.eq_ignore_ascii_case("PLAY") {
                        Mode::Play
                    } else if v.eq_ignore_ascii_case("RECORD") {
                        Mode::Record
                    } else if !v.is_empty() && !v.contains('"') && !v.contains(';') {
                        Mode::Unknown(v)
                    } else {
                        return Err(err);
                    });
                }
                // `append`, `layers=`, vendor parameters: ignored (RFC 2326 §12.39
                // lets a server skip what it does not understand).
                _ => {}
            }
        }
        Ok(t)
    }
}

fn range_pair<T: TryFrom<u64> + Copy>(v: &str) -> Option<(T, Option<T>)> {
    match v.split_once('-') {
        Some((a, b)) => Some((
            parse_decimal(a.as_bytes())?,
            Some(parse_decimal(b.as_bytes())?),
        )),
        None => Some((parse_decimal(v.as_bytes())?, None)),
    }
}

fn port_pair(v: &str) -> Option<PortPair> {
    range_pair::<u16>(v).map(|(rtp, rtcp)| PortPair { rtp, rtcp })
}

impl fmt::Display for PortPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.rtp)?;
        if let Some(rtcp) = self.rtcp {
            write!(f, "-{rtcp}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ChannelPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.rtp)?;
        if let Some(rtcp) = self.rtcp {
            write!(f, "-{rtcp}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Transport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.profile {
            Profile::Avp => f.write_str("RTP/AVP")?,
            Profile::Avpf => f.write_str("RTP/AVPF")?,
            Profile::Savp => f.write_str("RTP/SAVP")?,
            Profile::Savpf => f.write_str("RTP/SAVPF")?,
            Profile::Unknown(p) => f.write_str(p)?,
        }
        match self.lower {
            Some(LowerTransport::Udp) => f.write_str("/UDP")?,
            Some(LowerTransport::Tcp) => f.write_str("/TCP")?,
            None => {}
        }
        match self.cast {
            Some(Cast::Unicast) => f.write_str(";unicast")?,
            Some(Cast::Multicast) => f.write_str(";multicast")?,
            None => {}
        }
        if let Some(d) = self.destination {
            write!(f, ";destination={d}")?;
        }
        if let Some(s) = self.source {
            write!(f, ";source={s}")?;
        }
        if let Some(c) = self.interleaved {
            write!(f, ";interleaved={c}")?;
        }
        if let Some(ttl) = self.ttl {
            write!(f, ";ttl={ttl}")?;
        }
        if let Some(p) = self.port {
            write!(f, ";port={p}")?;
        }
        if let Some(p) = self.client_port {
            write!(f, ";client_port={p}")?;
        }
        if let Some(p) = self.server_port {
            write!(f, ";server_port={p}")?;
        }
        if let Some(ssrc) = self.ssrc {
            write!(f, ";ssrc={ssrc:08X}")?;
        }
        match self.mode {
            Some(Mode::Play) => f.write_str(";mode=\"PLAY\"")?,
            // RFC 2326 §12.39 allows the bare method; ffmpeg's listening
            // recorder reads only that form (it keeps the quotes), and
            // writes it lower-case itself (methods match case-insensitively
            // there and in GStreamer).
            Some(Mode::Record) => f.write_str(";mode=record")?,
            Some(Mode::Unknown(m)) => write!(f, ";mode=\"{m}\"")?,
            None => {}
        }
        Ok(())
    }
}

/// The comma-separated alternatives of one `Transport:` header, in the
/// client's order of preference (RFC 2326 §12.39). At most
/// [`TRANSPORT_MAX_ALTERNATIVES`] are kept; later ones are dropped, since
/// a server picks the first it supports.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Transports<'a>(pub heapless::Vec<Transport<'a>, TRANSPORT_MAX_ALTERNATIVES>);

impl<'a> Transports<'a> {
    /// Reads every alternative; fails if any kept one is malformed.
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let mut list = heapless::Vec::new();
        for spec in split_unquoted(value, b',')
            .map(trim_str)
            .filter(|s| !s.is_empty())
        {
            let t = Transport::parse(spec)?;
            if list.push(t).is_err() {
                break;
            }
        }
        if list.is_empty() {
            return Err(invalid(names::TRANSPORT));
        }
        Ok(Transports(list))
    }

    /// The alternatives in order.
    pub fn iter(&self) -> impl Iterator<Item = &Transport<'a>> {
        self.0.iter()
    }
}

impl fmt::Display for Transports<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{t}")?;
        }
        Ok(())
    }
}
