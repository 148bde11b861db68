//! RTCP (RFC 3550 §6).
