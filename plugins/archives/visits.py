"""Visits (走访) of key-group people and inspections (巡查) of places: what is due, recording a
visit (notes, location, photos, a hazard that files an incident), and the overdue sweep.

A person is due `visit_interval_days` (the shortest of their active tags) after their last visit,
or after they got their first tag; a place `inspection_interval_days` after its last inspection,
or after it was archived. The sweep runs on a durable timer (once cluster-wide): a subject due
now gets its workers reminded (a realtime notice, `VisitDue`); one still not visited
`escalate_after_s` past its due time is overdue (`VisitOverdue`), and the village console
hears of it. A period is keyed by its baseline (the last visit), so each stage happens once per
period, and a new visit starts the next one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import (
    Actor,
    Conflict,
    DbId,
    GridIndex,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    utcnow,
)
from plugins.archives.access import READ_ROLES, may, require, scope_ids
from plugins.archives.messages import VisitRecorded
from plugins.archives.models import Place, Resident, ResidentTag, Tag
from plugins.archives.work_access import FIELD_ROLES
from plugins.archives.work_models import Visit

DAY = 86400.0
MAX_BACKDATE = timedelta(days=30)  # an offline phone may send a visit made up to 30 days ago
CLOCK_SKEW = timedelta(minutes=10)
SubjectType = Literal["person", "place"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Coordinate = Annotated[float, Field(allow_inf_nan=False)]


class HazardIn(BaseModel):
    """A hazard found on the visit: filed as an incident with dispatch in the same tap."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    description: Text = ""
    category: str = Field("safety_hazard", pattern=r"^[a-z][a-z0-9_]{1,63}$")
    priority: Literal["low", "normal", "high", "urgent"] = "high"


class VisitIn(BaseModel):
    subject_type: SubjectType
    subject_id: DbId
    client_id: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$", description="the phone's own id")
    note: Text = ""
    visited_at: datetime | None = Field(None, description="when (offline: when it was made)")
    lat: Coordinate | None = Field(None, ge=-90, le=90)
    lon: Coordinate | None = Field(None, ge=-180, le=180)
    hazard: HazardIn | None = None

    @model_validator(mode="after")
    def _check(self) -> VisitIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give lat and lon together, or neither")
        if self.visited_at is not None and self.visited_at.tzinfo is None:
            raise ValueError("visited_at needs a time zone")
        return self


class DueQuery(BaseModel):
    grid_id: DbId | None = Field(None, description="only this grid's subtree")
    within_days: int = Field(3, ge=0, le=60, description="also what falls due in these days")
    limit: int = Field(200, ge=1, le=500)


class HistoryQuery(BaseModel):
    subject_type: SubjectType
    subject_id: DbId
    limit: int = Field(50, ge=1, le=200)


@dataclass(frozen=True, slots=True)
class Subject:
    type: str
    id: int
    grid_id: int
    name: str
    interval_days: int
    baseline: float  # epoch s: the last visit, else when it came under care
    last_visit: float | None
    tags: tuple[str, ...]  # tag codes driving a person's visits
    lat: float | None = None
    lon: float | None = None
    address: str = ""

    @property
    def due_at(self) -> float:
        return self.baseline + self.interval_days * DAY

    def as_dict(self, now: float) -> dict[str, Any]:
        return {
            "subject_type": self.type,
            "subject_id": self.id,
            "grid_id": self.grid_id,
            "name": self.name,
            "interval_days": self.interval_days,
            "due_at": self.due_at,
            "last_visit": self.last_visit,
            "overdue": self.due_at <= now,
            "tags": list(self.tags),
            "lat": self.lat,
            "lon": self.lon,
            "address": self.address,
        }


def _epoch(at: datetime) -> float:
    return at.timestamp()


async def _last_visits(session: AsyncSession, kind: str, ids: list[int]) -> dict[int, float]:
    if not ids:
        return {}
    stmt = (
        select(Visit.subject_id, func.max(Visit.visited_at))
        .where(Visit.subject_type == kind, Visit.subject_id.in_(ids))
        .group_by(Visit.subject_id)
    )
    return {sid: _epoch(at) for sid, at in (await session.execute(stmt)).all()}


