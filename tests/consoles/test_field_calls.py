"""The field app's 1:1 calls in Chromium, with every packet on 127.0.0.1.

The call (hub, two Chromium contexts: tests/consoles/field_calls.py under pytest) runs inside a
network namespace made for it with only `lo` up; the namespace is deleted afterwards and
whatever still runs in it is killed by PID.
"""

from __future__ import annotations

from pathlib import Path

from tests.consoles.browser import require_dist
from tests.consoles.field_calls import INSIDE
from tests.netns import pytest_inside

INNER = Path(__file__).with_name("field_calls.py")
LIMIT_S = 120


async def test_field_app_calls_on_loopback(loopback_netns: str) -> None:
    require_dist()
    text = await pytest_inside(loopback_netns, INNER, INSIDE, LIMIT_S)
    assert "2 passed" in text
