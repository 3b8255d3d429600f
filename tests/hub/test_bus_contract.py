"""One behavioural contract for every bus transport, run through `hub.bus.MessageBus`.

The `transport` fixture stands for one backend and hands out "nodes": for the in-process
transport every node shares the one MemoryBusTransport (a single-node hub); for Redis each node
is its own RedisBusTransport on the same server, as separate hub processes would be.
Nothing here sleeps to synchronise: tests await `flush()` or an inbox reaching a count.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any, ClassVar, Generic, TypeVar

import msgpack
import pytest
from redis.asyncio import Redis

from hub.bus import MessageBus
from hub.contracts import BusTransport
from hub.messages import DomainMessage, encode
from storage.memory.bus import MemoryBusTransport
from storage.redis import bus as redis_bus
from storage.redis.bus import RedisBusTransport, stream_key

WAIT_S = 10.0
# Live nodes reclaim nothing from each other unless a handler stalls this long (the product's
# default); the reclaim tests below give their rescuers a short one of their own.
LIVE_CLAIM_IDLE_MS = 30_000
CLAIM_IDLE_MS = 200


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Ping(DomainMessage):
    topic: ClassVar[str] = "test.bus.ping"
    seq: int
    source: str = ""
    tags: tuple[str, ...] = ()
    matrix: tuple[tuple[int, ...], ...] = ()
    blob: bytes = b""
    ratio: float = 0.0
    flag: bool = False
    note: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Pong(DomainMessage):
    topic: ClassVar[str] = "test.bus.pong"
    seq: int


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Indexed(DomainMessage):
    topic: ClassVar[str] = "test.bus.indexed"
    by_name: dict[str, tuple[int, ...]] = dataclasses.field(default_factory=dict)
    by_id: dict[int, str] = dataclasses.field(default_factory=dict)


M = TypeVar("M", bound=DomainMessage)


class Inbox(Generic[M]):
    """A handler that records messages; tests await a count instead of sleeping."""

    def __init__(self) -> None:
        self.items: list[M] = []
        self._changed = asyncio.Event()

    async def __call__(self, message: M) -> None:
        self.items.append(message)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(WAIT_S):
            while len(self.items) < count:
                await self._changed.wait()

    def seqs(self) -> list[int]:
        return [getattr(m, "seq", -1) for m in self.items]


class Transports:
    """One backend under test; `node()` is a bus as one hub process would have it."""

    def __init__(self, kind: str, redis_url: str | None) -> None:
        self.kind = kind
        self._redis_url = redis_url
        self._shared = MemoryBusTransport()
        self._made: list[BusTransport] = [self._shared]

    def transport(self, *, claim_idle_ms: int = LIVE_CLAIM_IDLE_MS) -> BusTransport:
        if self._redis_url is None:
            return self._shared
        made = RedisBusTransport(
            self._redis_url, node_id=f"node{len(self._made)}", claim_idle_ms=claim_idle_ms
        )
        self._made.append(made)
        return made

    def node(self) -> MessageBus:
        return MessageBus(self.transport())

    async def close(self) -> None:
        for made in reversed(self._made):
            await made.close()


async def flush_all(*buses: MessageBus, within: float = WAIT_S) -> None:
    async with asyncio.timeout(within):
        for bus in buses:
            await bus.flush()


async def drop_test_streams(redis_url: str) -> None:
    """Drop this module's streams (and their groups) left by earlier tests."""
    client = Redis.from_url(redis_url)
    async for key in client.scan_iter(match=stream_key("test.bus.*")):
        await client.delete(key)
    await client.aclose()


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Redis]:
    await drop_test_streams(redis_url)
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture(params=["memory", "redis"])
async def transport(request: pytest.FixtureRequest) -> AsyncIterator[Transports]:
    redis_url = None
    if request.param == "redis":
        redis_url = request.getfixturevalue("redis_url")
        await drop_test_streams(redis_url)
    transports = Transports(request.param, redis_url)
    yield transports
    await transports.close()


