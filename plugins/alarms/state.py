"""The alarm state machine, applied inside a caller's transaction (ThingsBoard's model).

One active alarm per (device, type): a repeat updates count, value and time; a new severity
is a `severity_changed`; a clear ends it. Every action but a repeat adds a history row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.alarms.config import IncidentPolicy
from plugins.alarms.messages import AlarmChanged
from plugins.alarms.models import Alarm, AlarmEvent


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    id: int
    code: str
    name: str
    grid_id: int
    device_type: str
    lat: float | None
    lon: float | None


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    person_id: int | None = None


@dataclass(slots=True)
class Change:
    """An action on an alarm, with the alarm as it was right after it (`event`, `view`)."""

    alarm: Alarm
    action: str
    actor: Actor
    wants_incident: bool = False  # the alarm came to want an incident with this change
    event: AlarmChanged = field(init=False)
    view: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.view = snapshot(self.alarm)
        self.event = self.message(self.view)

    def message(self, view: dict[str, Any]) -> AlarmChanged:
        """The bus message, from the snapshot (`view`) of the alarm right after this change."""
        return AlarmChanged(
            alarm_id=view["id"],
            device_id=view["device_id"],
            device_code=view["device_code"],
            grid_id=view["grid_id"],
            type=view["type"],
            severity=view["severity"],
            active=view["active"],
            acknowledged=view["acknowledged"],
            action=self.action,
            count=view["count"],
            value=view["value"],
            message=view["message"],
            actor_id=self.actor.person_id,
        )


def active_key(device_id: int, alarm_type: str) -> str:
    return f"{device_id}:{alarm_type}"


def wants_incident(policy: IncidentPolicy, alarm_type: str, severity: str) -> bool:
    typed = not policy.types or alarm_type in policy.types
    return typed and severity in policy.severities


async def find_active(session: AsyncSession, keys: set[str]) -> dict[str, Alarm]:
    if not keys:
        return {}
    rows = await session.scalars(select(Alarm).where(Alarm.active_key.in_(keys)))
    return {row.active_key: row for row in rows if row.active_key}


@dataclass(frozen=True, slots=True)
class Raise:
    type: str
    severity: str
    value: float | None
    message: str
    at: datetime
    # a rule's raise: the comparison it made (a device's own alarm has none)
    metric: str | None = None
    op: str | None = None
    threshold: float | None = None


async def raise_alarm(
    session: AsyncSession,
    device: DeviceInfo,
    what: Raise,
    actor: Actor,
    active: dict[str, Alarm],
    policy: IncidentPolicy,
) -> Change:
    """Raise, or repeat the active alarm of this (device, type); `active` is a cache."""
    key = active_key(device.id, what.type)
    alarm = active.get(key)
    if alarm is None:
        alarm = _new_alarm(device, what, key)
        session.add(alarm)
        await session.flush()
        active[key] = alarm
        action = "raised"
    else:
        action = "severity_changed" if alarm.severity != what.severity else "repeated"
        _repeat(alarm, what)
    wanted = not alarm.incident_wanted and wants_incident(policy, what.type, what.severity)
    if wanted:
        alarm.incident_wanted, alarm.incident_requested_at = True, time.time()
    if action != "repeated":
        history(session, alarm, action, actor, "", {"severity": what.severity, "value": what.value})
    return Change(alarm, action, actor, wanted)


def _repeat(alarm: Alarm, what: Raise) -> None:
    """Count a repeat; only values that differ are set (each set costs ORM bookkeeping)."""
    alarm.count += 1
    alarm.last_at = what.at
    if alarm.severity != what.severity:
        alarm.severity = what.severity
    if alarm.value != what.value:
        alarm.value = what.value
    if what.message and alarm.message != what.message:
        alarm.message = what.message
    if what.metric is not None and (alarm.metric, alarm.op, alarm.threshold) != _facts(what):
        alarm.metric, alarm.op, alarm.threshold = _facts(what)


def _facts(what: Raise) -> tuple[str | None, str | None, float | None]:
    return what.metric, what.op, what.threshold


def _new_alarm(device: DeviceInfo, what: Raise, key: str) -> Alarm:
    return Alarm(
        device_id=device.id,
        device_code=device.code,
        grid_id=device.grid_id,
        type=what.type,
        severity=what.severity,
        active=True,
        active_key=key,
        acknowledged=False,
        count=1,
        value=what.value,
        message=what.message,
        metric=what.metric,
        op=what.op,
        threshold=what.threshold,
        first_at=what.at,
        last_at=what.at,
        incident_wanted=False,
    )


def clear(session: AsyncSession, alarm: Alarm, actor: Actor, comment: str, at: datetime) -> Change:
    alarm.active, alarm.active_key, alarm.cleared_at = False, None, at
    history(session, alarm, "cleared", actor, comment, {})
    return Change(alarm, "cleared", actor)


def acknowledge(
    session: AsyncSession, alarm: Alarm, actor: Actor, comment: str, at: datetime
) -> Change:
    alarm.acknowledged, alarm.acknowledged_at = True, at
    history(session, alarm, "acknowledged", actor, comment, {})
    return Change(alarm, "acknowledged", actor)


def history(
    session: AsyncSession,
    alarm: Alarm,
    action: str,
    actor: Actor,
    comment: str,
    details: dict[str, Any],
) -> None:
    session.add(
        AlarmEvent(
            alarm_id=alarm.id,
            action=action,
            actor_id=actor.person_id,
            actor=actor.name,
            comment=comment,
            details=details,
        )
    )


SNAPSHOT_COLUMNS = (
    "id",
    "device_id",
    "device_code",
    "grid_id",
    "type",
    "severity",
    "active",
    "acknowledged",
    "count",
    "value",
    "message",
    "metric",
    "op",
    "threshold",
    "first_at",
    "last_at",
    "acknowledged_at",
    "cleared_at",
    "assignee_id",
    "incident_id",
)
TIMES = ("first_at", "last_at", "acknowledged_at", "cleared_at")


def snapshot(alarm: Alarm) -> dict[str, Any]:
    """The alarm as consoles and the HTTP API see it. Loaded values are read from the
    instance's dict, past the ORM's attribute machinery: this runs for every change."""
    loaded = alarm.__dict__
    view = {k: loaded[k] if k in loaded else getattr(alarm, k) for k in SNAPSHOT_COLUMNS}
    for key in TIMES:
        at = view[key]
        view[key] = at.isoformat() if at is not None else None
    view["status"] = ("ACTIVE_" if view["active"] else "CLEARED_") + (
        "ACK" if view["acknowledged"] else "UNACK"
    )
    return view
