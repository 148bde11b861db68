//! Loss accounting is exact: a relay between our server and the client
//! drops, duplicates and reorders known RTP packets; the client's report
//! counts exactly those, agrees with tshark on a capture of the same
//! traffic, and drops exactly the frames the relay broke. Also: with no RTP
//! over UDP at all, the client falls back to TCP by itself.

mod client_common;

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use client_common::relay::{Plan, Relay};
use client_common::{i, report, run_client, start, tshark_streams, u, Server};
use rtsp_e2e::Scratch;

#[test]
fn client_counts_relay_losses_exactly_and_agrees_with_tshark() {
    let srv = start(Server::Ours);
    // Our server sends ~7 packets per 320x240 frame, ~170 per second: all
    // indices fall well inside 3 s of play, none at the very end.
    let plan = Plan {
        drop: BTreeSet::from([30, 31, 75, 140, 260]),
        duplicate: BTreeSet::from([50, 120, 200]),
        swap: BTreeSet::from([90, 170]),
        block_udp: false,
    };
    let (dropped, duplicated, swapped) = (
        plan.drop.len() as i64,
        plan.duplicate.len() as u64,
        plan.swap.len() as u64,
    );
    let relay = Relay::start(srv.port, plan);
    let dir = Scratch::new("client-loss");
    let rep = dir.path("report.json");
    let pcap = dir.path("client.pcap");
    let plot = dir.path("plot.png");
    let url = format!("rtsp://127.0.0.1:{}/movie.Mjpeg", relay.port);
    let (ok, out) = run_client(
        &[
            &url,
            "--headless",
            "--play",
            "--duration",
            "3",
            "--report",
            rep.to_str().unwrap(),
            "--pcap",
            pcap.to_str().unwrap(),
            "--plot",
            plot.to_str().unwrap(),
        ],
        Duration::from_secs(60),
    );
    assert!(ok, "{out}");
    let r = report(&rep);
    let relayed = relay.received.load(Ordering::SeqCst);
    assert!(relayed > 300, "the relay saw only {relayed} packets: {r}");

    // RFC 3550 A.3 (and Wireshark): expected from the extended highest
    // sequence number; received counts duplicates, so lost = dropped − dups.
    assert_eq!(u(&r, "duplicates"), duplicated, "{r}");
    assert_eq!(u(&r, "reordered"), swapped, "{r}");
    assert_eq!(i(&r, "packets_lost"), dropped - duplicated as i64, "{r}");
    assert_eq!(
        u(&r, "packets_expected") as i64 - u(&r, "packets_received") as i64,
        i(&r, "packets_lost"),
        "{r}"
    );
    // A frame that lost a packet is dropped, or, when its restart
    // intervals let it (RFC 2435 §3.1.7), shown concealed; a swap, even
    // across frames, costs nothing (the reorder window).
    let broken = relay.broken_frames.lock().unwrap().len() as u64;
    assert_eq!(
        u(&r, "frames_dropped") + u(&r, "frames_concealed"),
        broken,
        "frames broken by the relay vs dropped and concealed: {r}"
    );

    // tshark on the client's capture of the same packets agrees.
    let client_port = relay.client_rtp.load(Ordering::SeqCst);
    let rows = tshark_streams(&pcap, &[client_port]);
    let row = rows
        .iter()
        .find(|s| s.dst_port == client_port)
        .unwrap_or_else(|| panic!("no stream to {client_port}: {rows:?}"));
    assert_eq!(
        row.packets,
        u(&r, "packets_received"),
        "tshark packets vs report: {row:?} {r}"
    );
    assert_eq!(
        row.lost,
        i(&r, "packets_lost"),
        "tshark lost vs report: {row:?} {r}"
    );

    // The plot is a 900x600 PNG whose loss panel (bottom third) has a red
    // curve rising above its zero line (rows 410..560 of 400..600).
    let out = std::process::Command::new(rtsp_e2e::peer("convert"))
        .arg(&plot)
        .args(["-depth", "8", "rgb:-"])
        .output()
        .unwrap();
    assert_eq!(
        out.stdout.len(),
        900 * 600 * 3,
        "plot is not a 900x600 image"
    );
    let red = out.stdout[900 * 410 * 3..900 * 560 * 3]
        .chunks(3)
        .filter(|p| p[0] > 200 && p[1] < 80 && p[2] < 80)
        .count();
    assert!(
        red > 20,
        "no loss peak in the plot ({red} red pixels above zero)"
    );
}

#[test]
fn client_falls_back_to_tcp_when_no_udp_arrives() {
    let srv = start(Server::Gst);
    let relay = Relay::start(
        srv.port,
        Plan {
            block_udp: true,
            ..Plan::default()
        },
    );
    let dir = Scratch::new("client-fallback");
    let rep = dir.path("report.json");
    let url = srv
        .url
        .replace(&format!(":{}/", srv.port), &format!(":{}/", relay.port));
    let (ok, out) = run_client(
        &[
            &url,
            "--headless",
            "--play",
            "--duration",
            "2",
            "--udp-timeout",
            "1.5",
            "--report",
            rep.to_str().unwrap(),
        ],
        Duration::from_secs(60),
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("switching to RTP over TCP"),
        "no fallback notice:\n{out}"
    );
    assert!(
        relay.saw_tcp_setup.load(Ordering::SeqCst),
        "no interleaved SETUP went out:\n{out}"
    );
    let r = report(&rep);
    assert_eq!(r["transport"], "tcp", "{r}");
    assert!(u(&r, "frames_received") >= 25, "{r}");
}
