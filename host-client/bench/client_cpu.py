#!/usr/bin/python3
"""Client CPU benchmark (DESIGN.md benchmark 5; issue: rtsp-client performance).

Receives and reassembles one 1280x720 25 fps MJPEG stream with rtsp-client and,
at the same time, with `ffmpeg -rtsp_transport udp -i URL -c copy -f null -`,
and reports each one's CPU time (user + system, from the child's rusage) per
received frame side by side. Then measures zune-jpeg decode speed at 1080p on
one core (the window's decoder).

Usage (from the repository root):
    python3 host-client/bench/client_cpu.py [SECONDS]        (default 20)

It builds the release binaries, makes the test clips with ffmpeg
(-huffman default: RFC 2435 needs the standard Huffman tables), serves the
720p clip with our rtsp-server on a free port, and stops everything it starts.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_cpu(p):
    """Waits for child p; returns its user+system CPU seconds (µs precision)."""
    _, _, ru = os.wait4(p.pid, 0)
    p.returncode = 0
    return ru.ru_utime + ru.ru_stime


def main():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "rtsp-client", "-p", "rtsp-server", "--bins"],
                   cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "rtsp-client", "--example", "decode_speed"],
                   cwd=ROOT, check=True)
    client = os.path.join(TARGET, "release", "rtsp-client")
    server = os.path.join(TARGET, "release", "rtsp-server")
    tmp = tempfile.mkdtemp(prefix="client-bench-")
    try:
        clip = os.path.join(tmp, "hd.mjpeg")
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
                        "-frames:v", "100", "-pix_fmt", "yuvj420p", "-c:v", "mjpeg", "-huffman", "default",
                        "-q:v", "4", "-f", "mjpeg", clip], check=True)
        port = free_port()
        srv = subprocess.Popen([server, "-p", str(port), "--bind", "127.0.0.1", "--media", tmp],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            url = f"rtsp://127.0.0.1:{port}/hd.mjpeg"
            report = os.path.join(tmp, "r.json")
            log = open(os.path.join(tmp, "ffmpeg.log"), "w+")
            # Side by side: both receive the same stream at the same time.
            ours = subprocess.Popen([client, url, "--headless", "--play", "--duration", str(SECONDS),
                                     "--report", report], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            theirs = subprocess.Popen(["ffmpeg", "-nostdin", "-rtsp_transport", "udp", "-i", url, "-t",
                                       str(SECONDS), "-c", "copy", "-f", "null", "-"],
                                      stdout=subprocess.DEVNULL, stderr=log)
            oc, tc = wait_cpu(ours), wait_cpu(theirs)
        finally:
            srv.send_signal(signal.SIGTERM)
            srv.wait()
        log.seek(0)
        m = re.findall(r"frame=\s*(\d+)", log.read())
        theirs_frames = int(m[-1]) if m else 0
        r = json.load(open(report))
        ours_frames = r["frames_received"]
        print(f"stream: 1280x720 25 fps MJPEG, {r['payload_kbps']:.0f} kbit/s, {SECONDS:.0f} s, UDP on loopback, "
              f"lost {r['packets_lost']} of {r['packets_expected']} packets")
        po, pt = oc / max(ours_frames, 1), tc / max(theirs_frames, 1)
        print(f"rtsp-client   : {oc:7.3f} s CPU for {ours_frames} frames = {po * 1e6:7.1f} us/frame")
        print(f"ffmpeg -c copy: {tc:7.3f} s CPU for {theirs_frames} frames = {pt * 1e6:7.1f} us/frame")
        if po > 0:
            print(f"ffmpeg / rtsp-client CPU per frame: {pt / po:.2f}x")

        hd = os.path.join(tmp, "1080p.jpg")
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1920x1080", "-frames:v", "1",
                        "-pix_fmt", "yuvj420p", "-huffman", "default", "-q:v", "3", hd], check=True)
        ex = os.path.join(TARGET, "release", "examples", "decode_speed")
        print(subprocess.run([ex, hd, "3"], stdout=subprocess.PIPE, text=True, check=True).stdout.strip())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
