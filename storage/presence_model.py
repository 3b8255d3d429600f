"""Presence records the presence stores report, and the aggregation rule they share.

The dataclasses satisfy ``hub.contracts.PresenceRecord`` / ``PresenceChange`` structurally
(storage never imports the hub). ``aggregate`` is the reference rule; the Redis store runs the
same rule in Lua (``storage.redis.presence``) and the contract tests check both against it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

Location = dict[str, float | None]

OFFLINE: Final = "offline"
# Which state wins when a person is on several devices.
PRIORITY: Final[dict[str, int]] = {
    "on_call": 4,
    "busy": 3,
    "online": 2,
    "away": 1,
    OFFLINE: 0,
}
CHOOSABLE: Final = frozenset({"online", "busy", "away", "on_call"})  # a device may choose
# A person may be forced into any state but offline: the hub knows which exist (plugins add
# some, e.g. "sos"); the store keeps the name.
FORCEABLE: Final = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


@dataclass(frozen=True, slots=True)
class Presence:
    """A person's presence: the aggregate state over `devices` connected devices."""

    person_id: int
    state: str
    devices: int
    last_seen: float
    location: Location | None


@dataclass(frozen=True, slots=True)
class Change:
    """The record after an operation; `changed` when its aggregate differs from before it."""

    record: Presence
    changed: bool


def device_state(chosen: str, idle: bool, calls: int = 0) -> str:
    """A device in a call counts as "on_call" (whatever was chosen on it, which shows again
    when its calls are over); an idle "online" device counts as "away"; any other choice
    stands."""
    if calls > 0:
        return "on_call"
    return "away" if idle and chosen == "online" else chosen


def aggregate(device_states: Iterable[str], forced: str | None) -> str:
    """Forced state while any device is connected, else the strongest device state."""
    states = list(device_states)
    if not states:
        return OFFLINE
    if forced is not None:
        return forced
    return max(states, key=PRIORITY.__getitem__)


def offline(person_id: int) -> Presence:
    """The record of a person the store has never heard of."""
    return Presence(person_id, OFFLINE, 0, 0.0, None)


def check_choosable(state: str) -> None:
    if state not in CHOOSABLE:
        raise ValueError(f"a device cannot choose state {state!r}")


def check_forceable(state: str | None) -> None:
    if state is not None and (state == OFFLINE or not FORCEABLE.fullmatch(state)):
        raise ValueError(f"cannot force state {state!r}")


def check_time(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"time must be finite, got {value!r}")
    return float(value)


def check_node(node: str) -> None:
    if not node or "|" in node:
        raise ValueError(f"node name must be non-empty without '|': {node!r}")


def location_at(location: Location) -> float:
    """The time a location report was taken (its required `at`)."""
    at = location.get("at")
    if at is None:
        raise ValueError("a location needs a numeric 'at'")
    return check_time(at)
