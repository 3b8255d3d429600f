"""Durable channels of the real-time core: gapless per-channel offsets, epochs and recovery.

Every message gets the next `offset` of its channel. A client that reconnects sends the last
offset and the `epoch` it saw; `recover` returns exactly what it missed, or says it cannot (the
epoch changed, history was truncated past the gap, or too much is missing) so the client
reloads from `history` instead. Appends are group-committed by `hub.channel_writer`.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.channel_writer import ChannelWriter, Pending, StoredMessage, check_message, stored
from hub.contracts import WriteJournal
from hub.errors import InvalidInput, NotFound
from storage.message_sink import Item
from storage.models import Channel, ChannelMember, ChannelMessage
from storage.sql import utcnow

__all__ = [
    "CORE_KINDS",
    "ChannelInfo",
    "ChannelKind",
    "ChannelStore",
    "MemberInfo",
    "Recovery",
    "StoredMessage",
]

# A channel's kind: one of the core kinds, or a kind a plugin owns (its channels for its own
# objects, e.g. dispatch's "incident"); the core treats every plugin kind alike.
ChannelKind = str
CORE_KINDS = frozenset({"grid", "adhoc", "direct"})
OWNED_KIND = re.compile(r"[a-z][a-z0-9_]{1,15}")  # channels.kind is 16 characters
REF_MAX = 128  # channels.ref
MemberRole = Literal["owner", "member"]


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    id: int
    kind: str
    grid_id: int | None
    ref: str | None
    name: str
    epoch: str
    last_offset: int
    min_offset: int
    created_by: int | None
    created_at: datetime
    recorded: bool = False  # its owning plugin asked for its calls to be recorded


@dataclass(frozen=True, slots=True)
class MemberInfo:
    person_id: int
    role: str
    read_offset: int
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class Recovery:
    """`recovered` False means: drop local state and reload from `history`."""

    recovered: bool
    epoch: str
    last_offset: int
    messages: tuple[StoredMessage, ...] = ()


def new_epoch() -> str:
    return secrets.token_hex(8)


def direct_ref(person_a: int, person_b: int) -> str:
    low, high = sorted((person_a, person_b))
    return f"direct:{low}:{high}"


class ChannelStore:
    """Channels, members, read markers and the message log, over one session factory."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        batch_max: int = 256,
        batch_window_s: float = 0.0,  # no linger: see hub.channel_writer
        journal: WriteJournal | None = None,
    ) -> None:
        self._sessions = sessions
        self._writer = ChannelWriter(sessions, batch_max, batch_window_s, journal)

    @property
    def batches_committed(self) -> int:
        return self._writer.batches_committed

    @property
    def messages_committed(self) -> int:
        return self._writer.messages_committed

    async def start(self) -> None:
        self._writer.start()

    async def close(self) -> None:
        """Write every append already accepted, then stop."""
        await self._writer.close()

    # --- messages ---------------------------------------------------------------------------

    async def append(
        self,
        channel_id: int,
        sender_id: int | None,
        client_msg_id: str | None,
        kind: str,
        body: dict[str, Any],
        mentions: Iterable[int] = (),
    ) -> StoredMessage:
        """Store a message; returns once it is committed. A resend returns the original."""
        mention_list = list(mentions)
        check_message(kind, client_msg_id, body, mention_list)
        future: asyncio.Future[StoredMessage] = asyncio.get_running_loop().create_future()
        self._writer.submit(
            Pending(Item(channel_id, sender_id, client_msg_id, kind, body, mention_list), future)
        )
        return await future

    async def history(
        self, channel_id: int, *, before: int | None = None, limit: int = 50
    ) -> list[StoredMessage]:
        """The `limit` newest messages below offset `before` (all if None), ascending."""
        async with self._sessions() as session:
            channel = await _channel(session, channel_id)
            stmt = select(ChannelMessage).where(ChannelMessage.channel_id == channel_id)
            if before is not None:
                stmt = stmt.where(ChannelMessage.offset < before)
            stmt = stmt.order_by(ChannelMessage.offset.desc()).limit(max(0, limit))
            rows = list(await session.scalars(stmt))
        return [stored(row, channel.epoch) for row in reversed(rows)]

    async def recover(
        self,
        channel_id: int,
        since_offset: int,
        epoch: str | None,
        limit: int = 1000,
        take: int | None = None,
    ) -> Recovery:
        """Messages after `since_offset` if the client's position is still recoverable (at
        most `limit` missing); only the oldest `take` of them if given (the caller pages on)."""
        async with self._sessions() as session:
            channel = await _channel(session, channel_id)
            failed = Recovery(False, channel.epoch, channel.last_offset)
            if not _recoverable(channel, since_offset, epoch, limit):
                return failed
            rows = await _messages_after(session, channel, since_offset, take)
        missing = channel.last_offset - since_offset
        if len(rows) != (missing if take is None else min(missing, max(0, take))):
            return failed  # truncated while we looked
        messages = tuple(stored(row, channel.epoch) for row in rows)
        return Recovery(True, channel.epoch, channel.last_offset, messages)

    async def truncate(self, channel_id: int, keep_last: int) -> int:
        """Retention: keep only the newest `keep_last` offsets; returns the new min_offset."""
        async with self._sessions.begin() as session:
            channel = await _channel(session, channel_id, lock=True)
            low = max(channel.min_offset, channel.last_offset - max(0, keep_last) + 1)
            await session.execute(
                delete(ChannelMessage)
                .where(ChannelMessage.channel_id == channel_id)
                .where(ChannelMessage.offset < low)
            )
            channel.min_offset = low
        return low

    async def reset_epoch(self, channel_id: int) -> str:
        """Give the channel a new epoch: every client must reload instead of recovering."""
        epoch = new_epoch()
        async with self._sessions.begin() as session:
            channel = await _channel(session, channel_id, lock=True)
            channel.epoch = epoch
        return epoch

    # --- read markers -----------------------------------------------------------------------

    async def mark_read(self, channel_id: int, person_id: int, offset: int) -> int:
        """Move a member's read marker forward (never back, never past the end); returns it."""
        async with self._sessions.begin() as session:
            channel = await _channel(session, channel_id)
            target = min(offset, channel.last_offset)
            await session.execute(
                update(ChannelMember)
                .where(ChannelMember.channel_id == channel_id)
                .where(ChannelMember.person_id == person_id)
                .where(ChannelMember.read_offset < target)
                .values(read_offset=target)
            )
            member = await session.get(ChannelMember, (channel_id, person_id))
            if member is None:
                raise NotFound("channel.not_member", f"person {person_id} is not a member")
            await session.refresh(member)
            return member.read_offset

    async def read_markers(
        self, channel_id: int, *, after: int = 0, limit: int | None = None
    ) -> dict[int, int]:
        """Member -> read offset, by person id from `after` on (`limit` of them if given)."""
        stmt = (
            select(ChannelMember.person_id, ChannelMember.read_offset)
            .where(ChannelMember.channel_id == channel_id, ChannelMember.person_id > after)
            .order_by(ChannelMember.person_id)
        )
        async with self._sessions() as session:
            rows = await session.execute(stmt if limit is None else stmt.limit(limit))
            return dict(rows.all())

    # --- channels and members ---------------------------------------------------------------

    async def get(self, channel_id: int) -> ChannelInfo | None:
        async with self._sessions() as session:
            row = await session.get(Channel, channel_id)
            return _info(row) if row is not None else None

    async def heads(self, channel_ids: Iterable[int]) -> list[ChannelInfo]:
        """The channels that exist among `channel_ids`, with their current last offsets."""
        wanted = sorted(set(channel_ids))
        if not wanted:
            return []
        async with self._sessions() as session:
            rows = await session.scalars(select(Channel).where(Channel.id.in_(wanted)))
            return [_info(row) for row in rows]

    async def ensure_grid_channel(self, grid_id: int, name: str) -> ChannelInfo:
        """The channel of a grid, created on first use (idempotent by ref "grid:<id>")."""
        return await self._ensure(
            Channel(kind="grid", grid_id=grid_id, ref=f"grid:{grid_id}", name=name), {}
        )

    async def ensure_owned_channel(
        self, kind: ChannelKind, ref: object, name: str, member_ids: Iterable[int] = ()
    ) -> ChannelInfo:
        """The channel of a plugin's object (ref "<kind>:<ref>"), created on first use with
        `member_ids` as members; `kind` is the plugin's own, never a core kind."""
        full_ref = owned_ref(kind, ref)
        channel = Channel(kind=kind, ref=full_ref, name=name)
        return await self._ensure(channel, dict.fromkeys(member_ids, "member"))

    async def set_recorded(self, channel_id: int, on: bool) -> ChannelInfo:
        """Mark a plugin-owned channel as recorded (or not); NotFound for another channel."""
        async with self._sessions.begin() as session:
            row = await session.get(Channel, channel_id)
            if row is None or row.kind in CORE_KINDS:
                raise NotFound("channel.not_found", f"no owned channel {channel_id}")
            row.recorded = on
            return _info(row)

    async def direct(self, person_a: int, person_b: int) -> ChannelInfo:
        """The one direct channel of two people; (a, b) and (b, a) are the same channel."""
        if person_a == person_b:
            raise InvalidInput("channel.direct_self", "a direct channel needs two people")
        ref = direct_ref(person_a, person_b)
        channel = Channel(kind="direct", ref=ref, name=ref)
        return await self._ensure(channel, {person_a: "member", person_b: "member"})

    async def create_adhoc(
        self, name: str, owner_id: int, member_ids: Iterable[int] = ()
    ) -> ChannelInfo:
        roles: dict[int, MemberRole] = dict.fromkeys(member_ids, "member")
        roles[owner_id] = "owner"
        async with self._sessions.begin() as session:
            row = _new(Channel(kind="adhoc", name=name, created_by=owner_id))
            session.add(row)
            await session.flush()
            _add_rows(session, row.id, roles)
            return _info(row)

    async def add_members(
        self, channel_id: int, person_ids: Iterable[int], role: MemberRole = "member"
    ) -> list[int]:
        """Add whoever is not yet a member; returns the ids added."""
        async with self._sessions.begin() as session:
            await _channel(session, channel_id)
            current = await _member_ids(session, channel_id)
            added = sorted(set(person_ids) - current)
            _add_rows(session, channel_id, dict.fromkeys(added, role))
        return added

    async def remove_member(self, channel_id: int, person_id: int) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(_delete_members(channel_id, {person_id}))
        return bool(getattr(result, "rowcount", 0))

    async def set_members(
        self, channel_id: int, person_ids: Iterable[int]
    ) -> tuple[list[int], list[int]]:
        """Make the members exactly `person_ids` (grid channels); returns (added, removed)."""
        wanted = set(person_ids)
        async with self._sessions.begin() as session:
            await _channel(session, channel_id, lock=True)
            current = await _member_ids(session, channel_id)
            added, removed = sorted(wanted - current), sorted(current - wanted)
            if removed:
                await session.execute(_delete_members(channel_id, set(removed)))
            _add_rows(session, channel_id, dict.fromkeys(added, "member"))
        return added, removed

    async def grid_memberships(self) -> dict[int, tuple[int, set[int]]]:
        """For every grid channel: grid id -> (channel id, member ids), in two queries."""
        async with self._sessions() as session:
            channels = await session.execute(
                select(Channel.grid_id, Channel.id).where(Channel.kind == "grid")
            )
            out = {grid: (cid, set[int]()) for grid, cid in channels if grid is not None}
            by_channel = dict(out.values())
            rows = await session.execute(
                select(ChannelMember.channel_id, ChannelMember.person_id)
                .join(Channel, Channel.id == ChannelMember.channel_id)
                .where(Channel.kind == "grid")
            )
            for channel_id, person_id in rows:
                by_channel[channel_id].add(person_id)
        return out

    async def sync_grid_channels(
        self, wanted: Mapping[int, tuple[str, set[int]]]
    ) -> list[tuple[int, list[int], list[int]]]:
        """Create missing grid channels and set every member list, in one transaction.

        `wanted` maps grid id -> (channel name, member ids); returns (channel, added,
        removed) for each channel whose members changed.
        """
        current = await self.grid_memberships()
        missing = [g for g in wanted if g not in current]
        changes: list[tuple[int, list[int], list[int]]] = []
        try:
            async with self._sessions.begin() as session:
                for grid_id in missing:
                    row = _new(
                        Channel(
                            kind="grid",
                            grid_id=grid_id,
                            ref=f"grid:{grid_id}",
                            name=wanted[grid_id][0],
                        )
                    )
                    session.add(row)
                    await session.flush()
                    current[grid_id] = (row.id, set())
                for grid_id, (_name, members) in wanted.items():
                    channel_id, present = current[grid_id]
                    added, removed = sorted(members - present), sorted(present - members)
                    if removed:
                        await session.execute(_delete_members(channel_id, set(removed)))
                    _add_rows(session, channel_id, dict.fromkeys(added, "member"))
                    if added or removed:
                        changes.append((channel_id, added, removed))
        except IntegrityError:
            return await self.sync_grid_channels(wanted)  # another node created some first
        return changes

    async def members(
        self, channel_id: int, *, after: int = 0, limit: int | None = None
    ) -> list[MemberInfo]:
        """Members by person id from `after` on (`limit` of them if given)."""
        stmt = (
            select(ChannelMember)
            .where(ChannelMember.channel_id == channel_id, ChannelMember.person_id > after)
            .order_by(ChannelMember.person_id)
        )
        async with self._sessions() as session:
            rows = await session.scalars(stmt if limit is None else stmt.limit(limit))
            return [MemberInfo(r.person_id, r.role, r.read_offset, r.joined_at) for r in rows]

    async def is_member(self, channel_id: int, person_id: int) -> bool:
        async with self._sessions() as session:
            return await session.get(ChannelMember, (channel_id, person_id)) is not None

    async def channels_of(self, person_id: int) -> list[ChannelInfo]:
        async with self._sessions() as session:
            stmt = (
                select(Channel)
                .join(ChannelMember, ChannelMember.channel_id == Channel.id)
                .where(ChannelMember.person_id == person_id)
                .order_by(Channel.id)
            )
            return [_info(row) for row in await session.scalars(stmt)]

    async def memberships_of(
        self, person_id: int, *, after: int = 0, limit: int = 500
    ) -> list[tuple[ChannelInfo, int]]:
        """A person's channels by id from `after` on, with their read offset in each."""
        stmt = (
            select(Channel, ChannelMember.read_offset)
            .join(ChannelMember, ChannelMember.channel_id == Channel.id)
            .where(ChannelMember.person_id == person_id, Channel.id > after)
            .order_by(Channel.id)
            .limit(limit)
        )
        async with self._sessions() as session:
            return [(_info(row), offset) for row, offset in (await session.execute(stmt)).all()]

    async def _ensure(self, template: Channel, roles: Mapping[int, str]) -> ChannelInfo:
        """The channel with `template.ref`, created (with `roles` as members) if missing."""
        for _ in range(2):  # a concurrent creator wins the unique ref; then we read theirs
            existing = await self._by_ref(template.ref or "")
            if existing is not None:
                return existing
            try:
                return await self._create(template, roles)
            except IntegrityError:
                continue
        raise NotFound("channel.not_found", f"channel {template.ref!r} could not be created")

    async def _create(self, template: Channel, roles: Mapping[int, str]) -> ChannelInfo:
        async with self._sessions.begin() as session:
            row = _new(_copy(template))
            session.add(row)
            await session.flush()
            _add_rows(session, row.id, roles)
            return _info(row)

    async def _by_ref(self, ref: str) -> ChannelInfo | None:
        async with self._sessions() as session:
            row = (await session.scalars(select(Channel).where(Channel.ref == ref))).first()
            return _info(row) if row is not None else None


