"""The overdue sweep of visits and inspections, and the console's list of overdue ones.

The sweep runs on a durable timer (once cluster-wide, work_api.py). A subject due now gets its
workers reminded (a realtime notice `archives.visit_due` and `VisitDue` on the bus); one still not
visited `escalate_after_s` past its due time is overdue (`VisitOverdue`), and the village
console hears of it. `archives_visit_alerts` holds where each subject's period stands; stages are
claimed with conditional updates, so two sweeps at once still remind once. A visit since the
reminder starts the next period.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import DbId, GridIndex, PluginContext, Principal
from plugins.archives.access import READ_ROLES, require, scope_ids
from plugins.archives.messages import VisitDue, VisitOverdue
from plugins.archives.models import Place, Resident, Tag
from plugins.archives.visits import DAY, Subject, due_people, due_places
from plugins.archives.work_access import FIELD_ROLES
from plugins.archives.work_models import VisitAlert


class OverdueQuery(BaseModel):
    grid_id: DbId | None = None
    limit: int = Field(200, ge=1, le=500)


class VisitSweep:
    def __init__(self, ctx: PluginContext, escalate_after_s: float = 2 * DAY) -> None:
        self._ctx = ctx
        self.escalate_after_s = escalate_after_s

    @property
    def index(self) -> GridIndex:
        return self._ctx.grids.index

    async def overdue(self, who: Principal, query: OverdueQuery) -> list[dict[str, Any]]:
        """Subjects escalated to the console (still not visited), in the caller's grids."""
        if query.grid_id is not None:
            require(who, self.index, query.grid_id, READ_ROLES)
        grids = (
            self.index.scope_ids([query.grid_id])
            if query.grid_id is not None
            else scope_ids(who, self.index, READ_ROLES)
        )
        stmt = select(VisitAlert).where(VisitAlert.overdue_at.is_not(None))
        if grids is not None:
            stmt = stmt.where(VisitAlert.grid_id.in_(grids))
        async with self._ctx.sessions() as session:
            alerts = list(
                await session.scalars(stmt.order_by(VisitAlert.due_at).limit(query.limit))
            )
            names = await self.names(session, alerts)
        return [self.alert_dict(a, names) for a in alerts]

    @staticmethod
    async def names(session: AsyncSession, alerts: list[VisitAlert]) -> dict[tuple[str, int], str]:
        people = [a.subject_id for a in alerts if a.subject_type == "person"]
        places = [a.subject_id for a in alerts if a.subject_type == "place"]
        names: dict[tuple[str, int], str] = {}
        if people:
            rows = await session.execute(
                select(Resident.id, Resident.name).where(Resident.id.in_(people))
            )
            names.update({("person", i): n for i, n in rows.all()})
        if places:
            rows = await session.execute(select(Place.id, Place.name).where(Place.id.in_(places)))
            names.update({("place", i): n for i, n in rows.all()})
        return names

    def alert_dict(self, a: VisitAlert, names: dict[tuple[str, int], str]) -> dict[str, Any]:
        grid = self.index.get(a.grid_id) if a.grid_id in self.index else None
        return {
            "subject_type": a.subject_type,
            "subject_id": a.subject_id,
            "grid_id": a.grid_id,
            "grid_name": grid.name if grid else "",
            "due_at": a.due_at,
            "name": names.get((a.subject_type, a.subject_id), ""),
            "reminded_at": a.reminded_at,
            "overdue_at": a.overdue_at,
        }

    async def sweep(self, now: float | None = None) -> dict[str, int]:
        """Remind for what fell due, escalate what stayed undone; each once per period."""
        now = time.time() if now is None else now
        async with self._ctx.sessions() as session:
            subjects = await due_people(session, None) + await due_places(session, None)
        due = [s for s in subjects if s.due_at <= now]
        reminded = overdue = 0
        for subject in due:
            stage = await self._advance(subject, now)
            if stage in ("reminded", "both"):
                reminded += 1
                await self._remind(subject)
            if stage in ("overdue", "both"):
                overdue += 1
                await self._ctx.bus.publish(
                    VisitOverdue(
                        subject_type=subject.type,
                        subject_id=subject.id,
                        grid_id=subject.grid_id,
                        due_at=subject.due_at,
                    )
                )
        await self._forget_visited(subjects, now)
        return {"due": len(due), "reminded": reminded, "overdue": overdue}

    async def _advance(self, subject: Subject, now: float) -> str | None:
        """Claim the next stage of the subject's period (conditional updates: one sweeper
        wins when two run at once)."""
        escalate = now >= subject.due_at + self.escalate_after_s
        async with self._ctx.sessions.begin() as session:
            alert = await session.scalar(
                select(VisitAlert).where(
                    VisitAlert.subject_type == subject.type, VisitAlert.subject_id == subject.id
                )
            )
            if alert is None:
                alert = VisitAlert(
                    subject_type=subject.type,
                    subject_id=subject.id,
                    grid_id=subject.grid_id,
                    due_at=subject.due_at,
                )
                session.add(alert)
                await session.flush()
            elif alert.due_at != subject.due_at:
                self._move(alert, subject)
            reminded = await self._claim(session, alert.id, "reminded_at", now)
            late = escalate and await self._claim(session, alert.id, "overdue_at", now)
        return {(True, True): "both", (True, False): "reminded", (False, True): "overdue"}.get(
            (reminded, bool(late))
        )

    @staticmethod
    def _move(alert: VisitAlert, subject: Subject) -> None:
        """The due time moved: a new interval keeps the period, a visit since starts anew."""
        visited = subject.last_visit is not None and subject.last_visit > (alert.reminded_at or 0)
        alert.due_at, alert.grid_id = subject.due_at, subject.grid_id
        if visited:
            alert.reminded_at = alert.overdue_at = None

    @staticmethod
    async def _claim(session: AsyncSession, alert_id: int, column: str, now: float) -> bool:
        field = getattr(VisitAlert, column)
        result = await session.execute(
            update(VisitAlert)
            .where(VisitAlert.id == alert_id, field.is_(None))
            .values({column: now})
        )
        return bool(getattr(result, "rowcount", 0))

    async def _forget_visited(self, subjects: list[Subject], now: float) -> None:
        """Alerts of subjects visited since (their due time moved past now) start over."""
        later = {(s.type, s.id) for s in subjects if s.due_at > now}
        async with self._ctx.sessions.begin() as session:
            for alert in list(await session.scalars(select(VisitAlert))):
                if (alert.subject_type, alert.subject_id) in later:
                    await session.delete(alert)

    async def _remind(self, subject: Subject) -> None:
        """A notice to the workers of the subject's grid who may see why it is due."""
        workers = await self._workers(subject)
        data = {
            "subject_type": subject.type,
            "subject_id": subject.id,
            "grid_id": subject.grid_id,
            "name": subject.name,
            "due_at": subject.due_at,
        }
        if workers:
            rooms = [self._ctx.realtime.user_room(p) for p in workers]
            await self._ctx.realtime.emit("visit_due", data, rooms)
        await self._ctx.bus.publish(
            VisitDue(
                subject_type=subject.type,
                subject_id=subject.id,
                grid_id=subject.grid_id,
                due_at=subject.due_at,
                reminded=tuple(workers),
            )
        )

    async def _workers(self, subject: Subject) -> list[int]:
        grids = self.index.covering_ids(subject.grid_id) if subject.grid_id in self.index else ()
        people = await self._ctx.directory.holding_roles_in(grids)
        visible = await self._visible_roles(subject)
        wanted = FIELD_ROLES if visible is None else FIELD_ROLES & visible
        return sorted(
            p.id
            for p in people
            if any(r.get("role") in wanted and r.get("grid_id") in grids for r in p.roles)
        )

    async def _visible_roles(self, subject: Subject) -> set[str] | None:
        if subject.type != "person":
            return None
        async with self._ctx.sessions() as session:
            tags = await session.scalars(select(Tag).where(Tag.code.in_(subject.tags)))
            return {role for t in tags for role in t.visible_roles}
