"""Standard addresses (标准地址): a tree below each grid, road → number → building → unit → room.
A child is a deeper level than its parent, in the parent's grid or a grid below it; its
`full_name` is its parent's with its own name added, so any address reads in full."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import Actor, DbId, InvalidInput, Principal
from plugins.archives import access
from plugins.archives.models import ADDRESS_LEVELS, Address
from plugins.archives.schemas import AddressIn, Strict
from plugins.archives.shared import Env, in_reach, not_found


class AddressQuery(Strict):
    grid_id: DbId | None = None
    parent_id: DbId | None = Field(None, description="children of this address; roads if absent")
    q: str = Field("", max_length=50, description="full-name prefix")
    limit: int = Field(100, ge=1, le=500)


def address_out(row: Address) -> dict[str, Any]:
    return {"id": row.id, "grid_id": row.grid_id, "parent_id": row.parent_id,
            "level": row.level, "name": row.name, "full_name": row.full_name,
            "lng": row.lng, "lat": row.lat}  # fmt: skip


class Addresses:
    def __init__(self, env: Env) -> None:
        self.env = env

    async def children(self, who: Principal, query: AddressQuery) -> dict[str, Any]:
        index = self.env.index
        stmt = select(Address).where(in_reach(who, index, Address.grid_id, access.READ_ROLES))
        stmt = stmt.where(Address.parent_id == query.parent_id if query.parent_id is not None
                          else Address.parent_id.is_(None))  # fmt: skip
        if query.grid_id is not None:
            stmt = stmt.where(Address.grid_id.in_(sorted(index.scope_ids([query.grid_id]))))
        if query.q:
            stmt = stmt.where(self.env.prefix(Address.full_name, query.q))
        async with self.env.ctx.sessions() as session:
            rows = await session.scalars(stmt.order_by(Address.full_name).limit(query.limit))
            return {"items": [address_out(row) for row in rows]}

    async def create(self, who: Principal, body: AddressIn) -> dict[str, Any]:
        self.env.require_grid(body.grid_id)
        access.require(who, self.env.index, body.grid_id, access.WRITE_ROLES)
        async with self.env.ctx.sessions.begin() as session:
            parent = await self._parent(session, body)
            full = (parent.full_name if parent else "") + body.name
            row = Address(grid_id=body.grid_id, parent_id=body.parent_id, level=body.level,
                          name=body.name, full_name=full[:300], lng=body.lng,
                          lat=body.lat)  # fmt: skip
            session.add(row)
            await session.flush()
            self.env.ctx.audit.record(session, Actor.of(who), "archives.address.create",
                                      "archives_address", row.id, {"full_name": full})  # fmt: skip
            return address_out(row)

    async def _parent(self, session: AsyncSession, body: AddressIn) -> Address | None:
        if body.parent_id is None:
            if body.level != "road":
                raise InvalidInput("archives.address_level", "only a road has no parent",
                                   details={"field": "parent_id"})  # fmt: skip
            return None
        parent = await session.get(Address, body.parent_id)
        if parent is None:
            raise not_found("address", body.parent_id)
        if ADDRESS_LEVELS.index(body.level) <= ADDRESS_LEVELS.index(parent.level):
            raise InvalidInput("archives.address_level",
                               f"a {body.level} cannot be below a {parent.level}",
                               details={"field": "level"})  # fmt: skip
        if not self.env.index.is_within(body.grid_id, parent.grid_id):
            raise InvalidInput("archives.address_grid",
                               "an address lies in its parent's grid or a grid below it",
                               details={"field": "grid_id"})  # fmt: skip
        return parent
