"""A mediation session's group call in Chromium (console + field app), with
every packet on 127.0.0.1: session_call_browser.py under pytest inside a network namespace that
has only `lo` up (tests/netns.py). Run under `flock /tmp/gh/netns.lock` beside other helpers."""

from __future__ import annotations

from pathlib import Path

from tests.consoles.browser import require_dist
from tests.netns import pytest_inside
from tests.plugins.mediation.session_call_browser import INSIDE

INNER = Path(__file__).with_name("session_call_browser.py")
LIMIT_S = 150


async def test_online_session_call_on_loopback(loopback_netns: str) -> None:
    require_dist()
    text = await pytest_inside(loopback_netns, INNER, INSIDE, LIMIT_S)
    assert "1 passed" in text
