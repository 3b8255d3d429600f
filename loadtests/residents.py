"""Residents filing public appeals (群众诉求) over the dispatch plugin's public API.

``appeals_per_min`` appeals, open loop, each ``POST /api/v1/dispatch/public/appeals`` with a
location inside one of the county's basic grids and its send time stamped into the title (the
consoles measure appeal → console from it). The HTTP round trip is ``appeal.http``. The hub
limits appeals per client address (``appeal_limit`` per ``appeal_window_s``); against a hub
with the default limit, expect ``appeal.rate_limited`` errors (``--spawn-hub`` raises it).
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from loadtests.context import SETTLE_S, Context, stamp

PATH = "/api/v1/dispatch/public/appeals"


async def file_appeal(ctx: Context, n: int, gate: asyncio.Semaphore) -> None:
    grid = ctx.directory.grids[n % len(ctx.directory.grids)]
    body = {
        "title": stamp(f"压测诉求 {n}", time.time()),
        "category": ctx.scenario.residents.category,
        "location": {"lon": grid.lon, "lat": grid.lat},
        "contact_name": "压测居民",
        "description": "负载测试自动提交",
    }
    async with gate:
        sent = time.time()
        try:
            async with ctx.http.post(ctx.url(n) + PATH, json=body) as resp:
                data = await resp.json(content_type=None)
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            ctx.rec.error(f"appeal.{type(exc).__name__}")
            return
    if status in (200, 201):
        ctx.rec.latency("appeal.http", time.time() - sent)
    else:
        code = (data.get("error") or {}).get("code") if isinstance(data, dict) else None
        ctx.rec.error(str(code or f"http.{status}"))


async def run_residents(ctx: Context) -> None:
    r = ctx.scenario.residents
    rate, gate, n = r.appeals_per_min / 60.0, asyncio.Semaphore(r.parallel), 0
    if rate <= 0 or not ctx.directory.grids:
        return
    while await ctx.sleep_until(ctx.start + n / rate):
        if gate.locked():
            ctx.rec.error("appeal.skipped_in_flight")
        else:
            ctx.spawn(file_appeal(ctx, n, gate))
        n += 1
    await asyncio.sleep(SETTLE_S)
