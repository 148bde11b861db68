//! Sans-IO RTSP sessions (RFC 2326 Appendix A).