def owned_ref(kind: ChannelKind, ref: object) -> str:
    """The unique ref of a plugin-owned channel; a malformed kind or ref is a plugin's bug."""
    if kind in CORE_KINDS or not OWNED_KIND.fullmatch(kind):
        raise ValueError(f"{kind!r} is not a kind a plugin may own channels of")
    full = f"{kind}:{ref}"
    if len(full) > REF_MAX:
        raise ValueError(f"channel ref {full[:40]!r}... is longer than {REF_MAX} characters")
    return full


def _recoverable(channel: Channel, since: int, epoch: str | None, limit: int) -> bool:
    if epoch != channel.epoch and not (epoch is None and since == 0):
        return False
    if since < channel.min_offset - 1 or since > channel.last_offset:
        return False
    return channel.last_offset - since <= limit


async def _messages_after(
    session: AsyncSession, channel: Channel, since: int, take: int | None
) -> list[ChannelMessage]:
    stmt = (
        select(ChannelMessage)
        .where(ChannelMessage.channel_id == channel.id)
        .where(ChannelMessage.offset > since)
        .where(ChannelMessage.offset <= channel.last_offset)
        .order_by(ChannelMessage.offset)
    )
    if take is not None:
        stmt = stmt.limit(max(0, take))
    return list(await session.scalars(stmt))


