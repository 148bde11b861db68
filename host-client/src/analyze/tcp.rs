//! RTP interleaved on RTSP connections (RFC 2326 §10.12) in a capture:
//! each TCP direction's bytes are put back in order by sequence number and
//! cut into messages with `rtsp_core::rtsp::parse`, which yields the
//! `$`-framed packets.

use std::collections::HashMap;
use std::net::SocketAddr;

use rtsp_core::limits::RTSP_MAX_HEADERS;
use rtsp_core::rtsp::{self, Header, Message, Status};

/// Longest backlog kept per direction before giving up on a flow that
/// never parses (not RTSP at all).
const MAX_BACKLOG: usize = 1 << 20;

#[derive(Debug, Default)]
struct Flow {
    next_seq: Option<u32>,
    buf: Vec<u8>,
    broken: bool,
}

/// Reassembles TCP directions and hands out interleaved frames.
#[derive(Debug, Default)]
pub struct Flows {
    flows: HashMap<(SocketAddr, SocketAddr), Flow>,
}

impl Flows {
    /// One TCP segment; `f(channel, packet)` for each interleaved frame it
    /// completes.
    pub fn segment(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        payload: &[u8],
        mut f: impl FnMut(u8, &[u8]),
    ) {
        if payload.is_empty() {
            return;
        }
        let flow = self.flows.entry((src, dst)).or_default();
        if flow.broken {
            return;
        }
        let data = match flow.next_seq {
            // Retransmitted or overlapping bytes: keep only the new ones.
            Some(n) if (seq.wrapping_sub(n) as i32) < 0 => {
                let skip = n.wrapping_sub(seq) as usize;
                payload.get(skip..).unwrap_or_default()
            }
            // A gap (bytes not captured): what follows cannot be framed.
            Some(n) if seq != n => {
                flow.buf.clear();
                flow.broken = true;
                return;
            }
            _ => payload,
        };
        flow.next_seq = Some(seq.wrapping_add(payload.len() as u32));
        flow.buf.extend_from_slice(data);
        let mut used = 0;
        loop {
            let mut headers = [Header::EMPTY; RTSP_MAX_HEADERS];
            match rtsp::parse(&flow.buf[used..], &mut headers) {
                Ok(Status::Complete((msg, n))) => {
                    if let Message::Interleaved(i) = msg {
                        f(i.channel, i.payload);
                    }
                    used += n;
                }
                Ok(Status::Partial) => break,
                Err(_) => {
                    flow.broken = true;
                    break;
                }
            }
        }
        flow.buf.drain(..used);
        if flow.buf.len() > MAX_BACKLOG {
            flow.broken = true;
            flow.buf.clear();
        }
    }
}
