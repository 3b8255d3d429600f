"""The field app's SOS hot mic heard live on the console, in Chromium with every packet on
127.0.0.1: tests/consoles/sos_live.py runs under pytest inside a network namespace made for it
with only `lo` up; the namespace is deleted afterwards and whatever still runs in it is killed
by PID (tests/netns.py)."""

from __future__ import annotations

from pathlib import Path

from tests.consoles.browser import require_dist
from tests.consoles.sos_live import INSIDE
from tests.netns import pytest_inside

INNER = Path(__file__).with_name("sos_live.py")
LIMIT_S = 300


async def test_sos_hot_mic_and_live_listening(loopback_netns: str) -> None:
    require_dist()
    text = await pytest_inside(loopback_netns, INNER, INSIDE, LIMIT_S)
    assert "2 passed" in text
