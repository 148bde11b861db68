#!/usr/bin/python3
"""GStreamer's RTSP server playing an MJPEG clip in real time, for rtsp-load.

Usage: gst_clip_server.py PORT CLIP.mjpeg [--path /clip.mjpeg] [--fps 25]

Serves rtsp://127.0.0.1:PORT/PATH as shared media: `appsrc ! jpegparse !
rtpjpegpay`, fed one frame of the clip (raw concatenated JPEG) every 1/fps s
with proper timestamps, looping. (A `multifilesrc` pipeline carries no
timestamps and would send as fast as it can, which is not a fair
comparison with a paced server.) Prints "READY rtsp://..." once listening.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def split_frames(data):
    frames, start = [], 0
    while True:
        soi = data.find(b"\xff\xd8", start)
        if soi < 0:
            return frames
        eoi = data.find(b"\xff\xd9", soi + 2)
        if eoi < 0:
            return frames
        frames.append(data[soi:eoi + 2])
        start = eoi + 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("clip")
    ap.add_argument("--path", default="/clip.mjpeg")
    ap.add_argument("--fps", type=int, default=25)
    a = ap.parse_args()
    frames = [GLib.Bytes.new(f) for f in split_frames(open(a.clip, "rb").read())]
    if not frames:
        sys.exit("no JPEG frames in " + a.clip)

    Gst.init(None)
    caps = f"image/jpeg,framerate={a.fps}/1"
    launch = (f"( appsrc name=src is-live=true format=time do-timestamp=false caps=\"{caps}\" "
              f"! jpegparse ! rtpjpegpay name=pay0 pt=26 )")
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(a.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_shared(True)
    period = Gst.SECOND // a.fps
    state = {"n": 0}

    def push(src):
        n = state["n"]
        buf = Gst.Buffer.new_wrapped_bytes(frames[n % len(frames)])
        buf.pts = n * period
        buf.duration = period
        state["n"] = n + 1
        return src.emit("push-buffer", buf) == Gst.FlowReturn.OK

    def configure(_factory, media):
        src = media.get_element().get_by_name("src")
        state["n"] = 0
        GLib.timeout_add(1000 // a.fps, push, src)

    factory.connect("media-configure", configure)
    server.get_mount_points().add_factory(a.path, factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on port {a.port}")
    print(f"READY rtsp://127.0.0.1:{a.port}{a.path}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