async def due_people(
    session: AsyncSession, grids: set[int] | None, tag_filter: dict[int, set[str]] | None = None
) -> list[Subject]:
    """Key-group people with a visit interval (in `grids`, None: all) and their due times.

    `tag_filter` maps a grid to the tag codes a reader may see there (None: every tag)."""
    stmt = (
        select(
            Resident.id,
            Resident.grid_id,
            Resident.name,
            ResidentTag.tag_code,
            Tag.visit_interval_days,
            ResidentTag.created_at,
        )
        .join(ResidentTag, ResidentTag.resident_id == Resident.id)
        .join(Tag, Tag.code == ResidentTag.tag_code)
        .where(Resident.status == "active", Tag.active.is_(True), Tag.visit_interval_days > 0)
    )
    if grids is not None:
        stmt = stmt.where(Resident.grid_id.in_(grids))
    people: dict[int, dict[str, Any]] = {}
    for rid, grid_id, name, code, days, since in (await session.execute(stmt)).all():
        if tag_filter is not None and code not in tag_filter.get(grid_id, set()):
            continue
        p = people.setdefault(
            rid, {"grid": grid_id, "name": name, "days": days, "tags": [], "since": _epoch(since)}
        )
        p["days"], p["since"] = min(p["days"], days), min(p["since"], _epoch(since))
        p["tags"].append(code)
    last = await _last_visits(session, "person", list(people))
    return [
        Subject(
            "person",
            rid,
            p["grid"],
            p["name"],
            p["days"],
            last.get(rid, p["since"]),
            last.get(rid),
            tuple(sorted(p["tags"])),
        )
        for rid, p in people.items()
    ]


async def due_places(session: AsyncSession, grids: set[int] | None) -> list[Subject]:
    stmt = select(Place).where(Place.inspection_interval_days > 0)
    if grids is not None:
        stmt = stmt.where(Place.grid_id.in_(grids))
    places = list(await session.scalars(stmt))
    last = await _last_visits(session, "place", [p.id for p in places])
    return [
        Subject(
            "place",
            p.id,
            p.grid_id,
            p.name,
            p.inspection_interval_days,
            last.get(p.id, _epoch(p.created_at)),
            last.get(p.id),
            (),
            p.lat,
            p.lng,
            p.address_text,
        )
        for p in places
    ]


def visit_dict(row: Visit, photos: list[int] | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "client_id": row.client_id,
        "subject_type": row.subject_type,
        "subject_id": row.subject_id,
        "grid_id": row.grid_id,
        "worker_id": row.worker_id,
        "worker_name": row.worker_name,
        "visited_at": row.visited_at.isoformat(),
        "note": row.note,
        "lat": row.lat,
        "lon": row.lon,
        "hazard": row.hazard,
        "hazard_title": row.hazard_title,
        "incident_id": row.incident_id,
        "photos": photos or [],
    }


