"""A small RTSP camera for the camera gateway's tests, on Debian's GStreamer RTSP server.

Run with the system Python (its `gi` bindings come from Debian: python3-gi,
gir1.2-gst-rtsp-server-1.0 and the GStreamer plugins, installed by scripts/setup), never the
venv's: `/usr/bin/python3 tests/media/rtsp_camera.py PORT [--no-audio]`. It serves
rtsp://127.0.0.1:PORT/cam — a moving test picture in H.264 and, unless --no-audio, a 440 Hz
tone in G.711 A-law, as IP cameras send — prints `ready` once it listens and runs until killed.
"""

from __future__ import annotations

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402  (after require_version)

VIDEO = (
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1"
    " ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 bitrate=300"
    " ! rtph264pay name=pay0 pt=96 config-interval=1"
)
AUDIO = (
    " audiotestsrc is-live=true wave=sine freq=440 ! audio/x-raw,rate=8000,channels=1"
    " ! alawenc ! rtppcmapay name=pay1 pt=8"
)


def main() -> None:
    port, with_audio = sys.argv[1], "--no-audio" not in sys.argv[2:]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f"( {VIDEO}{AUDIO if with_audio else ''} )")
    factory.set_shared(True)  # one pipeline however many clients (the gateway is one)
    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{port}")
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
