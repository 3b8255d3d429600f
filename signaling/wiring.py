"""How signaling starts (a built-in component: signaling/component.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from hub.keys import REALTIME, SESSIONS, SETTINGS, TIMERS
from hub.settings import section
from signaling.calls import Calls
from signaling.settings import CallSettings
from signaling.store import CallStore

CALLS = web.AppKey("calls", Calls)
TIMER_OWNER = "signaling"


async def calls_ctx(app: web.Application) -> AsyncIterator[None]:
    """Register the call events; must run after realtime and timers, before timers start.

    The lease heartbeat runs for the hub's life; its first round, at start-up, ends calls a
    dead node left behind.
    """
    calls = Calls(
        app[REALTIME],
        CallStore(app[SESSIONS]),
        app[TIMERS].view(TIMER_OWNER),
        call_settings(app),
    )
    app[CALLS] = calls
    task = asyncio.create_task(calls.heartbeat_forever(), name="call-lease")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def call_settings(app: web.Application) -> CallSettings:
    """The `[calls]` table of the hub's settings."""
    return section(app[SETTINGS], "calls", CallSettings)
