//! RTSP methods (RFC 2326 §10, RFC 7826 §13).

use core::fmt;

/// An RTSP method (RFC 2326 §6.1 and §10). Methods are case-sensitive
/// tokens; anything this crate does not know is kept as [`Method::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Method<'a> {
    /// OPTIONS (RFC 2326 §10.1).
    Options,
    /// DESCRIBE (RFC 2326 §10.2).
    Describe,
    /// ANNOUNCE (RFC 2326 §10.3).
    Announce,
    /// SETUP (RFC 2326 §10.4).
    Setup,
    /// PLAY (RFC 2326 §10.5).
    Play,
    /// PAUSE (RFC 2326 §10.6).
    Pause,
    /// TEARDOWN (RFC 2326 §10.7).
    Teardown,
    /// GET_PARAMETER (RFC 2326 §10.8).
    GetParameter,
    /// SET_PARAMETER (RFC 2326 §10.9).
    SetParameter,
    /// REDIRECT (RFC 2326 §10.10).
    Redirect,
    /// RECORD (RFC 2326 §10.11).
    Record,
    /// PLAY_NOTIFY (RFC 7826 §13.5).
    PlayNotify,
    /// An extension method (RFC 2326 §6.1 `extension-method`), kept verbatim.
    Unknown(&'a str),
}

/// Every method this crate names, in RFC 2326 §10 order (used by
/// [`MethodSet`](crate::rtsp::header::MethodSet) as bit positions).
pub(crate) const KNOWN: [Method<'static>; 12] = [
    Method::Options,
    Method::Describe,
    Method::Announce,
    Method::Setup,
    Method::Play,
    Method::Pause,
    Method::Teardown,
    Method::GetParameter,
    Method::SetParameter,
    Method::Redirect,
    Method::Record,
    Method::PlayNotify,
];

impl<'a> Method<'a> {
    /// Reads a method token; unknown tokens become [`Method::Unknown`].
    pub fn from_token(token: &'a str) -> Self {
        match token {
            "OPTIONS" => Method::Options,
            "DESCRIBE" => Method::Describe,
            "ANNOUNCE" => Method::Announce,
            "SETUP" => Method::Setup,
            "PLAY" => Method::Play,
            "PAUSE" => Method::Pause,
            "TEARDOWN" => Method::Teardown,
            "GET_PARAMETER" => Method::GetParameter,
            "SET_PARAMETER" => Method::SetParameter,
            "REDIRECT" => Method::Redirect,
            "RECORD" => Method::Record,
            "PLAY_NOTIFY" => Method::PlayNotify,
            other => Method::Unknown(other),
        }
    }

    /// The method token as written on the wire.
    pub fn as_str(&self) -> &'a str {
        match self {
            Method::Options => "OPTIONS",
            Method::Describe => "DESCRIBE",
            Method::Announce => "ANNOUNCE",
            Method::Setup => "SETUP",
            Method::Play => "PLAY",
            Method::Pause => "PAUSE",
            Method::Teardown => "TEARDOWN",
            Method::GetParameter => "GET_PARAMETER",
            Method::SetParameter => "SET_PARAMETER",
            Method::Redirect => "REDIRECT",
            Method::Record => "RECORD",
            Method::PlayNotify => "PLAY_NOTIFY",
            Method::Unknown(token) => token,
        }
    }

    /// Bit position in a [`MethodSet`](crate::rtsp::header::MethodSet), for
    /// known methods.
    pub(crate) fn bit(&self) -> Option<u16> {
        KNOWN.iter().position(|m| m == self).map(|i| 1u16 << i)
    }
}

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_unknown_is_kept() {
        for m in KNOWN {
            assert_eq!(Method::from_token(m.as_str()), m);
        }
        assert_eq!(Method::from_token("FLY"), Method::Unknown("FLY"));
        // Methods are case-sensitive (RFC 2326 §6.1).
        assert_eq!(Method::from_token("play"), Method::Unknown("play"));
    }
}
