"""The expert pool (专家库): experts a town or county keeps (lawyers, retired judges,
psychologists, surveyors...) by specialty, kept by the mediators and command roles of that town
or county, and called into a case by its handlers (audited, in the case's timeline).

Who sees the pool: anyone reading cases sees the experts of the grids above and below theirs
(a village mediator knows the town's and the county's experts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import (
    Actor,
    Conflict,
    GridIndex,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    require_scope,
    utcnow,
)
from plugins.mediation import access, views
from plugins.mediation.cases import Cases
from plugins.mediation.effects import Change
from plugins.mediation.models import Case, Expert
from plugins.mediation.schemas import ExpertAssign, ExpertIn, ExpertPatch, ExpertsQuery
from plugins.mediation.workflow import OPEN, require_state

POOL_LEVELS = frozenset({"town", "county"})


class Experts:
    def __init__(self, ctx: PluginContext, cases: Cases) -> None:
        self.ctx = ctx
        self.cases = cases

    @property
    def index(self) -> GridIndex:
        return self.ctx.grids.index

    def _view(self, row: Expert) -> dict[str, Any]:
        return views.expert(row, self.index, self.ctx.personal.open(row.phone))

    def _visible(self, who: Principal) -> set[int] | None:
        if who.is_admin:
            return None
        roots = [g for g in who.grid_ids(access.READERS) if g in self.index]
        above = {g for root in roots for g in self.index.covering_ids(root)}
        return above | self.index.scope_ids(roots)

    async def listed(self, who: Principal, query: ExpertsQuery) -> list[dict[str, Any]]:
        stmt = select(Expert).order_by(Expert.grid_id, Expert.name, Expert.id)
        grids = self._visible(who)
        if grids is not None:
            stmt = stmt.where(Expert.grid_id.in_(grids))
        if query.active is not None:
            stmt = stmt.where(Expert.active == query.active)
        async with self.ctx.sessions() as session:
            rows = list(await session.scalars(stmt))
        if query.specialty:  # a JSON list: filtered here, the same on every dialect
            rows = [r for r in rows if query.specialty in r.specialties]
        return [self._view(r) for r in rows]

    def _require_keeper(self, who: Principal, grid_id: int) -> None:
        """Town or county staff keep the pool of their own town or county (or one below)."""
        if grid_id not in self.index or self.index.get(grid_id).level not in POOL_LEVELS:
            raise InvalidInput("mediation.expert_level", "experts are kept by a town or county")
        require_scope(who, self.index, grid_id, access.WORKERS)

    async def create(self, who: Principal, body: ExpertIn) -> dict[str, Any]:
        self._require_keeper(who, body.grid_id)
        now = utcnow()
        async with self.ctx.sessions.begin() as session:
            row = Expert(
                grid_id=body.grid_id,
                name=body.name,
                title=body.title,
                specialties=list(dict.fromkeys(body.specialties)),
                phone=self.ctx.personal.seal(body.phone),
                active=True,
                created_at=now,
                updated_at=now,
                version=1,
            )
            session.add(row)
            await session.flush()
            self._audit(session, who, "create", row)
            return self._view(row)

    async def update(self, who: Principal, expert_id: int, body: ExpertPatch) -> dict[str, Any]:
        async with self.ctx.sessions.begin() as session:
            row = await self._kept(session, who, expert_id, body.version)
            changed = body.model_dump(exclude_none=True, exclude={"version"})
            if "phone" in changed:
                changed["phone"] = self.ctx.personal.seal(changed["phone"])
            if "specialties" in changed:
                changed["specialties"] = list(dict.fromkeys(changed["specialties"]))
            for name, value in changed.items():
                setattr(row, name, value)
            row.version += 1
            row.updated_at = utcnow()
            self._audit(session, who, "update", row, sorted(changed))
            return self._view(row)

    async def delete(self, who: Principal, expert_id: int, version: int) -> dict[str, Any]:
        """An expert never called into a case goes; one who was stays (deactivate instead), so
        the cases keep naming them."""
        async with self.ctx.sessions.begin() as session:
            row = await self._kept(session, who, expert_id, version)
            # only cases under the pool's grid can have called the expert in (see assign)
            under = self.index.scope_ids([row.grid_id])
            cases = await session.scalars(select(Case.expert_ids).where(Case.grid_id.in_(under)))
            if any(row.id in (ids or []) for ids in cases):
                raise Conflict(
                    "mediation.expert_in_use", "the expert was called into cases: deactivate them"
                )
            self._audit(session, who, "delete", row)
            await session.delete(row)
        return {"deleted": expert_id}

    async def _kept(
        self, session: AsyncSession, who: Principal, expert_id: int, version: int
    ) -> Expert:
        row = await session.get(Expert, expert_id)
        visible = self._visible(who)
        if row is None or (visible is not None and row.grid_id not in visible):
            raise NotFound("mediation.expert_not_found", f"no expert {expert_id} in your scope")
        self._require_keeper(who, row.grid_id)
        if row.version != version:
            raise Conflict(
                "mediation.version_conflict",
                f"expert {row.id} changed (version {row.version}, you had {version})",
            )
        return row

    def _audit(
        self, session: AsyncSession, who: Principal, verb: str, row: Expert, fields: Any = None
    ) -> None:
        details: dict[str, Any] = {"name": row.name, "grid_id": row.grid_id}
        if fields is not None:
            details["fields"] = fields
        self.ctx.audit.record(
            session, Actor.of(who), f"mediation.expert.{verb}", "mediation_expert", row.id, details
        )

    # --- calling an expert into a case -------------------------------------------------------

    async def assign(self, who: Principal, case_id: int, body: ExpertAssign) -> dict[str, Any]:
        actor = Actor.of(who)
        async with self.ctx.sessions.begin() as session:
            case = await self.cases.for_change(session, who, case_id, body.version)
            require_state(case, OPEN | {"agreed"}, "call an expert")
            expert = await session.get(Expert, body.expert_id)
            covering = set(self.index.covering_ids(case.grid_id))
            if expert is None or not expert.active or expert.grid_id not in covering:
                raise Conflict(
                    "mediation.expert_invalid",
                    f"expert {body.expert_id} is not an active expert over the case's grid",
                )
            if expert.id in (case.expert_ids or []):
                raise Conflict("mediation.expert_assigned", "the expert is already on the case")
            case.expert_ids = [*(case.expert_ids or []), expert.id]
            details = {"expert_id": expert.id, "name": expert.name}
            self.cases.bump(session, case, "expert_assigned", actor, details)
            result = views.summary(case, self.index)
        await self.cases.effects.after(Change(result, "expert_assigned", who.person_id))
        return result
