"""Incidents other plugins ask for over the bus (an IoT alarm rule, ...): one per source ref."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from hub.sdk import HubError, PluginContext
from plugins.dispatch.effects import changed_message
from plugins.dispatch.messages import IncidentRequested
from plugins.dispatch.schemas import NewIncident, Point
from plugins.dispatch.service import AlreadyReported, Incidents, Origin


class Requests:
    def __init__(self, ctx: PluginContext, incidents: Incidents) -> None:
        self.ctx = ctx
        self.incidents = incidents

    async def subscribe(self) -> None:
        unsubscribe = await self.ctx.bus.subscribe(
            IncidentRequested, self.received, group="dispatch"
        )
        self.ctx.on_cleanup(unsubscribe)

    async def received(self, request: IncidentRequested) -> None:
        existing = await self.incidents.by_source(request.source, request.source_ref)
        if existing is not None:  # asked again (a restart, a lost answer): answer again
            await self._answer(existing, request)
            return
        try:
            await self.incidents.report(self._spec(request), self._origin(request))
        except AlreadyReported as race:  # the same request, handled at the same moment
            await self._answer(race.summary, request)
        except (ValidationError, HubError) as exc:
            self.ctx.log.error(
                "incident request refused",
                extra={
                    "source": request.source,
                    "source_ref": request.source_ref,
                    "error": str(exc),
                },
            )

    def _spec(self, request: IncidentRequested) -> NewIncident:
        located = request.lon is not None and request.lat is not None
        index = self.ctx.grids.index
        known = request.grid_id is not None and request.grid_id in index
        return NewIncident.model_validate(
            {
                "title": request.title[:200],
                "description": request.description[:5000],
                "category": request.category,
                "priority": request.priority,
                "location": Point(lon=request.lon, lat=request.lat) if located else None,
                "grid": index.get(request.grid_id).code if known and request.grid_id else None,
                "address": request.address[:300],
            }
        )

    def _origin(self, request: IncidentRequested) -> Origin:
        return Origin(request.source, None, request.source_ref, reporter_name=request.source)

    async def _answer(self, summary: dict[str, Any], request: IncidentRequested) -> None:
        answer = changed_message(summary, "reported", None, request.source_ref, None)
        await self.ctx.bus.publish(answer)
