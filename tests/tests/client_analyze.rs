//! `rtsp-client analyze` gives the same packets, loss, max delta and
//! jitter as `tshark -q -z rtp,streams` on the same capture: a tcpdump
//! capture of a whole session (streams found from the RTSP SETUP inside),
//! the same capture as pcapng, and the client's own `--pcap` (streams found
//! heuristically), UDP and TCP-interleaved.

mod client_common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use client_common::relay::{Plan, Relay};
use client_common::{run_client, start, tshark_streams, Server, TsharkStream};
use rtsp_e2e::{bin, peer, Proc, Scratch, DEADLINE};

/// `analyze --json` on a capture: the streams array.
fn analyze(capture: &Path) -> Vec<serde_json::Value> {
    let out = Command::new(bin("rtsp-client"))
        .arg("analyze")
        .arg(capture)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "analyze failed on {}: {}{}",
        capture.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["streams"].as_array().unwrap().clone()
}

/// `analyze` of a capture still being written: `None` until it parses.
fn try_analyze(capture: &Path) -> Option<Vec<serde_json::Value>> {
    let out = Command::new(bin("rtsp-client"))
        .arg("analyze")
        .arg(capture)
        .arg("--json")
        .output()
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    v["streams"].as_array().cloned()
}

fn port_of(addr: &serde_json::Value) -> u16 {
    addr.as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Every stream `analyze` found has a tshark row with the same figures.
fn agree(ours: &[serde_json::Value], theirs: &[TsharkStream]) {
    assert!(!ours.is_empty(), "analyze found no stream");
    for s in ours {
        let (sp, dp) = (port_of(&s["src"]), port_of(&s["dst"]));
        let t = theirs
            .iter()
            .find(|t| t.src_port == sp && t.dst_port == dp)
            .unwrap_or_else(|| panic!("tshark has no stream {sp}->{dp}: {theirs:?}"));
        assert_eq!(
            s["packets"].as_u64().unwrap(),
            t.packets,
            "packets: {s} vs {t:?}"
        );
        assert_eq!(s["lost"].as_i64().unwrap(), t.lost, "lost: {s} vs {t:?}");
        assert_eq!(
            u32::from_str_radix(s["ssrc"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap(),
            t.ssrc
        );
        // tshark prints three decimals.
        for (k, v) in [
            ("max_delta_ms", t.max_delta_ms),
            ("mean_jitter_ms", t.mean_jitter_ms),
            ("max_jitter_ms", t.max_jitter_ms),
        ] {
            let ours = s[k].as_f64().unwrap();
            assert!(
                (ours - v).abs() <= 0.0015,
                "{k}: ours {ours} vs tshark {v}: {s}"
            );
        }
    }
}

#[test]
fn client_analyze_matches_tshark_on_tcpdump_capture() {
    let srv = start(Server::Ours);
    // Some loss, so the loss figures are compared on something.
    let plan = Plan {
        drop: [40, 41, 150].into(),
        duplicate: [90].into(),
        ..Plan::default()
    };
    let relay = Relay::start(srv.port, plan);
    let dir = Scratch::new("client-analyze");
    let cap = dir.path("lo.pcap");
    let mut cmd = Command::new(peer("tcpdump"));
    // Only this test's traffic: the proxy's RTSP port, and UDP to or from
    // the relay's RTP/RTCP ports or to the client.
    let filter = format!(
        "tcp port {} or udp portrange {}-{}",
        relay.port,
        relay.rtp_port,
        relay.rtp_port + 1
    );
    // --immediate-mode: packets reach the file as they arrive, not when a
    // kernel buffer block fills or times out (up to a second later).
    cmd.args(["-i", "lo", "-U", "--immediate-mode", "-n", "-w"])
        .arg(&cap)
        .arg(filter);
    let mut dump = Proc::spawn("tcpdump", &mut cmd);
    dump.wait_for_line("listening on", DEADLINE);
    let url = format!("rtsp://127.0.0.1:{}/movie.Mjpeg", relay.port);
    let (ok, out) = run_client(
        &[&url, "--headless", "--play", "--duration", "2"],
        Duration::from_secs(60),
    );
    assert!(ok, "{out}");
    dump.interrupt();
    assert!(dump.wait_exit(DEADLINE).success() || cap.exists());

    let ours = analyze(&cap);
    // By RTSP ports: the server→relay and relay→client legs are both RTP.
    assert_eq!(
        ours.len(),
        2,
        "expected the two legs of the relayed stream: {ours:?}"
    );
    let ports: Vec<u16> = ours.iter().map(|s| port_of(&s["dst"])).collect();
    let theirs = tshark_streams(&cap, &ports);
    agree(&ours, &theirs);
    // The leg after the relay lost exactly what the relay dropped, less the duplicate.
    let client_leg = ours
        .iter()
        .find(|s| port_of(&s["src"]) == relay.rtp_port)
        .unwrap();
    assert_eq!(client_leg["lost"].as_i64().unwrap(), 2, "{client_leg}");

    // The same capture as pcapng gives the same figures.
    let ng = dir.path("lo.pcapng");
    let st = Command::new(peer("editcap"))
        .args(["-F", "pcapng"])
        .arg(&cap)
        .arg(&ng)
        .status()
        .unwrap();
    assert!(st.success());
    let ours_ng = analyze(&ng);
    assert_eq!(
        ours_ng
            .iter()
            .map(|s| (
                s["packets"].clone(),
                s["lost"].clone(),
                s["mean_jitter_ms"].clone()
            ))
            .collect::<Vec<_>>(),
        ours.iter()
            .map(|s| (
                s["packets"].clone(),
                s["lost"].clone(),
                s["mean_jitter_ms"].clone()
            ))
            .collect::<Vec<_>>()
    );
}

fn pcap_roundtrip(tcp: bool) {
    let srv = start(Server::Gst);
    let dir = Scratch::new("client-pcap");
    let cap = dir.path("client.pcap");
    let mut args = vec![
        srv.url.as_str(),
        "--headless",
        "--play",
        "--duration",
        "2",
        "--pcap",
        cap.to_str().unwrap(),
    ];
    if tcp {
        args.push("--tcp");
    }
    let (ok, out) = run_client(&args, Duration::from_secs(60));
    assert!(ok, "{out}");
    let ours = analyze(&cap);
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert!(ours[0]["packets"].as_u64().unwrap() >= 80, "{ours:?}");
    let port = port_of(&ours[0]["dst"]);
    let theirs = tshark_streams(&cap, &[port]);
    agree(&ours, &theirs);
}

#[test]
fn client_analyze_matches_tshark_on_client_pcap_udp() {
    pcap_roundtrip(false);
}

#[test]
fn client_analyze_matches_tshark_on_client_pcap_tcp() {
    pcap_roundtrip(true);
}

/// RTP interleaved on the RTSP connection in a tcpdump capture: `analyze`
/// reassembles the TCP stream and counts exactly the packets the client
/// received (tshark's own loss figure is unreliable there, DESIGN.md).
#[test]
fn client_analyze_finds_interleaved_rtp_in_tcpdump_capture() {
    let srv = start(Server::Ours);
    let dir = Scratch::new("client-analyze-tcp");
    let cap = dir.path("lo-tcp.pcap");
    let rep = dir.path("r.json");
    let mut cmd = Command::new(peer("tcpdump"));
    cmd.args(["-i", "lo", "-U", "--immediate-mode", "-n", "-s", "0", "-w"])
        .arg(&cap)
        .arg(format!("tcp port {}", srv.port));
    let mut dump = Proc::spawn("tcpdump", &mut cmd);
    dump.wait_for_line("listening on", DEADLINE);
    let (ok, out) = run_client(
        &[
            &srv.url,
            "--headless",
            "--play",
            "--tcp",
            "--duration",
            "2",
            "--report",
            rep.to_str().unwrap(),
        ],
        Duration::from_secs(60),
    );
    assert!(ok, "{out}");
    let r = client_common::report(&rep);
    let got = client_common::u(&r, "packets_received");
    // tcpdump may still be writing what the client already read: wait until
    // the capture holds it all before stopping tcpdump.
    rtsp_e2e::wait_until(DEADLINE, || {
        try_analyze(&cap)
            .and_then(|v| v.first().and_then(|s| s["packets"].as_u64()))
            .is_some_and(|n| n >= got)
    });
    dump.interrupt();
    let _ = dump.wait_exit(DEADLINE);
    let ours = analyze(&cap);
    assert_eq!(ours.len(), 1, "{ours:?}");
    let s = &ours[0];
    assert_eq!(s["transport"], "tcp", "{s}");
    assert_eq!(port_of(&s["src"]), srv.port, "{s}");
    // The capture holds every packet the client got (and possibly a few
    // sent after its last read, before TEARDOWN was answered).
    let captured = s["packets"].as_u64().unwrap();
    assert!(
        captured >= got && captured <= got + 40,
        "captured {captured} vs client {got}: {s}"
    );
    assert_eq!(s["lost"].as_i64().unwrap(), 0, "{s}");
    let fps = s["fps"].as_f64().unwrap();
    assert!((20.0..30.0).contains(&fps), "{s}");
}
