"""Group commit for channel messages: one writer task, one transaction per batch, durable acks.

Appends queue up; the writer takes everything waiting (up to `batch_max`), locks the touched
channel rows in id order, drops resends it already stored, bumps each channel's `last_offset`
once, inserts the rows and commits. Only then are the callers' futures resolved, so an ack
always means the message is committed.

The batch is what queued while the previous commit ran: under load batches grow by themselves,
and a message arriving at an idle writer is committed at once. A linger (`batch_window_s` > 0,
waiting that long after the first for more) only delays acks: at 1,000 msg/s from one sender
the 2 ms linger was most of the ack's median (4.0 ms; 1.2 ms without; docs/benchmarks.md).

The row lock is held to the commit, so offset N+1 is only ever visible once N is committed:
a client that sees N+1 can recover N. In a cluster, the batch's channels are noted in the
write journal before the commit, so if this node dies before fanning them out, a survivor
announces their heads (hub.channel_heads).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hub.contracts import WriteJournal
from hub.errors import InvalidInput, NotFound
from storage.message_sink import Item, integrity_errors, open_sink
from storage.message_sink import StoredMessage as StoredMessage  # the one row type, handed on
from storage.models import ChannelMessage

MESSAGE_KINDS = frozenset({"text", "image", "file", "voice", "location", "system"})
CLIENT_MSG_ID_MAX = 64
log = logging.getLogger("gridhub.channels")


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


@dataclass(slots=True)
class Pending:
    """One queued append and the future its caller awaits."""

    item: Item
    future: asyncio.Future[StoredMessage] = field(repr=False)


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
        self,
        sessions: async_sessionmaker[AsyncSession],
        batch_max: int,
        batch_window_s: float,
        journal: WriteJournal | None = None,
    ) -> None:
        engine = sessions.kw.get("bind")
        if not isinstance(engine, AsyncEngine):
            raise TypeError("the channel writer needs a session factory bound to an engine")
        self._sink = open_sink(engine.url.render_as_string(hide_password=False))
        self._journal = journal
        self._known: set[int] = set()
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
        await self._sink.close()

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
        if self._window <= 0:
            return self._drain(batch)
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

    def _drain(self, batch: list[Pending]) -> bool:
        """Add what is queued now, without waiting; True on the sentinel."""
        while len(batch) < self._batch_max:
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                return False
            if item is None:
                return True
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
            await self._note(batch)
            outcomes = await self._write_retrying(batch)
        except Exception as exc:  # nothing half-acked: the whole batch fails together
            for pending in batch:
                _settle(pending, exc)
            return
        self.batches_committed += 1
        for pending, outcome in zip(batch, outcomes, strict=True):
            _settle(pending, outcome)

    async def _note(self, batch: list[Pending]) -> None:
        """Name the channels in the journal before committing to them (cluster only). Without
        Redis the commit still goes ahead: the fan-out needs Redis too and would fail, so the
        sender gets no ack and resends, and a resend is fanned out again."""
        if self._journal is None:
            return
        try:
            await self._journal.note({p.item.channel_id for p in batch})
        except Exception:
            log.warning("write journal unreachable; committing anyway", exc_info=True)

    async def _write_retrying(self, batch: list[Pending]) -> list[StoredMessage | Exception]:
        """A resend racing another hub process hits the unique key; the retry then finds it."""
        try:
            return await self._write(batch)
        except integrity_errors():
            return await self._write(batch)

    async def _write(self, batch: list[Pending]) -> list[StoredMessage | Exception]:
        written = await self._sink.write([p.item for p in batch], self._known)
        self.messages_committed += written.inserted
        return [
            _outcome(o, again) for o, again in zip(written.outcomes, written.replayed, strict=True)
        ]


def _outcome(outcome: StoredMessage | str, replayed: bool) -> StoredMessage | Exception:
    if outcome == "no_channel":
        return NotFound("channel.not_found", "no such channel")
    if outcome == "no_sender":
        return NotFound("channel.sender_unknown", "no such person")
    assert isinstance(outcome, StoredMessage)
    return dataclasses.replace(outcome, replayed=True) if replayed else outcome


_STOP = object()


def _settle(pending: Pending, outcome: StoredMessage | BaseException) -> None:
    if pending.future.done():
        return
    if isinstance(outcome, BaseException):
        pending.future.set_exception(outcome)
    else:
        pending.future.set_result(outcome)
