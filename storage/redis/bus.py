"""Cluster bus transport over Redis Streams.

Layout and semantics (implements ``hub.contracts.BusTransport`` structurally; storage never
imports the hub):

* Every topic is one stream, ``gridhub:bus:<topic>``; an entry has one field ``p`` holding the
  opaque payload. ``XADD`` trims with ``MAXLEN ~ maxlen`` (approximate, cheap).
* ``publish`` goes through a batching writer: entries collected for up to ~1 ms or 100 entries
  are sent in one pipeline. ``publish`` returns once its entry is in Redis, so entries from one
  transport land in call order and a returned publish is durable.
* ``subscribe(group=None)`` is a broadcast subscription: one reader task that ``XREAD``s the
  stream from its last entry at subscribe time (a resolved ``$``) so every node sees every entry
  published after ``subscribe`` returned.
* ``subscribe(group="name")`` shares work: the consumer group is created with ``MKSTREAM`` at
  ``$`` when it does not exist yet, so a brand-new group starts with new entries and never
  replays retained history; an existing group resumes where it stopped, so entries published
  while every member was down are still handled. Each subscription reads with ``XREADGROUP`` as
  its own consumer ``<node_id>:<instance uuid>:<n>`` and ``XACK``s an entry after its handler
  returned (also when it raised: the bus logs handler errors), so a crash before the ack leaves
  the entry pending. Every ``claim_idle_ms / 2`` the reader runs ``XAUTOCLAIM`` for entries
  pending longer than ``claim_idle_ms`` (a dead consumer's) and handles them: delivery is
  at-least-once. A consumer working through a batch renews the entries still waiting in it
  once ``claim_idle_ms / 2`` has passed (a script restarts the idle time of those it still
  holds and skips any another consumer took meanwhile), so a slow batch is not handled twice;
  a single handler slower than ``claim_idle_ms`` may see its entry handled again elsewhere.
  On unsubscribe or close a consumer with nothing pending is deleted (atomically, by a
  script, so a late delivery can never be dropped with it).
* ``flush`` waits until local subscriptions have handled every entry that was in their streams
  when it was called (whoever published it) and everything this transport published meanwhile
  (handlers may publish more). A group subscription is settled when the group delivered past
  that point and this consumer has nothing left pending up to it (other consumers' shares are
  theirs to flush). Waiting is event-driven: readers signal progress, flush never polls.
* Reads block for at most 2 s (inside redis-py's default 5 s socket timeout; group readers
  block at most claim_idle_ms / 2 so claims stay on time). ``close`` sends what is queued, stops
  the readers, deletes idle consumers and closes the connection pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from redis.typing import KeyT, StreamIdT

RawHandler = Callable[[bytes], Awaitable[None]]
Unsubscribe = Callable[[], Awaitable[None]]
StreamId = tuple[int, int]

KEY_PREFIX: Final = "gridhub:bus:"
FIELD: Final = b"p"
ZERO: Final[StreamId] = (0, 0)
BATCH_MAX: Final = 100
LINGER_S: Final = 0.001
READ_COUNT: Final = 100
BLOCK_MS: Final = 2_000  # stays below redis-py's default 5 s socket timeout
CANCEL_RETRY_S: Final = 0.05
RETRY_MIN_S: Final = 0.05
RETRY_MAX_S: Final = 5.0

# Delete a consumer only while it has nothing pending; DELCONSUMER would drop pending entries.
FORGET_CONSUMER: Final = """
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then
  return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
return -1
"""

# Renew the entries a consumer still holds (ARGV[3..]) so no one reclaims them while it works
# through its batch; returns the ones it still held (any other was reclaimed: not handled here).
RENEW_PENDING: Final = """
local held = {}
for i = 3, #ARGV do
  if #redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2]) == 1 then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    held[#held + 1] = ARGV[i]
  end