@pytest.fixture
def bus(transport: Transports) -> MessageBus:
    return transport.node()


def group_name() -> str:
    return f"workers-{uuid.uuid4().hex[:8]}"


# --- the contract ----------------------------------------------------------------------------


async def test_message_round_trips_with_equal_fields(bus: MessageBus) -> None:
    inbox: Inbox[Ping] = Inbox()
    await bus.listen(Ping, inbox)
    sent = Ping(
        seq=7,
        source="here",
        tags=("a", "b"),
        matrix=((1, 2), (3,), ()),
        blob=b"\x00\xffraw",
        ratio=0.25,
        flag=True,
        note=None,
    )
    await bus.publish(sent)
    await flush_all(bus)
    assert inbox.items == [sent]
    got = inbox.items[0]
    assert type(got) is Ping
    assert got is not sent
    assert isinstance(got.tags, tuple)
    assert all(isinstance(row, tuple) for row in got.matrix)
    assert (got.message_id, got.sent_at) == (sent.message_id, sent.sent_at)


async def test_order_is_preserved_per_subscription(bus: MessageBus) -> None:
    listener: Inbox[Ping] = Inbox()
    worker: Inbox[Ping] = Inbox()
    await bus.listen(Ping, listener)
    await bus.subscribe(Ping, worker, group=group_name())
    for seq in range(200):
        await bus.publish(Ping(seq=seq))
    await flush_all(bus)
    assert listener.seqs() == list(range(200))
    assert worker.seqs() == list(range(200))


async def test_every_listening_node_gets_every_message(transport: Transports) -> None:
    node_a, node_b = transport.node(), transport.node()
    inbox_a: Inbox[Ping] = Inbox()
    inbox_b: Inbox[Ping] = Inbox()
    await node_a.listen(Ping, inbox_a)
    await node_b.listen(Ping, inbox_b)

    async def publish_from(node: MessageBus, source: str) -> None:
        for seq in range(30):
            await node.publish(Ping(seq=seq, source=source))

    await asyncio.gather(publish_from(node_a, "a"), publish_from(node_b, "b"))
    await flush_all(node_a, node_b)
    for inbox in (inbox_a, inbox_b):
        assert len(inbox.items) == 60
        for source in ("a", "b"):
            assert [m.seq for m in inbox.items if m.source == source] == list(range(30))


async def test_a_group_handles_each_message_once_across_nodes(transport: Transports) -> None:
    node_a, node_b = transport.node(), transport.node()
    group = group_name()
    inbox_a: Inbox[Ping] = Inbox()
    inbox_b: Inbox[Ping] = Inbox()
    await node_a.subscribe(Ping, inbox_a, group=group)
    await node_b.subscribe(Ping, inbox_b, group=group)
    sent = [Ping(seq=seq) for seq in range(60)]
    await asyncio.gather(*(node_a.publish(m) for m in sent[:30]))
    for message in sent[30:]:
        await node_b.publish(message)
    await flush_all(node_a, node_b)
    handled = [m.message_id for m in inbox_a.items + inbox_b.items]
    assert len(handled) == len(sent)
    assert set(handled) == {m.message_id for m in sent}
    for inbox in (inbox_a, inbox_b):
        assert inbox.seqs() == sorted(inbox.seqs())  # each member sees its share in order


async def test_different_groups_each_get_every_message(transport: Transports) -> None:
    node_a, node_b = transport.node(), transport.node()
    audit, mail = group_name(), group_name()
    audit_inboxes: list[Inbox[Ping]] = [Inbox(), Inbox()]
    mail_inbox: Inbox[Ping] = Inbox()
    await node_a.subscribe(Ping, audit_inboxes[0], group=audit)
    await node_b.subscribe(Ping, audit_inboxes[1], group=audit)
    await node_b.subscribe(Ping, mail_inbox, group=mail)
    for seq in range(40):
        await node_a.publish(Ping(seq=seq))
    await flush_all(node_a, node_b)
    assert sorted(audit_inboxes[0].seqs() + audit_inboxes[1].seqs()) == list(range(40))
    assert mail_inbox.seqs() == list(range(40))


