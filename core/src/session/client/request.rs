//! The requests and receiver reports the client writes (RFC 2326 §10,
//! §12; RFC 3550 §6.4.2).

use super::{publish, ClientSession, Goal, Reception, Request, State, TransportRequest};
use crate::rtcp::{self, ReportBlocks};
use crate::rtsp::header::{self, names, ContentType};
use crate::rtsp::{MessageWriter, Method, SliceSink};
use crate::session::{Error, MediaTransport};
use crate::{Duration, Instant};

impl<const AUTH: usize> ClientSession<AUTH> {
    pub(super) fn write_request(
        &self,
        step: Request,
        cseq: u32,
        buf: &mut [u8],
    ) -> Result<usize, Error> {
        let (method, uri) = match step {
            Request::Options => (Method::Options, self.urls.base()),
            Request::Describe => (Method::Describe, self.urls.base()),
            Request::Setup => (Method::Setup, self.urls.control()),
            Request::Play => (Method::Play, self.urls.base()),
            Request::Pause => (Method::Pause, self.urls.base()),
            Request::Teardown => (Method::Teardown, self.urls.base()),
            Request::KeepAlive => (self.keepalive_method(), self.urls.base()),
            Request::Announce => (Method::Announce, self.urls.base()),
            Request::Record => (Method::Record, self.urls.base()),
        };
        let mut w = MessageWriter::request(SliceSink::new(buf), method, uri);
        w.header(names::CSEQ, cseq);
        w.header(names::USER_AGENT, self.config.user_agent);
        if let Some(id) = self.session_id() {
            if step != Request::Setup || self.state >= State::Ready {
                w.header(names::SESSION, id);
            }
        }
        if let Some(credentials) = self
            .auth
            .authorization(method.as_str(), uri, self.config.ssrc.0)
        {
            // The client nonce is our SSRC, drawn at random by the host
            // (RFC 3550 §8.1), so the server cannot choose it (RFC 2617 §4.9).
            w.header(names::AUTHORIZATION, credentials);
        }
        match step {
            Request::Describe => {
                w.header("Accept", "application/sdp");
            }
            Request::Setup => {
                let mut t = header::Transport::rtp_avp();
                t.cast = Some(header::Cast::Unicast);
                match self.config.transport {
                    TransportRequest::Udp { rtp_port } => {
                        t.client_port =
                            Some(header::PortPair::new(rtp_port, rtp_port.wrapping_add(1)));
                    }
                    TransportRequest::Tcp => {
                        t.lower = Some(header::LowerTransport::Tcp);
                        t.interleaved = Some(header::ChannelPair::new(0, 1));
                    }
                }
                if self.goal == Goal::Recording {
                    // RFC 2326 §12.39: we send, the server records.
                    t.mode = Some(header::Mode::Record);
                }
                w.header(names::TRANSPORT, t);
            }
            Request::Record => {
                // RFC 2326 §10.11: record from now on.
                w.header(
                    names::RANGE,
                    header::Range::Npt {
                        start: Some(header::NptTime::At(Duration::ZERO)),
                        end: None,
                    },
                );
            }
            Request::Announce => {
                let Some(sdp) = self.described.map(publish::announced_sdp) else {
                    return Err(Error::InvalidState);
                };
                let len = sdp.buffer_len();
                return Ok(w.finish_in_place(ContentType::SDP.media_type, len, |dst| {
                    sdp.write(dst) == Ok(len)
                })?);
            }
            Request::Play if self.resuming && self.seek_pending().is_none() => {
                // Resume where paused: no Range (RFC 2326 §10.5).
            }
            Request::Play => {
                // From the start, or from the position sought (§12.29).
                let start = self.seek_pending().unwrap_or(Duration::ZERO);
                w.header(
                    names::RANGE,
                    header::Range::Npt {
                        start: Some(header::NptTime::At(start)),
                        end: None,
                    },
                );
            }
            _ => {}
        }
        Ok(w.finish(b"")?)
    }

    pub(super) fn write_report<R: Reception>(
        &self,
        now: Instant,
        transport: MediaTransport,
        buf: &mut [u8],
        reception: &mut R,
    ) -> Result<usize, Error> {
        let mut block = self
            .server_ssrc
            .and_then(|ssrc| reception.report_block(ssrc));
        if let (Some(b), (lsr @ 1.., at)) = (block.as_mut(), self.last_sr) {
            b.last_sr = lsr;
            b.delay_since_last_sr = rtcp::dlsr_from_duration(now - at);
        }
        let blocks = block.as_slice();
        let rr = rtcp::ReceiverReport {
            ssrc: self.config.ssrc,
            reports: ReportBlocks::new(blocks),
        };
        let sdes = rtcp::Sdes::cname(self.config.ssrc, self.config.user_agent);
        let packets = [rtcp::Packet::Rr(rr), rtcp::Packet::Sdes(sdes)];
        crate::session::write_rtcp(&packets, transport, buf)
    }
}
