"""The console and the field app keep the newest word of a call's speaker, PTT floor and
listeners, even when events overtake the join reply (tests/consoles/media_order.py, in
Chromium, inside a network namespace with only `lo` up; deleted afterwards, whatever still
runs in it killed by PID)."""

from __future__ import annotations

from pathlib import Path

from tests.consoles.browser import require_dist
from tests.consoles.media_order import INSIDE
from tests.netns import pytest_inside

INNER = Path(__file__).with_name("media_order.py")
LIMIT_S = 150


async def test_consoles_follow_events_that_overtake_join_replies(loopback_netns: str) -> None:
    require_dist()
    text = await pytest_inside(loopback_netns, INNER, INSIDE, LIMIT_S)
    assert "2 passed" in text
