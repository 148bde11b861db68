//! RTSP messages and headers (RFC 2326, RFC 7826).
