//! The client's two URLs in one bounded buffer: the aggregate (presentation)
//! URL and the stream control URL (RFC 2326 C.1.1).

use crate::limits::CLIENT_URLS_MAX;
use crate::session::Error;

/// `base` then `control`, back to back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Urls {
    buf: heapless::String<CLIENT_URLS_MAX>,
    base_len: u16,
}

fn check(url: &str) -> Result<(), Error> {
    let lower = url
        .get(..7)
        .map(|s| s.eq_ignore_ascii_case("rtsp://"))
        .unwrap_or(false);
    let lower_s = url
        .get(..8)
        .map(|s| s.eq_ignore_ascii_case("rtsps://"))
        .unwrap_or(false);
    if (lower || lower_s) && url.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(Error::InvalidUrl)
    }
}

impl Urls {
    pub fn new(url: &str) -> Result<Self, Error> {
        check(url)?;
        let mut u = Urls {
            buf: heapless::String::new(),
            base_len: 0,
        };
        u.set_base(url)?;
        Ok(u)
    }

    /// The aggregate URL (requests on the whole presentation).
    pub fn base(&self) -> &str {
        self.buf
            .get(..usize::from(self.base_len))
            .unwrap_or_default()
    }

    /// The stream URL for SETUP (the base until the SDP says otherwise).
    pub fn control(&self) -> &str {
        match self.buf.get(usize::from(self.base_len)..) {
            Some(c) if !c.is_empty() => c,
            _ => self.base(),
        }
    }

    /// Replaces the base (from `Content-Base`) and forgets the control.
    pub fn set_base(&mut self, url: &str) -> Result<(), Error> {
        check(url)?;
        let len = u16::try_from(url.len()).map_err(|_| Error::UrlTooLong {
            limit: CLIENT_URLS_MAX,
        })?;
        self.buf.clear();
        self.buf.push_str(url).map_err(|_| Error::UrlTooLong {
            limit: CLIENT_URLS_MAX,
        })?;
        self.base_len = len;
        Ok(())
    }

    /// Resolves an SDP `a=control:` value against the base (RFC 2326
    /// C.1.1): absolute URLs as they are, `*` as the base, relative ones
    /// appended after a `/`.
    pub fn set_control(&mut self, control: &str) -> Result<(), Error> {
        let base_len = usize::from(self.base_len);
        self.buf.truncate(base_len);
        if control.is_empty() || control == "*" {
            return Ok(());
        }
        let too_long = Error::UrlTooLong {
            limit: CLIENT_URLS_MAX,
        };
        if control.contains("://") {
            check(control)?;
            return self.buf.push_str(control).map_err(|_| too_long);
        }
        let base = self.base().split('?').next().unwrap_or_default();
        let base_end = base.len();
        // Copy the base (without query) again after itself, then the control.
        let mut joined = heapless::String::<CLIENT_URLS_MAX>::new();
        joined
            .push_str(self.buf.get(..base_end).unwrap_or_default())
            .map_err(|_| too_long)?;
        if !joined.ends_with('/') && !control.starts_with('/') {
            joined.push('/').map_err(|_| too_long)?;
        }
        joined.push_str(control).map_err(|_| too_long)?;
        self.buf.push_str(&joined).map_err(|_| too_long)
    }
}
