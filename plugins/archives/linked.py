"""The archive's records an incident names by id: the person visited or the place inspected
when a visit's hazard filed the incident (`archives_visits.incident_id`, set when dispatch
answers). For the incident drawer's card, beside what lies near the incident's place; only the
records of the caller's grids, people masked with the tags the caller may see."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import select

from hub.sdk import DbId, Principal
from plugins.archives import access
from plugins.archives.models import Place, Resident
from plugins.archives.residents import Residents
from plugins.archives.schemas import Strict
from plugins.archives.shared import Env
from plugins.archives.work_models import Visit

MAX_VISITS = 20  # visits naming one incident (one in practice: dispatch opens one per visit)


class LinkedQuery(Strict):
    incident_id: DbId = Field(description="the incident's id")


class Linked:
    def __init__(self, env: Env, residents: Residents) -> None:
        self.env = env
        self.residents = residents

    async def of_incident(self, who: Principal, query: LinkedQuery) -> dict[str, Any]:
        stmt = (select(Visit).where(Visit.incident_id == query.incident_id)
                .order_by(Visit.id).limit(MAX_VISITS))  # fmt: skip
        async with self.env.ctx.sessions() as session:
            visits = list(await session.scalars(stmt))
            ids = {kind: sorted({v.subject_id for v in visits if v.subject_type == kind})
                   for kind in ("person", "place")}  # fmt: skip
            people = await self._people(session, who, ids["person"])
            places = await self._places(session, who, ids["place"])
        seen = {("person", p["id"]) for p in people} | {("place", p["id"]) for p in places}
        trail = [{"visit_id": v.id, "subject_type": v.subject_type, "subject_id": v.subject_id,
                  "worker_name": v.worker_name, "visited_at": v.visited_at.timestamp(),
                  "hazard_title": v.hazard_title}
                 for v in visits if (v.subject_type, v.subject_id) in seen]  # fmt: skip
        return {"people": people, "places": places, "visits": trail}

    async def _people(self, session: Any, who: Principal, ids: list[int]) -> list[dict[str, Any]]:
        if not ids:
            return []
        rows = [r for r in await session.scalars(select(Resident).where(Resident.id.in_(ids)))
                if access.may(who, self.env.index, r.grid_id, access.READ_ROLES)]  # fmt: skip
        return await self.residents.outs(session, who, rows)

    async def _places(self, session: Any, who: Principal, ids: list[int]) -> list[dict[str, Any]]:
        if not ids:
            return []
        rows = await session.scalars(select(Place).where(Place.id.in_(ids)).order_by(Place.id))
        return [{"id": p.id, "name": p.name, "kind": p.kind, "risk_level": p.risk_level,
                 "grid_name": self.env.grid_name(p.grid_id), "address": p.address_text}
                for p in rows if access.may(who, self.env.index, p.grid_id,
                                            access.READ_ROLES)]  # fmt: skip
