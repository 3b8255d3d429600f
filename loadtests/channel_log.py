"""A channel's messages held the way docs/protocol.md ("Delivery and recovery") asks a client.

Live `channel.message`s can arrive out of offset order in a cluster (each node fans out its own
commits), and one committed on a node that died before fanning it out never arrives live. So,
per channel, a client applies messages in offset order and keeps the highest *contiguous*
offset; a later message is held until the gap below it fills. A gap not filled live within
`GAP_WAIT_S`, a `channel.head` above the contiguous offset, and every reconnect lead to one
`channel.recover` from the contiguous offset — never from the highest offset seen. Offsets are
allocated under the channel's row lock held to commit, so a visible offset N+1 means every
offset up to N is committed and recoverable.

`ChannelLog` is the bookkeeping alone (no I/O); `ChannelFollower` drives it over any
connection whose `call(event, data)` returns the hub's ack object: the load tool's lean
sockets and python-socketio's `AsyncClient` in the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Message = dict[str, Any]
Call = Callable[[str, dict[str, Any]], Awaitable[Any]]
Applied = Callable[[list[Message]], None]

GAP_WAIT_S = 1.0  # a cluster reorders by milliseconds; a lost fan-out never fills the gap
RELOAD_LIMIT = 50  # messages fetched with channel.history when recovery is refused


@dataclass
class ChannelLog:
    """Offsets applied in order, messages held above a gap, and the head known to exist."""

    channel_id: int
    epoch: str | None = None
    contiguous: int | None = None  # None until positioned: everything is held
    head: int = 0  # the highest offset known to be committed
    held: dict[int, Message] = field(default_factory=dict)
    stale: bool = False  # a message of another epoch arrived: reload

    def position(self, epoch: str, offset: int) -> list[Message]:
        """Everything up to `offset` of `epoch` is applied (from history or a list); returns
        what held messages now apply."""
        self.epoch, self.contiguous, self.stale = epoch, offset, False
        self.held = {o: m for o, m in self.held.items() if o > offset and m["epoch"] == epoch}
        self.head = max([offset, *self.held])
        return self._drain()

    def accept(self, message: Message) -> list[Message]:
        """A message from anywhere (live, an ack, a recovery): the messages that now apply."""
        if self.epoch is not None and message["epoch"] != self.epoch:
            self.stale = True
            return []
        offset = int(message["offset"])
        self.head = max(self.head, offset)
        if self.contiguous is not None and offset <= self.contiguous:
            return []  # a duplicate: recoveries and resends overlap live delivery
        self.held.setdefault(offset, message)
        return self._drain()

    def note_head(self, epoch: str, last_offset: int) -> None:
        """A `channel.head` hint or a recover answer: the channel has committed this far."""
        if self.epoch is not None and epoch != self.epoch:
            self.stale = True
            return
        self.head = max(self.head, last_offset)

    def lacks(self, offset: int) -> bool:
        """Neither applied nor held."""
        applied = self.contiguous is not None and offset <= self.contiguous
        return not applied and offset not in self.held

    @property
    def missing(self) -> bool:
        """Offsets between the contiguous one and the head are neither applied nor held."""
        return self.contiguous is not None and self.head > self.contiguous

    def _drain(self) -> list[Message]:
        if self.contiguous is None:
            return []
        applied = []
        while (nxt := self.held.pop(self.contiguous + 1, None)) is not None:
            applied.append(nxt)
            self.contiguous += 1
        return applied


@dataclass
class Counts:
    gaps: int = 0  # gaps that waited GAP_WAIT_S (or a head hint) and led to a recovery
    recovered: int = 0  # messages that arrived through channel.recover, not live
    reloads: int = 0  # recovery refused (epoch, retention, too many): reloaded from history
    failures: int = 0  # a recover or history call that failed (retried on the next trigger)


class ChannelFollower:
    """Follows one channel over a connection: applies in order, recovers what is missing."""

    def __init__(
        self,
        channel_id: int,
        call: Call,
        on_applied: Applied,
        gap_wait_s: float = GAP_WAIT_S,
        on_reload: Callable[[], None] | None = None,
    ) -> None:
        self.log = ChannelLog(channel_id)
        self.call = call
        self.counts = Counts()
        self._on_applied = on_applied
        self._on_reload = on_reload
        self._gap_wait_s = gap_wait_s
        self._timer: asyncio.TimerHandle | None = None
        self._recovery: asyncio.Task[None] | None = None
        self._again = False

    @property
    def channel_id(self) -> int:
        return self.log.channel_id

    def start_at(self, epoch: str, offset: int) -> None:
        """Begin after `offset` (e.g. `last_offset` from channel.list): only newer messages."""
        self._apply(self.log.position(epoch, offset))
        self._watch()

    async def start_from_history(self, limit: int = RELOAD_LIMIT) -> None:
        """Begin with the newest `limit` messages."""
        await self._reload(limit)
        self._watch()

    def on_message(self, message: Message) -> None:
        """A live `channel.message` (or a send's ack) of this channel."""
        self._apply(self.log.accept(message))
        if self.log.stale:
            self.recover_now()  # a new epoch: reload
        self._watch()

    def on_head(self, hint: Message) -> None:
        """A `channel.head`: the node that should have sent the rest is gone; recover now."""
        self.log.note_head(str(hint["epoch"]), int(hint["last_offset"]))
        if self.log.missing or self.log.stale:
            self.counts.gaps += 1
            self.recover_now()

    def reconnected(self, call: Call | None = None) -> None:
        """After every (re)connect, possibly on another node: recover from the contiguous
        offset, since anything may have been committed while no socket was joined."""
        self.call = call or self.call
        self.recover_now()

    def recover_now(self) -> None:
        """Recover from the contiguous offset now, or right after the recovery under way
        (which may have started before a reconnect, on the old connection)."""
        self._cancel_timer()
        if self._recovery is None or self._recovery.done():
            self._recovery = asyncio.create_task(self._recover())
        else:
            self._again = True

    async def close(self) -> None:
        self._cancel_timer()
        if self._recovery is not None:
            self._recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recovery

    # ---- internals -----------------------------------------------------------------------

    def _apply(self, messages: list[Message]) -> None:
        if messages:
            self._on_applied(messages)

    def _watch(self) -> None:
        """Arm the gap timer when something is missing and nothing is being done about it
        (also after a failed recovery: it is retried at this pace, never in a tight loop)."""
        if not (self.log.missing or self.log.stale):
            self._cancel_timer()
        elif self._timer is None and (self._recovery is None or self._recovery.done()):
            self._timer = asyncio.get_running_loop().call_later(self._gap_wait_s, self._gap)

    def _gap(self) -> None:
        self._timer = None
        if self.log.missing or self.log.stale:
            self.counts.gaps += 1 if self.log.missing else 0
            self.recover_now()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _recover(self) -> None:
        try:
            if self.log.stale or self.log.contiguous is None or self.log.epoch is None:
                await self._reload(RELOAD_LIMIT)
            else:
                await self._recover_from(self.log.epoch, self.log.contiguous)
        except Exception:  # disconnected, timed out, refused: the next trigger tries again
            self.counts.failures += 1
        finally:
            self._recovery = None
        if self._again:
            self._again = False
            self.recover_now()
        else:
            self._watch()

    async def _recover_from(self, epoch: str, offset: int) -> None:
        """Recover after `offset`, page by page while the hub says there is `more`."""
        while True:
            position = {"channel_id": self.channel_id, "offset": offset, "epoch": epoch}
            reply = _ok(await self.call("channel.recover", {"channels": [position]}))
            result = reply["results"][0]
            if not result["recovered"]:
                await self._reload(RELOAD_LIMIT)
                return
            self.log.note_head(str(result["epoch"]), int(result["last_offset"]))
            for message in result["messages"]:
                self.counts.recovered += 1 if self.log.lacks(int(message["offset"])) else 0
                self._apply(self.log.accept(message))
            reached = self.log.contiguous
            if not result.get("more") or reached is None or reached <= offset:
                return
            offset = reached

    async def _reload(self, limit: int) -> None:
        """Start again from the newest messages (keeping live ones that arrived meanwhile)."""
        reply = _ok(
            await self.call("channel.history", {"channel_id": self.channel_id, "limit": limit})
        )
        messages: list[Message] = reply["messages"]
        if self.log.contiguous is not None:
            self.counts.reloads += 1
            if self._on_reload is not None:
                self._on_reload()
        held = self.log.held
        self.log = ChannelLog(self.channel_id)
        self.log.held = {**held, **{int(m["offset"]): m for m in messages}}
        start = int(messages[0]["offset"]) - 1 if messages else int(reply["last_offset"])
        self._apply(self.log.position(str(reply["epoch"]), start))


class RecoveryFailed(Exception):
    """The hub answered a recover or history call with an error."""


def _ok(reply: Any) -> dict[str, Any]:
    if not isinstance(reply, dict) or not reply.get("ok"):
        raise RecoveryFailed(str(reply))
    return reply
