"""The call log and call state in the database; racing transitions decided by conditional UPDATE."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Assignment, CallRecord, Person
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


LIVE_STATES = (State.RINGING.value, State.ACTIVE.value)


@dataclass(frozen=True, slots=True)
class CallView:
    """A detached snapshot of one call row."""

    id: int
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

    async def person(self, person_id: int) -> tuple[Person, list[int]] | None:
        """An active person and the grid ids they are assigned to, or None."""
        async with self._sessions() as session:
            person = await session.get(Person, person_id)
            if person is None or not person.is_active:
                return None
            grids = await session.scalars(
                select(Assignment.grid_id).where(Assignment.person_id == person_id)
            )
            return person, [g for g in grids if g is not None]

    async def is_admin(self, person_id: int) -> bool:
        async with self._sessions() as session:
            found = await session.scalar(
                select(Assignment.id).where(
                    Assignment.person_id == person_id, Assignment.role == "admin"
                )
            )
            return found is not None

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

    async def in_call(self, person_id: int) -> bool:
        """Is this person a party to a call that is ringing or active?"""
        async with self._sessions() as session:
            found = await session.scalar(
                select(CallRecord.id)
                .where(
                    or_(CallRecord.caller_id == person_id, CallRecord.callee_id == person_id),
                    CallRecord.state.in_(LIVE_STATES),
                )
                .limit(1)
            )
            return found is not None

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

    async def create(self, values: dict[str, Any]) -> CallView | None:
        """Insert a call; None when (caller, client_call_id) already exists."""
        try:
            async with self._sessions.begin() as session:
                row = CallRecord(started_at=utcnow(), **values)
                if values["state"] == State.ENDED:
                    row.ended_at, row.duration_s = row.started_at, 0.0
                session.add(row)
                await session.flush()
                return CallView.of(row)
        except IntegrityError:
            return None

    async def transition(
        self, call_id: int, expected: str, values: dict[str, Any]
    ) -> CallView | None:
        """Move a call out of `expected` state; None when someone else moved it first."""
        now = utcnow()
        ending = values.get("state") == State.ENDED
        if ending:
            values = {**values, "ended_at": now}
        elif values.get("state") == State.ACTIVE:
            values = {**values, "answered_at": now}
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(CallRecord)
                .where(CallRecord.id == call_id, CallRecord.state == expected)
                .values(**values)
            )
            if int(getattr(result, "rowcount", 0) or 0) != 1:
                return None
            row = await session.get(CallRecord, call_id, populate_existing=True)
            assert row is not None
            if ending:
                answered = row.answered_at
                row.duration_s = 0.0 if answered is None else (now - answered).total_seconds()
            return CallView.of(row)

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
