"""Helpers shared by the services plugin's parts: scope, tracking codes, bodies, rate limits."""

from __future__ import annotations

import math
import re
import secrets
import time
from collections.abc import Iterable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.sdk import (
    GridIndex,
    NotFound,
    Principal,
    TooManyRequests,
    client_address,
    invalid_from_pydantic,
    parse_json_body,
    require_scope,
)
from plugins.services.models import RateWindow

M = TypeVar("M", bound=BaseModel)
PHONE = r"^(?:\+?86)?(?:1[3-9]\d{9}|0\d{9,11})$"
PHONE_OR_NONE = r"^(?:|(?:\+?86)?(?:1[3-9]\d{9}|0\d{9,11}))$"
NAME = r"^[^\x00-\x1f<>]{1,40}$"
CODE_PATH = "{code:[A-Za-z0-9_-]{8,24}}"
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{8,24}$")


def new_code() -> str:
    """A tracking code a resident keeps (96 random bits, URL-safe)."""
    return secrets.token_urlsafe(12)


def visible_grids(who: Principal, index: GridIndex, roles: Iterable[str]) -> set[int] | None:
    """Grid ids a list may show the caller (None: every grid, for admins)."""
    if who.is_admin:
        return None
    return index.scope_ids(who.grid_ids(roles))


def check_grid(who: Principal, index: GridIndex, grid_id: int, roles: Iterable[str]) -> None:
    """The grid exists and lies in the caller's scope for `roles` (404 / 403 otherwise)."""
    if grid_id not in index:
        raise NotFound("services.grid_not_found", f"no grid {grid_id}")
    require_scope(who, index, grid_id, roles)


def validated(model: type[M], data: Any, code: str = "request.invalid") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_from_pydantic(exc, code) from None


async def json_body(request: web.Request, model: type[M]) -> M:
    """A JSON body validated by `model`, read inside a handler (after its rate limit)."""
    return validated(model, parse_json_body(await request.read() or b"null"))


class RateLimiter:
    """Fixed windows per client address, counted in the database (shared by a cluster)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def check(self, request: web.Request, bucket: str, limit: int) -> None:
        retry_after = await self.hit(bucket, client_address(request), limit, 60)
        if retry_after is not None:
            raise TooManyRequests(
                "services.rate_limited",
                f"too many requests from this address; try again in {retry_after} s",
                details={"retry_after": retry_after},
            )

    async def hit(self, bucket: str, client: str, limit: int, window_s: int) -> int | None:
        now = time.time()
        start = math.floor(now / window_s) * window_s
        key = (RateWindow.bucket == bucket, RateWindow.client == client,
               RateWindow.window_start == start)  # fmt: skip
        for _ in range(3):  # a concurrent first hit may open the window under us
            try:
                async with self._sessions.begin() as session:
                    bumped = await session.execute(
                        update(RateWindow).where(*key, RateWindow.hits < limit)
                        .values(hits=RateWindow.hits + 1).returning(RateWindow.hits)
                    )  # fmt: skip
                    if bumped.first() is not None:
                        return None
                    hits = await session.scalar(select(RateWindow.hits).where(*key))
                    if hits is None:
                        await _open(session, bucket, client, start)
                        return None
                if hits >= limit:
                    return max(1, math.ceil(start + window_s - now))
                # The window was committed between our update and select: count in it again.
            except IntegrityError:
                continue
        return None


async def _open(session: AsyncSession, bucket: str, client: str, start: float) -> None:
    """Start the client's window and forget the bucket's ended windows."""
    await session.execute(
        delete(RateWindow).where(RateWindow.bucket == bucket, RateWindow.window_start < start)
    )
    await session.execute(
        insert(RateWindow).values(bucket=bucket, client=client, window_start=start, hits=1)
    )
