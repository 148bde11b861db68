//! RTP payload format for JPEG (RFC 2435).
