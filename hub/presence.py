"""Presence: one aggregate state per person over all their devices, auto-away, last seen."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class State(StrEnum):
    ONLINE = "online"
    BUSY = "busy"
    AWAY = "away"
    ON_CALL = "on_call"
    SOS = "sos"
    OFFLINE = "offline"


# Which device state wins when a person is on several devices.
PRIORITY = {
    State.SOS: 5,
    State.ON_CALL: 4,
    State.BUSY: 3,
    State.ONLINE: 2,
    State.AWAY: 1,
    State.OFFLINE: 0,
}
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


@dataclass(slots=True)
class _Device:
    chosen: State
    last_active: float
    idle: bool = False

    @property
    def state(self) -> State:
        return State.AWAY if self.idle and self.chosen is State.ONLINE else self.chosen


@dataclass(slots=True)
class _Person:
    devices: dict[str, _Device] = field(default_factory=dict)
    last_seen: float = 0.0
    location: Location | None = None
    forced: State | None = None  # SOS set by the escalation plugin, over every device


@dataclass(frozen=True, slots=True)
class Snapshot:
    person_id: int
    state: State
    devices: int
    last_seen: float
    location: Location | None


class PresenceRegistry:
    """This node's presence book. Every mutation returns the new snapshot when it changed."""

    def __init__(self, away_after_s: float) -> None:
        self._people: dict[int, _Person] = {}
        self.away_after_s = away_after_s

    def snapshot(self, person_id: int) -> Snapshot:
        person = self._people.get(person_id) or _Person()
        return Snapshot(
            person_id, _aggregate(person), len(person.devices), person.last_seen, person.location
        )

    def connect(self, person_id: int, sid: str, now: float | None = None) -> Snapshot | None:
        now = now or time.time()
        return self._change(person_id, lambda p: _add_device(p, sid, now))

    def disconnect(self, person_id: int, sid: str, now: float | None = None) -> Snapshot | None:
        now = now or time.time()
        return self._change(person_id, lambda p: _drop_device(p, sid, now))

    def choose(self, person_id: int, sid: str, state: State) -> Snapshot | None:
        def apply(person: _Person) -> None:
            device = person.devices.get(sid)
            if device is not None:
                device.chosen, device.idle, device.last_active = state, False, time.time()

        return self._change(person_id, apply)

    def force(self, person_id: int, state: State | None) -> Snapshot | None:
        """Override every device (SOS); None lifts the override."""
        return self._change(person_id, lambda p: setattr(p, "forced", state))

    def touch(self, person_id: int, sid: str, now: float | None = None) -> Snapshot | None:
        now = now or time.time()

        def apply(person: _Person) -> None:
            device = person.devices.get(sid)
            if device is not None:
                device.last_active, device.idle = now, False
            person.last_seen = now

        return self._change(person_id, apply)

    def locate(self, person_id: int, location: Location) -> None:
        person = self._people.setdefault(person_id, _Person())
        if person.location is None or location.at >= person.location.at:
            person.location = location
        person.last_seen = max(person.last_seen, time.time())

    def sweep_idle(self, now: float | None = None) -> list[Snapshot]:
        """Mark devices idle past `away_after_s`; the snapshots of people who changed."""
        now = now or time.time()
        changed = []
        for person_id, person in list(self._people.items()):
            stale = [
                d
                for d in person.devices.values()
                if not d.idle and now - d.last_active >= self.away_after_s
            ]
            if stale:
                snap = self._change(person_id, _idle_marker(stale))
                if snap is not None:
                    changed.append(snap)
        return changed

    def online(self) -> list[Snapshot]:
        return [self.snapshot(pid) for pid, p in self._people.items() if p.devices]

    def known(self) -> list[int]:
        return list(self._people)

    def _change(self, person_id: int, mutate: Callable[[_Person], object]) -> Snapshot | None:
        person = self._people.setdefault(person_id, _Person())
        before = _aggregate(person)
        mutate(person)
        after = self.snapshot(person_id)
        return after if after.state is not before else None


def _aggregate(person: _Person) -> State:
    if not person.devices:
        return State.OFFLINE
    if person.forced is not None:
        return person.forced
    return max((d.state for d in person.devices.values()), key=PRIORITY.__getitem__)


def _add_device(person: _Person, sid: str, now: float) -> None:
    person.devices[sid] = _Device(State.ONLINE, now)
    person.last_seen = now


def _drop_device(person: _Person, sid: str, now: float) -> None:
    person.devices.pop(sid, None)
    person.last_seen = now


def _idle_marker(devices: list[_Device]) -> Callable[[_Person], None]:
    def mark(_: _Person) -> None:
        for device in devices:
            device.idle = True

    return mark


def is_stale(location: Location, report_interval_s: float, now: float | None = None) -> bool:
    """Stale when older than 1.5 x the person's report interval."""
    return (now or time.time()) - location.at > 1.5 * report_interval_s
