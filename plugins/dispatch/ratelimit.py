"""Per-client rate limits for the public endpoints: fixed windows counted in the database.

Counting in the database (not in process memory) keeps a limit a limit when several hub nodes
serve the same public form. A window is `window_s` long and aligned to the epoch; a client may
make `limit` requests in it. Refused requests are not counted.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import Float, Integer, String, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from hub.sdk import Base, TooManyRequests, client_address


class RateWindow(Base):
    __tablename__ = "dispatch_rate_windows"

    bucket: Mapped[str] = mapped_column(String(16), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[float] = mapped_column(Float, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True, slots=True)
class Limit:
    bucket: str
    limit: int
    window_s: int


class RateLimited(TooManyRequests):
    """429 with the seconds until the client's window ends (sent as Retry-After)."""

    def __init__(self, code: str, retry_after: int) -> None:
        super().__init__(
            code,
            f"too many requests from this address; try again in {retry_after} s",
            details={"retry_after": retry_after},
        )
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def check(self, request: web.Request, rule: Limit, code: str) -> None:
        """Count one request of the client; raise RateLimited when its window is full.

        The client is `hub.netaddr.client_address`: the peer, or behind one of the hub's
        `trusted_proxies` the address the proxy vouches for. An X-Forwarded-For from anyone
        else is ignored, so nobody buys a fresh window by writing another address into it.
        """
        retry_after = await self.hit(rule, client_address(request))
        if retry_after is not None:
            raise RateLimited(code, retry_after)

    async def hit(self, rule: Limit, client: str, now: float | None = None) -> int | None:
        """Count a request; None when allowed, else the seconds until the window ends."""
        now = time.time() if now is None else now
        start = math.floor(now / rule.window_s) * rule.window_s
        key = (RateWindow.bucket == rule.bucket, RateWindow.client == client,
               RateWindow.window_start == start)  # fmt: skip
        # A concurrent first hit may open the window between our bump and our look (or insert
        # it before us): a window seen with room left is bumped again, never taken as full.
        for _ in range(3):
            try:
                async with self._sessions.begin() as session:
                    if await self._bump(session, key, rule.limit):
                        return None
                    hits = await session.scalar(select(RateWindow.hits).where(*key))
                    if hits is not None and hits >= rule.limit:
                        return max(1, math.ceil(start + rule.window_s - now))
                    if hits is None:
                        await self._open(session, rule.bucket, client, start)
                        return None
            except IntegrityError:
                continue
        return None

    @staticmethod
    async def _bump(session: AsyncSession, key: tuple[Any, ...], limit: int) -> bool:
        bumped = await session.execute(
            update(RateWindow)
            .where(*key, RateWindow.hits < limit)
            .values(hits=RateWindow.hits + 1)
            .returning(RateWindow.hits)
        )
        return bumped.first() is not None

    @staticmethod
    async def _open(session: AsyncSession, bucket: str, client: str, start: float) -> None:
        """Start the client's window, and forget the bucket's windows that have ended."""
        await session.execute(
            delete(RateWindow).where(RateWindow.bucket == bucket, RateWindow.window_start < start)
        )
        await session.execute(
            insert(RateWindow).values(bucket=bucket, client=client, window_start=start, hits=1)
        )


def limited_response(exc: RateLimited, body: Any) -> web.Response:
    return web.json_response(body, status=exc.status, headers={"Retry-After": str(exc.retry_after)})
