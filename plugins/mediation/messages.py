"""Bus messages of the mediation plugin: its contract with other plugins.

* `CaseChanged`: a case was opened or moved a step (one message per step).
* `CaseRiskRaised`: a case is high-risk (可能激化). When escalation runs, mediation also asks it
  for a chain (escalation's `EscalationRequested`) and settles it when the risk is taken.
* `CaseConcluded`: a case reached its outcome (agreement, performance, referral). When the
  case came from a dispatch incident, `incident_id` names it, and an agreement is also offered
  to dispatch as its `IncidentResolutionOffered` (the incident is handled).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from hub.sdk import DomainMessage


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CaseChanged(DomainMessage):
    topic: ClassVar[str] = "mediation.case.changed"
    case_id: int
    number: str
    action: str
    state: str
    level: str
    grid_id: int
    level_grid_id: int
    risk: str
    incident_id: int | None
    actor_id: int | None
    version: int


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CaseRiskRaised(DomainMessage):
    topic: ClassVar[str] = "mediation.case.risk_raised"
    case_id: int
    number: str
    risk: str
    grid_id: int
    town_grid_id: int
    summary: str


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CaseConcluded(DomainMessage):
    topic: ClassVar[str] = "mediation.case.concluded"
    case_id: int
    number: str
    outcome: str  # agreed | performed | breached | referred
    referral: str | None
    incident_id: int | None
    note: str
