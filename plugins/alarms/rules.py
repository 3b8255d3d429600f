"""Telemetry rules: a threshold held for a duration, or matched by N readings in a row.

Rules live in `alarm_rules` and are kept in memory (reloaded on every node when they change);
each (rule, device)'s progress lives in `alarm_rule_states`, written in the same transaction
as the frames that moved it, so a restart resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.sdk import DomainMessage
from plugins.alarms.config import SEVERITIES
from plugins.alarms.models import AlarmRule, RuleState
from plugins.alarms.protocol import NAME
from plugins.alarms.state import DeviceInfo, Raise

OPS: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class RulesChanged(DomainMessage):
    """Rules were added or removed: every node reloads its RuleBook."""

    topic: ClassVar[str] = "alarms.rules.changed"


# Installed on first start when there are no rules (config `default_rules`): the demo devices'
# types, with readings named as the reference client sends them.
DEFAULT_RULES = (
    (
        "河道水位超警戒 high water",
        "water_level",
        "level",
        "gt",
        3.2,
        300.0,
        1,
        "high_water",
        "MAJOR",
    ),
    (
        "大棚高温 greenhouse overheat",
        "temperature",
        "temperature",
        "gt",
        45.0,
        0.0,
        3,
        "overheat",
        "MINOR",
    ),
    (
        "大棚低温 greenhouse frost",
        "temperature",
        "temperature",
        "lt",
        0.0,
        0.0,
        3,
        "frost",
        "WARNING",
    ),
    ("燃气浓度超限 gas leak", "gas", "ppm", "ge", 1000.0, 0.0, 1, "gas_leak", "CRITICAL"),
)


async def seed_defaults(
    sessions: async_sessionmaker[AsyncSession],
    first_start: Callable[[], AbstractAsyncContextManager[None]],
) -> bool:
    """The default rules into an empty rule book (once, even when several nodes start
    together on a fresh database: rules have no natural key, so a race would add them twice;
    `first_start` is `ctx.first_start`, the nodes' turn-taking)."""
    async with first_start(), sessions.begin() as session:
        if await session.scalar(select(func.count()).select_from(AlarmRule)):
            return False
        for name, dtype, metric, op, threshold, duration, repeat, atype, severity in DEFAULT_RULES:
            session.add(
                AlarmRule(
                    name=name,
                    device_type=dtype,
                    metric=metric,
                    op=op,
                    threshold=threshold,
                    duration_s=duration,
                    repeat=repeat,
                    alarm_type=atype,
                    severity=severity,
                    auto_clear=True,
                    enabled=True,
                )
            )
    return True


class RuleIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    device_type: str | None = Field(None, pattern=r"^[a-z_]{2,64}$")
    device: str | None = Field(None, max_length=64, description="a device code")
    metric: str = Field(pattern=NAME.pattern)
    op: str = Field(pattern=r"^(gt|ge|lt|le)$")
    threshold: float = Field(allow_inf_nan=False)
    duration_s: float = Field(0.0, ge=0, le=30 * 86400)
    repeat: int = Field(1, ge=1, le=10_000)
    alarm_type: str = Field(pattern=NAME.pattern)
    severity: str = Field("MAJOR", pattern="^(" + "|".join(SEVERITIES) + ")$")
    auto_clear: bool = True
    enabled: bool = True

    @model_validator(mode="after")
    def _target(self) -> RuleIn:
        if (self.device_type is None) == (self.device is None):
            raise ValueError("give exactly one of device_type and device")
        return self


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a reading did to a rule: raise or clear its alarm (or nothing)."""

    rule: AlarmRule
    raise_: Raise | None = None
    clear_type: str | None = None


class RuleBook:
    """Enabled rules by device type and by device id."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._by_type: dict[str, list[AlarmRule]] = {}
        self._by_device: dict[int, list[AlarmRule]] = {}

    async def reload(self) -> None:
        async with self._sessions() as session:
            rules = list(await session.scalars(select(AlarmRule).where(AlarmRule.enabled)))
        by_type: dict[str, list[AlarmRule]] = {}
        by_device: dict[int, list[AlarmRule]] = {}
        for rule in rules:
            if rule.device_id is not None:
                by_device.setdefault(rule.device_id, []).append(rule)
            elif rule.device_type is not None:
                by_type.setdefault(rule.device_type, []).append(rule)
        self._by_type, self._by_device = by_type, by_device

    def for_device(self, device: DeviceInfo) -> list[AlarmRule]:
        return [*self._by_type.get(device.device_type, ()), *self._by_device.get(device.id, ())]


async def evaluate(
    session: AsyncSession,
    rules: list[AlarmRule],
    device: DeviceInfo,
    metrics: dict[str, float],
    ts: float,
) -> list[Outcome]:
    """Advance each rule's state with one reading; the states are changed in `session`."""
    outcomes = []
    for rule in rules:
        value = metrics.get(rule.metric)
        if value is None:
            continue
        state = await session.get(RuleState, (rule.id, device.id))
        if state is None:
            state = RuleState(rule_id=rule.id, device_id=device.id, streak=0, raised=False)
            session.add(state)
        outcome = _step(rule, state, float(value), ts)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def _step(rule: AlarmRule, state: RuleState, value: float, ts: float) -> Outcome | None:
    if not OPS[rule.op](value, rule.threshold):
        was_raised = state.raised
        state.streak, state.since, state.raised = 0, None, False
        if was_raised and rule.auto_clear:
            return Outcome(rule, clear_type=rule.alarm_type)
        return None
    state.streak = (state.streak or 0) + 1
    state.since = state.since if state.since is not None else ts
    held = ts - state.since >= rule.duration_s
    if state.raised or state.streak < rule.repeat or not held:
        return None
    state.raised = True
    message = f"{rule.name}: {rule.metric} {value:g} {rule.op} {rule.threshold:g}"
    at = datetime.fromtimestamp(ts, UTC)
    what = Raise(
        rule.alarm_type, rule.severity, value, message, at, rule.metric, rule.op, rule.threshold
    )  # the comparison's facts too: consoles word the alarm in their language from them
    return Outcome(rule, raise_=what)
