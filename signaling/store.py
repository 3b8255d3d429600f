"""The call log and call state in the database; racing transitions decided by conditional UPDATE."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub import audit
from hub.errors import Conflict
from signaling.models import CallLine, CallRecord
from storage.models import Assignment, Person
from storage.sql import utcnow


class State(StrEnum):
    RINGING = "ringing"
    ACTIVE = "active"
    ENDED = "ended"


class Outcome(StrEnum):
    ANSWERED = "answered"
    DECLINED = "declined"
    BUSY = "busy"
    MISSED = "missed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Kind(StrEnum):
    CALL = "call"
    PULL = "pull"


LIVE_STATES = (State.RINGING.value, State.ACTIVE.value)
Audit = tuple[audit.Actor, str, dict[str, Any]]  # actor, action, details: written with a change


@dataclass(frozen=True, slots=True)
class CallView:
    """A detached snapshot of one call row."""

    id: int
    kind: str
    caller_id: int
    callee_id: int
    media: str
    state: str
    outcome: str | None
    end_reason: str | None
    caller_sid: str | None
    callee_sid: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    duration_s: float | None

    @classmethod
    def of(cls, row: CallRecord) -> CallView:
        return cls(
            row.id,
            row.kind,
            row.caller_id,
            row.callee_id,
            row.media,
            row.state,
            row.outcome,
            row.end_reason,
            row.caller_sid,
            row.callee_sid,
            row.started_at,
            row.answered_at,
            row.ended_at,
            row.duration_s,
        )

    def as_dict(self) -> dict[str, Any]:
        def ts(value: datetime | None) -> float | None:
            return None if value is None else value.timestamp()

        return {
            "call_id": self.id,
            "kind": self.kind,
            "caller_id": self.caller_id,
            "callee_id": self.callee_id,
            "media": self.media,
            "state": self.state,
            "outcome": self.outcome,
            "reason": self.end_reason,
            "started_at": ts(self.started_at),
            "answered_at": ts(self.answered_at),
            "ended_at": ts(self.ended_at),
            "duration_s": self.duration_s,
        }


class CallStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def person(self, person_id: int) -> tuple[Person, list[tuple[int | None, str]]] | None:
        """An active person and their (grid id, role) assignments, or None."""
        async with self._sessions() as session:
            person = await session.get(Person, person_id)
            if person is None or not person.is_active:
                return None
            rows = await session.execute(
                select(Assignment.grid_id, Assignment.role).where(Assignment.person_id == person_id)
            )
            return person, [(grid_id, role) for grid_id, role in rows]

    async def by_client_id(self, caller_id: int, client_call_id: str) -> CallView | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(CallRecord).where(
                    CallRecord.caller_id == caller_id,
                    CallRecord.client_call_id == client_call_id,
                )
            )
            return None if row is None else CallView.of(row)

    async def get(self, call_id: int) -> CallView | None:
        async with self._sessions() as session:
            row = await session.get(CallRecord, call_id)
            return None if row is None else CallView.of(row)

    async def of_device(self, sid: str) -> list[CallView]:
        """Ringing or active calls held by a socket (the inviting or the accepting device)."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(CallRecord).where(
                    CallRecord.state.in_(LIVE_STATES),
                    or_(CallRecord.caller_sid == sid, CallRecord.callee_sid == sid),
                )
            )
            return [CallView.of(row) for row in rows]

    async def create(self, values: dict[str, Any], note: Audit | None = None) -> CallView | None:
        """Insert a call and take its parties' lines in one transaction.

        The caller's line taken already: `call.caller_busy` (nothing is stored). The callee's
        line taken already: the call is stored ended/busy. None when (caller, client_call_id)
        exists already. Video pulls take no lines.
        """
        now = utcnow()
        try:
            async with self._sessions.begin() as session:
                row = CallRecord(started_at=now, caller_seen_at=now, state=State.RINGING, **values)
                session.add(row)
                await session.flush()
                if row.kind == Kind.CALL:
                    await self._take_lines(session, row, now)
                if note is not None:
                    _audit(session, note, row)
                return CallView.of(row)
        except IntegrityError:
            return None

    async def _take_lines(self, session: AsyncSession, row: CallRecord, now: datetime) -> None:
        if not await _take_line(session, row.caller_id, row.id):
            raise Conflict("call.caller_busy", "you are already in a call; hang up first")
        if await _take_line(session, row.callee_id, row.id):
            return
        await session.execute(delete(CallLine).where(CallLine.call_id == row.id))
        row.state, row.outcome, row.end_reason = State.ENDED, Outcome.BUSY, "busy"
        row.ended_at, row.duration_s = now, 0.0

    async def transition(
        self, call_id: int, expected: str, values: dict[str, Any], note: Audit | None = None
    ) -> CallView | None:
        """Move a call out of `expected` state; None when someone else moved it first.

        Ending a call releases its lines in the same transaction.
        """
        now = utcnow()
        ending = values.get("state") == State.ENDED
        if ending:
            values = {**values, "ended_at": now, "offer_from": None}
        elif values.get("state") == State.ACTIVE:
            values = {**values, "answered_at": now, "callee_seen_at": now}
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(CallRecord)
                .where(CallRecord.id == call_id, CallRecord.state == expected)
                .values(**values)
            )
            if _count(result) != 1:
                return None
            row = await session.get(CallRecord, call_id, populate_existing=True)
            assert row is not None
            if ending:
                answered = row.answered_at
                row.duration_s = 0.0 if answered is None else (now - answered).total_seconds()
                await session.execute(delete(CallLine).where(CallLine.call_id == call_id))
            if note is not None:
                _audit(session, note, row)
            return CallView.of(row)

    async def take_offer(self, call_id: int, role: str) -> bool:
        """Record an offer from `role`; False when the other side's offer is unanswered (glare)."""
        return await self._changed(
            update(CallRecord)
            .where(
                CallRecord.id == call_id,
                CallRecord.state == State.ACTIVE,
                or_(CallRecord.offer_from.is_(None), CallRecord.offer_from == role),
            )
            .values(offer_from=role)
        )

    async def take_answer(self, call_id: int, role: str) -> bool:
        """Record `role`'s answer; False when no offer of the other side is outstanding."""
        other = "callee" if role == "caller" else "caller"
        return await self._changed(
            update(CallRecord)
            .where(
                CallRecord.id == call_id,
                CallRecord.state == State.ACTIVE,
                CallRecord.offer_from == other,
            )
            .values(offer_from=None)
        )

    async def refresh(self, caller_of: set[int], callee_of: set[int]) -> set[int]:
        """Renew the lease of calls whose parties' devices are on this node; the live ones."""
        if not caller_of and not callee_of:
            return set()
        now = utcnow()
        async with self._sessions.begin() as session:
            for column, ids in (
                (CallRecord.caller_seen_at, caller_of),
                (CallRecord.callee_seen_at, callee_of),
            ):
                if ids:
                    await session.execute(
                        update(CallRecord)
                        .where(CallRecord.id.in_(ids), CallRecord.state.in_(LIVE_STATES))
                        .values({column: now})
                    )
            found = await session.scalars(
                select(CallRecord.id).where(
                    CallRecord.id.in_(caller_of | callee_of), CallRecord.state.in_(LIVE_STATES)
                )
            )
            return set(found)

    async def lapsed(self, cutoff: datetime) -> list[CallView]:
        """Live calls a party's node stopped renewing before `cutoff` (the node died)."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(CallRecord).where(
                    CallRecord.state.in_(LIVE_STATES),
                    or_(
                        CallRecord.caller_seen_at < cutoff,
                        CallRecord.caller_seen_at.is_(None),
                        and_(CallRecord.state == State.ACTIVE, CallRecord.callee_seen_at < cutoff),
                    ),
                )
            )
            return [CallView.of(row) for row in rows]

    async def _changed(self, statement: Any) -> bool:
        async with self._sessions.begin() as session:
            return _count(await session.execute(statement)) == 1

    async def log(
        self, person_id: int, grid_ids: Iterable[int] | None, before: int | None, limit: int
    ) -> list[CallView]:
        """Calls of `person_id`, plus calls with a party in `grid_ids` (None: every call)."""
        stmt = select(CallRecord).order_by(CallRecord.id.desc()).limit(limit)
        if grid_ids is not None:
            in_scope = select(Assignment.person_id).where(Assignment.grid_id.in_(list(grid_ids)))
            stmt = stmt.where(
                or_(
                    CallRecord.caller_id == person_id,
                    CallRecord.callee_id == person_id,
                    CallRecord.caller_id.in_(in_scope),
                    CallRecord.callee_id.in_(in_scope),
                )
            )
        if before is not None:
            stmt = stmt.where(CallRecord.id < before)
        async with self._sessions() as session:
            return [CallView.of(row) for row in await session.scalars(stmt)]


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def _take_line(session: AsyncSession, person_id: int, call_id: int) -> bool:
    """Insert the person's line unless someone holds it (ON CONFLICT DO NOTHING)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(CallLine)
        .values(person_id=person_id, call_id=call_id)
        .on_conflict_do_nothing(index_elements=[CallLine.person_id])
    )
    return _count(await session.execute(statement)) == 1


def _audit(session: AsyncSession, note: Audit, row: CallRecord) -> None:
    actor, action, details = note
    audit.record(
        session, actor, action, "call", row.id, {"kind": row.kind, "state": row.state, **details}
    )
