"""The narrow views of the real-time core that a plugin gets in its `PluginContext`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from hub import audit
from hub.access import Grant
from hub.audit import Actor
from hub.channels import ChannelInfo, ChannelKind
from hub.chat import Chat, channel_room
from hub.errors import NotFound
from hub.grid import GridIndex
from hub.messages import ChannelMembersChanged
from hub.people import People, PersonView
from hub.policy import Rule
from hub.presence import Snapshot, snapshot_of
from hub.realtime import (
    Connection,
    Realtime,
    RoomCheck,
    RoomRevoked,
    covering_command_rooms,
    user_room,
)

P = TypeVar("P", bound=BaseModel)
Handler = Callable[[Connection, P], Awaitable[dict[str, Any] | None]]


class RealtimeView:
    """Socket events and emits in the plugin's own namespace (`<plugin>.<event>`)."""

    def __init__(self, realtime: Realtime, owner: str) -> None:
        self._rt = realtime
        self._prefix = f"{owner}."

    def on(self, event: str, model: type[P], rule: Rule) -> Callable[[Handler[P]], Handler[P]]:
        """Register `<plugin>.<event>` under `rule` (hub.policy): validated, authorised,
        acknowledged."""
        register = self._rt.on(self._named(event), model, rule)

        def wrap(handler: Handler[P]) -> Handler[P]:
            register(handler)
            return handler

        return wrap

    async def emit(self, event: str, data: Any, rooms: str | list[str]) -> None:
        await self._rt.emit(self._named(event), data, rooms)

    def command_rooms(self, grid_ids: Iterable[int]) -> list[str]:
        """Rooms of every command centre covering these grids (their chains and overlays)."""
        return covering_command_rooms(grid_ids, self._rt.grids())

    @staticmethod
    def user_room(person_id: int) -> str:
        return user_room(person_id)

    async def force_presence(self, person_id: int, state: str | None) -> None:
        """Put a person in `state` on every device until lifted with None (it sticks across
        reconnects): a state the plugin contributed (`ctx.presence_states`) or a core one
        other than offline; ValueError for any other."""
        if state is not None and not self._rt.presence_states.forceable(state):
            raise ValueError(f"unknown presence state {state!r}")
        change = await self._rt.presence.force(person_id, state)
        await self._rt.announce(change)

    async def touch_presence(self, person_id: int) -> None:
        """Count as activity from every device of the person on this node."""
        for conn in self._rt.connections_of(person_id):
            await self._rt.announce(await self._rt.presence.touch(person_id, conn.sid, time.time()))

    async def presence_of(self, person_ids: Iterable[int]) -> dict[int, Snapshot]:
        """Presence (state, devices, last location) of each person, cluster-wide."""
        return {pid: snapshot_of(await self._rt.presence.get(pid)) for pid in set(person_ids)}

    def guard_rooms(self, allows: RoomCheck, revoked: RoomRevoked | None = None) -> None:
        """Register the re-check of the plugin's rooms: when a person's grants change, each of
        their sockets stays in a `<plugin>:...` room only while `allows(conn, room)` says so
        (`revoked` is told after it was taken out). Required before the first `join`."""
        self._rt.guard_rooms(self._prefix[:-1], allows, revoked)

    async def join(self, conn: Connection, room: str) -> None:
        """Put the asking socket in one of the plugin's own rooms (`<plugin>:...`)."""
        self._check_room(room)
        await self._rt.join(conn, room)

    async def leave(self, conn: Connection, room: str) -> None:
        self._check_room(room)
        await self._rt.leave(conn, room)

    def _check_room(self, room: str) -> None:
        if not room.startswith(self._prefix[:-1] + ":"):
            raise ValueError(f"room {room!r} is not in this plugin's namespace")

    def _named(self, event: str) -> str:
        return event if event.startswith(self._prefix) else self._prefix + event


class ChannelsView:
    """Talk channels a plugin may open and post to (e.g. one per incident)."""

    def __init__(self, chat: Chat) -> None:
        self._chat = chat

    async def for_ref(
        self, kind: ChannelKind, ref: object, name: str, members: Iterable[int]
    ) -> ChannelInfo:
        """The channel of one of the plugin's objects (kind e.g. "incident", ref its id),
        created once, with `members` added (moved live). `kind` is a plugin kind of at most 16
        characters `[a-z0-9_]`, never a core one (grid, adhoc, direct): ValueError otherwise."""
        info = await self._chat.store.ensure_owned_channel(kind, ref, name)
        await self.add_members(info.id, members)
        return info

    async def add_members(self, channel_id: int, people: Iterable[int]) -> list[int]:
        added = await self._chat.store.add_members(channel_id, people)
        if added:
            message = ChannelMembersChanged(channel_id=channel_id, added=tuple(added))
            await self._chat.bus.publish(message)
        return added

    async def record(self, channel_id: int, on: bool = True) -> ChannelInfo:
        """Record the group calls (and push-to-talk) of a channel of the plugin's objects, or
        stop asking to (`on` False: the deployment's policy decides again). Persisted; honoured
        when the call's mixed room next opens (a call already running is not recorded midway).
        Media then publishes `ChannelRecording` (started, done or failed) with the recording's
        id. A deployment's per-channel setting (`media.recording.channels`) still wins.
        NotFound for a core channel (grid, ad-hoc, direct) or one that does not exist."""
        return await self._chat.store.set_recorded(channel_id, on)

    async def notice(self, channel_id: int, what: str, data: dict[str, Any]) -> None:
        """A system message in the channel (stored, offset-ordered, fanned out)."""
        await self._chat.system_notice(channel_id, what, data)

    @staticmethod
    def room(channel_id: int) -> str:
        return channel_room(channel_id)


class AuditView:
    """The audit log, written in the plugin's own transaction: the entry commits or rolls back
    with the change it describes."""

    @staticmethod
    def record(
        session: AsyncSession | Session,
        actor: Actor,
        action: str,
        target_type: str,
        target_id: object,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Add the entry to `session` (an async session, or the synchronous one of a body run
        with `run_sync` or on the plugin's own writer connection)."""
        if isinstance(session, Session):
            audit.append(session, actor, action, target_type, target_id, details)
        else:
            audit.record(session, actor, action, target_type, target_id, details)


class DirectoryView:
    """Read-only look-ups of people and their roles for plugins."""

    def __init__(self, people: People, grids: Callable[[], GridIndex]) -> None:
        self._people = people
        self._grids = grids

    async def person(self, person_id: int) -> PersonView:
        return await self._people.get(person_id, self._grids())

    async def holding_roles_in(self, grid_ids: Iterable[int]) -> list[PersonView]:
        """Active people holding any role on one of `grid_ids` (exactly those grids)."""
        found = await self._people.in_grids(self._grids(), set(grid_ids))
        return [p for p in found if p.active]

    async def grants_of(self, person_id: int) -> tuple[Grant, ...]:
        """The roles (each over a grid) of an active person; NotFound for an unknown or
        disabled one."""
        found = await self._people.grants_of([person_id])
        if person_id not in found:
            raise NotFound("person.not_found", f"person {person_id} does not exist")
        return found[person_id]
