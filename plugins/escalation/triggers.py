"""Bus triggers: alarms and overdue incidents start chains; their answers stop them.

* ``AlarmChanged`` with action ``raised`` (active, unacknowledged) starts the first policy for
  trigger ``alarm`` matching its severity and type. Any ``AlarmChanged`` that says acknowledged
  or no longer active stops the alarm's chains.
* ``IncidentOverdue`` starts the first policy for trigger ``incident`` matching its priority.
  An ``IncidentChanged`` whose state differs from the overdue message's (the incident moved on),
  or is ``closed``, stops it.

Subscriptions use the consumer group ``escalation``: each message is handled once cluster-wide.
"""

from __future__ import annotations

from plugins.alarms.messages import AlarmChanged
from plugins.dispatch.messages import IncidentChanged, IncidentOverdue
from plugins.escalation.chains import Chains, Start

GROUP = "escalation"


class Triggers:
    def __init__(self, chains: Chains) -> None:
        self._chains = chains

    async def on_alarm(self, m: AlarmChanged) -> None:
        subject = f"alarm:{m.alarm_id}"
        if m.acknowledged or not m.active:
            reason = "acknowledged" if m.acknowledged else "cleared"
            await self._chains.stop(subject, reason)
            return
        if m.action != "raised":
            return
        context = {
            "alarm_id": m.alarm_id,
            "device_id": m.device_id,
            "device_code": m.device_code,
            "type": m.type,
            "severity": m.severity,
            "message": m.message,
            "value": m.value,
        }
        start = Start(
            "alarm", subject, subject, m.grid_id, context, severity=m.severity, kind=m.type
        )
        await self._chains.start(start)

    async def on_overdue(self, m: IncidentOverdue) -> None:
        subject = f"incident:{m.incident_id}"
        context = {
            "incident_id": m.incident_id,
            "number": m.number,
            "stage": m.stage,
            "state": m.state,
            "category": m.category,
            "priority": m.priority,
            "deadline": m.deadline,
        }
        ref = f"{subject}:{m.stage}:{m.deadline!r}"
        start = Start("incident", subject, ref, m.grid_id, context, priority=m.priority)
        await self._chains.start(start, at=None)

    async def on_incident(self, m: IncidentChanged) -> None:
        subject = f"incident:{m.incident_id}"
        keep = None if m.state == "closed" else m.state
        await self._chains.stop(subject, f"incident {m.state}", unless_state=keep)
