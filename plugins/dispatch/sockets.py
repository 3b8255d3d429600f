"""Socket events of the dispatch plugin (`dispatch.*`), for the console and the field app.

Each event has the rule of the HTTP route of the same action (plugins/dispatch/access.py) and
calls the same service method, so the two ways in cannot disagree on who sees what.
"""

from __future__ import annotations

from typing import Any

from hub.sdk import Connection, PluginContext
from plugins.dispatch import access, queries
from plugins.dispatch.effects import incident_room
from plugins.dispatch.schemas import IncidentQuery, IncidentRef, NewIncident, SocketAction
from plugins.dispatch.service import Incidents


def install(ctx: PluginContext, incidents: Incidents) -> None:
    rt = ctx.realtime

    @rt.on("report", NewIncident, access.REPORT)
    async def report(conn: Connection, body: NewIncident) -> dict[str, Any]:
        return {"incident": await incidents.report_by_staff(conn.principal, body)}

    @rt.on("act", SocketAction, access.ACT)
    async def act(conn: Connection, body: SocketAction) -> dict[str, Any]:
        summary = await incidents.act(conn.principal, body.incident_id, body.action, body)
        return {"incident": summary}

    @rt.on("get", IncidentRef, access.READ)
    async def get(conn: Connection, body: IncidentRef) -> dict[str, Any]:
        return {"incident": await incidents.get(conn.principal, body.incident_id)}

    @rt.on("watch", IncidentRef, access.WATCH)
    async def watch(conn: Connection, body: IncidentRef) -> dict[str, Any]:
        """Follow one incident live (its room), e.g. while its detail drawer is open."""
        data = await incidents.get(conn.principal, body.incident_id)  # checks sight
        await rt.join(conn, incident_room(body.incident_id))
        return {"incident": data}

    @rt.on("channel", IncidentRef, access.CHANNEL)
    async def channel(conn: Connection, body: IncidentRef) -> dict[str, Any]:
        """The incident's talk channel (opened on first use, holding everyone involved)."""
        return await incidents.channel(conn.principal, body.incident_id)

    @rt.on("unwatch", IncidentRef, access.WATCH)
    async def unwatch(conn: Connection, body: IncidentRef) -> dict[str, Any]:
        await rt.leave(conn, incident_room(body.incident_id))
        return {}

    @rt.on("list", IncidentQuery, access.LIST)
    async def listing(conn: Connection, body: IncidentQuery) -> dict[str, Any]:
        return await queries.listing(ctx.sessions, conn.principal, ctx.grids.index, body)

    @rt.on("suggest", IncidentRef, access.SUGGEST)
    async def suggestions(conn: Connection, body: IncidentRef) -> dict[str, Any]:
        return await incidents.suggestions(conn.principal, body.incident_id)
