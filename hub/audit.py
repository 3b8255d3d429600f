"""The append-only audit log every state-changing action writes, in the same transaction."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from hub.access import Principal
from storage.appends import append_row
from storage.models import AuditEntry
from storage.sql import utcnow

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "gridhub_request_id", default=None
)
source_ip_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "gridhub_source_ip", default=None
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it: a person, or a named system part ("system", "cli", "device:<code>")."""

    name: str
    person_id: int | None = None

    @classmethod
    def of(cls, who: Principal) -> Actor:
        return cls(name=who.username, person_id=who.person_id)


SYSTEM = Actor("system")


@dataclass(frozen=True, slots=True)
class AuditQuery:
    actor_id: int | None = None
    actor: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    limit: int = 100


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: object,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit row to `session`; it commits (or rolls back) with the change it describes."""
    entry = AuditEntry(**_columns(actor, action, target_type, target_id, details))
    session.add(entry)
    return entry


# On the table, not the mapped class: many rows at once go as one Core executemany instead of
# through the ORM's bulk insert (about half the cost of writing a batch's appended rows).
_INSERT = insert(cast(Table, AuditEntry.__table__))


def append(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: object,
    details: dict[str, Any] | None = None,
) -> None:
    """Like `record`, for a synchronous transaction body: a Core statement, no unit of work, so
    the row stays even if the body expunges its session's objects. It is inserted at once, or
    with the transaction's other appended rows just before its commit where the transaction
    collects them (`storage.appends`: a group commit's batch); either way it commits or rolls
    back with the body's transaction, and names the request of the context it is called in."""
    append_row(session, _INSERT, _columns(actor, action, target_type, target_id, details))


def _columns(
    actor: Actor, action: str, target_type: str, target_id: object, details: dict[str, Any] | None
) -> dict[str, Any]:
    """The row's columns; request id and source address come from the caller's context."""
    return {
        "at": utcnow(),
        "actor_id": actor.person_id,
        "actor": actor.name,
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id),
        "source_ip": source_ip_var.get(),
        "request_id": request_id_var.get(),
        "details": details or {},
    }


async def query(sessions: async_sessionmaker[AsyncSession], q: AuditQuery) -> list[AuditEntry]:
    """Newest first; page with `before_id` set to the last id seen."""
    async with sessions() as session:
        result = await session.scalars(_filtered(q).order_by(AuditEntry.id.desc()).limit(q.limit))
        return list(result)


def _filtered(q: AuditQuery) -> Select[AuditEntry]:
    stmt = select(AuditEntry)
    equal = {
        AuditEntry.actor_id: q.actor_id,
        AuditEntry.actor: q.actor,
        AuditEntry.action: q.action,
        AuditEntry.target_type: q.target_type,
        AuditEntry.target_id: q.target_id,
    }
    for column, value in equal.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if q.since is not None:
        stmt = stmt.where(AuditEntry.at >= q.since)
    if q.until is not None:
        stmt = stmt.where(AuditEntry.at < q.until)
    if q.before_id is not None:
        stmt = stmt.where(AuditEntry.id < q.before_id)
    return stmt


async def sweep(sessions: async_sessionmaker[AsyncSession], retention_days: int) -> int:
    """Delete entries older than the retention period; returns how many went."""
    cutoff = utcnow() - timedelta(days=retention_days)
    async with sessions.begin() as session:
        result = await session.execute(delete(AuditEntry).where(AuditEntry.at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)
