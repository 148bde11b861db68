//! RTSP status codes (RFC 2326 §7.1.1 and §11).

use core::fmt;

macro_rules! status_codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal, $reason:literal;)*) => {
        /// An RTSP status code (RFC 2326 §7.1.1, §11). Codes this crate does
        /// not name are kept as [`StatusCode::Unknown`]; their class (the first
        /// digit, RFC 2326 §11) still tells success from failure.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        #[non_exhaustive]
        pub enum StatusCode {
            $($(#[$doc])* $name,)*
            /// Any other three-digit code.
            Unknown(u16),
        }

        impl StatusCode {
            /// The numeric code.
            pub const fn as_u16(self) -> u16 {
                match self {
                    $(StatusCode::$name => $code,)*
                    StatusCode::Unknown(code) => code,
                }
            }

            /// Maps a numeric code to its variant.
            pub const fn from_u16(code: u16) -> Self {
                match code {
                    $($code => StatusCode::$name,)*
                    other => StatusCode::Unknown(other),
                }
            }

            /// The reason phrase RFC 2326 §7.1.1 recommends ("Unknown" for
            /// codes it does not list).
            pub const fn reason(self) -> &'static str {
                match self {
                    $(StatusCode::$name => $reason,)*
                    StatusCode::Unknown(_) => "Unknown",
                }
            }
        }
    };
}

status_codes! {
    /// 100 Continue.
    Continue = 100, "Continue";
    /// 200 OK.
    Ok = 200, "OK";
    /// 201 Created.
    Created = 201, "Created";
    /// 301 Moved Permanently.
    MovedPermanently = 301, "Moved Permanently";
    /// 302 Moved Temporarily.
    MovedTemporarily = 302, "Moved Temporarily";
    /// 400 Bad Request (RFC 2326 §11.4.1): malformed request.
    BadRequest = 400, "Bad Request";
    /// 401 Unauthorized.
    Unauthorized = 401, "Unauthorized";
    /// 403 Forbidden.
    Forbidden = 403, "Forbidden";
    /// 404 Not Found: unknown presentation or stream.
    NotFound = 404, "Not Found";
    /// 405 Method Not Allowed (RFC 2326 §11.4.5): sent with `Allow:`.
    MethodNotAllowed = 405, "Method Not Allowed";
    /// 406 Not Acceptable.
    NotAcceptable = 406, "Not Acceptable";
    /// 408 Request Timeout.
    RequestTimeout = 408, "Request Timeout";
    /// 413 Request Entity Too Large.
    RequestEntityTooLarge = 413, "Request Entity Too Large";
    /// 414 Request-URI Too Long.
    RequestUriTooLong = 414, "Request-URI Too Long";
    /// 415 Unsupported Media Type.
    UnsupportedMediaType = 415, "Unsupported Media Type";
    /// 451 Parameter Not Understood (RFC 2326 §11.3.1).
    ParameterNotUnderstood = 451, "Parameter Not Understood";
    /// 453 Not Enough Bandwidth (RFC 2326 §11.3.3): over capacity.
    NotEnoughBandwidth = 453, "Not Enough Bandwidth";
    /// 454 Session Not Found (RFC 2326 §11.3.4).
    SessionNotFound = 454, "Session Not Found";
    /// 455 Method Not Valid in This State (RFC 2326 §11.3.5).
    MethodNotValidInThisState = 455, "Method Not Valid in This State";
    /// 456 Header Field Not Valid for Resource.
    HeaderFieldNotValid = 456, "Header Field Not Valid for Resource";
    /// 457 Invalid Range (RFC 2326 §11.3.7).
    InvalidRange = 457, "Invalid Range";
    /// 459 Aggregate Operation Not Allowed (RFC 2326 §11.3.10).
    AggregateOperationNotAllowed = 459, "Aggregate Operation Not Allowed";
    /// 460 Only Aggregate Operation Allowed (RFC 2326 §11.3.11).
    OnlyAggregateOperationAllowed = 460, "Only Aggregate Operation Allowed";
    /// 461 Unsupported Transport (RFC 2326 §11.3.12).
    UnsupportedTransport = 461, "Unsupported Transport";
    /// 462 Destination Unreachable (RFC 2326 §11.3.13).
    DestinationUnreachable = 462, "Destination Unreachable";
    /// 500 Internal Server Error.
    InternalServerError = 500, "Internal Server Error";
    /// 501 Not Implemented (RFC 2326 §11.5.1): unknown method.
    NotImplemented = 501, "Not Implemented";
    /// 502 Bad Gateway (RFC 2326 §7.1.1): a relay's origin refused it.
    BadGateway = 502, "Bad Gateway";
    /// 503 Service Unavailable: over capacity.
    ServiceUnavailable = 503, "Service Unavailable";
    /// 504 Gateway Time-out (RFC 2326 §7.1.1): a relay's origin is not
    /// reachable or sent nothing in time.
    GatewayTimeout = 504, "Gateway Time-out";
    /// 505 RTSP Version Not Supported.
    VersionNotSupported = 505, "RTSP Version not supported";
    /// 551 Option Not Supported (RFC 2326 §11.3.14): unknown `Require:` tag.
    OptionNotSupported = 551, "Option not supported";
}

impl StatusCode {
    /// True for 2xx (RFC 2326 §11: success).
    pub const fn is_success(self) -> bool {
        matches!(self.as_u16(), 200..=299)
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.as_u16(), self.reason())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_both_ways() {
        for code in 100..600 {
            assert_eq!(StatusCode::from_u16(code).as_u16(), code);
        }
        assert_eq!(StatusCode::from_u16(454), StatusCode::SessionNotFound);
        assert_eq!(StatusCode::from_u16(299), StatusCode::Unknown(299));
        assert!(StatusCode::Unknown(299).is_success());
        assert_eq!(
            std::format!("{}", StatusCode::UnsupportedTransport),
            "461 Unsupported Transport"
        );
    }
}
