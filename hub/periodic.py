"""The one periodic-job loop: run a job, log a failure instead of dying, wait, repeat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("gridhub.periodic")


async def every(interval_s: float, job: Callable[[], Awaitable[object]], name: str) -> None:
    """Run `job` now and then every `interval_s` seconds after each run ends, until cancelled.

    A failing run is logged (with `name`) and the next one still comes: one bad sweep must not
    stop the sweeps for the rest of the node's life.
    """
    while True:
        try:
            await job()
        except Exception:
            log.exception("periodic job failed", extra={"job": name})
        await asyncio.sleep(interval_s)