async def test_unsubscribe_stops_delivery(bus: MessageBus) -> None:
    leaving: Inbox[Ping] = Inbox()
    leaving_worker: Inbox[Ping] = Inbox()
    staying: Inbox[Ping] = Inbox()
    stop_listening = await bus.listen(Ping, leaving)
    stop_working = await bus.subscribe(Ping, leaving_worker, group=group_name())
    await bus.listen(Ping, staying)
    await bus.publish(Ping(seq=1))
    await flush_all(bus)
    await stop_listening()
    await stop_working()
    await bus.publish(Ping(seq=2))
    await flush_all(bus)
    assert staying.seqs() == [1, 2]
    assert leaving.seqs() == [1]
    assert leaving_worker.seqs() == [1]


async def test_failing_handler_is_logged_and_isolated(
    bus: MessageBus, caplog: pytest.LogCaptureFixture
) -> None:
    attempts: list[int] = []
    other: Inbox[Ping] = Inbox()

    async def fragile(message: Ping) -> None:
        attempts.append(message.seq)
        if message.seq == 1:
            raise ValueError("boom on 1")

    await bus.listen(Ping, fragile)
    await bus.listen(Ping, other)
    with caplog.at_level(logging.ERROR, logger="gridhub.bus"):
        for seq in range(3):
            await bus.publish(Ping(seq=seq))
        await flush_all(bus)
    assert attempts == [0, 1, 2]
    assert other.seqs() == [0, 1, 2]
    failures = [r for r in caplog.records if r.getMessage() == "bus handler failed"]
    assert len(failures) == 1
    record: Any = failures[0]
    assert record.handler.endswith("fragile")
    assert record.exc_info is not None
    assert "boom on 1" in str(record.exc_info[1])


async def test_messages_of_another_type_are_not_delivered(
    transport: Transports, caplog: pytest.LogCaptureFixture
) -> None:
    raw = transport.transport()
    bus = MessageBus(raw)
    pings: Inbox[Ping] = Inbox()
    pongs: Inbox[Pong] = Inbox()
    await bus.listen(Ping, pings)
    await bus.listen(Pong, pongs)
    with caplog.at_level(logging.ERROR, logger="gridhub.bus"):
        await bus.publish(Pong(seq=1))
        await raw.publish(Ping.topic, encode(Pong(seq=2)))  # a Pong on the Ping topic
        unknown = msgpack.packb({"t": "test.bus.nobody", "d": {"seq": 3}}, use_bin_type=True)
        await raw.publish(Ping.topic, unknown)
        await bus.publish(Ping(seq=4))
        await flush_all(bus)
    assert pings.seqs() == [4]
    assert pongs.seqs() == [1]
    errors = [str(r.exc_info[1]) for r in caplog.records if r.exc_info]
    assert any("expected Ping" in e for e in errors)
    assert any("unknown message topic" in e for e in errors)


async def test_flush_waits_for_messages_published_by_handlers(bus: MessageBus) -> None:
    pongs: Inbox[Pong] = Inbox()

    async def answer(message: Ping) -> None:
        await bus.publish(Pong(seq=message.seq))

    await bus.listen(Ping, answer)
    await bus.subscribe(Pong, pongs, group=group_name())
    await flush_all(bus)  # nothing published yet: returns at once
    for seq in range(10):
        await bus.publish(Ping(seq=seq))
    await flush_all(bus)
    assert pongs.seqs() == list(range(10))


