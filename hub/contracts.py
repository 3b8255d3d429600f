"""Protocols the storage adapters implement. The hub depends on these, never on an adapter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Protocol

RawHandler = Callable[[bytes], Awaitable[None]]
Unsubscribe = Callable[[], Awaitable[None]]


class BusTransport(Protocol):
    """Moves opaque payloads by topic.

    A subscription with a `group` receives each payload once across every subscriber of that
    group cluster-wide (work sharing); one without a group receives every payload on every node.
    Payloads reach each subscription in publish order.
    """

    async def publish(self, topic: str, payload: bytes) -> None: ...

    async def subscribe(
        self, topic: str, handler: RawHandler, *, group: str | None
    ) -> Unsubscribe: ...

    async def flush(self) -> None:
        """Wait until everything published so far has been handled by local subscribers."""
        ...

    async def close(self) -> None: ...


class PresenceRecord(Protocol):
    """A person's presence as a store reports it (aggregate computed by the store)."""

    @property
    def person_id(self) -> int: ...

    @property
    def state(self) -> str:
        """ "online" | "busy" | "away" | "on_call" | "offline", or a forced state."""
        ...

    @property
    def devices(self) -> int: ...

    @property
    def last_seen(self) -> float: ...

    @property
    def location(self) -> dict[str, float | None] | None: ...


class PresenceChange(Protocol):
    @property
    def record(self) -> PresenceRecord: ...

    @property
    def changed(self) -> bool:
        """The aggregate state differs from before the operation."""
        ...


class PresenceStore(Protocol):
    """Devices and aggregate state per person, shared by every node of a deployment.

    Each device (a socket) has a chosen state ("online", "busy", "away", "on_call"), an
    idle flag and a count of the calls it is in; a device in a call counts as "on_call", an
    idle "online" device as "away". The aggregate is the strongest state
    over the devices, `on_call` > `busy` > `online` > `away`, "offline" with no device, or
    the forced state (any other name, e.g. a plugin's "sos") when set while any device is
    connected. Every mutation is
    atomic and reports whether the aggregate changed, so exactly one node announces a change.
    """

    async def connect(self, person_id: int, sid: str, node: str, now: float) -> PresenceChange: ...

    async def disconnect(self, person_id: int, sid: str, now: float) -> PresenceChange: ...

    async def choose(self, person_id: int, sid: str, state: str, now: float) -> PresenceChange: ...

    async def touch(self, person_id: int, sid: str, now: float) -> PresenceChange:
        """Activity from a device: clears its idle flag and refreshes last seen."""
        ...

    async def in_call(self, person_id: int, sid: str, joined: bool) -> PresenceChange:
        """The device joined (or left) a call, from whichever node decided it: a device
        counts its calls and shows "on_call" while in any, then its chosen state again. An
        unknown device (gone, reaped) changes nothing."""
        ...

    async def force(self, person_id: int, state: str | None) -> PresenceChange: ...

    async def mark_idle(self, idle_before: float) -> Sequence[PresenceChange]:
        """Flag devices last active before `idle_before`; the changes this caused."""
        ...

    async def locate(self, person_id: int, location: dict[str, float | None]) -> None:
        """Keep the latest location (by its `at`), ignoring older reports."""
        ...

    async def get(self, person_id: int) -> PresenceRecord: ...

    async def known(self, online_only: bool) -> Sequence[PresenceRecord]: ...

    async def node_alive(self, node: str, ttl_s: float) -> None:
        """Heartbeat of a node; a node silent for `ttl_s` is dead."""
        ...

    async def reap_dead_nodes(self) -> Sequence[PresenceChange]:
        """Remove the devices of dead nodes (other than live ones); the changes this caused."""
        ...

    async def close(self) -> None: ...


class WriteJournal(Protocol):
    """Which channels each node writes to, so survivors can speak for a dead node (cluster).

    The channel writer notes a batch's channels before committing it; every node beats; the
    notes of a node whose heartbeat lapsed are claimed by exactly one survivor, which
    announces those channels' heads (hub.channel_heads).
    """

    async def note(self, channel_ids: Collection[int]) -> None: ...

    async def beat(self) -> None: ...

    async def claim_dead(self) -> dict[str, list[int]]:
        """Dead nodes -> the channels they noted; each dead node is claimed once."""
        ...

    async def claim_own(self) -> list[int]:
        """At start-up: the channels an earlier process with this node id noted."""
        ...

    async def close(self) -> None: ...