class Visits:
    """Due lists, recording, history and the sweep (see the module docstring)."""

    def __init__(self, ctx: PluginContext) -> None:
        self._ctx = ctx

    @property
    def index(self) -> GridIndex:
        return self._ctx.grids.index

    def _grids(self, who: Principal, grid_id: int | None, roles: frozenset[str]) -> set[int] | None:
        if grid_id is not None:
            require(who, self.index, grid_id, roles)
            return self.index.scope_ids([grid_id])
        return scope_ids(who, self.index, roles)

    async def due(self, who: Principal, query: DueQuery) -> list[dict[str, Any]]:
        """What the caller's grids owe within `within_days`, most overdue first."""
        grids = self._grids(who, query.grid_id, FIELD_ROLES)
        async with self._ctx.sessions() as session:
            filters = await self._tag_filter(session, who, grids)
            subjects = await due_people(session, grids, filters)
            subjects += await due_places(session, grids)
        now = time.time()
        horizon = now + query.within_days * DAY
        found = sorted((s for s in subjects if s.due_at <= horizon), key=lambda s: s.due_at)
        return [s.as_dict(now) for s in found[: query.limit]]

    async def _tag_filter(
        self, session: AsyncSession, who: Principal, grids: set[int] | None
    ) -> dict[int, set[str]] | None:
        """Per grid, the tags `who` may see there (the tag's visible_roles); None: admin."""
        if who.is_admin:
            return None
        tags = {t.code: list(t.visible_roles) for t in await session.scalars(select(Tag))}
        return {
            g: {code for code, roles in tags.items() if may(who, self.index, g, roles)}
            for g in grids or set()
        }

    async def subject(self, session: AsyncSession, kind: str, subject_id: int) -> Subject:
        """The visited person or place (what a visit row and an incident need of it)."""
        if kind == "person":
            resident = await session.get(Resident, subject_id)
            if resident is None:
                raise NotFound("archives.subject_not_found", f"no person {subject_id}")
            return Subject("person", resident.id, resident.grid_id, resident.name, 0, 0.0, None, ())
        place = await session.get(Place, subject_id)
        if place is None:
            raise NotFound("archives.subject_not_found", f"no place {subject_id}")
        return Subject(
            "place",
            place.id,
            place.grid_id,
            place.name,
            place.inspection_interval_days,
            0.0,
            None,
            (),
            place.lat,
            place.lng,
            place.address_text,
        )

    async def record(self, who: Principal, body: VisitIn) -> dict[str, Any]:
        """Store a visit once per client id (a queued resend answers the stored one)."""
        at = self._visit_time(body.visited_at)
        async with self._ctx.sessions() as session:
            existing = await session.scalar(select(Visit).where(Visit.client_id == body.client_id))
            subject = await self.subject(session, body.subject_type, body.subject_id)
        require(who, self.index, subject.grid_id, FIELD_ROLES)
        if existing is not None:
            return self._same(existing, who)
        row = self._row(who, body, subject, at)
        try:
            async with self._ctx.sessions.begin() as session:
                session.add(row)
                await session.flush()
                details = {"subject": f"{row.subject_type}:{row.subject_id}", "hazard": row.hazard}
                self._ctx.audit.record(
                    session,
                    Actor.of(who),
                    "archives.visit.recorded",
                    "archives_visit",
                    row.id,
                    details,
                )
        except IntegrityError:  # the same client id at the same moment (a double tap)
            async with self._ctx.sessions() as session:
                existing = await session.scalar(
                    select(Visit).where(Visit.client_id == body.client_id)
                )
            if existing is None:
                raise
            return self._same(existing, who)
        await self._announce(row, subject, body.hazard)
        return visit_dict(row)

    def _same(self, existing: Visit, who: Principal) -> dict[str, Any]:
        if existing.worker_id != who.person_id:
            raise Conflict("archives.visit_client_id", "this client id belongs to another visit")
        return visit_dict(existing)

    @staticmethod
    def _visit_time(at: datetime | None) -> datetime:
        now = utcnow()
        if at is None:
            return now
        if at > now + CLOCK_SKEW or at < now - MAX_BACKDATE:
            raise InvalidInput("archives.visit_time", "a visit is from the last 30 days, not later")
        return at

    @staticmethod
    def _row(who: Principal, body: VisitIn, subject: Subject, at: datetime) -> Visit:
        hazard = body.hazard
        return Visit(
            client_id=body.client_id,
            subject_type=body.subject_type,
            subject_id=subject.id,
            grid_id=subject.grid_id,
            worker_id=who.person_id,
            worker_name=who.display_name,
            visited_at=at,
            note=body.note,
            lat=body.lat,
            lon=body.lon,
            hazard=hazard is not None,
            hazard_title=hazard.title if hazard else "",
        )

    async def _announce(self, row: Visit, subject: Subject, hazard: HazardIn | None) -> None:
        await self._ctx.bus.publish(
            VisitRecorded(
                visit_id=row.id,
                subject_type=row.subject_type,
                subject_id=row.subject_id,
                grid_id=row.grid_id,
                worker_id=row.worker_id,
                hazard=row.hazard,
            )
        )
        if hazard is not None:
            await self.file_incident(row, subject, hazard)

    async def file_incident(self, row: Visit, subject: Subject, hazard: HazardIn) -> None:
        """Ask dispatch for an incident (once per visit: dispatch keys it by source ref)."""
        if not self._ctx.has_plugin("dispatch"):
            return
        from plugins.dispatch.messages import IncidentRequested

        lat, lon = (row.lat, row.lon) if row.lat is not None else (subject.lat, subject.lon)
        await self._ctx.bus.publish(
            IncidentRequested(
                source="archives",
                source_ref=f"visit:{row.id}",
                category=hazard.category,
                title=hazard.title,
                description=hazard.description or row.note,
                priority=hazard.priority,
                grid_id=row.grid_id,
                lon=lon,
                lat=lat,
                address=subject.address or subject.name,
                reporter_id=row.worker_id,
            )
        )

    async def incident_opened(self, visit_id: int, incident_id: int) -> Visit | None:
        """Dispatch answered a hazard: keep the incident's id on the visit (once)."""
        async with self._ctx.sessions.begin() as session:
            result = await session.execute(
                update(Visit)
                .where(Visit.id == visit_id, Visit.incident_id.is_(None))
                .values(incident_id=incident_id)
            )
            if not getattr(result, "rowcount", 0):
                return None
            return await session.get(Visit, visit_id)

    async def get(self, who: Principal, visit_id: int, roles: frozenset[str]) -> Visit:
        async with self._ctx.sessions() as session:
            row = await session.get(Visit, visit_id)
        if row is None:
            raise NotFound("archives.visit_not_found", f"no visit {visit_id}")
        require(who, self.index, row.grid_id, roles)
        return row

    async def history(self, who: Principal, query: HistoryQuery) -> list[dict[str, Any]]:
        async with self._ctx.sessions() as session:
            subject = await self.subject(session, query.subject_type, query.subject_id)
            require(who, self.index, subject.grid_id, READ_ROLES)
            rows = await session.scalars(
                select(Visit)
                .where(
                    Visit.subject_type == query.subject_type, Visit.subject_id == query.subject_id
                )
                .order_by(Visit.visited_at.desc())
                .limit(query.limit)
            )
            return [visit_dict(r) for r in rows]
