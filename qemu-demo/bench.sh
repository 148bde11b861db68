#!/usr/bin/env bash
# Throughput of the firmware: frames/s it sustains streaming the clip with no
# pacing (`pace=fast`: SETUP/PLAY over RTSP, RTP/JPEG over UDP to the host),
# compared with a bare smoltcp UDP send loop in the same guest
# (`bench-udp=PORT`: the same scan data in datagrams of the same size, no
# RTSP, no RTP/JPEG headers). Both log `rate: F frames/s, ...` every second
# (measured in the guest); the host counts what arrives, so loss shows.
#
# The two run alternately ROUNDS times (the machine is shared and noisy);
# each round prints its ratio, and the last line the median ratio.
#
#   cd qemu-demo && ./bench.sh [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")"
SECS=${1:-10}
ROUNDS=${2:-3}
cargo build --release --quiet
ELF=target/thumbv7m-none-eabi/release/qemu-demo
LOG=$(mktemp -d)
trap 'rm -rf "$LOG"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run_guest NAME ARGS: boots the guest in the background, waits for "ready:".
run_guest() {
  local port; port=$(free_port)
  QEMU_DEMO_PORT=$port QEMU_DEMO_ARGS="$2" ./run.sh "$ELF" >"$LOG/$1.log" 2>&1 &
  GUEST_PID=$!
  GUEST_PORT=$port
  for _ in $(seq 200); do grep -q 'ready:' "$LOG/$1.log" && return; sleep 0.05; done
  echo "guest did not boot:"; cat "$LOG/$1.log"; exit 1
}

# median_rate LOG: median of the frames/s figures logged after the first second.
median_rate() {
  grep -o 'rate: [0-9]* frames/s' "$1" | awk '{print $2}' | tail -n +2 | sort -n |
    awk '{a[NR]=$1} END {if (NR==0) print 0; else print a[int((NR+1)/2)]}'
}

RATIOS=()
for round in $(seq "$ROUNDS"); do
# 1. Bare UDP send loop.
SINK=$(free_port)
run_guest bare "bench-udp=$SINK"
BARE_RX=$(python3 - "$SINK" "$SECS" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.settimeout(0.2)
end = time.time() + float(sys.argv[2]); n = 0
while time.time() < end:
    try: s.recv(2048); n += 1
    except socket.timeout: pass
print(n)
EOF
)
kill "$GUEST_PID"; wait "$GUEST_PID" 2>/dev/null || true
BARE=$(median_rate "$LOG/bare.log")

# 2. The RTSP server, unpaced, one UDP client (SETUP/PLAY by hand).
run_guest rtsp "pace=fast"
RTSP_RX=$(python3 - "$GUEST_PORT" "$SECS" <<'EOF'
import socket, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rtp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
rtp.bind(("127.0.0.1", 0)); p = rtp.getsockname()[1]; rtp.settimeout(0.2)
c = socket.create_connection(("127.0.0.1", port)); url = f"rtsp://127.0.0.1:{port}/movie.Mjpeg"
def req(m, extra=""):
    c.sendall(f"{m} {url} RTSP/1.0\r\nCSeq: {req.n}\r\n{extra}\r\n".encode()); req.n += 1
    data = b""
    while b"\r\n\r\n" not in data: data += c.recv(4096)
    return data.decode(errors="replace")
req.n = 1
r = req("SETUP", f"Transport: RTP/AVP;unicast;client_port={p}-{p+1}\r\n")
sess = [l.split(":", 1)[1].split(";")[0].strip() for l in r.split("\r\n") if l.lower().startswith("session:")][0]
req("PLAY", f"Session: {sess}\r\n")
end = time.time() + secs; n = 0
while time.time() < end:
    try: rtp.recv(2048); n += 1
    except socket.timeout: pass
print(n)
EOF
)
kill "$GUEST_PID"; wait "$GUEST_PID" 2>/dev/null || true
RTSP=$(median_rate "$LOG/rtsp.log")

echo "round $round: bare smoltcp UDP loop $BARE frames/s (host got $BARE_RX datagrams in ${SECS}s)," \
  "RTSP/RTP server $RTSP frames/s (host got $RTSP_RX RTP packets in ${SECS}s)"
RATIOS+=("$(python3 -c "print(f'{$RTSP/$BARE:.2f}' if $BARE else 0)")")
done
echo "ratios: ${RATIOS[*]}"
printf '%s\n' "${RATIOS[@]}" | sort -n | awk '{a[NR]=$1} END {print "median ratio server/bare: " a[int((NR+1)/2)]}'
