//! RTP fixed header and sequence arithmetic (RFC 3550 §5).
