"""Row-level operations on incidents inside a caller's transaction (no access checks here)."""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from hub.sdk import Conflict, NotFound
from plugins.dispatch.lifecycle import Stage, State, allowed_actions, stage_of
from plugins.dispatch.models import Assignment, Counter, Event, Incident, Involved
from plugins.dispatch.models import Stage as StageRow
from plugins.dispatch.writes import Writes

TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone


def now_utc() -> datetime:
    return datetime.now(UTC)


NUMBER_BLOCK = 50


class Numbers:
    """Incident numbers `<prefix>-<year>-<seq>`: per county and year, never handed out twice.

    The counter row is advanced a block at a time, in a short transaction of its own, and the
    block is handed out from memory: one counter write per `block` reports instead of one per
    report (the row lock is the one point every report passes). Numbers of a block not used
    before a restart are skipped, as is the number of a report that fails; with several nodes
    each hands out its own block, so numbers rise per node rather than strictly in filing order.
    """

    def __init__(self, writes: Writes, block: int = NUMBER_BLOCK) -> None:
        self._writes = writes
        self._block = block
        self._free: dict[str, tuple[int, int]] = {}  # scope -> (next, last) of the block held
        self._lock = asyncio.Lock()

    async def take(self, prefix: str, year: int) -> str:
        scope = f"{prefix}-{year}"
        async with self._lock:
            following, last = self._free.get(scope, (1, 0))
            if following > last:
                last = await self._reserve(scope)
                following = last - self._block + 1
            self._free[scope] = (following + 1, last)
        return f"{scope}-{following:06d}"

    async def _reserve(self, scope: str) -> int:
        """Advance the counter by a block (committed before this returns); the block's last
        value. Every report waits for it, so it jumps the queue of writes (`urgent`)."""
        return await self._writes.run(partial(_reserve, scope, self._block), urgent=True)


def _reserve(scope: str, block: int, session: Session) -> int:
    bump = (
        update(Counter)
        .where(Counter.scope == scope)
        .values(value=Counter.value + block)
        .returning(Counter.value)
    )
    value = session.scalar(bump)
    if value is None:  # the first incident of the year: create the counter (racing others)
        session.execute(_insert_counter(session, scope))
        value = session.scalar(bump)
    assert value is not None
    return int(value)


def _insert_counter(session: Session, scope: str) -> Any:
    dialect = session.get_bind().dialect.name
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    return upsert(Counter).values(scope=scope, value=0).on_conflict_do_nothing()


def tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(10))


async def load(session: AsyncSession, incident_id: int) -> Incident:
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("incident.not_found", f"incident {incident_id} does not exist")
    return incident


def check_version(incident: Incident, expected: int) -> None:
    """Optimistic concurrency: the client acted on `expected`; someone else may have moved on."""
    if incident.version != expected:
        raise conflict(incident)


def conflict(incident: Incident) -> Conflict:
    """Someone else acted on the incident first: the error names where it is now."""
    return Conflict(
        "incident.conflict",
        f"incident {incident.number} changed meanwhile: it is now {incident.state} "
        f"(version {incident.version})",
        details={"state": incident.state, "version": incident.version},
    )


def set_stage(incident: Incident, seconds: int | None) -> None:
    """Put the incident in the timed stage of its state (none when closed, parked, ...)."""
    stage = stage_of(State(incident.state))
    if stage is None or seconds is None:
        incident.stage, incident.stage_deadline, incident.stage_started_at = None, None, None
        return
    now = time.time()
    incident.stage, incident.stage_started_at = stage.value, now
    incident.stage_deadline, incident.overdue = now + seconds, False


async def mark_overdue(session: AsyncSession, incident: Incident, stage: Stage) -> bool:
    result = await session.execute(
        update(StageRow)
        .where(
            StageRow.incident_id == incident.id,
            StageRow.stage == stage.value,
            StageRow.ended_at.is_(None),
        )
        .values(overdue=True)
    )
    return bool(getattr(result, "rowcount", 0))


async def assignments_of(
    session: AsyncSession, incident_ids: list[int]
) -> dict[int, list[Assignment]]:
    """The assignments of several incidents in one query (lists, boards)."""
    found: dict[int, list[Assignment]] = {i: [] for i in incident_ids}
    stmt = (
        select(Assignment).where(Assignment.incident_id.in_(incident_ids)).order_by(Assignment.id)
    )
    for part in await session.scalars(stmt):
        found[part.incident_id].append(part)
    return found


async def assignments(session: AsyncSession, incident_id: int) -> list[Assignment]:
    stmt = select(Assignment).where(Assignment.incident_id == incident_id).order_by(Assignment.id)
    return list(await session.scalars(stmt))


async def involved(session: AsyncSession, incident_id: int) -> list[int]:
    stmt = select(Involved.person_id).where(
        Involved.incident_id == incident_id, Involved.active.is_(True)
    )
    return sorted(await session.scalars(stmt))


def summary(incident: Incident, parts: list[Assignment] | None = None) -> dict[str, Any]:
    """What clients see of an incident (lists, pushes, detail)."""
    data: dict[str, Any] = {
        "id": incident.id,
        "number": incident.number,
        "title": incident.title,
        "category": incident.category,
        "priority": incident.priority,
        "state": incident.state,
        "grid_id": incident.grid_id,
        "level_grid_id": incident.level_grid_id,
        "lon": incident.lon,
        "lat": incident.lat,
        "address": incident.address,
        "source": incident.source,
        "stage": incident.stage,
        "stage_started_at": incident.stage_started_at,
        "stage_deadline": incident.stage_deadline,
        "overdue": incident.overdue,
        "supervised_by_grid": incident.supervised_by_grid,
        "channel_id": incident.channel_id,
        "rating": incident.rating,
        "returns": incident.returns,
        "created_at": incident.created_at.isoformat(),
        "updated_at": incident.updated_at.isoformat(),
        "version": incident.version,
        "actions": [a.value for a in allowed_actions(State(incident.state))],
    }
    if parts is not None:
        data["assignments"] = [assignment_dict(a) for a in parts]
    return data


def detail(incident: Incident, parts: list[Assignment]) -> dict[str, Any]:
    data = summary(incident, parts)
    data.update(
        description=incident.description,
        fields=incident.fields,
        attachments=incident.attachments,
        reporter_id=incident.reporter_id,
        reporter_name=incident.reporter_name,
        source_ref=incident.source_ref,
        handler_id=incident.handler_id,
        review_at=incident.review_at,
        rating_comment=incident.rating_comment,
        closed_at=incident.closed_at.isoformat() if incident.closed_at else None,
    )
    return data


def assignment_dict(a: Assignment) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind,
        "target": a.target,
        "lead": a.lead,
        "state": a.state,
        "person_id": a.person_id,
        "signed_at": a.signed_at.isoformat() if a.signed_at else None,
    }


def event_dict(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "actor_id": event.actor_id,
        "actor": event.actor,
        "at": event.at.isoformat(),
        "note": event.note,
        "data": event.data,
    }


async def timeline(session: AsyncSession, incident_id: int) -> list[dict[str, Any]]:
    stmt = select(Event).where(Event.incident_id == incident_id).order_by(Event.id)
    return [event_dict(e) for e in await session.scalars(stmt)]
