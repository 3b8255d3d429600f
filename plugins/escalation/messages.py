"""Bus messages of the escalation plugin: its contract with other plugins.

* `EscalationRequested`: start a chain for anything another plugin watches (a high-risk
  mediation case, ...). The first policy for trigger `request` matching its `severity` (the
  policy's `severities`) and `subject_kind` (the policy's `types`) runs, once per subject.
* `EscalationSettled`: stop the subject's running chain (it was taken, resolved, ...).
* `EscalationStepFired`: published after every step of every chain, for plugins to act on
  (notify their own people, record it); `notified` are the people the step reached.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from hub.sdk import DomainMessage


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class EscalationRequested(DomainMessage):
    topic: ClassVar[str] = "escalation.requested"
    subject_kind: str  # e.g. "mediation_case"
    subject_ref: str  # unique per kind: one chain per subject, ever
    grid_id: int
    severity: str  # matched against a policy's `severities` (e.g. "high")
    title: str
    summary: str = ""
    by_plugin: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class EscalationSettled(DomainMessage):
    topic: ClassVar[str] = "escalation.settled"
    subject_kind: str
    subject_ref: str
    reason: str = "settled"


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class EscalationStepFired(DomainMessage):
    topic: ClassVar[str] = "escalation.step.fired"
    chain_id: int
    step: int
    trigger: str  # alarm | incident | sos | checkin | request
    subject: str  # "incident:<id>", "<subject_kind>:<subject_ref>", ...
    policy: str
    grid_id: int
    level: str
    level_grid_id: int
    notified: tuple[int, ...]
    context: dict[str, Any] = dataclasses.field(default_factory=dict)
