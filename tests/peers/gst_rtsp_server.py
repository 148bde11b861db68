#!/usr/bin/python3
"""A small GStreamer RTSP server (GstRtspServer via gi) serving MJPEG over RTP.

Usage: gst_rtsp_server.py PORT [--path /test] [--files PATTERN | --clip FILE.mjpeg [--paced] | --raw]
                          [--width W --height H --fps N] [--pattern ball] [--quality Q]
                          [--digest USER:PASS | --basic USER:PASS]

Serves rtsp://127.0.0.1:PORT/PATH as shared media: by default a moving
videotestsrc pattern encoded with jpegenc (so the stream changes every frame);
--clip plays a raw concatenated JPEG file (ffmpeg -f mjpeg) in a loop;
--files plays multifilesrc location=PATTERN (e.g. frame%03d.jpg) in a loop;
--raw serves uncompressed video (not JPEG) so clients' refusal can be tested.
--digest USER:PASS requires RTSP Digest authentication (RFC 2617 §3) for the
media (GstRTSPAuth offering Digest only); --basic USER:PASS the same with Basic
only (RFC 2617 §2). Without them anyone may play, as before.
--record DIR takes a publisher instead (RECORD mode, RFC 2326 §10.11): the
frames it sends are written as DIR/NNNNN.jpg by rtpjpegdepay ! multifilesink.
Prints "READY rtsp://127.0.0.1:PORT/PATH" once listening, then runs until killed.
Used by the client's end-to-end tests and the server's benchmark.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def require_auth(server, factory, method, user_pass):
    """One method only (GStreamer >= 1.14): the user gets a role that may
    access and construct the factory's media; anyone else is answered 401."""
    user, _, password = user_pass.partition(":")
    role = "user"
    auth = GstRtspServer.RTSPAuth()
    auth.set_supported_methods(method)
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, role)
    if method == GstRtsp.RTSPAuthMethod.DIGEST:
        auth.add_digest(user, password, token)
    else:
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    server.set_auth(auth)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role(role, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
    permissions.add_permission_for_role(role, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
    factory.set_permissions(permissions)


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
    ap.add_argument("--paced", action="store_true",
                    help="send --clip/--files frames at --fps (videorate stamps them) instead of as fast as read")
    ap.add_argument("--files", help="multifilesrc location pattern, looped")
    ap.add_argument("--raw", action="store_true",
                    help="serve uncompressed RTP video (RFC 4175) instead of JPEG, to test refusal")
    ap.add_argument("--record", metavar="DIR",
                    help="take a publisher (RECORD mode) and write its frames to DIR")
    ap.add_argument("--digest", metavar="USER:PASS",
                    help="require Digest authentication with this user and password")
    ap.add_argument("--basic", metavar="USER:PASS",
                    help="require Basic authentication with this user and password")
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
    if a.paced:
        src += " ! videorate"
    if a.raw:
        launch = (f"( videotestsrc is-live=true ! video/x-raw,format=RGB,width=64,height=48,"
                  f"framerate={a.fps}/1 ! rtpvrawpay name=pay0 pt=96 )")
    else:
        launch = f"( {src} ! rtpjpegpay name=pay0 pt=26 )"

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(a.port))
    factory = GstRtspServer.RTSPMediaFactory()
    if a.record:
        launch = f"( rtpjpegdepay name=depay0 ! multifilesink location={a.record}/%05d.jpg )"
        factory.set_transport_mode(GstRtspServer.RTSPTransportMode.RECORD)
    factory.set_launch(launch)
    factory.set_shared(True)
    if a.digest:
        require_auth(server, factory, GstRtsp.RTSPAuthMethod.DIGEST, a.digest)
    elif a.basic:
        require_auth(server, factory, GstRtsp.RTSPAuthMethod.BASIC, a.basic)
    server.get_mount_points().add_factory(a.path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on port {a.port}", file=sys.stderr, flush=True)
        sys.exit(1)
    print(f"READY rtsp://127.0.0.1:{a.port}{a.path}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
