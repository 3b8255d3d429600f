"""Per-client rate limits for plugins' public forms: fixed windows counted in the database.

Counting in the database (not in process memory) keeps a limit a limit when several hub nodes
serve the same form. A window is `window_s` long and aligned to the epoch; a client may make
`limit` requests in it; refused requests are not counted. A plugin reaches this through
`ctx.rate_limits`, whose buckets are named after the plugin, so two plugins never share one.

Every hit is one statement, an upsert that opens the window or counts in it only while it has
room (`INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1 WHERE hits < limit RETURNING hits`):
concurrent requests in one window, on one node or many, can never take more than `limit`.
On PostgreSQL the conflicting insert waits for the row's holder and then re-checks the
condition on the committed row; SQLite has one writer at a time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from aiohttp import web
from sqlalchemy import Table, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.errors import TooManyRequests
from hub.netaddr import client_address
from storage.models import RateWindow

T = cast(Table, RateWindow.__table__)  # Core, not ORM: one plain statement per hit


@dataclass(frozen=True, slots=True)
class RateLimit:
    """`limit` requests per client in each window of `window_s` seconds, counted in `bucket`
    (a name of the plugin's choosing, at most 40 characters)."""

    bucket: str
    limit: int
    window_s: int = 60


class RateLimited(TooManyRequests):
    """429 with the seconds until the client's window ends (`details.retry_after`, and the
    Retry-After header when answered over HTTP)."""

    def __init__(self, code: str, retry_after: int) -> None:
        super().__init__(
            code,
            f"too many requests from this address; try again in {retry_after} s",
            details={"retry_after": retry_after},
        )
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class RateLimits:
    """A plugin's rate limits (`ctx.rate_limits`): its buckets are `<plugin>.<bucket>`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        namespace: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sessions = sessions
        self._namespace = namespace
        self._clock = clock

    async def check(self, request: web.Request, rule: RateLimit, code: str) -> None:
        """Count one request of the client; raise RateLimited(`code`) when its window is full.

        The client is `hub.netaddr.client_address`: the peer, or behind one of the hub's
        `trusted_proxies` the address the proxy vouches for. An X-Forwarded-For from anyone
        else is ignored, so nobody buys a fresh window by writing another address into it.
        """
        retry_after = await self.hit(rule, client_address(request))
        if retry_after is not None:
            raise RateLimited(code, retry_after)

    async def hit(self, rule: RateLimit, client: str) -> int | None:
        """Count a request of `client`; None when allowed, else the seconds until the window
        ends."""
        now = self._clock()
        start = math.floor(now / rule.window_s) * rule.window_s
        bucket = f"{self._namespace}.{rule.bucket}"[:64]
        async with self._sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            hits = await session.scalar(_hit(dialect, bucket, client[:64], start, rule.limit))
            if hits is None:
                return max(1, math.ceil(start + rule.window_s - now))
            if hits == 1:  # this hit opened the window: forget the bucket's ended ones
                ended = delete(T).where(T.c.bucket == bucket, T.c.window_start < start)
                await session.execute(ended)
        return None


def _hit(dialect: str, bucket: str, client: str, start: float, limit: int) -> Any:
    """Open the window with one hit, or count one more while it has room; RETURNING the
    count, or no row when the window is full."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(T).values(bucket=bucket, client=client, window_start=start, hits=1)
    return statement.on_conflict_do_update(
        index_elements=[T.c.bucket, T.c.client, T.c.window_start],
        set_={"hits": T.c.hits + 1},
        where=T.c.hits < limit,
    ).returning(T.c.hits)
