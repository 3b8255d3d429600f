"""A per-client limit on residents' questions, counted in the database (one limit across the
nodes of a cluster): `limit` questions per `window_s` per address, refused ones not counted."""

from __future__ import annotations

import math
import time

from aiohttp import web
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.sdk import TooManyRequests, client_address
from plugins.party.models import RateWindow


class QuestionLimit:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], limit: int, window_s: int
    ) -> None:
        self._sessions = sessions
        self.limit = limit
        self.window_s = window_s

    async def check(self, request: web.Request) -> None:
        """Count the client's question, or refuse it (429 party.rate_limited)."""
        client = client_address(request)[:64]
        start = math.floor(time.time() / self.window_s) * self.window_s
        key = (
            RateWindow.bucket == "ask",
            RateWindow.client == client,
            RateWindow.window_start == start,
        )
        for _ in range(2):  # a concurrent first question may open the window before us
            try:
                async with self._sessions.begin() as session:
                    if await self._bump(session, key):
                        return
                    if await session.scalar(select(RateWindow.hits).where(*key)) is None:
                        await session.execute(
                            delete(RateWindow).where(
                                RateWindow.bucket == "ask", RateWindow.window_start < start
                            )
                        )
                        await session.execute(
                            insert(RateWindow).values(
                                bucket="ask", client=client, window_start=start, hits=1
                            )
                        )
                        return
                raise TooManyRequests("party.rate_limited", "too many questions; try later")
            except IntegrityError:
                continue

    async def _bump(self, session: AsyncSession, key: tuple[object, ...]) -> bool:
        bumped = await session.execute(
            update(RateWindow)
            .where(*key, RateWindow.hits < self.limit)  # type: ignore[arg-type]
            .values(hits=RateWindow.hits + 1)
            .returning(RateWindow.hits)
        )
        return bumped.first() is not None
