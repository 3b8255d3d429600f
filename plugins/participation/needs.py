"""群众点单: residents publish needs on their village's list; one volunteer takes each up.

Only an approved volunteer of the village (registry.py) takes a need up. Taking is a guarded
UPDATE (state open -> taken): of volunteers racing for one need, exactly one wins
(`participation.need_taken` for the others). The resident who published it or a village
officer confirms it done (not the taker, who is credited): that records the taker's service
hours once (unique per need) and credits points by the village's `need` rule once (ledger key
`need:<id>`), in the transaction that marks it done: hours and points commit together.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import (
    Actor,
    Conflict,
    DbId,
    Forbidden,
    NotFound,
    PluginContext,
    Principal,
    in_scope,
    utcnow,
)
from plugins.participation.access import NEED, OFFICERS
from plugins.participation.models import Need, PointRule, ServiceHours
from plugins.participation.points import Points, resident_villages
from plugins.participation.registry import Registry

TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"


class NeedIn(BaseModel):
    grid_id: DbId
    category: str = Field(pattern=r"^[a-z_]{2,24}$")
    text: str = Field(min_length=1, max_length=500, pattern=TEXT)


class NeedDoneIn(BaseModel):
    hours: int = Field(default=1, ge=1, le=8)  # the taker's service hours


def need_view(n: Need) -> dict[str, Any]:
    return {
        "id": n.id,
        "grid_id": n.grid_id,
        "author": n.author_name,
        "category": n.category,
        "text": n.text,
        "state": n.state,
        "taker": n.taker_name,
        "created_at": n.created_at.isoformat(),
    }


class Needs:
    def __init__(self, ctx: PluginContext, points: Points, registry: Registry) -> None:
        self.ctx = ctx
        self.points = points
        self.registry = registry

    async def publish(self, who: Principal, body: NeedIn) -> dict[str, Any]:
        if body.grid_id not in resident_villages(who, self.points.index):
            raise Forbidden("scope.forbidden", "residents publish needs in their own village")
        async with self.ctx.sessions.begin() as session:
            need = Need(
                grid_id=body.grid_id,
                person_id=who.person_id,
                author_name=who.display_name,
                category=body.category,
                text=body.text,
                state="open",
                created_at=utcnow(),
            )
            session.add(need)
            await session.flush()
            self.ctx.audit.record(
                session,
                Actor.of(who),
                "participation.need.published",
                NEED,
                need.id,
                {"category": body.category},
            )
            return need_view(need)

    async def listed(self, who: Principal, grid_id: int | None) -> list[dict[str, Any]]:
        stmt = select(Need).order_by(Need.id.desc()).limit(200)
        return [need_view(n) for n in await self.points.visible_rows(who, stmt, Need, grid_id)]

    async def _need(self, need_id: int) -> Need:
        async with self.ctx.sessions() as session:
            need = await session.get(Need, need_id)
        if need is None:
            raise NotFound("participation.need_not_found", f"no need {need_id}")
        return need

    async def take(self, who: Principal, need_id: int) -> dict[str, Any]:
        need = await self._need(need_id)
        if need.grid_id not in resident_villages(who, self.points.index):
            raise Forbidden("scope.forbidden", "the need is another village's")
        if need.person_id == who.person_id:
            raise Conflict("participation.own_need", "someone else takes up your need")
        if await self.registry.approved(who.person_id, need.grid_id) is None:
            raise Forbidden(
                "participation.not_volunteer", "approved volunteers of the village take needs up"
            )
        async with self.ctx.sessions.begin() as session:
            taken = await session.execute(
                update(Need)
                .where(Need.id == need.id, Need.state == "open")
                .values(
                    state="taken",
                    taken_by=who.person_id,
                    taker_name=who.display_name,
                    taken_at=utcnow(),
                )
                .returning(Need.id)
            )
            if taken.first() is None:
                raise Conflict("participation.need_taken", "someone has taken this need up")
            self.ctx.audit.record(
                session, Actor.of(who), "participation.need.taken", NEED, need.id, {}
            )
        return {"id": need.id, "state": "taken", "taker": who.display_name}

    async def done(self, who: Principal, need_id: int, body: NeedDoneIn) -> dict[str, Any]:
        need = await self._need(need_id)
        officer = in_scope(who, self.points.index, need.grid_id, OFFICERS)
        if not officer and need.person_id != who.person_id:
            raise Forbidden("scope.forbidden", "the resident or the village confirms a need done")
        async with self.ctx.sessions.begin() as session:
            done = await session.execute(
                update(Need)
                .where(Need.id == need.id, Need.state == "taken")
                .values(state="done", done_at=utcnow())
                .returning(Need.taken_by)
            )
            taker = done.scalar()
            if taker is None:
                raise Conflict("participation.need_not_taken", "only a taken need is done")
            await session.execute(insert(ServiceHours).values(
                need_id=need.id, activity_id=None, team_id=None, person_id=taker,
                grid_id=need.grid_id, category=need.category, hours=body.hours,
                created_at=utcnow()))  # fmt: skip
            self.ctx.audit.record(
                session, Actor.of(who), "participation.need.done", NEED, need.id,
                {"hours": body.hours},
            )  # fmt: skip
            credited = await self._credit(session, need, taker)
        return {"id": need.id, "state": "done", "hours": body.hours, "points": credited}

    async def _credit(self, session: AsyncSession, need: Need, taker: int) -> int:
        """Points by the village's active `need` rule (the oldest, if several), once, in the
        transaction that marks the need done."""
        rule = await session.scalar(
            select(PointRule)
            .where(PointRule.grid_id == need.grid_id, PointRule.kind == "need",
                   PointRule.active.is_(True))
            .order_by(PointRule.id).limit(1))  # fmt: skip
        if rule is None:
            return 0
        delta = await self.points.credit_in(session, taker, rule, 1, f"need:{need.id}",
                                            f"need:{need.id}")  # fmt: skip
        return delta or 0
