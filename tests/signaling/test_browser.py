"""A real Chromium joins a 1:1 call with an aiortc peer through the hub's signaling.

The call runs (hub, aiortc peer, Chromium: tests/signaling/browser_call.py under pytest) inside
a network namespace made for it with only `lo` up, so every packet stays on 127.0.0.1; the
namespace is deleted afterwards and whatever still runs in it is killed by PID.
"""

from __future__ import annotations

from pathlib import Path

from tests.netns import pytest_inside
from tests.signaling.browser_call import INSIDE

INNER = Path(__file__).with_name("browser_call.py")
LIMIT_S = 180


async def test_chromium_joins_a_call_with_an_aiortc_peer(loopback_netns: str) -> None:
    """Chromium <-> aiortc call, and a Chromium <-> Chromium call through an ICE restart."""
    text = await pytest_inside(loopback_netns, INNER, INSIDE, LIMIT_S)
    assert "2 passed" in text
