"""Durable timers in the SQL database (SQLite or PostgreSQL); table ``timers``.

Implements ``hub.timers.TimerStore`` structurally (storage never imports the hub).

* A row's ``due_at`` is when it next becomes claimable: ``fire_at`` while unclaimed, the lease
  end while claimed. One index on ``due_at`` serves claiming and ``next_fire_at``.
* ``schedule`` is one upsert on (owner, key) that also gives the row a fresh id, so a handler
  still running for the replaced timer cannot complete or retry its successor.
* ``claim_due`` is one statement::

      UPDATE timers SET claimed_by=:node, claimed_until=:until, due_at=:until
      WHERE due_at <= :now AND id IN (
          SELECT id FROM timers WHERE due_at <= :now ORDER BY due_at LIMIT :limit
          [FOR UPDATE SKIP LOCKED]   -- PostgreSQL
      ) RETURNING ...

  On PostgreSQL concurrent claimers skip each other's locked rows, and the outer ``due_at``
  check is re-evaluated on the locked row, so a row is never claimed twice. On SQLite the
  UPDATE is the transaction's first statement: SQLite takes the write lock before it reads
  (waiting out other writers via busy_timeout), so claimers are serialised and each sees the
  previous claims.
* ``complete`` and ``retry`` act only while ``claimed_by`` is still the calling node.
  ``schedule_many`` upserts a batch of timers in one statement per 500 rows, and
  ``complete_many`` deletes a whole batch of fired timers in one statement (one transaction):
  a burst of due timers then costs one write per batch rather than one per timer, which is what
  kept a burst from firing on time on SQLite (a single writer).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Timer
from storage.timer_model import DueTimer, new_timer_id

BATCH = 500  # ids per DELETE (SQLite allows 32766 bound parameters; keep statements small)
NO_SYNC: dict[str, Any] = {"synchronize_session": False}
COLUMNS = (
    Timer.id,
    Timer.owner,
    Timer.kind,
    Timer.key,
    Timer.fire_at,
    Timer.payload,
    Timer.attempts,
    Timer.claimed_by,
    Timer.claimed_until,
)


REPLACED = ("id", "kind", "fire_at", "due_at", "payload", "attempts", "claimed_by", "claimed_until")
NewTimer = tuple[str, str, str, float, dict[str, Any]]  # owner, kind, key, fire_at, payload


def _row(
    owner: str, kind: str, key: str, fire_at: float, payload: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": new_timer_id(),
        "owner": owner,
        "kind": kind,
        "key": key,
        "fire_at": fire_at,
        "due_at": fire_at,
        "payload": payload,
        "attempts": 0,
        "claimed_by": None,
        "claimed_until": None,
    }


def _timer(row: Row[Any]) -> DueTimer:
    return DueTimer(
        id=row.id,
        owner=row.owner,
        kind=row.kind,
        key=row.key,
        fire_at=float(row.fire_at),
        payload=dict(row.payload or {}),
        attempts=int(row.attempts),
        claimed_by=row.claimed_by,
        claimed_until=None if row.claimed_until is None else float(row.claimed_until),
    )


class SqlTimerStore:
    """Timers in the ``timers`` table (see the module docstring). Does not own the engine."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    def _dialect(self, session: AsyncSession) -> str:
        return session.get_bind().dialect.name

    async def schedule(
        self, owner: str, kind: str, key: str, fire_at: float, payload: dict[str, Any]
    ) -> None:
        """Create the timer, or replace the one with this (owner, key)."""
        await self.schedule_many([(owner, kind, key, fire_at, payload)])

    async def schedule_many(self, timers: Sequence[NewTimer]) -> None:
        """Create or replace many timers in one transaction (the last of a repeated key wins)."""
        latest = {(t[0], t[2]): t for t in timers}
        rows = [_row(*t) for t in latest.values()]
        if not rows:
            return
        async with self._sessions() as session, session.begin():
            # One statement for any number of rows (an executemany), so it is compiled once and
            # cached; a multi-VALUES statement would be compiled anew for every batch size.
            await session.execute(_upsert(self._dialect(session)), rows)

    async def cancel(self, owner: str, key: str) -> bool:
        """Delete the timer; True if that stopped it: it had not been claimed. A claimed one is
        firing (or has fired and awaits completion): deleting it still keeps it from being
        retried or taken over, but the caller is told it may have run."""
        statement = (
            delete(Timer).where(Timer.owner == owner, Timer.key == key).returning(Timer.claimed_by)
        )
        async with self._sessions() as session, session.begin():
            deleted = (await session.execute(statement, execution_options=NO_SYNC)).all()
        return any(claimed_by is None for (claimed_by,) in deleted)

    async def claim_due(self, node: str, now: float, lease_s: float, limit: int) -> list[DueTimer]:
        """Claim up to `limit` timers due at `now` for `lease_s` seconds (see module docstring)."""
        until = now + lease_s
        async with self._sessions() as session, session.begin():
            due = select(Timer.id).where(Timer.due_at <= now).order_by(Timer.due_at).limit(limit)
            if self._dialect(session) == "postgresql":
                due = due.with_for_update(skip_locked=True)
            statement = (
                update(Timer)
                .where(Timer.due_at <= now, Timer.id.in_(due))
                .values(claimed_by=node, claimed_until=until, due_at=until)
                .returning(*COLUMNS)
            )
            rows = (await session.execute(statement, execution_options=NO_SYNC)).all()
        return sorted((_timer(row) for row in rows), key=lambda t: (t.fire_at, t.id))

    async def complete(self, timer_id: str, node: str) -> bool:
        """Delete the timer if `node` still holds it."""
        statement = delete(Timer).where(Timer.id == timer_id, Timer.claimed_by == node)
        return await self._changed(statement)

    async def complete_many(self, timer_ids: Sequence[str], node: str) -> set[str]:
        """Delete those of the timers that `node` still holds; returns the ids deleted."""
        done: set[str] = set()
        for start in range(0, len(timer_ids), BATCH):
            chunk = list(timer_ids[start : start + BATCH])
            statement = (
                delete(Timer)
                .where(Timer.id.in_(chunk), Timer.claimed_by == node)
                .returning(Timer.id)
            )
            async with self._sessions() as session, session.begin():
                result = await session.execute(statement, execution_options=NO_SYNC)
                done.update(result.scalars().all())
        return done

    async def retry(self, timer_id: str, node: str, fire_at: float) -> bool:
        """Release the timer held by `node` to fire again at `fire_at`, one more attempt made."""
        statement = (
            update(Timer)
            .where(Timer.id == timer_id, Timer.claimed_by == node)
            .values(
                fire_at=fire_at,
                due_at=fire_at,
                attempts=Timer.attempts + 1,
                claimed_by=None,
                claimed_until=None,
            )
        )
        return await self._changed(statement)

    async def next_fire_at(self) -> float | None:
        """When the earliest timer becomes claimable (its fire time, or its lease end)."""
        async with self._sessions() as session:
            value = await session.scalar(select(func.min(Timer.due_at)))
        return None if value is None else float(value)

    async def pending(self, owner: str) -> list[DueTimer]:
        """The owner's timers, earliest first (claimed ones included)."""
        statement = select(*COLUMNS).where(Timer.owner == owner).order_by(Timer.fire_at, Timer.id)
        async with self._sessions() as session:
            rows: Sequence[Row[Any]] = (await session.execute(statement)).all()
        return [_timer(row) for row in rows]

    async def close(self) -> None:
        return None

    async def _changed(self, statement: Any) -> bool:
        async with self._sessions() as session, session.begin():
            result = await session.execute(statement, execution_options=NO_SYNC)
        return bool(getattr(result, "rowcount", 0))


@functools.cache
def _upsert(dialect: str) -> Any:
    """The schedule upsert, built once per dialect (and so compiled once)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Timer)
    replace = {c: statement.excluded[c] for c in REPLACED}
    return statement.on_conflict_do_update(index_elements=[Timer.owner, Timer.key], set_=replace)
