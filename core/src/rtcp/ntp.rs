//! NTP timestamps as RTCP carries them (RFC 3550 §4 and §6.4.1).
//!
//! The core reads no clock: the host turns its wall clock into an
//! [`NtpTimestamp`] with [`NtpTimestamp::from_unix_micros`] and hands it in.

use crate::time::Duration;

/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
pub const NTP_UNIX_OFFSET_SECS: u64 = 2_208_988_800;

/// A 64-bit NTP timestamp: seconds since 1900 in the high 32 bits, the
/// binary fraction of a second in the low 32 (RFC 3550 §4, RFC 5905 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NtpTimestamp(pub u64);

impl NtpTimestamp {
    /// Converts microseconds since the Unix epoch (what a host's wall clock
    /// gives) to NTP time. Wraps in 2036 as NTP era 0 does (RFC 3550 §4).
    pub fn from_unix_micros(micros: u64) -> NtpTimestamp {
        let secs = micros / 1_000_000 + NTP_UNIX_OFFSET_SECS;
        let frac = ((micros % 1_000_000) << 32) / 1_000_000;
        NtpTimestamp((secs << 32) | frac)
    }

    /// Microseconds since the Unix epoch, or `None` before 1970.
    pub fn to_unix_micros(self) -> Option<u64> {
        let secs = self.seconds().checked_sub(NTP_UNIX_OFFSET_SECS)?;
        let frac_micros = (u64::from(self.fraction()) * 1_000_000) >> 32;
        Some(secs * 1_000_000 + frac_micros)
    }

    /// Whole seconds since 1900 (the most significant word).
    pub const fn seconds(self) -> u64 {
        self.0 >> 32
    }

    /// Fraction of a second in units of 2^-32 s (the least significant word).
    pub const fn fraction(self) -> u32 {
        // Truncation keeps exactly the low word.
        self.0 as u32
    }

    /// The middle 32 bits, which an RR block echoes as "last SR timestamp
    /// (LSR)" (RFC 3550 §6.4.1).
    pub const fn middle32(self) -> u32 {
        // Truncation keeps exactly bits 16..48.
        (self.0 >> 16) as u32
    }
}

/// A duration in the units of an RR block's "delay since last SR (DLSR)",
/// 1/65536 s (RFC 3550 §6.4.1), saturating at `u32::MAX`.
pub fn dlsr_from_duration(d: Duration) -> u32 {
    let units = (u128::from(d.as_micros()) << 16) / 1_000_000;
    u32::try_from(units).unwrap_or(u32::MAX)
}

/// Round-trip time from an RR block received at `arrival` (NTP, middle 32
/// bits) with its LSR and DLSR (RFC 3550 §6.4.1, "A - LSR - DLSR"); `None`
/// when LSR is 0 (no SR received yet) or the result would be negative.
pub fn round_trip(arrival_middle32: u32, lsr: u32, dlsr: u32) -> Option<Duration> {
    if lsr == 0 {
        return None;
    }
    let rtt = arrival_middle32.checked_sub(lsr)?.checked_sub(dlsr)?;
    Some(Duration::from_micros((u64::from(rtt) * 1_000_000) >> 16))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_conversion_matches_rfc_epoch() {
        // 2023-11-14T22:13:20.5Z = Unix 1_700_000_000.5 s.
        let ntp = NtpTimestamp::from_unix_micros(1_700_000_000_500_000);
        assert_eq!(ntp.seconds(), 1_700_000_000 + 2_208_988_800);
        assert_eq!(ntp.fraction(), 0x8000_0000);
        assert_eq!(ntp.to_unix_micros(), Some(1_700_000_000_500_000));
        assert_eq!(NtpTimestamp(0).to_unix_micros(), None);
    }

    #[test]
    fn middle_bits_and_rtt() {
        // RFC 3550 §6.4.1 example: A = 0xb710:8000 (46864.500 s),
        // LSR = 0xb705:2000 (46853.125 s), DLSR = 0x0005:4000 (5.250 s),
        // so the round trip is 6.125 s.
        let a = NtpTimestamp(0x0000_b710_8000_0000);
        assert_eq!(a.middle32(), 0xb710_8000);
        let rtt = round_trip(0xb710_8000, 0xb705_2000, 0x0005_4000).unwrap();
        assert_eq!(rtt, Duration::from_micros(6_125_000));
        assert_eq!(
            dlsr_from_duration(Duration::from_micros(5_250_000)),
            0x0005_4000
        );
        assert_eq!(round_trip(1, 0, 0), None);
    }
}
