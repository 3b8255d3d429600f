"""The SDK's rate limits (hub/ratelimit.py, `ctx.rate_limits`) on SQLite and PostgreSQL: fixed
windows per client, refused hits not counted, buckets of plugins apart, and concurrent hits in
one window, from two "nodes" (engines) at once, never more than the limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.ratelimit import RateLimit, RateLimits
from storage import migrate
from storage.models import RateWindow
from storage.sql import create_engine, session_factory


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    first, second = create_engine(database_url), create_engine(database_url)
    await migrate.upgrade(first)
    yield first, second
    await first.dispose()
    await second.dispose()


async def _windows(engine: AsyncEngine) -> list[tuple[str, str, float, int]]:
    async with session_factory(engine)() as session:
        rows = await session.execute(
            select(RateWindow.bucket, RateWindow.client, RateWindow.window_start, RateWindow.hits)
            .order_by(RateWindow.bucket, RateWindow.client, RateWindow.window_start)
        )  # fmt: skip
    return [(b, c, s, h) for b, c, s, h in rows.all()]


async def test_fixed_windows_per_client_and_plugin(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    engine = engines[0]
    clock = Clock(1000.0)
    limits = RateLimits(session_factory(engine), "hello", clock)
    rule = RateLimit("probe", 2, 10)
    assert await limits.hit(rule, "10.0.0.1") is None
    clock.now = 1001.0
    assert await limits.hit(rule, "10.0.0.1") is None
    clock.now = 1002.5
    assert await limits.hit(rule, "10.0.0.1") == 8  # refused: the window ends at 1010
    assert await limits.hit(rule, "10.0.0.2") is None  # another client's window
    # Another plugin's bucket of the same name counts apart.
    assert await RateLimits(session_factory(engine), "other", clock).hit(rule, "10.0.0.1") is None
    assert await _windows(engine) == [
        ("hello.probe", "10.0.0.1", 1000.0, 2),  # the refused hit was not counted
        ("hello.probe", "10.0.0.2", 1000.0, 1),
        ("other.probe", "10.0.0.1", 1000.0, 1),
    ]
    clock.now = 1010.0  # the next window: allowed again, and the bucket's ended windows go
    assert await limits.hit(rule, "10.0.0.1") is None
    assert await _windows(engine) == [
        ("hello.probe", "10.0.0.1", 1010.0, 1),
        ("other.probe", "10.0.0.1", 1000.0, 1),
    ]


async def test_concurrent_hits_from_two_nodes_never_exceed_the_limit(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    clock = Clock(5000.0)
    nodes = [RateLimits(session_factory(engine), "hello", clock) for engine in engines]
    rule = RateLimit("burst", 20, 600)
    # A fresh window: the first hits race to open it, the rest to count in it.
    answers = await asyncio.gather(*(nodes[i % 2].hit(rule, "10.0.0.9") for i in range(50)))
    allowed = [a for a in answers if a is None]
    assert len(allowed) == 20
    assert {a for a in answers if a is not None} == {400}  # the window is [4800, 5400)
    assert await _windows(engines[0]) == [("hello.burst", "10.0.0.9", 4800.0, 20)]
