#!/usr/bin/python3
"""A small GStreamer RTSP server (GstRtspServer via gi) serving MJPEG over RTP.

Usage: gst_rtsp_server.py PORT [--path /test] [--files PATTERN | --clip FILE.mjpeg | --raw]
                          [--width W --height H --fps N] [--pattern ball] [--quality Q]

Serves rtsp://127.0.0.1:PORT/PATH as shared media: by default a moving
videotestsrc pattern encoded with jpegenc (so the stream changes every frame);
--clip plays a raw concatenated JPEG file (ffmpeg -f mjpeg) in a loop;
--files plays multifilesrc location=PATTERN (e.g. frame%03d.jpg) in a loop;
--raw serves uncompressed video (not JPEG) so clients' refusal can be tested.
Prints "READY rtsp://127.0.0.1:PORT/PATH" once listening, then runs until killed.
Used by the client's end-to-end tests and the server's benchmark.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--path", default="/test")
    ap.add_argument("--width", type=int, default=320)
    ap.add_argument("--height", type=int, default=240)
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--pattern", default="ball")
    ap.add_argument("--quality", type=int, default=85)
    ap.add_argument("--clip", help="raw concatenated JPEG file, looped")
    ap.add_argument("--files", help="multifilesrc location pattern, looped")
    ap.add_argument("--raw", action="store_true",
                    help="serve uncompressed RTP video (RFC 4175) instead of JPEG, to test refusal")
    a = ap.parse_args()

    Gst.init(None)
    caps = f"image/jpeg,framerate={a.fps}/1"
    if a.clip:
        src = (f"multifilesrc location={a.clip} loop=true caps=\"{caps}\" ! jpegparse")
    elif a.files:
        src = (f"multifilesrc location={a.files} index=0 loop=true caps=\"{caps}\" ! jpegparse")
    else:
        src = (f"videotestsrc is-live=true pattern={a.pattern} ! "
               f"video/x-raw,format=I420,width={a.width},height={a.height},framerate={a.fps}/1 ! "
               f"jpegenc quality={a.quality}")
    if a.raw:
        launch = (f"( videotestsrc is-live=true ! video/x-raw,format=RGB,width=64,height=48,"
                  f"framerate={a.fps}/1 ! rtpvrawpay name=pay0 pt=96 )")
    else:
        launch = f"( {src} ! rtpjpegpay name=pay0 pt=26 )"

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(a.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_shared(True)
    server.get_mount_points().add_factory(a.path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on port {a.port}", file=sys.stderr, flush=True)
        sys.exit(1)
    print(f"READY rtsp://127.0.0.1:{a.port}{a.path}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
