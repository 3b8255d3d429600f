"""Configuration of the escalation plugin: policies (chains of steps) and notifiers.

A policy matches a trigger (an alarm by severity and type, an overdue incident by priority, an
SOS, a missed check-in) and lists steps up the grid tree. Each step has a level (the trigger's
own basic grid -- its grid leaders --, then the village, town and county command centres), an
offset from the start of the chain (`after_s`) and actions. The first matching policy wins.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plugins.escalation.notify import NotifierSettings, settings

Level = Literal["grid", "village", "town", "county"]
Action = Literal["notify_room", "ring", "post_channel", "notifier", "notify_roles"]
# `request`: another plugin's EscalationRequested (plugins/escalation/messages.py).
Trigger = Literal["alarm", "incident", "sos", "checkin", "request"]
ROLE_NAME = r"^[a-z][a-z0-9_]{1,63}$"
NAME = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
WEEK_S = 7 * 86400.0


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(Strict):
    level: Level
    after_s: float = Field(ge=0, le=WEEK_S)  # from the start of the chain
    actions: tuple[Action, ...] = Field(("notify_room",), min_length=1)
    notifiers: tuple[Annotated[str, Field(pattern=NAME)], ...] = ()
    # `notify_roles`: holders of these roles (core or a plugin's, e.g. party_leader) on the
    # trigger's grid and its ancestors up to the step's level.
    roles: tuple[Annotated[str, Field(pattern=ROLE_NAME)], ...] = Field((), max_length=20)


class Policy(Strict):
    name: str = Field(pattern=NAME)
    trigger: Trigger
    severities: tuple[str, ...] = ()  # alarms; empty matches any
    types: tuple[str, ...] = ()  # alarm types, request subject kinds; empty matches any
    priorities: tuple[str, ...] = ()  # incidents; empty matches any
    steps: tuple[Step, ...] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _ordered(self) -> Policy:
        offsets = [s.after_s for s in self.steps]
        if offsets != sorted(offsets):
            raise ValueError("steps must be in order of after_s")
        return self

    def matches(self, trigger: str, severity: str = "", kind: str = "", priority: str = "") -> bool:
        return (
            self.trigger == trigger
            and (not self.severities or severity in self.severities)
            and (not self.types or kind in self.types)
            and (not self.priorities or priority in self.priorities)
        )


class WebhookNotifierConfig(NotifierSettings):
    type: Literal["webhook"]
    url: str = Field(pattern=r"^https?://", max_length=2000)
    secret: str = Field(min_length=16, max_length=256)
    attempts: int = Field(4, ge=1, le=10)
    backoff_s: float = Field(0.5, gt=0, le=60)
    timeout_s: float = Field(5.0, gt=0, le=60)


class FileNotifierConfig(NotifierSettings):
    type: Literal["file"]
    path: str = Field(min_length=1)


class LogNotifierConfig(NotifierSettings):
    type: Literal["log"]


# Any installed kind's model (the `gridhub.notifiers` entry points, see notify.py).
NotifierConfig = NotifierSettings

ALL_LEVELS: tuple[Action, ...] = ("notify_room", "ring")
DEFAULT_POLICIES: tuple[Policy, ...] = (
    Policy(
        name="alarm-severe",
        trigger="alarm",
        severities=("CRITICAL", "MAJOR"),
        steps=(
            Step(level="grid", after_s=0, actions=("notify_room", "ring")),
            Step(level="village", after_s=120, actions=("notify_room", "ring")),
            Step(
                level="town",
                after_s=300,
                actions=("notify_room", "ring", "notifier"),
                notifiers=("log",),
            ),
            Step(
                level="county",
                after_s=600,
                actions=("notify_room", "ring", "notifier"),
                notifiers=("log",),
            ),
        ),
    ),
    Policy(
        name="incident-overdue",
        trigger="incident",
        steps=(
            # notify_roles: the party plugin's 包靠领导 of the grid (nobody where none is granted).
            Step(
                level="village",
                after_s=0,
                actions=("notify_room", "post_channel", "notify_roles"),
                roles=("party_leader",),
            ),
            Step(level="town", after_s=900, actions=("notify_room", "ring", "post_channel")),
            Step(level="county", after_s=1800, actions=("notify_room", "ring", "post_channel")),
        ),
    ),
    Policy(
        name="sos",
        trigger="sos",
        steps=(
            Step(level="grid", after_s=0, actions=ALL_LEVELS),
            Step(level="village", after_s=0, actions=ALL_LEVELS),
            Step(level="town", after_s=60, actions=ALL_LEVELS),
            Step(
                level="county",
                after_s=180,
                actions=("notify_room", "ring", "notifier"),
                notifiers=("log",),
            ),
        ),
    ),
    Policy(
        name="missed-checkin",
        trigger="checkin",
        steps=(
            Step(level="grid", after_s=0, actions=ALL_LEVELS),
            Step(level="village", after_s=0, actions=ALL_LEVELS),
            Step(level="town", after_s=120, actions=ALL_LEVELS),
            Step(level="county", after_s=300, actions=ALL_LEVELS),
        ),
    ),
)


def _default_notifiers() -> dict[str, NotifierConfig]:
    return {"log": LogNotifierConfig(type="log")}


class EscalationConfig(Strict):
    policies: tuple[Policy, ...] = DEFAULT_POLICIES
    notifiers: dict[Annotated[str, Field(pattern=NAME)], NotifierConfig] = Field(
        default_factory=lambda: _default_notifiers()
    )
    checkin_min_s: float = Field(60.0, gt=0)
    checkin_max_s: float = Field(8 * 3600.0, gt=0)
    # Plugins' default policies (EscalationRequested.default_policy) turned off, by name.
    disabled_defaults: tuple[Annotated[str, Field(pattern=NAME)], ...] = Field((), max_length=100)

    @field_validator("notifiers", mode="before")
    @classmethod
    def _kinds(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        return {name: settings(str(name), table) for name, table in raw.items()}

    @model_validator(mode="after")
    def _consistent(self) -> EscalationConfig:
        names = [p.name for p in self.policies]
        if len(names) != len(set(names)):
            raise ValueError("policy names must be unique")
        for policy in self.policies:
            for step in policy.steps:
                missing = set(step.notifiers) - set(self.notifiers)
                if missing:
                    raise ValueError(f"policy {policy.name} names unknown notifiers {missing}")
        if self.checkin_min_s > self.checkin_max_s:
            raise ValueError("checkin_min_s must not exceed checkin_max_s")
        return self

    def policy_for(
        self, trigger: str, severity: str = "", kind: str = "", priority: str = ""
    ) -> Policy | None:
        return next(
            (p for p in self.policies if p.matches(trigger, severity, kind, priority)), None
        )

    def policy(self, name: str) -> Policy | None:
        return next((p for p in self.policies if p.name == name), None)

    def offered(self, raw: dict[str, Any], severity: str, kind: str) -> Policy | None:
        """A plugin's default policy for a request no configured policy matched: None when
        there is none, the deployment disabled or replaced its name, it does not match, or it
        is invalid (ValueError)."""
        name = str(raw.get("name", "")) if raw else ""
        if not name or name in self.disabled_defaults or self.policy(name) is not None:
            return None
        policy = Policy.model_validate({**raw, "trigger": "request"})
        for step in policy.steps:
            if set(step.notifiers) - set(self.notifiers):
                raise ValueError(f"default policy {name} names unknown notifiers")
        return policy if policy.matches("request", severity, kind) else None
