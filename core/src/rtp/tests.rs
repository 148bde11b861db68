//! Unit tests for the RTP view and repr (smoltcp's deconstruct / construct /
//! parse / emit layout).

use super::*;

/// An RTP/JPEG packet: V=2, M=1, PT=26, seq 0x1234, ts 0xdeadbeef,
/// SSRC 0x01020304, then 8 bytes of RFC 2435 header and scan data.
static PACKET_BYTES: [u8; 20] = [
    0x80, 0x9a, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00,
    0x01, 0xff, 0x50, 0x3c,
];

/// P, X and CC=2 set: two CSRCs, a one-word extension with profile 0xBEDE,
/// a 3-byte payload and 4 bytes of padding (count in the last octet).
static FULL_BYTES: [u8; 43] = [
    0xb2, 0x1a, 0x00, 0x07, 0x00, 0x00, 0x0b, 0xb8, 0xca, 0xfe, 0xba, 0xbe, // fixed
    0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22, // CSRCs
    0xbe, 0xde, 0x00, 0x01, 0xaa, 0xbb, 0xcc, 0xdd, // extension
    0x01, 0x02, 0x03, // payload
    0x00, 0x00, 0x00, 0x04, // padding
    0, 0, 0, 0, 0, 0, 0, 0, // filler never reached: sliced off below
];

fn full() -> &'static [u8] {
    &FULL_BYTES[..35]
}

#[test]
fn test_deconstruct() {
    let packet = Packet::new_checked(&PACKET_BYTES[..]).unwrap();
    assert_eq!(packet.version(), 2);
    assert!(!packet.padding());
    assert!(!packet.extension_flag());
    assert_eq!(packet.csrc_count(), 0);
    assert!(packet.marker());
    assert_eq!(packet.payload_type(), 26);
    assert_eq!(packet.sequence_number(), SeqNo(0x1234));
    assert_eq!(packet.timestamp(), RtpTimestamp(0xdead_beef));
    assert_eq!(packet.ssrc(), Ssrc(0x0102_0304));
    assert_eq!(packet.header_len(), HEADER_LEN);
    assert_eq!(packet.payload(), &PACKET_BYTES[12..]);
    assert_eq!(packet.extension(), None);
}

#[test]
fn test_deconstruct_csrc_extension_padding() {
    let packet = Packet::new_checked(full()).unwrap();
    assert!(packet.padding());
    assert!(packet.extension_flag());
    assert_eq!(packet.csrc_count(), 2);
    assert!(!packet.marker());
    assert_eq!(packet.sequence_number(), SeqNo(7));
    assert_eq!(packet.timestamp(), RtpTimestamp(3000));
    let csrcs: std::vec::Vec<Ssrc> = packet.csrcs().collect();
    assert_eq!(csrcs, [Ssrc(0x1111_1111), Ssrc(0x2222_2222)]);
    assert_eq!(packet.csrc(2), None);
    let ext = packet.extension().unwrap();
    assert_eq!(ext.profile, 0xbede);
    assert_eq!(ext.data, &[0xaa, 0xbb, 0xcc, 0xdd]);
    assert_eq!(packet.header_len(), 28);
    assert_eq!(packet.padding_count(), 4);
    assert_eq!(packet.payload(), &[1, 2, 3]);
}

#[test]
fn test_construct() {
    let mut bytes = [0xa5u8; 20];
    let mut packet = Packet::new_unchecked(&mut bytes[..]);
    packet.set_version(2);
    packet.set_padding(false);
    packet.set_extension_flag(false);
    packet.set_csrc_count(0);
    packet.set_marker(true);
    packet.set_payload_type(26);
    packet.set_sequence_number(SeqNo(0x1234));
    packet.set_timestamp(RtpTimestamp(0xdead_beef));
    packet.set_ssrc(Ssrc(0x0102_0304));
    packet.payload_mut().copy_from_slice(&PACKET_BYTES[12..]);
    assert_eq!(bytes, PACKET_BYTES);
}

fn repr() -> Repr {
    Repr {
        marker: true,
        payload_type: 26,
        sequence: SeqNo(0x1234),
        timestamp: RtpTimestamp(0xdead_beef),
        ssrc: Ssrc(0x0102_0304),
    }
}

#[test]
fn test_parse() {
    let packet = Packet::new_checked(&PACKET_BYTES[..]).unwrap();
    assert_eq!(Repr::parse(&packet), Ok(repr()));
    assert_eq!(repr().payload_type(), PayloadType::Jpeg);
}

#[test]
fn test_emit() {
    let mut bytes = [0u8; 20];
    assert_eq!(repr().emit(&mut bytes), Ok(HEADER_LEN));
    bytes[12..].copy_from_slice(&PACKET_BYTES[12..]);
    assert_eq!(bytes, PACKET_BYTES);
    assert_eq!(repr().buffer_len(), 12);
}

#[test]
fn emit_into_short_buffer_reports_size() {
    let mut bytes = [0u8; 11];
    assert_eq!(
        repr().emit(&mut bytes),
        Err(Error::BufferTooSmall { required: 12 })
    );
}

#[test]
fn rejects_bad_headers() {
    assert_eq!(
        Packet::new_checked(&PACKET_BYTES[..11]).unwrap_err(),
        Error::Truncated {
            required: 12,
            actual: 11
        }
    );
    let mut v1 = PACKET_BYTES;
    v1[0] = 0x40;
    assert_eq!(
        Packet::new_checked(&v1[..]).unwrap_err(),
        Error::BadVersion { version: 1 }
    );
    // CC=2 and X need 28 bytes of header; cut inside the extension.
    assert_eq!(
        Packet::new_checked(&full()[..27]).unwrap_err(),
        Error::Truncated {
            required: 28,
            actual: 27
        }
    );
    // Padding count of zero, and one longer than the payload.
    let mut pad = [0u8; 35];
    pad.copy_from_slice(full());
    pad[34] = 0;
    assert_eq!(
        Packet::new_checked(&pad[..]).unwrap_err(),
        Error::BadPadding { padding: 0 }
    );
    pad[34] = 8;
    assert_eq!(
        Packet::new_checked(&pad[..]).unwrap_err(),
        Error::BadPadding { padding: 8 }
    );
    // Exactly all of the post-header bytes as padding is legal.
    pad[34] = 7;
    assert_eq!(
        Packet::new_checked(&pad[..]).unwrap().payload(),
        &[] as &[u8]
    );
}

#[test]
fn unchecked_views_never_panic() {
    for len in 0..full().len() {
        let packet = Packet::new_unchecked(&full()[..len]);
        let _ = (packet.payload(), packet.extension(), packet.csrcs().count());
        let _ = (packet.header_len(), packet.sequence_number(), packet.ssrc());
    }
}
