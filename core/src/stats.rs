//! Reception statistics (RFC 3550 A.1, A.3, A.8).
