"""Presence vocabulary: states, locations, staleness; the shared book is a `PresenceStore`."""

from __future__ import annotations

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
    SOS = "sos"
    OFFLINE = "offline"


SETTABLE = frozenset({State.ONLINE, State.BUSY, State.AWAY, State.ON_CALL})


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
    state: State
    devices: int
    last_seen: float
    location: Location | None


def snapshot_of(record: PresenceRecord) -> Snapshot:
    loc = record.location
    return Snapshot(
        record.person_id,
        State(record.state),
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
