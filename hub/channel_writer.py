"""Group commit for channel messages: one writer task, one transaction per batch, durable acks.

Appends queue up; the writer takes everything waiting (up to `batch_max`, lingering at most
`batch_window_s` after the first), locks the touched channel rows in id order, drops resends it
already stored, bumps each channel's `last_offset` once, inserts the rows and commits. Only then
are the callers' futures resolved, so an ack always means the message is on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.errors import InvalidInput, NotFound
from storage.models import Channel, ChannelMessage, Person
from storage.sql import utcnow

MESSAGE_KINDS = frozenset({"text", "image", "file", "voice", "location", "system"})
CLIENT_MSG_ID_MAX = 64


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    channel_id: int
    offset: int
    epoch: str
    sender_id: int | None
    client_msg_id: str | None
    kind: str
    body: dict[str, Any]
    mentions: tuple[int, ...]
    created_at: datetime
    replayed: bool = False  # True when this answers a resend of an already stored message


def stored(row: ChannelMessage, epoch: str) -> StoredMessage:
    return StoredMessage(
        id=row.id,
        channel_id=row.channel_id,
        offset=row.offset,
        epoch=epoch,
        sender_id=row.sender_id,
        client_msg_id=row.client_msg_id,
        kind=row.kind,
        body=dict(row.body or {}),
        mentions=tuple(row.mentions or ()),
        created_at=row.created_at,
    )


DedupeKey = tuple[int, int | None, str]


@dataclass(slots=True)
class Pending:
    """One queued append and the future its caller awaits."""

    channel_id: int
    sender_id: int | None
    client_msg_id: str | None
    kind: str
    body: dict[str, Any]
    mentions: list[int]
    future: asyncio.Future[StoredMessage] = field(repr=False)

    @property
    def key(self) -> DedupeKey | None:
        if self.client_msg_id is None:
            return None
        return (self.channel_id, self.sender_id, self.client_msg_id)


def check_message(kind: str, client_msg_id: str | None, body: object, mentions: object) -> None:
    """Shape checks that need no database; raised to the caller before queueing."""
    if kind not in MESSAGE_KINDS:
        raise InvalidInput("channel.kind_invalid", f"unknown message kind {kind!r}")
    if client_msg_id is not None and not 0 < len(client_msg_id) <= CLIENT_MSG_ID_MAX:
        raise InvalidInput("channel.client_msg_id_invalid", "client_msg_id must be 1-64 chars")
    if not isinstance(body, dict):
        raise InvalidInput("channel.body_invalid", "message body must be an object")
    if not isinstance(mentions, list) or not all(
        isinstance(m, int) and not isinstance(m, bool) for m in mentions
    ):
        raise InvalidInput("channel.mentions_invalid", "mentions must be a list of person ids")


class ChannelWriter:
    """The single writer task behind `ChannelStore.append`."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], batch_max: int, batch_window_s: float
    ) -> None:
        self._sessions = sessions
        self._batch_max = max(1, batch_max)
        self._window = batch_window_s
        self._queue: asyncio.Queue[Pending | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.batches_committed = 0
        self.messages_committed = 0

    def start(self) -> None:
        if self._task is None:
            self._closing = False
            self._task = asyncio.create_task(self._run(), name="channel-writer")

    async def close(self) -> None:
        """Stop taking appends, write everything already queued, then end the task."""
        if self._task is None:
            return
        self._closing = True
        self._queue.put_nowait(None)
        task, self._task = self._task, None
        await task

    def submit(self, pending: Pending) -> None:
        if self._task is None or self._closing:
            raise RuntimeError("channel store is not running")
        self._queue.put_nowait(pending)

    async def _run(self) -> None:
        stop = False
        while not stop:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            stop = await self._fill(batch)
            await self._commit(batch)

    async def _fill(self, batch: list[Pending]) -> bool:
        """Add what is queued (or arrives within the window) to `batch`; True on the sentinel."""
        deadline = asyncio.get_running_loop().time() + self._window
        while len(batch) < self._batch_max:
            item = await self._next(deadline)
            if item is None:
                return False
            if item is _STOP:
                return True
            assert isinstance(item, Pending)
            batch.append(item)
        return False

    async def _next(self, deadline: float) -> Pending | object | None:
        with contextlib.suppress(asyncio.QueueEmpty):
            item = self._queue.get_nowait()
            return _STOP if item is None else item
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return None
        try:
            item = await asyncio.wait_for(self._queue.get(), remaining)
        except TimeoutError:
            return None
        return _STOP if item is None else item

    async def _commit(self, batch: list[Pending]) -> None:
        try:
            outcomes = await self._write_retrying(batch)
        except Exception as exc:  # nothing half-acked: the whole batch fails together
            for pending in batch:
                _settle(pending, exc)
            return
        self.batches_committed += 1
        for pending, outcome in zip(batch, outcomes, strict=True):
            _settle(pending, outcome)

    async def _write_retrying(self, batch: list[Pending]) -> list[StoredMessage | Exception]:
        """A resend racing another hub process hits the unique key; the retry then finds it."""
        try:
            return await self._write(batch)
        except IntegrityError:
            return await self._write(batch)

    async def _write(self, batch: list[Pending]) -> list[StoredMessage | Exception]:
        outcomes: list[StoredMessage | Exception | None] = [None] * len(batch)
        async with self._sessions.begin() as session:
            epochs = await _lock_channels(session, {p.channel_id for p in batch})
            senders = await _known_people(session, {p.sender_id for p in batch})
            valid = _validate(batch, epochs, senders, outcomes)
            existing = await _existing(session, [p for _, p in valid], epochs)
            fresh = _fresh(valid, existing, outcomes)
            rows = await _insert(session, fresh, epochs)
            for index, row in rows.items():
                outcomes[index] = stored(row, epochs[row.channel_id])
        self.messages_committed += len(rows)
        return _resolve_duplicates(batch, outcomes)


_STOP = object()


def _settle(pending: Pending, outcome: StoredMessage | BaseException) -> None:
    if pending.future.done():
        return
    if isinstance(outcome, BaseException):
        pending.future.set_exception(outcome)
    else:
        pending.future.set_result(outcome)


async def _lock_channels(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    """Epoch of each existing channel, its row locked (PostgreSQL) for the transaction."""
    if session.get_bind().dialect.name == "sqlite":  # take the write lock before reading
        noop = update(Channel).where(Channel.id.in_(ids)).values(last_offset=Channel.last_offset)
        await session.execute(noop)
    stmt = select(Channel.id, Channel.epoch).where(Channel.id.in_(ids))
    rows = await session.execute(stmt.order_by(Channel.id).with_for_update())
    return dict(rows.all())


async def _known_people(session: AsyncSession, ids: set[int | None]) -> set[int]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return set()
    return set(await session.scalars(select(Person.id).where(Person.id.in_(wanted))))


def _validate(
    batch: list[Pending],
    epochs: dict[int, str],
    senders: set[int],
    outcomes: list[StoredMessage | Exception | None],
) -> list[tuple[int, Pending]]:
    valid: list[tuple[int, Pending]] = []
    for index, pending in enumerate(batch):
        if pending.channel_id not in epochs:
            outcomes[index] = NotFound("channel.not_found", f"no channel {pending.channel_id}")
        elif pending.sender_id is not None and pending.sender_id not in senders:
            outcomes[index] = NotFound("channel.sender_unknown", f"no person {pending.sender_id}")
        else:
            valid.append((index, pending))
    return valid


async def _existing(
    session: AsyncSession, pendings: list[Pending], epochs: dict[int, str]
) -> dict[DedupeKey, StoredMessage]:
    """Stored rows these appends resend (matched in Python so a NULL sender matches too)."""
    keys = {p.key for p in pendings if p.key is not None}
    pairs = sorted({(key[0], key[2]) for key in keys})
    cols = tuple_(ChannelMessage.channel_id, ChannelMessage.client_msg_id)
    found: dict[DedupeKey, StoredMessage] = {}
    for start in range(0, len(pairs), 200):
        stmt = select(ChannelMessage).where(cols.in_(pairs[start : start + 200]))
        for row in await session.scalars(stmt):
            key = (row.channel_id, row.sender_id, row.client_msg_id or "")
            if key in keys:
                found[key] = stored(row, epochs[row.channel_id])
    return found


def _fresh(
    valid: list[tuple[int, Pending]],
    existing: dict[DedupeKey, StoredMessage],
    outcomes: list[StoredMessage | Exception | None],
) -> list[tuple[int, Pending]]:
    """Messages to insert: resends of stored rows are answered, in-batch repeats are dropped."""
    fresh: list[tuple[int, Pending]] = []
    seen: set[DedupeKey] = set()
    for index, pending in valid:
        key = pending.key
        if key is not None and key in existing:
            outcomes[index] = replace(existing[key], replayed=True)
        elif key is None or key not in seen:
            fresh.append((index, pending))
            if key is not None:
                seen.add(key)
    return fresh


async def _insert(
    session: AsyncSession, fresh: list[tuple[int, Pending]], epochs: dict[int, str]
) -> dict[int, ChannelMessage]:
    by_channel: dict[int, list[tuple[int, Pending]]] = {}
    for item in fresh:
        by_channel.setdefault(item[1].channel_id, []).append(item)
    rows: dict[int, ChannelMessage] = {}
    now = utcnow()
    for channel_id in sorted(by_channel):
        items = by_channel[channel_id]
        first = await _reserve(session, channel_id, len(items))
        for number, (index, pending) in enumerate(items):
            rows[index] = _row(pending, first + number, now)
    session.add_all(rows.values())
    await session.flush()
    return rows


async def _reserve(session: AsyncSession, channel_id: int, count: int) -> int:
    """Claim `count` consecutive offsets of a channel; returns the first."""
    stmt = (
        update(Channel)
        .where(Channel.id == channel_id)
        .values(last_offset=Channel.last_offset + count)
        .returning(Channel.last_offset)
    )
    last = (await session.execute(stmt)).scalar_one()
    return int(last) - count + 1


def _row(pending: Pending, offset: int, now: datetime) -> ChannelMessage:
    return ChannelMessage(
        channel_id=pending.channel_id,
        offset=offset,
        sender_id=pending.sender_id,
        client_msg_id=pending.client_msg_id,
        kind=pending.kind,
        body=pending.body,
        mentions=pending.mentions,
        created_at=now,
    )


def _resolve_duplicates(
    batch: list[Pending], outcomes: list[StoredMessage | Exception | None]
) -> list[StoredMessage | Exception]:
    """In-batch repeats get the message their first copy stored."""
    first: dict[DedupeKey, StoredMessage] = {}
    for pending, outcome in zip(batch, outcomes, strict=True):
        if pending.key is not None and isinstance(outcome, StoredMessage):
            first.setdefault(pending.key, outcome)
    resolved: list[StoredMessage | Exception] = []
    for pending, outcome in zip(batch, outcomes, strict=True):
        if outcome is None:
            assert pending.key is not None
            outcome = replace(first[pending.key], replayed=True)
        resolved.append(outcome)
    return resolved
