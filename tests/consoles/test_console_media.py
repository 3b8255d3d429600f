"""The console's group call, push-to-talk and a 1:1 call to a phone, in Chromium.

media_inside.py runs under pytest inside a network namespace made for it with only `lo` up,
so every WebRTC packet stays on 127.0.0.1; the namespace is deleted afterwards and whatever
still runs in it is killed by PID (tests/netns.py).
"""

from __future__ import annotations

from pathlib import Path

from tests.consoles.browser import require_dist
from tests.consoles.media_inside import INSIDE
from tests.netns import pytest_inside

INNER = Path(__file__).with_name("media_inside.py")
LIMIT_S = 180


async def test_group_call_and_ptt_in_the_console(loopback_netns: str) -> None:
    require_dist()
    text = await pytest_inside(loopback_netns, INNER, INSIDE, LIMIT_S)
    assert "2 passed" in text
