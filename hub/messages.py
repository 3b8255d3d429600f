"""Typed, frozen, msgpack-serialisable domain messages carried by the hub bus."""

from __future__ import annotations

import dataclasses
import time
import uuid
from typing import Any, ClassVar, TypeVar

import msgpack

M = TypeVar("M", bound="DomainMessage")


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class DomainMessage:
    """Base of every bus message; subclasses set `topic` and use only msgpack-able fields."""

    topic: ClassVar[str] = ""
    registry: ClassVar[dict[str, type[DomainMessage]]] = {}

    message_id: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)
    sent_at: float = dataclasses.field(default_factory=time.time)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super(DomainMessage, cls).__init_subclass__(**kwargs)
        if not cls.topic:
            raise TypeError(f"{cls.__name__} must define a topic")
        known = DomainMessage.registry.get(cls.topic)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise TypeError(f"topic {cls.topic!r} already used by {known.__qualname__}")
        DomainMessage.registry[cls.topic] = cls


def encode(message: DomainMessage) -> bytes:
    fields = {f.name: getattr(message, f.name) for f in dataclasses.fields(message)}
    packed: bytes = msgpack.packb({"t": message.topic, "d": fields}, use_bin_type=True)
    return packed


def decode(payload: bytes) -> DomainMessage:
    raw = msgpack.unpackb(payload, raw=False, strict_map_key=False)
    cls = DomainMessage.registry.get(raw["t"])
    if cls is None:
        raise LookupError(f"unknown message topic {raw['t']!r}")
    data = {k: _thaw(v) for k, v in raw["d"].items()}
    return cls(**data)


def _thaw(value: Any) -> Any:
    # msgpack gives lists back for tuples; frozen messages declare tuples, at any depth.
    if isinstance(value, list):
        return tuple(_thaw(v) for v in value)
    if isinstance(value, dict):
        return {k: _thaw(v) for k, v in value.items()}
    return value


# ---- core messages -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class GridTreeChanged(DomainMessage):
    """The grid tree or its overlays changed; nodes reload their in-memory index."""

    topic: ClassVar[str] = "hub.grid.changed"
    grid_ids: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class SessionRevoked(DomainMessage):
    """A login session ended (logout, revocation, password change, person disabled)."""

    topic: ClassVar[str] = "hub.identity.session_revoked"
    session_id: str
    person_id: int
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class PersonChanged(DomainMessage):
    """A person's roles, grids or status changed (person_id 0: several people, e.g. an import)."""

    topic: ClassVar[str] = "hub.identity.person_changed"
    person_id: int


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ChannelMembersChanged(DomainMessage):
    """People joined or left a channel; every node moves its local sockets in or out."""

    topic: ClassVar[str] = "hub.channels.members_changed"
    channel_id: int
    added: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ChannelRecording(DomainMessage):
    """A call of a channel is being recorded (`state` "started"), or its recording ended
    ("done": the file is complete; "failed": nothing usable was written). Published by media's
    recording for every recorded group call and push-to-talk room; a plugin owning the channel
    (`ref` "<kind>:<id>", see ``ctx.channels.record``) links `recording_id` to its object."""

    topic: ClassVar[str] = "hub.channels.recording"
    channel_id: int
    ref: str | None
    recording_id: str
    state: str  # "started", "done" or "failed"
    kind: str = "group"  # the room: "group" (a group call) or "ptt" (push-to-talk)
