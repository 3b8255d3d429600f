"""Suggested assignees: field staff for the grid, ranked by presence, distance and load."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import GridIndex, PersonView, PluginContext, Snapshot, State
from plugins.dispatch.access import FIELD_ROLES
from plugins.dispatch.lifecycle import OPEN
from plugins.dispatch.models import Incident, Involved

# Lower is better: someone online and free first, then busy, then unreachable; last anyone
# in a state a plugin forced on them (an SOS: they need help themselves).
PRESENCE_RANK: dict[str, int] = {
    State.ONLINE: 0,
    State.BUSY: 1,
    State.ON_CALL: 2,
    State.AWAY: 3,
    State.OFFLINE: 4,
}


@dataclass(frozen=True)
class Candidate:
    person: PersonView
    responsible: int  # 0: works that very grid, 1: a grid above it, 2: elsewhere nearby
    presence: Snapshot
    distance_m: float | None
    load: int

    def rank(self) -> tuple[int, int, float, int, str]:
        """Own grid first; then online before busy before away; then nearer; then less loaded."""
        far = self.distance_m if self.distance_m is not None else math.inf
        order = PRESENCE_RANK.get(self.presence.state, len(PRESENCE_RANK))
        return (self.responsible, order, far, self.load, self.person.username)

    def as_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person.id,
            "username": self.person.username,
            "display_name": self.person.display_name,
            "responsible": self.responsible < 2,
            "own_grid": self.responsible == 0,
            "presence": self.presence.state,
            "distance_m": None if self.distance_m is None else round(self.distance_m),
            "open_tasks": self.load,
            "grids": sorted({r["grid"] for r in self.person.roles if r["grid"]}),
        }


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lon, lat) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


async def suggest(
    ctx: PluginContext, incident: Incident, fresh_s: float, limit: int
) -> list[dict[str, Any]]:
    index = ctx.grids.index
    grids = _nearby_grids(index, incident)
    staff = [p for p in await ctx.directory.holding_roles_in(grids) if _field(p, grids)]
    presence = await ctx.realtime.presence_of(p.id for p in staff)
    async with ctx.sessions() as session:
        loads = await _loads(session, [p.id for p in staff])
    here = _point(index, incident)
    found = [
        Candidate(
            person,
            _responsible(index, person, incident.grid_id),
            presence[person.id],
            _distance(presence[person.id], here, fresh_s),
            loads.get(person.id, 0),
        )
        for person in staff
    ]
    return [c.as_dict() for c in sorted(found, key=Candidate.rank)[:limit]]


def _nearby_grids(index: GridIndex, incident: Incident) -> set[int]:
    """The handling level's subtree and the chain above the incident's grid."""
    chain = {n.id for n in index.ancestors(incident.grid_id)}
    return {n.id for n in index.subtree(incident.level_grid_id)} | chain | {incident.grid_id}


def _field(person: PersonView, grids: set[int]) -> bool:
    return any(r["role"] in FIELD_ROLES and r["grid_id"] in grids for r in person.roles)


def _responsible(index: GridIndex, person: PersonView, grid_id: int) -> int:
    grids = [r["grid_id"] for r in person.roles if r["role"] in FIELD_ROLES and r["grid_id"]]
    if any(index.is_within(g, grid_id) for g in grids):
        return 0
    return 1 if any(index.covers(g, grid_id) for g in grids) else 2


def _point(index: GridIndex, incident: Incident) -> tuple[float, float] | None:
    if incident.lon is not None and incident.lat is not None:
        return incident.lon, incident.lat
    return index.get(incident.grid_id).centre


def _distance(snapshot: Snapshot, here: tuple[float, float] | None, fresh_s: float) -> float | None:
    loc = snapshot.location
    if here is None or loc is None or time.time() - loc.at > fresh_s:
        return None
    return haversine_m((loc.lon, loc.lat), here)


async def _loads(session: AsyncSession, people: list[int]) -> dict[int, int]:
    """Open incidents each person is an assignee of."""
    if not people:
        return {}
    stmt = (
        select(Involved.person_id, func.count())
        .join(Incident, Incident.id == Involved.incident_id)
        .where(
            Involved.person_id.in_(people),
            Involved.role == "assignee",
            Involved.active.is_(True),
            Incident.state.in_([s.value for s in OPEN]),
        )
        .group_by(Involved.person_id)
    )
    return {pid: int(n) for pid, n in (await session.execute(stmt)).all()}
