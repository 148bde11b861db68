//! RTP payload types (RFC 3551 §6, Tables 4 and 5; RFC 3550 §5.1 "PT").

use core::fmt;

/// A 7-bit RTP payload type (RFC 3550 §5.1). The static assignments of
/// RFC 3551 §6 that a video stack meets are named; 96–127 are dynamic
/// (bound by SDP `a=rtpmap`); anything else is kept as `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PayloadType {
    /// 0: G.711 µ-law audio (RFC 3551 §4.5.14).
    Pcmu,
    /// 8: G.711 A-law audio (RFC 3551 §4.5.14).
    Pcma,
    /// 14: MPEG audio (RFC 2250).
    Mpa,
    /// 26: JPEG video (RFC 2435), the payload this stack carries.
    Jpeg,
    /// 31: H.261 video (RFC 4587).
    H261,
    /// 32: MPEG-1/2 video (RFC 2250).
    Mpv,
    /// 33: MPEG-2 transport stream (RFC 2250).
    Mp2t,
    /// 34: H.263 video (RFC 2190).
    H263,
    /// 96–127: dynamic, meaning given by SDP `a=rtpmap` (RFC 3551 §3).
    Dynamic(u8),
    /// Any other value (reserved, unassigned or unnamed here).
    Unknown(u8),
}

impl PayloadType {
    /// RFC 2435 §3: the static payload type for JPEG.
    pub const JPEG: u8 = 26;
}

impl From<u8> for PayloadType {
    /// Maps the low 7 bits of `value` (the PT field is 7 bits wide).
    fn from(value: u8) -> Self {
        match value & 0x7f {
            0 => PayloadType::Pcmu,
            8 => PayloadType::Pcma,
            14 => PayloadType::Mpa,
            26 => PayloadType::Jpeg,
            31 => PayloadType::H261,
            32 => PayloadType::Mpv,
            33 => PayloadType::Mp2t,
            34 => PayloadType::H263,
            pt @ 96..=127 => PayloadType::Dynamic(pt),
            pt => PayloadType::Unknown(pt),
        }
    }
}

impl From<PayloadType> for u8 {
    fn from(pt: PayloadType) -> u8 {
        match pt {
            PayloadType::Pcmu => 0,
            PayloadType::Pcma => 8,
            PayloadType::Mpa => 14,
            PayloadType::Jpeg => 26,
            PayloadType::H261 => 31,
            PayloadType::Mpv => 32,
            PayloadType::Mp2t => 33,
            PayloadType::H263 => 34,
            PayloadType::Dynamic(pt) | PayloadType::Unknown(pt) => pt & 0x7f,
        }
    }
}

impl fmt::Display for PayloadType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadType::Pcmu => f.write_str("PCMU"),
            PayloadType::Pcma => f.write_str("PCMA"),
            PayloadType::Mpa => f.write_str("MPA"),
            PayloadType::Jpeg => f.write_str("JPEG"),
            PayloadType::H261 => f.write_str("H261"),
            PayloadType::Mpv => f.write_str("MPV"),
            PayloadType::Mp2t => f.write_str("MP2T"),
            PayloadType::H263 => f.write_str("H263"),
            PayloadType::Dynamic(pt) => write!(f, "dynamic {pt}"),
            PayloadType::Unknown(pt) => write!(f, "unknown {pt}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips() {
        for v in 0u8..128 {
            assert_eq!(u8::from(PayloadType::from(v)), v);
        }
        assert_eq!(PayloadType::from(26), PayloadType::Jpeg);
        assert_eq!(PayloadType::from(96), PayloadType::Dynamic(96));
        assert_eq!(PayloadType::from(72), PayloadType::Unknown(72));
    }
}
