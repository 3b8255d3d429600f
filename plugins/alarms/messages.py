"""Bus messages of the alarms plugin: its contract with other plugins (escalation, ...)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from hub.sdk import DomainMessage


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class AlarmChanged(DomainMessage):
    """An alarm was raised, repeated, acknowledged, cleared, assigned, commented or re-rated."""

    topic: ClassVar[str] = "alarms.alarm.changed"
    alarm_id: int
    device_id: int
    device_code: str
    grid_id: int
    type: str
    severity: str  # CRITICAL | MAJOR | MINOR | WARNING | INDETERMINATE
    active: bool
    acknowledged: bool
    # raised | repeated | acknowledged | cleared | assigned | commented | severity_changed
    action: str
    count: int
    value: float | None
    message: str
    actor_id: int | None
