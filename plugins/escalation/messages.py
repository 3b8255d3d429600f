"""Bus messages of the escalation plugin: its contract with other plugins.

* `EscalationRequested`: start a chain for anything another plugin watches (a high-risk
  mediation case, ...). The first policy for trigger `request` matching its `severity` (the
  policy's `severities`) and `subject_kind` (the policy's `types`) runs, once per subject.
  A request may carry the asking plugin's **default policy** (`DefaultPolicy`, sent as
  `default_policy`): the chain escalation runs when none of the deployment's policies matches,
  unless the deployment turned that name off (`disabled_defaults`) or gave a policy of that
  name of its own (which then decides alone). So a plugin ships a working chain and the
  deployment keeps the last word.
* `EscalationSettled`: stop the subject's running chain (it was taken, resolved, ...).
* `EscalationStepFired`: published after every step of every chain, for plugins to act on
  (notify their own people, record it); `notified` are the people the step reached.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from hub.sdk import DomainMessage

LEVELS = ("grid", "village", "town", "county")
ACTIONS = ("notify_room", "ring", "post_channel", "notifier", "notify_roles")


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class DefaultStep:
    """One step of a plugin's default policy (the fields of a configured policy's step)."""

    level: str  # one of LEVELS
    after_s: float  # from the start of the chain, at most a week
    actions: tuple[str, ...] = ("notify_room",)  # of ACTIONS
    roles: tuple[str, ...] = ()  # for notify_roles
    notifiers: tuple[str, ...] = ()  # for notifier: names the deployment configured


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class DefaultPolicy:
    """A plugin's default chain for its `EscalationRequested` (trigger `request`).

    `name` is how the deployment refers to it: `disabled_defaults = ["<name>"]` turns it off,
    a configured policy of that name replaces it. Escalation validates it like a configured
    policy; an invalid one starts no chain (logged)."""

    name: str  # [a-z0-9][a-z0-9_.-]{0,63}, best prefixed with the plugin's name
    steps: tuple[DefaultStep, ...]
    severities: tuple[str, ...] = ()  # empty matches any
    types: tuple[str, ...] = ()  # subject kinds; empty matches any

    def payload(self) -> dict[str, Any]:
        """What `EscalationRequested.default_policy` carries (plain data for the bus)."""
        return dataclasses.asdict(self)


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
    # DefaultPolicy.payload(): the chain to run when no deployment policy matches; {} for none.
    default_policy: dict[str, Any] = dataclasses.field(default_factory=dict)


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
