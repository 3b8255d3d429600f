"""What the alarms routes answer, as the OpenAPI document describes it.

The handlers build plain dicts (the same ones socket events and bus messages carry); these
models only describe them: docs/http-api.md has the fields in words, tests/plugins/alarms
checks real answers against these models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["CRITICAL", "MAJOR", "MINOR", "WARNING", "INDETERMINATE"]
Status = Literal["ACTIVE_UNACK", "ACTIVE_ACK", "CLEARED_UNACK", "CLEARED_ACK"]


class AlarmOut(BaseModel):
    """An alarm as lists and actions answer it (`plugins.alarms.state.snapshot`)."""

    id: int
    device_id: int
    device_code: str
    grid_id: int
    type: str
    severity: Severity
    active: bool
    acknowledged: bool
    count: int = Field(description="raises counted (repeats update the alarm)")
    value: float | None
    message: str
    metric: str | None = Field(description="a rule's alarm: the metric it compared")
    op: str | None = Field(description="a rule's alarm: gt, ge, lt, le, eq or ne")
    threshold: float | None = Field(description="a rule's alarm: the threshold it compared with")
    first_at: datetime
    last_at: datetime
    acknowledged_at: datetime | None
    cleared_at: datetime | None
    assignee_id: int | None
    incident_id: int | None = Field(description="the dispatch incident opened for it, if any")
    status: Status


class AlarmEventOut(BaseModel):
    at: datetime
    action: str = Field(description="raised, severity_changed, acknowledged, cleared, ...")
    actor: str
    actor_id: int | None
    comment: str
    details: dict[str, Any]


class AlarmDetailOut(AlarmOut):
    """One alarm with its full history, oldest first."""

    history: list[AlarmEventOut]


class FrameOut(BaseModel):
    """A stored device frame: the common fields and the frame's own (by kind)."""

    model_config = ConfigDict(extra="allow")

    seq: int
    kind: Literal["telemetry", "alarm", "clear", "heartbeat"]
    ts: float = Field(description="the device's time (epoch), or the receive time if skewed")
    received_at: float
    metrics: dict[str, float] | None = Field(None, description="telemetry")
    alarm: str | None = Field(None, description="alarm and clear: the alarm type")
    severity: Severity | None = Field(None, description="alarm")
    value: float | None = Field(None, description="alarm")
    message: str | None = Field(None, description="alarm and clear")
    firmware: str | None = Field(None, description="heartbeat, when the device sent one")
    skewed: bool | None = Field(None, description="true when `ts` replaced the device's time")


class TelemetryRuleOut(BaseModel):
    """A telemetry rule."""

    id: int
    name: str
    device_type: str | None
    device_id: int | None
    metric: str
    op: Literal["gt", "ge", "lt", "le"]
    threshold: float
    duration_s: float
    repeat: int
    alarm_type: str
    severity: Severity
    auto_clear: bool
    enabled: bool


CAP = "application/cap+xml"
ATOM = "application/atom+xml"
