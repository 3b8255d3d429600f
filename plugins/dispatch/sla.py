"""SLA deadlines: a warning before a stage's deadline, then overdue -> supervision (督办).

One durable timer per incident (key `sla:<id>`) carries the stage and deadline it was set for;
a firing that no longer matches the incident (it moved on) does nothing, so the at-least-once
timers and stale firings are harmless. Overdue is written with a plain UPDATE: it is not an
action of anyone's, so it must not bump the version a person is acting on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import SYSTEM, DueTimer, PluginContext
from plugins.dispatch import actions, rows, store
from plugins.dispatch.config import DispatchConfig
from plugins.dispatch.effects import Change, Effects
from plugins.dispatch.lifecycle import Stage
from plugins.dispatch.messages import IncidentOverdue
from plugins.dispatch.models import Incident

NOBODY = (None, "system")


class Deadlines:
    def __init__(self, ctx: PluginContext, config: DispatchConfig, effects: Effects) -> None:
        self.ctx = ctx
        self.config = config
        self.effects = effects
        ctx.timers.handler("sla")(self.fired)
        ctx.timers.handler("review")(self.review_due)

    async def fired(self, payload: dict[str, Any], timer: DueTimer) -> None:
        if payload.get("phase") == "warn":
            await self._warn(payload)
        else:
            await self._overdue(payload)

    async def _current(self, session: AsyncSession, payload: dict[str, Any]) -> Incident | None:
        """The incident if it is still in the stage and deadline the timer was set for."""
        incident = await session.get(Incident, payload["incident_id"])
        if incident is None or incident.stage != payload["stage"]:
            return None
        return incident if incident.stage_deadline == payload["deadline"] else None

    async def _warn(self, payload: dict[str, Any]) -> None:
        async with self.effects.writes.begin() as session:
            incident = await self._current(session, payload)
            if incident is None:
                return
            await session.run_sync(
                rows.add_event, incident, "sla_warning", incident.state, (None, "system")
            )
            change = await self._change(session, incident, "sla_warning")
        await self.effects.push(change)
        due = {**payload, "phase": "due"}
        await self.ctx.timers.schedule(
            "sla", f"sla:{payload['incident_id']}", payload["deadline"], due
        )

    async def _overdue(self, payload: dict[str, Any]) -> None:
        async with self.effects.writes.begin() as session:
            incident = await self._current(session, payload)
            if incident is None or incident.overdue:
                return
            upper = actions.next_level(
                self.ctx.grids.index, incident.level_grid_id, self.config.command_levels
            )
            await session.execute(
                update(Incident)
                .where(Incident.id == incident.id)
                .values(overdue=True, supervised_by_grid=upper or incident.level_grid_id)
                .execution_options(synchronize_session=False)
            )
            await store.mark_overdue(session, incident, Stage(payload["stage"]))
            await session.refresh(incident)
            data = {"stage": payload["stage"], "supervised_by_grid": upper}
            await session.run_sync(
                rows.add_event, incident, "overdue", incident.state, (None, "system"), "", data
            )
            self.ctx.audit.record(session, SYSTEM, "dispatch.overdue", "incident", incident.id,
                         {"number": incident.number, "stage": payload["stage"]})  # fmt: skip
            change = await self._change(session, incident, "overdue")
        await self.effects.push(change)
        await self._announce_overdue(change.summary, payload)

    async def _announce_overdue(self, summary: dict[str, Any], payload: dict[str, Any]) -> None:
        await self.ctx.bus.publish(
            IncidentOverdue(
                incident_id=summary["id"], number=summary["number"], stage=payload["stage"],
                state=summary["state"], grid_id=summary["grid_id"], category=summary["category"],
                priority=summary["priority"], deadline=payload["deadline"],
            )
        )  # fmt: skip

    async def review_due(self, payload: dict[str, Any], timer: DueTimer) -> None:
        """A parked (挂账) incident reached its review date: remind its command centre."""
        async with self.effects.writes.begin() as session:
            incident = await session.get(Incident, payload["incident_id"])
            if incident is None or incident.review_at != payload["review_at"]:
                return
            await session.run_sync(
                rows.add_event, incident, "review_due", incident.state, (None, "system")
            )
            change = await self._change(session, incident, "review_due")
        await self.effects.push(change)

    @staticmethod
    async def _change(session: AsyncSession, incident: Incident, action: str) -> Change:
        await session.flush()
        parts = await store.assignments(session, incident.id)
        return Change(
            summary=store.summary(incident, parts),
            action=action,
            previous_state=incident.state,
            actor_id=None,
            actor_name="system",
            note="",
            involved=await store.involved(session, incident.id),
        )

    async def reconcile(self) -> int:
        """Schedule the SLA timer of every open stage that has none (a crash after commit)."""
        pending = {t.key for t in await self.ctx.timers.pending()}
        async with self.ctx.sessions() as session:
            rows = await session.scalars(
                select(Incident).where(
                    Incident.stage_deadline.is_not(None), Incident.overdue.is_(False)
                )
            )
            missing = [i for i in rows if f"sla:{i.id}" not in pending]
            summaries = [store.summary(i) for i in missing]
        for summary in summaries:
            await self.effects.timers(
                Change(summary, "reconcile", summary["state"], None, "system", "", [])
            )
        return len(summaries)

    async def reconcile_once(self) -> None:
        scheduled = await self.reconcile()
        if scheduled:
            self.ctx.log.info("rescheduled SLA timers", extra={"count": scheduled})
