"""Incidents for severe alarms, through dispatch's bus contract, as an outbox.

The transaction that makes an alarm want an incident sets `incident_wanted` (and the time of
the request); after the commit an `IncidentRequested` is published. Dispatch opens at most one
incident per (source, source_ref) and answers `IncidentChanged(action="reported")`, whose
incident id is stored on the alarm. Alarms still without one are asked for again at start-up
and then every `retry_s`, so a request the bus dropped is not lost, and never doubled.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from sqlalchemy import or_, select, update

from hub.sdk import PluginContext
from plugins.alarms.config import IncidentPolicy
from plugins.alarms.models import Alarm
from plugins.alarms.state import Actor, history
from plugins.dispatch.messages import IncidentChanged, IncidentRequested

PRIORITY = {"CRITICAL": "urgent", "MAJOR": "high"}
SOURCE = "alarm"


def source_ref(alarm_id: int) -> str:
    return f"alarm:{alarm_id}"


class Incidents:
    def __init__(
        self,
        ctx: PluginContext,
        policy: IncidentPolicy,
        device_place: Callable[[int], Awaitable[tuple[float | None, float | None, str]]],
        retry_s: float = 60.0,
    ) -> None:
        self._sessions, self._bus, self._policy = ctx.sessions, ctx.bus, policy
        self._place, self._retry_s = device_place, retry_s

    async def start(self) -> None:
        await self._bus.subscribe(IncidentChanged, self._reported, group="alarms")

    async def request(self, alarm: Alarm) -> None:
        lon, lat, name = await self._place(alarm.device_id)
        await self._bus.publish(
            IncidentRequested(
                source=SOURCE,
                source_ref=source_ref(alarm.id),
                category=self._policy.categories.get(alarm.type, self._policy.default_category),
                title=f"{self._policy.name_of(alarm.type)}：{name or alarm.device_code}",
                description=alarm.message,
                priority=PRIORITY.get(alarm.severity, "normal"),
                grid_id=alarm.grid_id or None,
                lon=lon,
                lat=lat,
                address=name,
            )
        )

    async def resend_pending(self, everything: bool = False) -> int:
        """Ask again for alarms that want an incident and have none (older than retry_s)."""
        now = time.time()
        async with self._sessions.begin() as session:
            stmt = select(Alarm).where(Alarm.incident_wanted, Alarm.incident_id.is_(None))
            if not everything:
                cutoff = now - self._retry_s
                stmt = stmt.where(
                    or_(Alarm.incident_requested_at.is_(None), Alarm.incident_requested_at < cutoff)
                )
            alarms = list(await session.scalars(stmt.limit(500)))
            for alarm in alarms:
                alarm.incident_requested_at = now
        for alarm in alarms:
            await self.request(alarm)
        return len(alarms)

    async def _reported(self, message: IncidentChanged) -> None:
        ref = message.source_ref or ""
        if message.source != SOURCE or message.action != "reported" or not ref.startswith("alarm:"):
            return
        alarm_id = int(ref.removeprefix("alarm:")) if ref[6:].isdigit() else None
        if alarm_id is None:
            return
        async with self._sessions.begin() as session:
            stmt = (
                update(Alarm)
                .where(Alarm.id == alarm_id, Alarm.incident_id.is_(None))
                .values(incident_id=message.incident_id)
            )
            result = await session.execute(stmt)
            if getattr(result, "rowcount", 0):
                alarm = await session.get(Alarm, alarm_id)
                if alarm is not None:
                    details = {"incident_id": message.incident_id, "number": message.number}
                    history(session, alarm, "incident_opened", Actor("dispatch"), "", details)
