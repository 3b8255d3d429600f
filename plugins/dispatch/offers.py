"""Outcomes other plugins offer for an incident (`IncidentResolutionOffered`) over the bus.

An offer moves the incident only along dispatch's own lifecycle: `handled` is the 处置 of an
incident being worked, `closed` the 结案 of a verified one. An incident in any other state gets
the offer as a comment in its timeline, for its handlers and command centre to act on. Each
offer is applied once: its key (`by_plugin:offer_ref`) is kept in the timeline line's data, so
a redelivered message finds it and changes nothing. Audited like every lifecycle step.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hub.sdk import PluginContext, settle_rows
from plugins.dispatch import rows, store
from plugins.dispatch.effects import Change
from plugins.dispatch.lifecycle import RULES, Action, State
from plugins.dispatch.messages import IncidentResolutionOffered
from plugins.dispatch.models import Event, Incident
from plugins.dispatch.service import Incidents

GROUP = "dispatch.offers"
ACTION_OF = {"handled": Action.HANDLE, "closed": Action.CLOSE}
ATTEMPTS = 3


class Offers:
    def __init__(self, ctx: PluginContext, incidents: Incidents) -> None:
        self.ctx = ctx
        self.incidents = incidents

    async def subscribe(self) -> None:
        stop = await self.ctx.bus.subscribe(IncidentResolutionOffered, self.received, group=GROUP)
        self.ctx.on_cleanup(stop)

    async def received(self, offer: IncidentResolutionOffered) -> None:
        if offer.outcome not in ACTION_OF or not offer.by_plugin or not offer.offer_ref:
            self.ctx.log.error("resolution offer refused", extra={"outcome": offer.outcome[:32]})
            return
        for _attempt in range(ATTEMPTS):
            try:
                change = await self.incidents.effects.writes.run(lambda s: self._apply(s, offer))
            except StaleDataError:  # a person acted at the same moment: judge it again
                continue
            if change is not None:
                await self.incidents.effects.apply(change)
            return
        self.ctx.log.error("resolution offer lost to concurrent changes",
                           extra={"incident": offer.incident_id})  # fmt: skip

    def _apply(self, session: Session, offer: IncidentResolutionOffered) -> Change | None:
        incident = session.get(Incident, offer.incident_id)
        key = f"{offer.by_plugin}:{offer.offer_ref}"[:160]
        if incident is None or _seen(session, incident.id, key):
            return None
        action = ACTION_OF[offer.outcome]
        previous = incident.state
        applies = State(previous) in RULES[action].sources
        actor = (offer.actor_id, (offer.actor_name or offer.by_plugin)[:100])
        note = f"[{offer.by_plugin}] {offer.summary}"[:5000]
        data = {"offer": key, "by_plugin": offer.by_plugin, "outcome": offer.outcome}
        if not applies:
            data["not_applied"] = f"incident is {previous}"
            return self.incidents._changed(session, incident, "comment", previous, actor, note,
                                           data)  # fmt: skip
        self._move(session, incident, action)
        return self.incidents._changed(session, incident, action.value, previous, actor, note,
                                       data)  # fmt: skip

    def _move(self, session: Session, incident: Incident, action: Action) -> None:
        target = RULES[action].target
        assert target is not None  # handle and close both move the incident
        incident.state, incident.updated_at = target.value, rows.now_utc()
        if action is Action.CLOSE:
            incident.closed_at = rows.now_utc()
        cached = self.incidents.catalogue.cached(incident.category)
        category = cached or rows.category(session, incident.category)
        store.set_stage(incident, self.incidents._sla(category, incident))
        session.flush()
        rows.record_stage(session, incident, None)


def _seen(session: Session, incident_id: int, key: str) -> bool:
    settle_rows(session, ("event", incident_id))  # a batch-mate's line may still be queued
    lines = session.scalars(
        select(Event.data).where(
            Event.incident_id == incident_id, Event.action.in_(("handle", "close", "comment"))
        )
    )
    return any(isinstance(d, dict) and d.get("offer") == key for d in lines)
