"""KPIs over a grid subtree and period: states, on-time rates, handling time, returns, ratings."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import STAFF_ROLES, GridIndex, Principal, require_scope
from plugins.dispatch.lifecycle import OPEN, State
from plugins.dispatch.models import Incident
from plugins.dispatch.models import Stage as StageRow


class KpiQuery(BaseModel):
    grid: str = Field(min_length=1, max_length=64, description="root of the subtree (code)")
    since: datetime | None = Field(default=None, description="default: 30 days before `until`")
    until: datetime | None = Field(default=None, description="default: now")

    @model_validator(mode="after")
    def _period(self) -> KpiQuery:
        until = self.until or datetime.now(UTC)
        since = self.since or until - timedelta(days=30)
        if since.tzinfo is None or until.tzinfo is None:
            raise ValueError("since and until need a time zone")
        if since >= until or until - since > timedelta(days=3660):
            raise ValueError("the period must be positive and at most ten years")
        self.since, self.until = since, until
        return self


@dataclass
class Tally:
    """Figures for one slice (everything, a category, a grid, a person)."""

    total: int = 0
    states: Counter[str] = field(default_factory=Counter)
    returned: int = 0
    ratings: list[int] = field(default_factory=list)
    closing_s: list[float] = field(default_factory=list)
    handling_s: list[float] = field(default_factory=list)
    stages: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    overdue: int = 0

    def add(self, incident: Incident, stages: list[StageRow]) -> None:
        self.total += 1
        self.states[incident.state] += 1
        self.returned += incident.returns > 0
        self.overdue += any(s.overdue for s in stages)
        if incident.rating is not None:
            self.ratings.append(incident.rating)
        if incident.closed_at is not None:
            self.closing_s.append((incident.closed_at - incident.created_at).total_seconds())
        self.add_stages(stages)

    def add_stages(self, stages: Iterable[StageRow]) -> None:
        for s in stages:
            if s.ended_at is None:
                continue
            self.stages[s.stage].append(s.ended_at <= s.deadline and not s.overdue)
            if s.stage == "handle":
                self.handling_s.append(s.ended_at - s.started_at)

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "open": sum(n for s, n in self.states.items() if State(s) in OPEN),
            "by_state": dict(sorted(self.states.items())),
            "on_time_rate": {k: _rate(v) for k, v in sorted(self.stages.items())},
            "overdue": self.overdue,
            "mean_handling_s": _mean(self.handling_s),
            "mean_closing_s": _mean(self.closing_s),
            "returned_rate": self.returned / self.total if self.total else None,
            "rating": {"mean": _mean(self.ratings), "count": len(self.ratings)},
        }


def _rate(values: list[bool]) -> float | None:
    return sum(values) / len(values) if values else None


def _mean(values: list[float] | list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


async def compute(
    session: AsyncSession, who: Principal, index: GridIndex, q: KpiQuery
) -> dict[str, Any]:
    root = index.by_code(q.grid)
    require_scope(who, index, root.id, STAFF_ROLES)
    incidents, stages = await _load(session, index.scope_ids([root.id]), q)
    overall = Tally()
    slices: dict[str, dict[Any, Tally]] = {"category": {}, "grid": {}, "person": {}}
    below = _child_of(index, root.id)
    for incident in incidents:
        own = stages.get(incident.id, [])
        overall.add(incident, own)
        slices["category"].setdefault(incident.category, Tally()).add(incident, own)
        slices["grid"].setdefault(below(incident.grid_id), Tally()).add(incident, own)
        _by_person(slices["person"], incident, own)
    return {
        "grid": {"id": root.id, "code": root.code, "name": root.name},
        "since": q.since.isoformat() if q.since else None,
        "until": q.until.isoformat() if q.until else None,
        "overall": overall.as_dict(),
        "by_category": _rows(slices["category"], lambda k: {"category": k}),
        "by_grid": _rows(slices["grid"], lambda k: _grid_key(index, k)),
        "by_person": _rows(slices["person"], lambda k: {"person_id": k}),
    }


async def _load(
    session: AsyncSession, grid_ids: set[int], q: KpiQuery
) -> tuple[list[Incident], dict[int, list[StageRow]]]:
    incidents = list(
        await session.scalars(
            select(Incident).where(
                Incident.grid_id.in_(grid_ids),
                Incident.created_at >= q.since,
                Incident.created_at < q.until,
            )
        )
    )
    stages: dict[int, list[StageRow]] = defaultdict(list)
    ids = [i.id for i in incidents]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in await session.scalars(select(StageRow).where(StageRow.incident_id.in_(chunk))):
            stages[row.incident_id].append(row)
    return incidents, stages


def _by_person(slots: dict[Any, Tally], incident: Incident, stages: list[StageRow]) -> None:
    """Count an incident against each person who held one of its stages (handling, mostly)."""
    people = {s.unit_person_id for s in stages if s.unit_person_id is not None}
    if incident.handler_id is not None:
        people.add(incident.handler_id)
    for person_id in people:
        mine = [s for s in stages if s.unit_person_id == person_id]
        slots.setdefault(person_id, Tally()).add(incident, mine)


def _child_of(index: GridIndex, root_id: int) -> Callable[[int], int]:
    """Which direct child of the root (or the root itself) a grid falls under."""
    depth = index.get(root_id).depth

    def child(grid_id: int) -> int:
        chain = [*index.ancestors(grid_id), index.get(grid_id)]
        below = [n for n in chain if n.depth == depth + 1]
        return below[0].id if below else root_id

    return child


def _grid_key(index: GridIndex, grid_id: int) -> dict[str, Any]:
    node = index.get(grid_id)
    return {"grid_id": node.id, "code": node.code, "name": node.name}


def _rows(slots: dict[Any, Tally], key: Callable[[Any], dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [{**key(k), **t.as_dict()} for k, t in slots.items()]
    return sorted(rows, key=lambda r: -int(r["total"]))
