"""Presence vocabulary: states, locations, staleness; the shared book is a `PresenceStore`.

The core knows its own states (`State`). A plugin may contribute more through
``ctx.presence_states.add(name)``: a contributed state is an override its owner puts a person
in on every device (``ctx.realtime.force_presence``) and that sticks, across reconnects, until
the owner lifts it (escalation's "sos"). Without its plugin such a state is unknown.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hub.contracts import PresenceRecord


class State(StrEnum):
    ONLINE = "online"
    BUSY = "busy"
    AWAY = "away"
    ON_CALL = "on_call"
    OFFLINE = "offline"


SETTABLE = frozenset({State.ONLINE, State.BUSY, State.AWAY, State.ON_CALL})
CORE_STATES = frozenset(state.value for state in State)
STATE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


class PresenceStates:
    """Every presence state of this hub: the core's and those plugins contributed."""

    def __init__(self) -> None:
        self._contributed: dict[str, str] = {}  # state -> the plugin that contributed it

    def add(self, owner: str, name: str) -> str:
        if not STATE_NAME.fullmatch(name):
            raise ValueError(f"presence state {name!r} must match {STATE_NAME.pattern}")
        if name in CORE_STATES or name in self._contributed:
            raise ValueError(f"presence state {name!r} already exists")
        self._contributed[name] = owner
        return name

    def known(self, name: str) -> bool:
        return name in CORE_STATES or name in self._contributed

    def forceable(self, name: str) -> bool:
        """A person may be put in it on every device: any known state but offline."""
        return self.known(name) and name != State.OFFLINE

    def contributed(self) -> dict[str, str]:
        return dict(self._contributed)


class PresenceStatesView:
    """`ctx.presence_states`: a plugin contributes override states (see the module doc)."""

    def __init__(self, states: PresenceStates, owner: str) -> None:
        self._states, self._owner = states, owner

    def add(self, name: str) -> str:
        """Contribute `name` (the value clients see); returns it for `force_presence`."""
        return self._states.add(self._owner, name)


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float
    at: float
    accuracy: float | None = None
    heading: float | None = None
    speed: float | None = None
    battery: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {
            "lat": self.lat,
            "lon": self.lon,
            "at": self.at,
            "accuracy": self.accuracy,
            "heading": self.heading,
            "speed": self.speed,
            "battery": self.battery,
        }


@dataclass(frozen=True, slots=True)
class Snapshot:
    person_id: int
    state: str  # a core `State` value or a state a plugin contributed
    devices: int
    last_seen: float
    location: Location | None


def snapshot_of(record: PresenceRecord) -> Snapshot:
    loc = record.location
    return Snapshot(
        record.person_id,
        str(record.state),
        record.devices,
        record.last_seen,
        _location(loc) if loc else None,
    )


def _location(raw: dict[str, Any]) -> Location:
    return Location(
        float(raw["lat"]),
        float(raw["lon"]),
        float(raw["at"]),
        raw.get("accuracy"),
        raw.get("heading"),
        raw.get("speed"),
        raw.get("battery"),
    )


def is_stale(location: Location, report_interval_s: float, now: float | None = None) -> bool:
    """Stale when older than 1.5 x the person's report interval."""
    return (now or time.time()) - location.at > 1.5 * report_interval_s
