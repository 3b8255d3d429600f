"""Incident lists for boards and "my tasks", limited to what the asker may see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select

from hub.sdk import STAFF_ROLES, GridIndex, InvalidInput, Principal, in_scope
from plugins.dispatch import store
from plugins.dispatch.lifecycle import State
from plugins.dispatch.models import Incident, Involved
from plugins.dispatch.schemas import IncidentQuery


def scope_filter(who: Principal, index: GridIndex) -> Any:
    """Incidents under the asker's staff grants, plus those they are involved in (the list's
    side of `access.sees`: a resident's grant shows nothing)."""
    mine = select(Involved.incident_id).where(
        Involved.person_id == who.person_id, Involved.active.is_(True)
    )
    grids = index.scope_ids(who.grid_ids(STAFF_ROLES))
    return or_(Incident.grid_id.in_(grids), Incident.id.in_(mine))


def build(who: Principal, index: GridIndex, q: IncidentQuery) -> Select[Incident]:
    stmt = select(Incident).order_by(Incident.id.desc()).limit(q.limit)
    if not who.is_admin:
        stmt = stmt.where(scope_filter(who, index))
    if q.mine:
        stmt = stmt.where(Incident.id.in_(_assigned_to(who.person_id)))
    if q.reported:
        stmt = stmt.where(Incident.reporter_id == who.person_id)
    if q.state:
        stmt = stmt.where(Incident.state.in_(_states(q.state)))
    if q.category:
        stmt = stmt.where(Incident.category == q.category)
    if q.grid:
        stmt = stmt.where(Incident.grid_id.in_(_subtree(who, index, q.grid)))
    if q.overdue is not None:
        stmt = stmt.where(Incident.overdue.is_(q.overdue))
    if q.q:
        like = f"%{q.q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(Incident.title.like(like), Incident.number.like(like)))
    if q.before_id:
        stmt = stmt.where(Incident.id < q.before_id)
    return stmt


def _assigned_to(person_id: int) -> Select[int]:
    return select(Involved.incident_id).where(
        Involved.person_id == person_id, Involved.role == "assignee", Involved.active.is_(True)
    )


def _states(raw: str) -> list[str]:
    names = [s.strip() for s in raw.split(",") if s.strip()]
    bad = [n for n in names if n not in State.__members__.values()]
    if bad or not names:
        raise InvalidInput("incident.bad_state", f"unknown states: {', '.join(bad) or raw!r}")
    return names


def _subtree(who: Principal, index: GridIndex, code: str) -> set[int]:
    node = index.find_code(code)
    if node is None:
        raise InvalidInput("incident.unknown_grid", f"no grid {code!r}")
    if not in_scope(who, index, node.id, STAFF_ROLES):
        return set()
    return index.scope_ids([node.id])


async def listing(
    sessions: Any, who: Principal, index: GridIndex, q: IncidentQuery
) -> dict[str, Any]:
    async with sessions() as session:
        rows = list(await session.scalars(build(who, index, q)))
        parts = await store.assignments_of(session, [i.id for i in rows])
        items = [store.summary(i, parts[i.id]) for i in rows]
    more = len(items) == q.limit
    return {"items": items, "next_before_id": items[-1]["id"] if more and items else None}
