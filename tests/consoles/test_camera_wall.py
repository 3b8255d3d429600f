"""A fixed RTSP camera (with sound) on the console's video wall, with every packet on 127.0.0.1.

The test (hub, media worker, GStreamer RTSP server, Chromium: tests/consoles/camera_wall.py
under pytest) runs inside a network namespace made for it with only `lo` up; the namespace is
deleted afterwards and whatever still runs in it is killed by PID.
"""

from __future__ import annotations

from pathlib import Path

from tests.consoles.browser import require_dist
from tests.consoles.camera_wall import INSIDE
from tests.netns import pytest_inside

INNER = Path(__file__).with_name("camera_wall.py")
LIMIT_S = 120


async def test_camera_wall_on_loopback(loopback_netns: str) -> None:
    require_dist()
    text = await pytest_inside(loopback_netns, INNER, INSIDE, LIMIT_S)
    assert "1 passed" in text