async def test_handler_may_unsubscribe_itself(
    request: pytest.FixtureRequest, transport: Transports, caplog: pytest.LogCaptureFixture
) -> None:
    bus = transport.node()
    once: Inbox[Ping] = Inbox()
    stop: list[Any] = []

    async def one_shot(message: Ping) -> None:
        await once(message)
        await stop[0]()

    stop.append(await bus.listen(Ping, one_shot))
    with caplog.at_level(logging.ERROR, logger="gridhub.bus"):
        for seq in range(3):
            await bus.publish(Ping(seq=seq))
        await flush_all(bus, within=3.0)
    assert once.seqs() == [0]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_tuples_inside_mappings_survive(bus: MessageBus) -> None:
    inbox: Inbox[Indexed] = Inbox()
    await bus.listen(Indexed, inbox)
    sent = Indexed(by_name={"north": (1, 2, 3)})
    await bus.publish(sent)
    await flush_all(bus)
    assert inbox.items == [sent]


async def test_int_keyed_mappings_survive(bus: MessageBus) -> None:
    inbox: Inbox[Indexed] = Inbox()
    await bus.listen(Indexed, inbox)
    sent = Indexed(by_id={1: "one", 2: "two"})
    await bus.publish(sent)
    await flush_all(bus)
    assert inbox.items == [sent]


# --- Redis specifics -----------------------------------------------------------------------------


async def pending_count(client: Redis, topic: str, group: str) -> int:
    summary: dict[str, Any] = await client.xpending(stream_key(topic), group)
    return int(summary["pending"])


async def test_entries_of_a_dead_group_member_are_reclaimed(
    redis_url: str, redis_client: Redis
) -> None:
    group = group_name()
    doomed = MessageBus(RedisBusTransport(redis_url, node_id="doomed", claim_idle_ms=60_000))
    publisher = MessageBus(RedisBusTransport(redis_url, node_id="publisher"))
    rescuer = MessageBus(
        RedisBusTransport(redis_url, node_id="rescuer", claim_idle_ms=CLAIM_IDLE_MS)
    )
    taken, never = asyncio.Event(), asyncio.Event()

    async def stuck(_: Ping) -> None:
        taken.set()
        await never.wait()  # handling never finishes: nothing gets acknowledged

    try:
        await doomed.subscribe(Ping, stuck, group=group)
        sent = [Ping(seq=seq) for seq in range(5)]
        await asyncio.gather(*(publisher.publish(m) for m in sent))  # one pipeline, one read
        await asyncio.wait_for(taken.wait(), WAIT_S)
        await doomed.close()  # the node dies mid-handler
        assert await pending_count(redis_client, Ping.topic, group) >= 1

        inbox: Inbox[Ping] = Inbox()
        await rescuer.subscribe(Ping, inbox, group=group)
        await inbox.wait_for(len(sent))
        await flush_all(rescuer)
        assert sorted(inbox.seqs()) == list(range(5))
        assert len({m.message_id for m in inbox.items}) == 5
        assert await pending_count(redis_client, Ping.topic, group) == 0
    finally:
        for node in (doomed, publisher, rescuer):
            await node.close()