end
return held
"""

log = logging.getLogger("gridhub.bus.redis")


def stream_key(topic: str) -> str:
    return KEY_PREFIX + topic


def parse_id(raw: bytes | str) -> StreamId:
    text = raw.decode() if isinstance(raw, bytes) else raw
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def format_id(entry_id: StreamId) -> str:
    return f"{entry_id[0]}-{entry_id[1]}"


@dataclass(frozen=True, slots=True)
class _Entry:
    id: StreamId
    raw_id: bytes
    payload: bytes | None  # None: the entry was trimmed away before it was read


def _entry(item: Any) -> _Entry:
    raw_id, fields = item[0], item[1]
    payload = fields.get(FIELD) if fields else None
    return _Entry(parse_id(raw_id), raw_id, payload)


def _stream_entries(response: Any) -> list[_Entry]:
    """Entries of an XREAD/XREADGROUP reply (RESP2: [[key, [(id, fields), ...]], ...])."""
    return [_entry(item) for _key, items in response or () for item in items]


# --- writer ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Outgoing:
    key: str
    payload: bytes
    done: asyncio.Future[bytes]


class _BatchWriter:
    """Sends queued XADDs in pipelines of up to `max_batch`, lingering `linger_s` to fill one."""

    def __init__(self, redis: Redis, maxlen: int, max_batch: int, linger_s: float) -> None:
        self._redis = redis
        self._maxlen = maxlen
        self._max_batch = max_batch
        self._linger_s = linger_s
        self._queue: list[_Outgoing] = []
        self._waiting = asyncio.Event()
        self._full = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None

    async def write(self, key: str, payload: bytes) -> bytes:
        """Queue one entry; return its stream ID once Redis has it."""
        done: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._queue.append(_Outgoing(key, payload, done))
        self._idle.clear()
        self._waiting.set()
        if len(self._queue) >= self._max_batch:
            self._full.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="redis-bus-writer")
        return await done

    async def close(self) -> None:
        """Send what is queued, then stop."""
        await self._idle.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        try:
            while True:
                await self._waiting.wait()
                await self._linger()
                await self._send(self._take())
        finally:
            _fail(self._queue, RuntimeError("bus is closed"))

    async def _linger(self) -> None:
        if len(self._queue) >= self._max_batch:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._linger_s):
                await self._full.wait()

    def _take(self) -> list[_Outgoing]:
        batch = self._queue[: self._max_batch]
        del self._queue[: self._max_batch]
        if len(self._queue) < self._max_batch:
            self._full.clear()
        if not self._queue:
            self._waiting.clear()
        return [item for item in batch if not item.done.done()]

    async def _send(self, batch: list[_Outgoing]) -> None:
        try:
            results = await self._pipeline(batch) if batch else []
        except Exception as exc:
            _fail(batch, exc)
        else:
            for item, result in zip(batch, results, strict=True):
                _settle(item.done, result)
        finally:
            if not self._queue:
                self._idle.set()

    async def _pipeline(self, batch: list[_Outgoing]) -> list[Any]:
        pipe = self._redis.pipeline(transaction=False)
        for item in batch:
            pipe.xadd(item.key, {FIELD: item.payload}, maxlen=self._maxlen, approximate=True)
        results: list[Any] = await pipe.execute(raise_on_error=False)
        return results


def _settle(done: asyncio.Future[bytes], result: Any) -> None:
    if done.done():
        return
    if isinstance(result, BaseException):
        done.set_exception(result)
    else:
        done.set_result(result)


def _fail(batch: list[_Outgoing], exc: BaseException) -> None:
    for item in batch:
        _settle(item.done, exc)


# --- subscriptions -----------------------------------------------------------------------------


class _Subscription:
    """One reader's state; `bump` wakes everyone waiting for its progress."""

    def __init__(self, topic: str, handler: RawHandler, group: str | None, consumer: str) -> None:
        self.topic = topic
        self.key = stream_key(topic)
        self.handler = handler
        self.group = group
        self.consumer = consumer
        self.position: StreamId = ZERO  # broadcast: last entry handled (or the start point)
        self.inflight = 0  # group: entries read or claimed and not yet acknowledged
        self.next_claim = 0.0
        self.closed = False
        self.task: asyncio.Task[None] | None = None
        self.changed = asyncio.Event()

    def bump(self) -> None:
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()

    def advance(self, entry_id: StreamId) -> None:
        self.position = max(self.position, entry_id)
        self.bump()

    async def wait_until(self, done: Callable[[], bool]) -> None:
        while not self.closed and not done():
            await self.changed.wait()


