"""Bus messages of the dispatch plugin: its contract with other plugins.

Other plugins import these classes to ask for an incident (`IncidentRequested`) or to follow
incidents (`IncidentChanged`, `IncidentOverdue`); they never touch dispatch's tables.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from hub.sdk import DomainMessage


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class IncidentRequested(DomainMessage):
    """Open an incident for something another plugin saw (an IoT alarm, ...).

    `source_ref` is unique per `source`: dispatch opens at most one incident per pair, ever, so
    a requester may publish the same request again (after a restart, say) without doubling it.
    Dispatch answers with `IncidentChanged(action="reported", source=..., source_ref=...)`.
    """

    topic: ClassVar[str] = "dispatch.incident.requested"
    source: str
    source_ref: str
    category: str
    title: str
    description: str = ""
    priority: str = "normal"  # low | normal | high | urgent
    grid_id: int | None = None
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    reporter_id: int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class IncidentChanged(DomainMessage):
    """An incident was created or moved through its lifecycle (one message per action).

    `rating`: the incident's 回访 rating (1-5) once one was recorded (action `rate`), else None.
    """

    topic: ClassVar[str] = "dispatch.incident.changed"
    incident_id: int
    number: str
    action: str
    state: str
    previous_state: str | None
    grid_id: int
    category: str
    priority: str
    source: str
    source_ref: str | None
    actor_id: int | None
    version: int
    rating: int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class IncidentOverdue(DomainMessage):
    """A stage of an incident passed its SLA deadline; supervision (督办) starts."""

    topic: ClassVar[str] = "dispatch.incident.overdue"
    incident_id: int
    number: str
    stage: str
    state: str
    grid_id: int
    category: str
    priority: str
    deadline: float


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class IncidentResolutionOffered(DomainMessage):
    """Another plugin resolved what an incident is about (a mediation agreement, ...).

    Dispatch applies it as the matching lifecycle step when its own state machine allows it:
    `handled` is the 处置 of an incident being worked (signed, en route, on scene), `closed` the
    结案 of a verified one; otherwise the offer is written in the incident's timeline as a
    comment for its handlers. `offer_ref` is unique per `by_plugin`: a redelivered offer finds
    its timeline line and changes nothing. Dispatch answers with `IncidentChanged`.
    """

    topic: ClassVar[str] = "dispatch.incident.resolution_offered"
    incident_id: int
    by_plugin: str
    offer_ref: str
    outcome: str  # handled | closed
    summary: str
    actor_id: int | None = None
    actor_name: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CategoryOffered(DomainMessage):
    """A plugin's incident category (政务代办, 为老服务, ...), offered at its start-up.

    Dispatch adds it to its catalogue when no category has that code, and never changes one
    that exists: an administrator's edits (names, SLAs, department, deactivation) stand.
    `sla`: seconds per stage and priority, as in the catalogue (`{"handle": {"high": 3600}}`).
    """

    topic: ClassVar[str] = "dispatch.category.offered"
    code: str
    by_plugin: str
    name_zh: str
    name_en: str
    description: str = ""
    public: bool = True
    sla: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