async def test_a_live_member_working_through_a_slow_batch_keeps_it(redis_url: str) -> None:
    """A batch handled more slowly than claim_idle_ms is renewed as it goes: a live peer's
    reclaim finds nothing to take, so no entry is handled twice."""
    group, seqs = group_name(), range(40)
    claim_idle_ms, work_s = 2_000, 0.08  # the batch of 39 takes ~3 s: past the claim time
    reader = MessageBus(RedisBusTransport(redis_url, node_id="reader", claim_idle_ms=claim_idle_ms))
    peer = MessageBus(RedisBusTransport(redis_url, node_id="peer", claim_idle_ms=claim_idle_ms))
    publisher = MessageBus(RedisBusTransport(redis_url, node_id="publisher"))
    first, go, batch = asyncio.Event(), asyncio.Event(), asyncio.Event()
    by_reader: Inbox[Ping] = Inbox()

    async def working(message: Ping) -> None:
        if message.seq == 0:
            first.set()
            await go.wait()  # the rest queue up meanwhile: the next read takes them all
        else:
            batch.set()
            await asyncio.sleep(work_s)  # the work a handler does
        await by_reader(message)

    by_peer: Inbox[Ping] = Inbox()
    try:
        await reader.subscribe(Ping, working, group=group)
        await publisher.publish(Ping(seq=0))
        await asyncio.wait_for(first.wait(), WAIT_S)
        await asyncio.gather(*(publisher.publish(Ping(seq=seq)) for seq in seqs[1:]))
        await publisher.flush()
        go.set()
        await asyncio.wait_for(batch.wait(), WAIT_S)
        await peer.subscribe(Ping, by_peer, group=group)  # claims at once, then every second
        await by_reader.wait_for(len(seqs))
        await flush_all(reader, peer)
        assert by_peer.seqs() == []
        assert by_reader.seqs() == list(seqs)
    finally:
        for node in (reader, peer, publisher):
            await node.close()


async def test_publish_is_durable_batched_in_call_order_and_trimmed(
    redis_url: str, redis_client: Redis
) -> None:
    transport = RedisBusTransport(redis_url, node_id="writer", maxlen=10)
    key = stream_key("test.bus.raw")
    try:
        await asyncio.gather(*(transport.publish("test.bus.raw", b"%d" % i) for i in range(50)))
        entries: Any = await redis_client.xrange(key)
        assert [fields[b"p"] for _, fields in entries] == [b"%d" % i for i in range(50)]
        await asyncio.gather(*(transport.publish("test.bus.raw", b"x") for _ in range(950)))
        assert 10 <= await redis_client.xlen(key) < 1000  # MAXLEN ~ trims whole nodes
    finally:
        await transport.close()
    with pytest.raises(RuntimeError, match="closed"):
        await transport.publish("test.bus.raw", b"late")


async def test_concurrent_publishes_share_pipelines_of_at_most_100(
    redis_url: str, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes: list[int] = []
    send = redis_bus._BatchWriter._pipeline

    async def counting(writer: redis_bus._BatchWriter, batch: list[Any]) -> list[Any]:
        sizes.append(len(batch))
        return await send(writer, batch)

    monkeypatch.setattr(redis_bus._BatchWriter, "_pipeline", counting)
    transport = RedisBusTransport(redis_url, node_id="batcher")
    try:
        await asyncio.gather(*(transport.publish("test.bus.raw", b"x") for _ in range(250)))
    finally:
        await transport.close()
    assert sum(sizes) == 250
    assert max(sizes) == 100  # capped, and concurrent publishes really share pipelines
    assert len(sizes) <= 4
    assert await redis_client.xlen(stream_key("test.bus.raw")) == 250


async def test_a_new_group_starts_at_new_entries_and_an_old_one_resumes(
    redis_url: str, redis_client: Redis
) -> None:
    group = group_name()
    first = MessageBus(RedisBusTransport(redis_url, node_id="first"))
    second = MessageBus(RedisBusTransport(redis_url, node_id="second"))
    try:
        await first.publish(Ping(seq=0))  # before the group exists: never handled by it
        inbox: Inbox[Ping] = Inbox()
        await first.subscribe(Ping, inbox, group=group)
        await first.publish(Ping(seq=1))
        await first.close()  # every member gone; the group keeps its place
        await second.publish(Ping(seq=2))
        later: Inbox[Ping] = Inbox()
        await second.subscribe(Ping, later, group=group)
        await flush_all(second)
        assert inbox.seqs() == [1]
        assert later.seqs() == [2]
        consumers = await redis_client.xinfo_consumers(stream_key(Ping.topic), group)
        assert [c["name"].decode().split(":")[0] for c in consumers] == ["second"]
    finally:
        await first.close()
        await second.close()
