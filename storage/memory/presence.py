"""In-process presence store for the embedded single-node mode.

Implements ``hub.contracts.PresenceStore`` structurally with the same semantics as the Redis
store (see ``storage.redis.presence``): devices keyed by socket id, the aggregate from
``storage.presence_model.aggregate``, ``changed`` against the aggregate before the operation.

Node heartbeats expire by ``clock`` (``time.monotonic`` unless injected, e.g. by tests). A node
is dead when it owns devices and has no unexpired heartbeat, including a node never seen alive.
Nothing here awaits, so every operation is atomic on the event loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from storage.presence_model import (
    Change,
    Location,
    Presence,
    aggregate,
    check_choosable,
    check_forceable,
    check_node,
    check_time,
    device_state,
    location_at,
    offline,
)

Clock = Callable[[], float]


@dataclass(slots=True)
class _Device:
    node: str
    chosen: str
    last_active: float
    idle: bool = False
    calls: int = 0  # calls the device is in (in_call): "on_call" meanwhile


@dataclass(slots=True)
class _Person:
    devices: dict[str, _Device] = field(default_factory=dict)
    forced: str | None = None
    last_seen: float = 0.0
    location: Location | None = None
    location_at: float = 0.0

    def state(self) -> str:
        states = (device_state(d.chosen, d.idle, d.calls) for d in self.devices.values())
        return aggregate(states, self.forced)

    def seen(self, now: float) -> None:
        self.last_seen = max(self.last_seen, now)


class MemoryPresenceStore:
    """Presence of every person this process knows, in dictionaries."""

    def __init__(self, *, clock: Clock = time.monotonic) -> None:
        self._people: dict[int, _Person] = {}
        self._heartbeats: dict[str, float] = {}  # node -> clock() when its heartbeat expires
        self._clock = clock

    async def connect(self, person_id: int, sid: str, node: str, now: float) -> Change:
        check_node(node)
        now = check_time(now)

        def apply(person: _Person) -> None:
            person.devices[sid] = _Device(node, "online", now)
            person.seen(now)

        return self._change(person_id, apply)

    async def disconnect(self, person_id: int, sid: str, now: float) -> Change:
        now = check_time(now)

        def apply(person: _Person) -> None:
            person.devices.pop(sid, None)
            person.seen(now)

        return self._change(person_id, apply)

    async def choose(self, person_id: int, sid: str, state: str, now: float) -> Change:
        check_choosable(state)
        return self._activity(person_id, sid, state, check_time(now))

    async def touch(self, person_id: int, sid: str, now: float) -> Change:
        return self._activity(person_id, sid, None, check_time(now))

    async def in_call(self, person_id: int, sid: str, joined: bool) -> Change:
        def apply(person: _Person) -> None:
            device = person.devices.get(sid)
            if device is not None:
                device.calls = max(device.calls + (1 if joined else -1), 0)

        return self._change(person_id, apply)

    async def force(self, person_id: int, state: str | None) -> Change:
        check_forceable(state)
        return self._change(person_id, lambda person: setattr(person, "forced", state))

    async def mark_idle(self, idle_before: float) -> list[Change]:
        cutoff = check_time(idle_before)
        changes = []
        for person_id, person in list(self._people.items()):
            stale = [d for d in person.devices.values() if not d.idle and d.last_active < cutoff]
            if stale:
                changes.append(self._change(person_id, _idle_marker(stale)))
        return [change for change in changes if change.changed]

    async def locate(self, person_id: int, location: Location) -> None:
        at = location_at(location)
        person = self._people.setdefault(person_id, _Person())
        if person.location is None or at >= person.location_at:
            person.location, person.location_at = dict(location), at
        person.seen(at)

    async def get(self, person_id: int) -> Presence:
        person = self._people.get(person_id)
        return offline(person_id) if person is None else _record(person_id, person)

    async def known(self, online_only: bool) -> list[Presence]:
        records = [_record(pid, person) for pid, person in sorted(self._people.items())]
        return [r for r in records if r.devices > 0] if online_only else records

    async def node_alive(self, node: str, ttl_s: float) -> None:
        check_node(node)
        self._heartbeats[node] = self._clock() + check_time(ttl_s)

    async def reap_dead_nodes(self) -> list[Change]:
        now = self._clock()
        alive = {node for node, expires in self._heartbeats.items() if expires > now}
        self._heartbeats = {node: self._heartbeats[node] for node in alive}
        changes = []
        for person_id, person in list(self._people.items()):
            dead = [sid for sid, d in person.devices.items() if d.node not in alive]
            if dead:
                changes.append(self._change(person_id, _dropper(dead)))
        return [change for change in changes if change.changed]

    async def close(self) -> None:
        """Nothing to release; present for symmetry with the Redis store."""

    def _activity(self, person_id: int, sid: str, state: str | None, now: float) -> Change:
        def apply(person: _Person) -> None:
            device = person.devices.get(sid)
            if device is not None:
                device.chosen = state or device.chosen
                device.last_active, device.idle = now, False
            person.seen(now)

        return self._change(person_id, apply)

    def _change(self, person_id: int, mutate: Callable[[_Person], object]) -> Change:
        person = self._people.setdefault(person_id, _Person())
        before = person.state()
        mutate(person)
        record = _record(person_id, person)
        return Change(record, record.state != before)


def _record(person_id: int, person: _Person) -> Presence:
    location = None if person.location is None else dict(person.location)
    return Presence(person_id, person.state(), len(person.devices), person.last_seen, location)


def _idle_marker(devices: list[_Device]) -> Callable[[_Person], None]:
    def mark(_: _Person) -> None:
        for device in devices:
            device.idle = True

    return mark


def _dropper(sids: list[str]) -> Callable[[_Person], None]:
    def drop(person: _Person) -> None:
        for sid in sids:
            del person.devices[sid]

    return drop