class RedisBusTransport:
    """Moves opaque payloads by topic through Redis Streams (see the module docstring)."""

    def __init__(
        self,
        redis_url: str,
        *,
        node_id: str,
        claim_idle_ms: int = 30_000,
        maxlen: int = 100_000,
    ) -> None:
        if claim_idle_ms < 1 or maxlen < 1:
            raise ValueError("claim_idle_ms and maxlen must be positive")
        self._redis: Redis = Redis.from_url(redis_url, protocol=2, decode_responses=False)
        self.node_id = node_id
        self._instance = uuid.uuid4().hex[:12]
        self._sequence = itertools.count(1)
        self._claim_idle_ms = claim_idle_ms
        self._claim_every_s = max(claim_idle_ms // 2, 10) / 1000
        self._block_ms = _block_ms(self._redis)
        self._group_block_ms = min(self._block_ms, max(claim_idle_ms // 2, 10))
        self._writer = _BatchWriter(self._redis, maxlen, BATCH_MAX, LINGER_S)
        self._published: dict[str, StreamId] = {}
        self._subs: list[_Subscription] = []
        self._readers: set[asyncio.Task[None]] = set()
        self._closed = False

    async def start(self) -> None:
        """Optional: fail fast when Redis does not answer."""
        await self._redis.ping()

    async def publish(self, topic: str, payload: bytes) -> None:
        self._check_open()
        entry_id = parse_id(await self._writer.write(stream_key(topic), payload))
        self._published[topic] = max(self._published.get(topic, ZERO), entry_id)

    async def subscribe(self, topic: str, handler: RawHandler, *, group: str | None) -> Unsubscribe:
        self._check_open()
        consumer = f"{self.node_id}:{self._instance}:{next(self._sequence)}"
        sub = _Subscription(topic, handler, group, consumer)
        if group is None:
            sub.position = await self._head(sub.key)
        else:
            await self._ensure_group(sub)
        self._subs.append(sub)
        sub.task = asyncio.create_task(self._run(sub), name=f"redis-bus:{topic}:{consumer}")
        self._readers.add(sub.task)
        sub.task.add_done_callback(self._readers.discard)

        async def unsubscribe() -> None:
            await self._remove(sub)

        return unsubscribe

    async def flush(self) -> None:
        """Wait until local subscriptions handled what their streams held, and our publishes."""
        if not self._subs:
            return
        heads = await self._heads({sub.topic for sub in self._subs})
        while True:
            published = dict(self._published)
            for sub in list(self._subs):
                target = max(heads.get(sub.topic, ZERO), published.get(sub.topic, ZERO))
                await self._settle(sub, target)
            if published == self._published:
                return

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._writer.close()
        for sub in list(self._subs):
            await self._remove(sub)
        current = asyncio.current_task()
        for task in list(self._readers):  # readers of handlers that unsubscribed themselves
            if task is not current:
                await _cancel(task)
        await self._redis.aclose()

    async def backlog(self) -> list[tuple[str, str, int, int]]:
        """(topic, group, waiting, unacknowledged) for each consumer group this node reads:
        entries the group has not been handed yet (Redis 7 `lag`; unknown counts as 0), and
        entries handed to a consumer and not yet acknowledged (the group's pending list)."""
        rows = []
        for topic, group in sorted({(s.topic, s.group) for s in self._subs if s.group}):
            for info in await self._redis.xinfo_groups(stream_key(topic)):
                name = info["name"]
                if (name.decode() if isinstance(name, bytes) else name) == group:
                    rows.append((topic, group, int(info.get("lag") or 0), int(info["pending"])))
        return rows

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("bus is closed")

    # --- reading ---------------------------------------------------------------------------

    async def _run(self, sub: _Subscription) -> None:
        step = self._read_broadcast if sub.group is None else self._read_group
        delay = RETRY_MIN_S
        while not sub.closed:
            try:
                await step(sub)
                delay = RETRY_MIN_S
            except RedisError as exc:
                log.warning("bus reader failed; retrying", extra={"topic": sub.topic}, exc_info=exc)
                await asyncio.sleep(delay)  # back-off while Redis is unreachable
                delay = min(delay * 2, RETRY_MAX_S)
                await self._recover(sub, exc)
        await self._forget_consumer(sub)  # reached when a handler unsubscribed itself

    async def _read_broadcast(self, sub: _Subscription) -> None:
        streams: dict[KeyT, StreamIdT] = {sub.key: format_id(sub.position)}
        reply = await self._redis.xread(streams, count=READ_COUNT, block=self._block_ms)
        for entry in _stream_entries(reply):
            if sub.closed:
                return
            await self._deliver(sub, entry.payload)
            sub.advance(entry.id)
        sub.bump()

    async def _read_group(self, sub: _Subscription) -> None:
        assert sub.group is not None
        if asyncio.get_running_loop().time() >= sub.next_claim:
            await self._claim(sub)
        streams: dict[KeyT, StreamIdT] = {sub.key: ">"}
        reply = await self._redis.xreadgroup(
            sub.group, sub.consumer, streams, count=READ_COUNT, block=self._group_block_ms
        )
        await self._handle_group(sub, _stream_entries(reply))

    async def _claim(self, sub: _Subscription) -> None:
        """Take over entries another (dead) consumer left pending longer than claim_idle_ms."""
        assert sub.group is not None
        sub.next_claim = asyncio.get_running_loop().time() + self._claim_every_s
        start: bytes | str = "0-0"
        while not sub.closed:
            reply = await self._redis.xautoclaim(
                sub.key, sub.group, sub.consumer, self._claim_idle_ms, start, count=READ_COUNT
            )
            entries = [_entry(item) for item in reply[1]]
            if entries:
                log.info("bus entries reclaimed", extra={"topic": sub.topic, "n": len(entries)})
            await self._handle_group(sub, entries)
            start = reply[0]
            if parse_id(start) == ZERO:
                return

    async def _handle_group(self, sub: _Subscription, entries: list[_Entry]) -> None:
        assert sub.group is not None
        sub.inflight += len(entries)
        sub.bump()
        clock = asyncio.get_running_loop().time
        renewed = clock()  # reading or claiming an entry restarts its idle time
        lost: set[bytes] = set()
        try:
            for index, entry in enumerate(entries):
                if sub.closed:
                    return  # the rest stays pending and is reclaimed elsewhere
                if clock() - renewed > self._claim_every_s:
                    renewed = clock()
                    lost |= await self._renew(sub, entries[index:])
                if entry.raw_id not in lost:  # else reclaimed meanwhile: handled elsewhere
                    await self._deliver(sub, entry.payload)
                    await self._redis.xack(sub.key, sub.group, entry.raw_id)
                sub.inflight -= 1
                sub.bump()
        finally:
            sub.inflight = 0
            sub.bump()

    async def _renew(self, sub: _Subscription, waiting: list[_Entry]) -> set[bytes]:
        """Restart the idle time of the batch's waiting entries: a batch worked through more
        slowly than claim_idle_ms would otherwise be reclaimed and handled a second time by
        another node while this one still holds it. Returns those it no longer held."""
        assert sub.group is not None
        held = await self._redis.eval(
            RENEW_PENDING, 1, sub.key, sub.group, sub.consumer, *(e.raw_id for e in waiting)
        )
        kept = {h if isinstance(h, bytes) else str(h).encode() for h in held}
        return {e.raw_id for e in waiting} - kept

    @staticmethod
    async def _deliver(sub: _Subscription, payload: bytes | None) -> None:
        if payload is None:
            return
        try:
            await sub.handler(payload)
        except Exception:
            log.exception("bus handler failed", extra={"topic": sub.topic})

    async def _recover(self, sub: _Subscription, exc: RedisError) -> None:
        if sub.group is None or "NOGROUP" not in str(exc):
            return
        with contextlib.suppress(RedisError):
            await self._ensure_group(sub)

    async def _ensure_group(self, sub: _Subscription) -> None:
        assert sub.group is not None
        try:
            await self._redis.xgroup_create(sub.key, sub.group, id="$", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    # --- flushing ----------------------------------------------------------------------------

    async def _head(self, key: str) -> StreamId:
        last = await self._redis.xrevrange(key, count=1)
        return _entry(last[0]).id if last else ZERO

    async def _heads(self, topics: set[str]) -> dict[str, StreamId]:
        ordered = sorted(topics)
        pipe = self._redis.pipeline(transaction=False)
        for topic in ordered:
            pipe.xrevrange(stream_key(topic), count=1)
        replies: list[Any] = await pipe.execute()
        return {t: parse_id(r[0][0]) for t, r in zip(ordered, replies, strict=True) if r}

    async def _settle(self, sub: _Subscription, target: StreamId) -> None:
        if target == ZERO:
            return
        if sub.group is None:
            await sub.wait_until(lambda: sub.position >= target)
            return
        while not sub.closed:
            await sub.wait_until(lambda: sub.inflight == 0)
            progress = sub.changed
            if await self._group_settled(sub, target):
                return
            await progress.wait()

    async def _group_settled(self, sub: _Subscription, target: StreamId) -> bool:
        """The group delivered past `target` and this consumer has nothing pending up to it."""
        assert sub.group is not None
        pipe = self._redis.pipeline(transaction=False)
        pipe.xinfo_groups(sub.key)
        pipe.xpending_range(sub.key, sub.group, "-", format_id(target), 1, sub.consumer)
        try:
            groups, mine = await pipe.execute()
        except ResponseError:
            return True  # the stream is gone: nothing left to handle
        delivered = next(
            (parse_id(g["last-delivered-id"]) for g in groups if g["name"] == sub.group.encode()),
            ZERO,
        )
        return delivered >= target and not mine

    # --- stopping ----------------------------------------------------------------------------

    async def _remove(self, sub: _Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
        if sub.closed:
            return
        sub.closed = True
        sub.bump()
        task = sub.task
        if task is None or task is asyncio.current_task():
            return  # a handler unsubscribing itself: its reader stops after this entry
        await _cancel(task)
        await self._forget_consumer(sub)

    async def _forget_consumer(self, sub: _Subscription) -> None:
        if sub.group is None:
            return
        with contextlib.suppress(RedisError):
            await self._redis.eval(FORGET_CONSUMER, 1, sub.key, sub.group, sub.consumer)


def _block_ms(redis: Redis) -> int:
    """How long a read may block: well inside the client's socket timeout, if it has one."""
    timeout = redis.connection_pool.connection_kwargs.get("socket_timeout")
    if not timeout:
        return BLOCK_MS
    return max(1, min(BLOCK_MS, int(float(timeout) * 500)))


async def _cancel(task: asyncio.Task[None]) -> None:
    """Cancel and await a reader.

    Cancelling again while it runs on: on Python 3.11 `asyncio.wait_for` (which redis-py uses to
    send a command) can swallow a cancellation that arrives as the send completes, and the reader
    would then sit in a blocking read.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=CANCEL_RETRY_S)
    with contextlib.suppress(asyncio.CancelledError):
        await task
