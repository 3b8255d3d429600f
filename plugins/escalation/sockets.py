"""Socket events of the escalation plugin (validated, role-checked, acknowledged).

Field app (staff): ``escalation.sos.raise``, ``escalation.sos.mine``,
``escalation.checkin.start`` / ``.ok`` / ``.stop`` / ``.mine``.
Consoles (commanders, dispatchers): ``escalation.sos.ack``, ``escalation.sos.close``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.sdk import (
    COMMAND_ROLES,
    STAFF_ROLES,
    Actor,
    Connection,
    DbId,
    PluginContext,
    Role,
    Scope,
    for_roles,
)
from plugins.escalation.checkins import Checkins, checkin_dict
from plugins.escalation.sos import Raise, SosDesk, home_grid

FIELD_ROLES = frozenset(STAFF_ROLES - {Role.DISPATCHER})
SOS = "sos"  # scope: the SOS's grid under the caller's command seats (SosDesk._get_in_scope)
SOS_RAISE = for_roles("escalation.sos.raise", FIELD_ROLES, Scope.OWN)
SOS_MINE = for_roles("escalation.sos.mine", FIELD_ROLES, Scope.OWN)  # own SOS only
SOS_ACK = for_roles("escalation.sos.ack", COMMAND_ROLES, SOS)
SOS_CLOSE = for_roles("escalation.sos.close", COMMAND_ROLES, SOS)
CHECKIN = for_roles("escalation.checkin", FIELD_ROLES, Scope.OWN)  # own check-ins


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SosRaiseIn(Strict):
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    note: str = Field("", max_length=500)


class SosRef(Strict):
    sos_id: DbId


class SosCloseIn(SosRef):
    note: str = Field(min_length=1, max_length=2000)


class CheckinStartIn(Strict):
    task: str = Field(min_length=1, max_length=200)
    interval_s: float


class CheckinRef(Strict):
    checkin_id: DbId


class Nothing(Strict):
    pass


def register(ctx: PluginContext, desk: SosDesk, checkins: Checkins) -> None:
    rt = ctx.realtime

    @rt.on("sos.raise", SosRaiseIn, SOS_RAISE)
    async def sos_raise(conn: Connection, body: SosRaiseIn) -> dict[str, Any]:
        who = conn.principal
        grid_id = home_grid(who, ctx.grids.index)
        lat, lon = (
            (body.lat, body.lon) if body.lat is not None and body.lon is not None else (None, None)
        )
        what = Raise(who.person_id, grid_id, "button", lat, lon, body.note)
        sos, new = await desk.raise_sos(what, Actor.of(who))
        return {"sos": sos, "new": new}

    @rt.on("sos.mine", Nothing, SOS_MINE)
    async def sos_mine(conn: Connection, body: Nothing) -> dict[str, Any]:
        """The caller's SOS not closed yet, or null (the field app after a reload reopens its
        hot mic for it)."""
        return {"sos": await desk.mine(conn.principal.person_id)}

    @rt.on("sos.ack", SosRef, SOS_ACK)
    async def sos_ack(conn: Connection, body: SosRef) -> dict[str, Any]:
        return {"sos": await desk.acknowledge(conn.principal, body.sos_id)}

    @rt.on("sos.close", SosCloseIn, SOS_CLOSE)
    async def sos_close(conn: Connection, body: SosCloseIn) -> dict[str, Any]:
        return {"sos": await desk.close(conn.principal, body.sos_id, body.note)}

    @rt.on("checkin.start", CheckinStartIn, CHECKIN)
    async def checkin_start(conn: Connection, body: CheckinStartIn) -> dict[str, Any]:
        grid_id = home_grid(conn.principal, ctx.grids.index)
        made = await checkins.start(conn.principal, grid_id, body.task, body.interval_s)
        return {"checkin": checkin_dict(made)}

    @rt.on("checkin.ok", CheckinRef, CHECKIN)
    async def checkin_ok(conn: Connection, body: CheckinRef) -> dict[str, Any]:
        return {"checkin": checkin_dict(await checkins.check_in(conn.principal, body.checkin_id))}

    @rt.on("checkin.mine", Nothing, CHECKIN)
    async def checkin_mine(conn: Connection, body: Nothing) -> dict[str, Any]:
        return await checkins.mine(conn.principal)

    @rt.on("checkin.stop", CheckinRef, CHECKIN)
    async def checkin_stop(conn: Connection, body: CheckinRef) -> dict[str, Any]:
        return {"checkin": checkin_dict(await checkins.stop(conn.principal, body.checkin_id))}
