"""SOS devices of people under care, reporting through the alarms plugin (optional), over the
bus only.

An officer records the code of a person's SOS device on their check-in (a core device the
alarms plugin hears). The plugin follows the alarms' `AlarmChanged`: an alarm `raised` on that
device becomes an SOS event on the person's record, and the consoles over the grid hear it
(`services.sos`). The incident answering it: for a severity in `sos_linked_severities` the
alarms plugin asks dispatch for one itself (source "alarm"), which the plugin links from
dispatch's `IncidentChanged`; for any other it asks dispatch for one (source "services.sos",
one per alarm). Either message may come first: the event row is keyed by the alarm id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.sdk import (
    Actor,
    Conflict,
    NotFound,
    PluginContext,
    Principal,
    mask_personal,
    utcnow,
)
from plugins.services.access import CHECKIN, OFFICERS, STAFF
from plugins.services.common import check_grid, visible_grids
from plugins.services.config import ServicesConfig
from plugins.services.models import CheckIn, SosEvent

if TYPE_CHECKING:
    from plugins.alarms.messages import AlarmChanged
    from plugins.dispatch.messages import IncidentChanged

SOURCE = "services.sos"
ALARMS = "alarm"  # the alarms plugin's incident source


class DeviceIn(BaseModel):
    device_code: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._:-]{1,64}$",
                                    description="null: the person has no SOS device")  # fmt: skip


def sos_view(row: SosEvent, name: str) -> dict[str, Any]:
    return {"alarm_id": row.alarm_id, "checkin_id": row.checkin_id, "grid_id": row.grid_id,
            "name": mask_personal(name), "device_code": row.device_code, "type": row.type,
            "severity": row.severity, "active": row.active,
            "raised_at": row.raised_at.isoformat() if row.raised_at else None,
            "incident_number": row.incident_number,
            "incident_state": row.incident_state}  # fmt: skip


def _alarm_of(change: IncidentChanged) -> int | None:
    prefix = {ALARMS: "alarm:", SOURCE: "sos:"}.get(change.source)
    ref = change.source_ref or ""
    if prefix is None or not ref.startswith(prefix) or not ref[len(prefix) :].isdigit():
        return None
    return int(ref[len(prefix) :])


class Sos:
    def __init__(self, ctx: PluginContext, config: ServicesConfig) -> None:
        self.ctx = ctx
        self.config = config

    async def subscribe(self) -> None:
        if not self.ctx.has_plugin("alarms"):
            return
        from plugins.alarms.messages import AlarmChanged  # the alarms' contract

        await self.ctx.bus.subscribe(AlarmChanged, self.alarmed, group="services.sos")
        if self.ctx.has_plugin("dispatch"):
            from plugins.dispatch.messages import IncidentChanged

            await self.ctx.bus.subscribe(IncidentChanged, self.followed, group="services.sos")

    async def bind(self, who: Principal, checkin_id: int, body: DeviceIn) -> dict[str, Any]:
        """Record (or clear) the person's SOS device (officers over the check-in's grid)."""
        try:
            async with self.ctx.sessions.begin() as session:
                row = await session.get(CheckIn, checkin_id)
                if row is None or not row.active:
                    raise NotFound("services.checkin_not_found", f"no check-in {checkin_id}")
                check_grid(who, self.ctx.grids.index, row.grid_id, OFFICERS)
                row.sos_device = body.device_code
                await session.flush()
                self.ctx.audit.record(session, Actor.of(who), "services.checkin.sos_device",
                                      CHECKIN, row.id, {"device": body.device_code})  # fmt: skip
        except IntegrityError:
            raise Conflict("services.device_taken",
                           "that device is another person's SOS device") from None  # fmt: skip
        return {"id": checkin_id, "sos_device": body.device_code}

    async def alarmed(self, alarm: AlarmChanged) -> None:
        if alarm.action == "cleared":
            await self._cleared(alarm.alarm_id)
        if alarm.action != "raised":
            return
        event = await self._record(alarm)
        if event is None:
            return
        row, name = event
        if row.incident_source == SOURCE and self.ctx.has_plugin("dispatch"):
            await self._ask_incident(row, name)
        live = {"alarm_id": row.alarm_id, "checkin_id": row.checkin_id, "active": True}
        await self.ctx.realtime.emit(
            "sos", live, self.ctx.realtime.command_rooms([row.grid_id or 0])
        )

    async def _record(self, alarm: AlarmChanged) -> tuple[SosEvent, str] | None:
        """Put the alarm on the record of the person whose device raised it (once)."""
        try:
            async with self.ctx.sessions.begin() as session:
                person = await session.scalar(select(CheckIn).where(
                    CheckIn.sos_device == alarm.device_code, CheckIn.active.is_(True)))  # fmt: skip
                if person is None:
                    return None  # not an SOS device of anyone under care
                row = await session.get(SosEvent, alarm.alarm_id)
                if row is not None and row.checkin_id is not None:
                    return None  # heard already
                if row is None:
                    row = SosEvent(alarm_id=alarm.alarm_id, incident_version=0)
                    session.add(row)
                linked = alarm.severity in self.config.sos_linked_severities
                row.checkin_id, row.grid_id, row.device_code = (
                    person.id,
                    person.grid_id,
                    alarm.device_code,
                )
                row.type, row.severity, row.active, row.raised_at = (
                    alarm.type,
                    alarm.severity,
                    True,
                    utcnow(),
                )
                row.incident_source = ALARMS if linked else SOURCE
                await session.flush()
                self.ctx.audit.record(session, Actor("device"), "services.sos.raised", CHECKIN,
                                      person.id, {"alarm": alarm.alarm_id})  # fmt: skip
                return row, person.name
        except IntegrityError:
            return None  # the same alarm taken by another delivery at the same moment

    async def _ask_incident(self, row: SosEvent, name: str) -> None:
        from plugins.dispatch.messages import IncidentRequested

        await self.ctx.bus.publish(IncidentRequested(
            source=SOURCE, source_ref=f"sos:{row.alarm_id}", category=self.config.care_category,
            priority="urgent", grid_id=row.grid_id, title=f"老人SOS求助 · {mask_personal(name)}",
            description=f"SOS from {mask_personal(name)}'s device {row.device_code} "
                        f"({row.type}, {row.severity}; check-in {row.checkin_id})",
        ))  # fmt: skip

    async def _cleared(self, alarm_id: int) -> None:
        async with self.ctx.sessions.begin() as session:
            row = await session.get(SosEvent, alarm_id)
            if row is not None:
                row.active = False

    async def followed(self, change: IncidentChanged) -> None:
        """Link the incident answering an SOS alarm (the alarms' own, or the one asked for)."""
        alarm_id = _alarm_of(change)
        if alarm_id is None:
            return
        for _ in range(2):  # the alarm's own message may insert the row at the same moment
            try:
                grid_id = await self._link(alarm_id, change)
            except IntegrityError:
                continue
            if grid_id:
                await self._linked(grid_id, alarm_id, change)
            return

    async def _link(self, alarm_id: int, change: IncidentChanged) -> int | None:
        """Store the incident on the alarm's row; the row's grid, or None if nothing new."""
        async with self.ctx.sessions.begin() as session:
            row = await session.get(SosEvent, alarm_id)
            if row is None:
                row = SosEvent(alarm_id=alarm_id, incident_source=change.source, active=False,
                               incident_version=0)  # fmt: skip
                session.add(row)
            if row.incident_version >= change.version:
                return None  # seen already, or older than what the record shows
            row.incident_id, row.incident_number = change.incident_id, change.number
            row.incident_state, row.incident_version = change.state, change.version
            return row.grid_id

    async def _linked(self, grid_id: int, alarm_id: int, change: IncidentChanged) -> None:
        live = {"alarm_id": alarm_id, "incident_number": change.number, "state": change.state}
        await self.ctx.realtime.emit("sos", live, self.ctx.realtime.command_rooms([grid_id]))

    async def events(self, who: Principal) -> list[dict[str, Any]]:
        grids = visible_grids(who, self.ctx.grids.index, STAFF)
        stmt = (select(SosEvent, CheckIn.name).join(CheckIn)
                .order_by(SosEvent.raised_at.desc()).limit(200))  # fmt: skip
        async with self.ctx.sessions() as session:
            rows = (await session.execute(stmt)).all()
        return [sos_view(e, n) for e, n in rows if grids is None or e.grid_id in grids]
