"""Greetings: stored in the plugin's table, scoped by the keeper role, announced on the bus."""

from __future__ import annotations

from typing import Annotated, Any

from hub.sdk import (
    Actor,
    DbId,
    GridIndex,
    GridNode,
    NotFound,
    PluginContext,
    Principal,
    require_scope,
)
from pydantic import BaseModel, Field, StringConstraints, model_validator
from sqlalchemy import func, select

from gridhub_hello.access import KEEPER, KEEPERS
from gridhub_hello.messages import GreetingPosted
from gridhub_hello.models import Greeting

Coordinate = Annotated[float, Field(allow_inf_nan=False)]


class GreetingIn(BaseModel):
    """A new greeting (HTTP body and socket payload alike)."""

    grid_id: DbId
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    lat: Coordinate | None = Field(None, ge=-90, le=90)
    lon: Coordinate | None = Field(None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_or_neither(self) -> GreetingIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give lat and lon together, or neither")
        return self


class GreetingsQuery(BaseModel):
    grid_id: DbId | None = Field(None, description="only this grid's subtree")
    limit: int = Field(100, ge=1, le=200)


def greeting_dict(row: Greeting, index: GridIndex) -> dict[str, Any]:
    node = index.get(row.grid_id) if row.grid_id in index else None
    return {
        "id": row.id,
        "grid_id": row.grid_id,
        "grid_name": node.name if node else None,
        "text": row.text,
        "lat": row.lat,
        "lon": row.lon,
        "author": row.author_name,
        "created_at": row.created_at.timestamp(),
    }


class Greetings:
    def __init__(self, ctx: PluginContext) -> None:
        self._ctx = ctx

    @property
    def index(self) -> GridIndex:
        return self._ctx.grids.index

    def visible_grids(self, who: Principal, grid_id: int | None) -> set[int] | None:
        """Grid ids whose greetings `who` may read (None: every grid, for an admin)."""
        if grid_id is not None:
            require_scope(who, self.index, grid_id, KEEPERS)
            return self.index.scope_ids([grid_id])
        return None if who.is_admin else self.index.scope_ids(who.grid_ids(KEEPERS))

    async def newest(self, who: Principal, query: GreetingsQuery) -> list[dict[str, Any]]:
        grids = self.visible_grids(who, query.grid_id)
        stmt = select(Greeting).order_by(Greeting.id.desc()).limit(query.limit)
        if grids is not None:
            stmt = stmt.where(Greeting.grid_id.in_(grids))
        async with self._ctx.sessions() as session:
            rows = list(await session.scalars(stmt))
        return [greeting_dict(row, self.index) for row in rows]

    async def count(self, who: Principal) -> int:
        grids = self.visible_grids(who, None)
        stmt = select(func.count(Greeting.id))
        if grids is not None:
            stmt = stmt.where(Greeting.grid_id.in_(grids))
        async with self._ctx.sessions() as session:
            return int(await session.scalar(stmt) or 0)

    async def post(self, who: Principal, body: GreetingIn) -> dict[str, Any]:
        require_scope(who, self.index, body.grid_id, KEEPERS)
        if body.grid_id not in self.index:
            raise NotFound("hello.grid_not_found", f"there is no grid {body.grid_id}")
        lat, lon = _place(body, self.index.get(body.grid_id))
        row = Greeting(
            grid_id=body.grid_id,
            text=body.text,
            lat=lat,
            lon=lon,
            author_id=who.person_id,
            author_name=who.display_name,
        )
        async with self._ctx.sessions.begin() as session:
            session.add(row)
            await session.flush()
            details = {"grid_id": body.grid_id}
            self._ctx.audit.record(
                session, Actor.of(who), "hello.greeting.posted", "hello_greeting", row.id, details
            )
        await self._ctx.bus.publish(GreetingPosted(greeting_id=row.id, grid_id=row.grid_id))
        return greeting_dict(row, self.index)

    async def get(self, greeting_id: int) -> dict[str, Any] | None:
        async with self._ctx.sessions() as session:
            row = await session.get(Greeting, greeting_id)
        return None if row is None else greeting_dict(row, self.index)

    async def keepers_over(self, grid_id: int) -> list[int]:
        """People holding the keeper role on a grid covering `grid_id` (its chain)."""
        covering = set(self.index.covering_ids(grid_id))
        people = await self._ctx.directory.holding_roles_in(covering)
        return [
            p.id
            for p in people
            if any(r["role"] == KEEPER and r["grid_id"] in covering for r in p.roles)
        ]


def _place(body: GreetingIn, grid: GridNode) -> tuple[float | None, float | None]:
    """Where the greeting sits on the map: as given, else the grid's centre (if it has one)."""
    if body.lat is not None and body.lon is not None:
        return body.lat, body.lon
    if grid.centre is None:
        return None, None
    lon, lat = grid.centre
    return lat, lon
