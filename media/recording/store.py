"""Recording rows: create when a recorder starts, finish on its `ended` event, scope queries."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from media.recording.models import Recording, RecordingParticipant
from storage.models import Assignment
from storage.sql import utcnow


@dataclass(frozen=True, slots=True)
class NewRecording:
    kind: str
    room: str
    media: str
    container: str
    codec: str
    content_type: str
    participants: tuple[int, ...]
    started_by: int | None = None
    grid_id: int | None = None
    call_id: int | None = None
    channel_id: int | None = None
    subject: str | None = None  # `<kind>:<id>` of what it belongs to (models.Recording)
    started_at: datetime | None = None


class RecordingStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(self, new: NewRecording, suffix: str) -> Recording:
        recording_id = secrets.token_hex(16)
        row = Recording(
            id=recording_id,
            state="recording",
            path=f"{utcnow():%Y/%m/%d}/{recording_id}{suffix}",
            **_fields(new),
        )
        async with self._sessions.begin() as session:
            session.add(row)
            await session.flush()
            session.add_all(
                RecordingParticipant(recording_id=recording_id, person_id=p)
                for p in sorted(set(new.participants))
            )
        return row

    async def add_participant(self, recording_id: str, person_id: int) -> None:
        async with self._sessions.begin() as session:
            if await session.get(RecordingParticipant, (recording_id, person_id)) is None:
                session.add(RecordingParticipant(recording_id=recording_id, person_id=person_id))

    async def open_for_room(self, room: str) -> Recording | None:
        stmt = select(Recording).where(Recording.room == room, Recording.state == "recording")
        async with self._sessions() as session:
            return (await session.scalars(stmt.limit(1))).first()

    async def finish(self, recording_id: str, facts: dict[str, Any]) -> Recording | None:
        """Mark done with the file's facts (only a row still recording; else None)."""
        async with self._sessions.begin() as session:
            row = await session.get(Recording, recording_id)
            if row is None or row.state != "recording":
                return None
            row.state, row.ended_at = "done", utcnow()
            row.size, row.sha256 = int(facts["size"]), str(facts["sha256"])
            row.duration_s = float(facts["duration_s"])
            return row

    async def fail(self, recording_id: str, error: str) -> None:
        stmt = (
            update(Recording)
            .where(Recording.id == recording_id, Recording.state == "recording")
            .values(state="failed", ended_at=utcnow(), error=error[:255])
        )
        async with self._sessions.begin() as session:
            await session.execute(stmt)

    async def fail_unfinished(self, error: str) -> int:
        """Mark every row still recording as failed (a single hub's workers all restarted)."""
        stmt = (
            update(Recording)
            .where(Recording.state == "recording")
            .values(state="failed", ended_at=utcnow(), error=error)
        )
        async with self._sessions.begin() as session:
            result = await session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    async def get(self, recording_id: str) -> tuple[Recording, list[int]] | None:
        async with self._sessions() as session:
            row = await session.get(Recording, recording_id)
            if row is None:
                return None
            people = await session.scalars(
                select(RecordingParticipant.person_id).where(
                    RecordingParticipant.recording_id == recording_id
                )
            )
            return row, list(people)

    async def visible(
        self, person_id: int, grid_ids: Iterable[int] | None, before: datetime | None, limit: int
    ) -> list[tuple[Recording, list[int]]]:
        """Recordings `person_id` took part in, plus those in `grid_ids` (None: all)."""
        stmt = select(Recording).order_by(Recording.started_at.desc()).limit(limit)
        if grid_ids is not None:
            grids = list(grid_ids)
            mine = select(RecordingParticipant.recording_id).where(
                RecordingParticipant.person_id == person_id
            )
            staff = select(Assignment.person_id).where(Assignment.grid_id.in_(grids))
            theirs = select(RecordingParticipant.recording_id).where(
                RecordingParticipant.person_id.in_(staff)
            )
            stmt = stmt.where(
                or_(Recording.id.in_(mine), Recording.id.in_(theirs), Recording.grid_id.in_(grids))
            )
        if before is not None:
            stmt = stmt.where(Recording.started_at < before)
        async with self._sessions() as session:
            rows = list(await session.scalars(stmt))
            people = await session.execute(
                select(RecordingParticipant.recording_id, RecordingParticipant.person_id).where(
                    RecordingParticipant.recording_id.in_([r.id for r in rows])
                )
            )
            by_row: dict[str, list[int]] = {}
            for recording_id, person in people:
                by_row.setdefault(recording_id, []).append(person)
            return [(row, sorted(by_row.get(row.id, []))) for row in rows]

    async def participants_grids(self, people: Iterable[int]) -> set[int]:
        stmt = select(Assignment.grid_id).where(Assignment.person_id.in_(list(people)))
        async with self._sessions() as session:
            return {g for g in await session.scalars(stmt) if g is not None}

    async def expired(self, days: float, limit: int = 500) -> list[tuple[str, str]]:
        """(id, path) of recordings started more than `days` ago."""
        cutoff = utcnow() - timedelta(days=days)
        stmt = (
            select(Recording.id, Recording.path).where(Recording.started_at < cutoff).limit(limit)
        )
        async with self._sessions() as session:
            return [(str(i), str(p)) for i, p in await session.execute(stmt)]

    async def delete(self, ids: list[str]) -> None:
        async with self._sessions.begin() as session:
            await session.execute(delete(Recording).where(Recording.id.in_(ids)))


def _fields(new: NewRecording) -> dict[str, Any]:
    return {
        "started_at": new.started_at or utcnow(),
        "kind": new.kind,
        "room": new.room,
        "media": new.media,
        "container": new.container,
        "codec": new.codec,
        "content_type": new.content_type,
        "started_by": new.started_by,
        "grid_id": new.grid_id,
        "call_id": new.call_id,
        "channel_id": new.channel_id,
        "subject": new.subject,
    }