async def _channel(session: AsyncSession, channel_id: int, *, lock: bool = False) -> Channel:
    stmt = select(Channel).where(Channel.id == channel_id)
    row = (await session.scalars(stmt.with_for_update() if lock else stmt)).first()
    if row is None:
        raise NotFound("channel.not_found", f"no channel {channel_id}")
    return row


async def _member_ids(session: AsyncSession, channel_id: int) -> set[int]:
    stmt = select(ChannelMember.person_id).where(ChannelMember.channel_id == channel_id)
    return set(await session.scalars(stmt))


def _delete_members(channel_id: int, person_ids: set[int]) -> Any:
    return (
        delete(ChannelMember)
        .where(ChannelMember.channel_id == channel_id)
        .where(ChannelMember.person_id.in_(person_ids))
    )


def _add_rows(session: AsyncSession, channel_id: int, roles: Mapping[int, str]) -> None:
    now = utcnow()
    for person_id, role in roles.items():
        session.add(
            ChannelMember(channel_id=channel_id, person_id=person_id, role=role, joined_at=now)
        )


def _new(row: Channel) -> Channel:
    row.epoch = new_epoch()
    row.last_offset = 0
    row.min_offset = 1
    row.created_at = utcnow()
    return row


def _copy(template: Channel) -> Channel:
    return Channel(
        kind=template.kind,
        grid_id=template.grid_id,
        ref=template.ref,
        name=template.name,
        created_by=template.created_by,
    )


def _info(row: Channel) -> ChannelInfo:
    return ChannelInfo(
        id=row.id,
        kind=row.kind,
        grid_id=row.grid_id,
        ref=row.ref,
        name=row.name,
        epoch=row.epoch,
        last_offset=row.last_offset,
        min_offset=row.min_offset,
        created_by=row.created_by,
        created_at=row.created_at,
        recorded=bool(row.recorded),
    )
