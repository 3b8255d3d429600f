"""Channel socket events: send with durable ack, fan-out, history, recovery, read markers."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub import policy
from hub.access import COMMAND_ROLES, STAFF_ROLES, Principal, in_scope
from hub.bus import MessageBus
from hub.channels import ChannelInfo, ChannelStore, StoredMessage
from hub.errors import Forbidden, InvalidInput, NotFound, invalid_from_pydantic
from hub.files import Family, FileStore
from hub.grid import GridIndex
from hub.ids import DbCursor, DbId
from hub.messages import ChannelMembersChanged
from hub.realtime import Connection, P, Realtime
from hub.replies import Budget, distinct
from storage.models import Assignment, Person

SMALL_CHANNEL = 50  # read markers are broadcast in channels up to this size
MAX_HISTORY = 200
RECOVER_MAX_CHANNELS = 100  # positions per channel.recover (repeats count once)
RECOVER_MAX_MESSAGES = 500  # messages per channel.recover reply, all channels together
PAGE_MAX = 500  # rows per channel.list / channel.members / channel.markers reply
# channel.* events: any signed-in person; the object check is the channel's (Chat.access or
# membership, as for file uploads), or the people named (_require_reachable).
CHANNEL_SCOPES = {
    "channel.list": policy.Scope.OWN,
    "channel.create": policy.Scope.PERSON,
    "channel.invite": policy.Scope.PERSON,
    "channel.direct": policy.Scope.PERSON,
}
# Opening a channel or adding people is for staff: a resident's way to the hub is the appeal,
# and a resident's grant would otherwise reach the staff of their grid (and, for direct chats,
# everyone above it). Staff may start a direct chat with a resident, who answers there.
STAFF_ONLY = frozenset({"channel.create", "channel.invite", "channel.direct"})


def channel_rule(event: str) -> policy.Rule:
    scope = CHANNEL_SCOPES.get(event, policy.Scope.CHANNEL)
    if event in STAFF_ONLY:
        return policy.for_roles(event, STAFF_ROLES, scope)
    return policy.signed_in(event, scope)


def on_channel_event(
    rt: Realtime,
    event: str,
    model: type[P],
    handler: Callable[[Connection, P], Awaitable[dict[str, Any] | None]],
) -> None:
    """Register `handler` for `event` under the channel rule of the same name."""
    rt.on(event, model, channel_rule(event))(handler)


def channel_room(channel_id: int) -> str:
    return sys.intern(f"channel:{channel_id}")


def grid_channel_role(
    who: Principal, index: GridIndex, grid_id: int, staff: Iterable[str] = STAFF_ROLES
) -> Literal["member", "observer"] | None:
    """Grid channels are staff channels: members hold a staff role (`staff`: the hub's, core
    and plugin-declared) on the grid or below it (residents never do); commanders and
    dispatchers over the grid, and admins, observe. Decided from the grants, so a role change
    counts before the member lists are synced."""
    if any(index.is_within(g, grid_id) for g in who.grid_ids(staff)):
        return "member"
    if who.is_admin or in_scope(who, index, grid_id, COMMAND_ROLES):
        return "observer"
    return None


class TextBody(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class FileBody(BaseModel):
    file_id: str = Field(min_length=1, max_length=32)
    caption: str | None = Field(None, max_length=1000)
    duration_s: float | None = Field(None, ge=0, le=3600)


class LocationBody(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    label: str | None = Field(None, max_length=200)


BODIES: dict[str, type[BaseModel]] = {
    "text": TextBody,
    "image": FileBody,
    "file": FileBody,
    "voice": FileBody,
    "location": LocationBody,
}
FILE_FAMILIES = {
    "image": {Family.IMAGE},
    "voice": {Family.AUDIO},
    "file": {Family.IMAGE, Family.AUDIO, Family.VIDEO, Family.DOCUMENT},
}


class SendIn(BaseModel):
    channel_id: DbId
    client_msg_id: str = Field(min_length=1, max_length=64)
    kind: Literal["text", "image", "file", "voice", "location"]
    body: dict[str, Any]
    mentions: list[DbId] = Field(default_factory=list, max_length=50)


class ChannelRef(BaseModel):
    channel_id: DbId


class OpenIn(BaseModel):
    """A channel by its id, or a grid's channel by the grid's id: a commander browsing the
    grids below them has no channel ids."""

    channel_id: DbId | None = None
    grid_id: DbId | None = None

    @model_validator(mode="after")
    def _one_of(self) -> OpenIn:
        if (self.channel_id is None) == (self.grid_id is None):
            raise ValueError("give channel_id or grid_id, not both")
        return self


class HistoryIn(BaseModel):
    channel_id: DbId
    before: int | None = Field(None, ge=1)
    limit: int = Field(50, ge=1, le=MAX_HISTORY)


class Position(BaseModel):
    channel_id: DbId
    offset: int = Field(ge=0)
    epoch: str | None = Field(None, max_length=32)


class RecoverIn(BaseModel):
    channels: list[Position] = Field(max_length=RECOVER_MAX_CHANNELS)


class PageIn(BaseModel):
    after: DbCursor = Field(0, description="the last id of the previous page")
    limit: int = Field(PAGE_MAX, ge=1, le=PAGE_MAX)


class ChannelPageIn(PageIn):
    channel_id: DbId


class ReadIn(BaseModel):
    channel_id: DbId
    offset: int = Field(ge=0)


class CreateIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    members: list[DbId] = Field(default_factory=list, max_length=2000)


class InviteIn(BaseModel):
    channel_id: DbId
    person_ids: list[DbId] = Field(min_length=1, max_length=2000)


class DirectIn(BaseModel):
    person_id: DbId


def message_dict(message: StoredMessage) -> dict[str, Any]:
    """The wire form of a message. Built field by field: `dataclasses.asdict` deep-copied the
    body on every send, for a dict that is only serialised (nobody changes it after)."""
    return {
        "id": message.id,
        "channel_id": message.channel_id,
        "offset": message.offset,
        "epoch": message.epoch,
        "sender_id": message.sender_id,
        "client_msg_id": message.client_msg_id,
        "kind": message.kind,
        "body": message.body,
        "mentions": list(message.mentions),
        "created_at": message.created_at.timestamp(),
    }


def channel_dict(info: ChannelInfo, read_offset: int | None = None) -> dict[str, Any]:
    data = dataclasses.asdict(info)
    data["created_at"] = info.created_at.timestamp()
    if read_offset is not None:
        data["read_offset"] = read_offset
        data["unread"] = max(0, info.last_offset - read_offset)
    return data


class Chat:
    """Registers the `channel.*` events on the real-time server."""

    def __init__(
        self,
        rt: Realtime,
        store: ChannelStore,
        files: FileStore,
        bus: MessageBus,
        sessions: async_sessionmaker[AsyncSession],
        staff: frozenset[str] = STAFF_ROLES,
    ) -> None:
        self.rt, self.store, self.files, self.bus = rt, store, files, bus
        self.staff = staff  # the staff roles, core and plugin-declared: grid channel members
        self._sessions = sessions
        # person -> channel ids, so a connect needs no query; kept by apply_membership.
        self._memberships: dict[int, frozenset[int]] = {}
        # Counts membership changes applied here: a read of someone's channels that one
        # overlapped may predate it, so it is read again rather than joined and cached.
        self._membership_changes = 0
        # Grid-channel syncs run one at a time: each reads the role holders, then writes the
        # member lists; two overlapping runs let the one that read first write last, undoing
        # the newer one (a bus-driven resync during the demo seed emptied the channels).
        self._grid_sync = asyncio.Lock()
        rt.on_connected(self._join_channels)
        rt.guard_rooms("channel", self._may_stay, self._taken_out)
        on_channel_event(rt, "channel.list", PageIn, self.list_channels)
        on_channel_event(rt, "channel.open", OpenIn, self.open)
        on_channel_event(rt, "channel.send", SendIn, self.send)
        on_channel_event(rt, "channel.history", HistoryIn, self.history)
        on_channel_event(rt, "channel.recover", RecoverIn, self.recover)
        on_channel_event(rt, "channel.read", ReadIn, self.read)
        on_channel_event(rt, "channel.markers", ChannelPageIn, self.markers)
        on_channel_event(rt, "channel.create", CreateIn, self.create)
        on_channel_event(rt, "channel.invite", InviteIn, self.invite)
        on_channel_event(rt, "channel.leave", ChannelRef, self.leave)
        on_channel_event(rt, "channel.direct", DirectIn, self.direct)
        on_channel_event(rt, "channel.members", ChannelPageIn, self.members)

    # ---- events --------------------------------------------------------------------------

    async def list_channels(self, conn: Connection, body: PageIn) -> dict[str, Any]:
        person = conn.principal.person_id
        rows = await self.store.memberships_of(person, after=body.after, limit=body.limit + 1)
        page = [channel_dict(info, offset) for info, offset in rows[: body.limit]]
        return {"channels": page, "more": len(rows) > body.limit}

    async def open(self, conn: Connection, body: OpenIn) -> dict[str, Any]:
        """Start receiving a channel you may see (members already do; commanders observe)."""
        if body.channel_id is not None:
            info = await self.access(conn.principal, body.channel_id)
        else:
            info = await self.grid_channel(conn.principal, body.grid_id or 0)
        await self.rt.join(conn, channel_room(info.id))
        return {"channel": channel_dict(info)}

    async def send(self, conn: Connection, body: SendIn) -> dict[str, Any]:
        self._require_joined(conn, body.channel_id)
        content = await self._checked_body(body)
        stored = await self.store.append(
            body.channel_id,
            conn.principal.person_id,
            body.client_msg_id,
            body.kind,
            content,
            body.mentions,
        )
        message = message_dict(stored)
        # A resend's message is fanned out again: its first fan-out may have died with the
        # node that committed it (receivers drop the duplicate offset). Mentions go once.
        await self.rt.emit("channel.message", message, channel_room(body.channel_id))
        if not stored.replayed:
            await self._notify_mentions(stored, message)
        return {"message": message}

    async def history(self, conn: Connection, body: HistoryIn) -> dict[str, Any]:
        info = await self._readable(conn, body.channel_id)
        rows = await self.store.history(body.channel_id, before=body.before, limit=body.limit)
        # The newest that fit one reply; the client pages back with `before` as always.
        newest = Budget(body.limit).take([message_dict(m) for m in reversed(rows)])
        return {
            "epoch": info.epoch,
            "last_offset": info.last_offset,
            "min_offset": info.min_offset,
            "messages": newest[::-1],
        }

    async def recover(self, conn: Connection, body: RecoverIn) -> dict[str, Any]:
        """Each channel once, and one reply's worth of messages in all: a channel cut short
        says `more` and the `next_offset` to recover on from (see docs/protocol.md)."""
        budget = Budget(RECOVER_MAX_MESSAGES)
        results = [
            await self._recover_one(conn, position, budget)
            for position in distinct(body.channels, lambda p: p.channel_id)
        ]
        return {"results": results, "more": any(r["more"] for r in results)}

    async def read(self, conn: Connection, body: ReadIn) -> dict[str, Any]:
        person = conn.principal.person_id
        if not await self.store.is_member(body.channel_id, person):
            raise Forbidden("channel.not_member", "only members keep read markers")
        offset = await self.store.mark_read(body.channel_id, person, body.offset)
        info = await self._info(body.channel_id)
        small = len(await self.store.members(info.id, limit=SMALL_CHANNEL + 1)) <= SMALL_CHANNEL
        if info.kind == "direct" or small:
            await self.rt.emit(
                "channel.read",
                {"channel_id": info.id, "person_id": person, "offset": offset},
                channel_room(info.id),
            )
        return {"read_offset": offset}

    async def markers(self, conn: Connection, body: ChannelPageIn) -> dict[str, Any]:
        await self._readable(conn, body.channel_id)
        found = await self.store.read_markers(
            body.channel_id, after=body.after, limit=body.limit + 1
        )
        page = dict(list(found.items())[: body.limit])
        return {"markers": {str(k): v for k, v in page.items()}, "more": len(found) > body.limit}

    async def create(self, conn: Connection, body: CreateIn) -> dict[str, Any]:
        who = conn.principal
        await self._require_reachable(who, set(body.members) - {who.person_id})
        info = await self.store.create_adhoc(body.name, who.person_id, body.members)
        added = tuple(sorted({who.person_id, *body.members}))
        await self.bus.publish(ChannelMembersChanged(channel_id=info.id, added=added))
        return {"channel": channel_dict(info)}

    async def invite(self, conn: Connection, body: InviteIn) -> dict[str, Any]:
        info = await self._owned_adhoc(conn.principal, body.channel_id)
        await self._require_reachable(conn.principal, set(body.person_ids))
        added = await self.store.add_members(info.id, body.person_ids)
        await self.bus.publish(ChannelMembersChanged(channel_id=info.id, added=tuple(added)))
        await self.system_notice(info.id, "members_added", {"person_ids": added})
        return {"added": added}

    async def leave(self, conn: Connection, body: ChannelRef) -> dict[str, Any]:
        info = await self._info(body.channel_id)
        if info.kind not in ("adhoc",):
            raise InvalidInput("channel.leave_refused", f"you cannot leave a {info.kind} channel")
        person = conn.principal.person_id
        if not await self.store.remove_member(info.id, person):
            raise Forbidden("channel.not_member", "you are not a member")
        await self.bus.publish(ChannelMembersChanged(channel_id=info.id, removed=(person,)))
        await self.system_notice(info.id, "member_left", {"person_id": person})
        return {}

    async def direct(self, conn: Connection, body: DirectIn) -> dict[str, Any]:
        who = conn.principal
        await self._require_reachable(who, {body.person_id}, either_way=True)
        info = await self.store.direct(who.person_id, body.person_id)
        await self.bus.publish(
            ChannelMembersChanged(channel_id=info.id, added=(who.person_id, body.person_id))
        )
        return {"channel": channel_dict(info)}

    async def members(self, conn: Connection, body: ChannelPageIn) -> dict[str, Any]:
        await self._readable(conn, body.channel_id)
        found = await self.store.members(body.channel_id, after=body.after, limit=body.limit + 1)
        rows = found[: body.limit]
        names = await self._names([m.person_id for m in rows])
        return {
            "members": [
                {
                    "person_id": m.person_id,
                    "role": m.role,
                    "read_offset": m.read_offset,
                    "username": names.get(m.person_id, ("", ""))[0],
                    "name": names.get(m.person_id, ("", ""))[1],
                }
                for m in rows
            ],
            "more": len(found) > body.limit,
        }

    # ---- for the hub and plugins ---------------------------------------------------------

    async def system_notice(self, channel_id: int, what: str, data: dict[str, Any]) -> None:
        stored = await self.store.append(channel_id, None, None, "system", {"notice": what, **data})
        await self.rt.emit("channel.message", message_dict(stored), channel_room(channel_id))

    async def access(self, who: Principal, channel_id: int) -> ChannelInfo:
        """The channel if `who` may see it: grid channels by `grid_channel_role`, the others
        for their members (and admins)."""
        info = await self._info(channel_id)
        if info.kind == "grid" and info.grid_id is not None:
            if grid_channel_role(who, self.rt.grids(), info.grid_id, self.staff) is not None:
                return info
        elif who.is_admin or await self.store.is_member(channel_id, who.person_id):
            return info
        raise Forbidden("channel.forbidden", "this channel is outside your scope")

    async def grid_channel(self, who: Principal, grid_id: int) -> ChannelInfo:
        """A grid's channel (made on first use) if `who` may see it; a grid out of reach and
        one that does not exist are refused alike."""
        index = self.rt.grids()
        if grid_id not in index or grid_channel_role(who, index, grid_id, self.staff) is None:
            raise Forbidden("channel.forbidden", "this channel is outside your scope")
        grid = index.get(grid_id)
        return await self.store.ensure_grid_channel(grid.id, grid.name)

    async def apply_membership(self, message: ChannelMembersChanged) -> None:
        """On every node: move this node's sockets of the people concerned."""
        room = channel_room(message.channel_id)
        self._membership_changes += 1
        for person in (*message.added, *message.removed):
            self._memberships.pop(person, None)
        for person in message.added:
            for conn in self.rt.connections_of(person):
                await self.rt.join(conn, room)
                await self.rt.emit("channel.joined", {"channel_id": message.channel_id}, conn.sid)
        for person in message.removed:
            for conn in self.rt.connections_of(person):
                await self.rt.leave(conn, room)
                await self.rt.emit("channel.left", {"channel_id": message.channel_id}, conn.sid)

    async def sync_grid_channels(self, index: GridIndex) -> None:
        """One channel per grid node; members are the staff holding a role in its subtree
        (residents are removed: they belong to no staff channel)."""
        async with self._grid_sync:
            await self._sync_grid_channels(index)

    async def _sync_grid_channels(self, index: GridIndex) -> None:
        holders = await self._assignments()
        wanted = {
            node.id: (node.name, {p for p, g in holders if index.is_within(g, node.id)})
            for node in index
        }
        for channel_id, added, removed in await self.store.sync_grid_channels(wanted):
            await self.bus.publish(
                ChannelMembersChanged(
                    channel_id=channel_id, added=tuple(added), removed=tuple(removed)
                )
            )

    # ---- helpers -------------------------------------------------------------------------

    async def _join_channels(self, conn: Connection) -> None:
        for channel_id in await self._channels_of(conn.principal.person_id):
            await self.rt.join(conn, channel_room(channel_id))

    async def _channels_of(self, person: int) -> frozenset[int]:
        """The person's channels, cached until a membership change of theirs. A change applied
        while they were read has already moved this socket (it is registered before this
        runs); the read may predate it, so it is made again (joining or caching it put a
        socket back into a channel its person had just left)."""
        while person not in self._memberships:
            changes = self._membership_changes
            ids = frozenset(c.id for c in await self.store.channels_of(person))
            if changes == self._membership_changes:
                self._memberships[person] = ids
        return self._memberships[person]

    async def _recover_one(
        self, conn: Connection, position: Position, budget: Budget
    ) -> dict[str, Any]:
        await self._readable(conn, position.channel_id)
        got = await self.store.recover(
            position.channel_id, position.offset, position.epoch, take=budget.rows
        )
        messages = budget.take([message_dict(m) for m in got.messages])
        reached = position.offset + len(messages)
        return {
            "channel_id": position.channel_id,
            "recovered": got.recovered,
            "epoch": got.epoch,
            "last_offset": got.last_offset,
            "messages": messages,
            "more": got.recovered and reached < got.last_offset,
            "next_offset": reached if got.recovered else got.last_offset,
        }

    async def _may_stay(self, conn: Connection, room: str) -> bool:
        """Room guard: may this socket stay in `channel:<id>` with its grants now?"""
        try:
            await self.access(conn.principal, _channel_of(room))
        except (Forbidden, NotFound):
            return False
        return True

    async def _taken_out(self, conn: Connection, room: str) -> None:
        self._memberships.pop(conn.principal.person_id, None)
        await self.rt.emit("channel.left", {"channel_id": _channel_of(room)}, conn.sid)

    def _require_joined(self, conn: Connection, channel_id: int) -> None:
        if not self.rt.in_room(conn, channel_room(channel_id)):
            raise Forbidden(
                "channel.not_joined",
                "not a member of this channel (commanders: channel.open first)",
            )

    async def _readable(self, conn: Connection, channel_id: int) -> ChannelInfo:
        if self.rt.in_room(conn, channel_room(channel_id)):
            return await self._info(channel_id)
        return await self.access(conn.principal, channel_id)

    async def _info(self, channel_id: int) -> ChannelInfo:
        info = await self.store.get(channel_id)
        if info is None:
            raise NotFound("channel.not_found", f"no channel {channel_id}")
        return info

    async def _checked_body(self, body: SendIn) -> dict[str, Any]:
        try:
            content = BODIES[body.kind].model_validate(body.body).model_dump(exclude_none=True)
        except ValidationError as exc:
            raise invalid_from_pydantic(exc, "channel.body_invalid") from None
        if body.kind in FILE_FAMILIES:
            await self._check_file(body, content)
        return content

    async def _check_file(self, body: SendIn, content: dict[str, Any]) -> None:
        info = await self.files.get(content["file_id"])
        if info.channel_id != body.channel_id:
            raise InvalidInput("channel.file_elsewhere", "upload the file to this channel first")
        if info.family not in FILE_FAMILIES[body.kind]:
            raise InvalidInput(
                "channel.file_kind", f"a {info.content_type} file is not a valid {body.kind}"
            )
        content.update(name=info.name, content_type=info.content_type, size=info.size)

    async def _notify_mentions(self, stored: StoredMessage, message: dict[str, Any]) -> None:
        if not stored.mentions:
            return
        members = {m.person_id for m in await self.store.members(stored.channel_id)}
        rooms = sorted({f"user:{p}" for p in stored.mentions if p in members})
        await self.rt.emit("channel.mention", message, rooms)

    async def _owned_adhoc(self, who: Principal, channel_id: int) -> ChannelInfo:
        info = await self._info(channel_id)
        owner = any(
            m.person_id == who.person_id and m.role == "owner"
            for m in await self.store.members(channel_id)
        )
        if info.kind != "adhoc" or not (owner or who.is_admin):
            raise Forbidden("channel.owner_required", "only the owner of an ad-hoc channel may")
        return info

    async def _require_reachable(
        self, who: Principal, people: set[int], either_way: bool = False
    ) -> None:
        """Everyone in `people` holds a role in your scope (or, for direct chats, you in theirs)."""
        grids = await self._grids_of(people)
        index = self.rt.grids()
        for person in people:
            if person not in grids:
                raise NotFound("person.not_found", f"person {person} does not exist")
            if any(in_scope(who, index, g) for g in grids[person]) or who.is_admin:
                continue
            if either_way and self._they_cover_me(who, grids[person], index):
                continue
            raise Forbidden("scope.forbidden", f"person {person} is outside your scope")

    @staticmethod
    def _they_cover_me(who: Principal, their_grids: set[int], index: GridIndex) -> bool:
        return any(index.covers(t, mine) for t in their_grids for mine in who.grid_ids())

    async def _grids_of(self, people: set[int]) -> dict[int, set[int]]:
        async with self._sessions() as session:
            known = set(await session.scalars(select(Person.id).where(Person.id.in_(people))))
            rows = await session.execute(
                select(Assignment.person_id, Assignment.grid_id).where(
                    Assignment.person_id.in_(people)
                )
            )
        grids: dict[int, set[int]] = {p: set() for p in known}
        for person, grid in rows:
            if grid is not None:
                grids[person].add(grid)
        return grids

    async def _assignments(self) -> list[tuple[int, int]]:
        """(person, grid) of every staff role (see `grid_channel_role`)."""
        staff = sorted(self.staff)
        async with self._sessions() as session:
            rows = await session.execute(
                select(Assignment.person_id, Assignment.grid_id).where(
                    Assignment.grid_id.is_not(None), Assignment.role.in_(staff)
                )
            )
            return [(p, g) for p, g in rows if g is not None]

    async def _names(self, ids: list[int]) -> dict[int, tuple[str, str]]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(Person.id, Person.username, Person.display_name).where(Person.id.in_(ids))
            )
            return {i: (u, n) for i, u, n in rows}


def _channel_of(room: str) -> int:
    return int(room.partition(":")[2])
