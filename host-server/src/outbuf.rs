//! A connection's bounded output queue (RTSP responses and, for
//! TCP-interleaved sessions, RTP/RTCP frames per RFC 2326 §10.12).
//!
//! The queue never grows past its capacity: a media frame that does not fit
//! whole is refused (the caller drops and counts it), so a slow reader costs
//! only its own frames and never blocks the event loop or grows memory.
//! RTSP responses are always accepted (they are small and few).

use std::io::{self, Write};

/// Bytes of media queued per connection before frames are dropped: about a
/// second of a 2 Mbit/s stream.
pub const MEDIA_QUEUE: usize = 256 * 1024;

/// A byte queue written from the front.
#[derive(Debug)]
pub struct OutBuf {
    buf: Vec<u8>,
    head: usize,
}

impl Default for OutBuf {
    fn default() -> Self {
        OutBuf {
            buf: Vec::with_capacity(MEDIA_QUEUE + 16 * 1024),
            head: 0,
        }
    }
}

impl OutBuf {
    /// Bytes waiting to be written.
    pub fn len(&self) -> usize {
        self.buf.len() - self.head
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `n` more media bytes fit under [`MEDIA_QUEUE`].
    pub fn has_room(&self, n: usize) -> bool {
        self.len() + n <= MEDIA_QUEUE
    }

    /// Appends bytes (callers check [`OutBuf::has_room`] for media).
    pub fn push(&mut self, b: &[u8]) {
        if self.head > 0 && self.buf.len() + b.len() > self.buf.capacity() {
            // Move the unsent tail to the front instead of growing.
            self.buf.drain(..self.head);
            self.head = 0;
        }
        self.buf.extend_from_slice(b);
    }

    /// Writes as much as the socket takes. `Ok(true)` when all is sent.
    pub fn flush_to(&mut self, w: &mut impl Write) -> io::Result<bool> {
        while self.head < self.buf.len() {
            match w.write(&self.buf[self.head..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.head += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.buf.clear();
        self.head = 0;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer taking at most `n` bytes per call, then refusing.
    struct Trickle(Vec<u8>, usize);
    impl Write for Trickle {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            if self.1 == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = b.len().min(self.1);
            self.1 -= n;
            self.0.extend_from_slice(&b[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn partial_writes_keep_order_and_bound() {
        let mut q = OutBuf::default();
        q.push(b"hello ");
        q.push(b"world");
        let mut w = Trickle(Vec::new(), 4);
        assert!(!q.flush_to(&mut w).unwrap());
        assert_eq!(q.len(), 7);
        w.1 = 100;
        assert!(q.flush_to(&mut w).unwrap());
        assert_eq!(w.0, b"hello world");
        assert!(q.has_room(MEDIA_QUEUE));
        q.push(&[0; 10]);
        assert!(!q.has_room(MEDIA_QUEUE));
    }
}
