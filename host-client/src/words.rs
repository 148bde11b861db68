//! RTSP status codes in plain words (RFC 2326 §7.1.1, §11), for people
//! learning the protocol at the prompt.

/// What a status code means for the user of this client.
pub fn meaning(code: u16) -> &'static str {
    match code {
        200 => "accepted",
        301 | 302 => "the presentation moved elsewhere",
        400 => "the server could not understand our request",
        401 => "the server wants a user name and password",
        403 => "the server refuses this request",
        404 => "no such presentation on the server (check the file name)",
        405 => "the server does not allow this method here",
        406 => "the server cannot answer in a form we accept",
        408 => "the server gave up waiting for us",
        415 => "the server does not support this media type",
        451 => "the server did not understand a parameter",
        453 => "the server does not have the bandwidth (too many clients)",
        454 => "the server does not know our session (it may have expired)",
        455 => "this method is not valid in the session's current state",
        456 => "a header field is not valid for this resource",
        457 => "the requested range is not valid",
        459 => "the server does not allow aggregate control here",
        460 => "the server only allows aggregate control here",
        461 => "the server does not support the transport we asked for",
        462 => "the server cannot reach our address",
        500 => "the server failed internally",
        501 => "the server does not implement this method",
        503 => "the server is overloaded or unavailable",
        505 => "the server does not speak our RTSP version",
        551 => "the server does not support an option we required",
        _ => match code / 100 {
            1 => "informational",
            2 => "accepted",
            3 => "redirection",
            4 => "the request was refused",
            _ => "the server failed",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_codes_have_words() {
        assert!(meaning(404).contains("no such presentation"));
        assert!(meaning(454).contains("session"));
        assert!(meaning(461).contains("transport"));
        assert_eq!(meaning(299), "accepted");
    }
}
