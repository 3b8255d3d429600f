"""The room fan-out fast path (hub.fanout): real python-socketio clients over loopback, against
socket.io servers that use the hub's client managers (and, for two nodes, a real Redis)."""

from __future__ import annotations

import asyncio
import logging
import socket as so
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import socketio
from aiohttp import web
from socketio import packet as sio_packet

from hub.app import _socket_cluster
from hub.fanout import FanoutManager, FanoutRedisManager, Limits, LocalFanout, ws_frame
from hub.keys import REALTIME
from hub.lean_sockets import LeanServer
from hub.realtime import user_room
from tests.hub.conftest import StartHub, person_id
from tests.hub.sockets import WAIT, Peer, joined

ROOM = "room:1"
Server = Callable[[web.Application], Awaitable[Any]]


class Recorder:
    """A real socket.io client that records every event it gets, in arrival order."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.got: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.sio.on("*", self._any)
        self.sio.on("ask", self._answer)

    async def _any(self, event: str, *args: Any) -> None:
        self.got.put_nowait((event, args[0] if len(args) == 1 else args))

    async def _answer(self, value: Any) -> Any:
        self.got.put_nowait(("ask", value))
        return {"answer": value * 2}

    async def take(self, count: int) -> list[tuple[str, Any]]:
        return [await asyncio.wait_for(self.got.get(), WAIT) for _ in range(count)]

    def pending(self) -> list[tuple[str, Any]]:
        return [self.got.get_nowait() for _ in range(self.got.qsize())]


@dataclass
class Node:
    sio: socketio.AsyncServer
    manager: LocalFanout
    url: str = ""
    gone: asyncio.Queue[tuple[str, Any]] = field(default_factory=asyncio.Queue)
    sids: dict[str, str] = field(default_factory=dict)  # client name (auth) -> sid
    send_buffer: int = 0  # a small kernel send buffer for every accepted socket (0: default)

    async def client(self, name: str, transport: str = "websocket") -> Recorder:
        peer = Recorder()
        await peer.sio.connect(self.url, auth={"name": name}, transports=[transport],
                               wait_timeout=WAIT)  # fmt: skip
        return peer

    @property
    def stats(self) -> Any:
        return self.manager.fanout.stats


async def start_node(
    aiohttp_server: Server,
    manager: LocalFanout,
    ping_timeout: int = 20,
    ping_interval: int = 1,
    server_class: type[socketio.AsyncServer] = socketio.AsyncServer,
) -> Node:
    # A long poll is held for a ping interval plus timeout: a polling client's close waits it.
    sio = server_class(
        async_mode="aiohttp",
        client_manager=manager,
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
    )
    node = Node(sio, manager)

    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        node.sids[auth["name"]] = sid
        if node.send_buffer:
            raw = environ["aiohttp.request"].transport.get_extra_info("socket")
            raw.setsockopt(so.SOL_SOCKET, so.SO_SNDBUF, node.send_buffer)
        await sio.enter_room(sid, ROOM)

    async def disconnect(sid: str, reason: Any) -> None:
        node.gone.put_nowait((sid, reason))

    sio.on("connect", connect)
    sio.on("disconnect", disconnect)
    app = web.Application()
    sio.attach(app)
    server = await aiohttp_server(app)
    node.url = str(server.make_url("/"))
    return node


@pytest.fixture
async def clients() -> AsyncIterator[list[Recorder]]:
    made: list[Recorder] = []
    yield made
    for peer in made:
        if peer.sio.connected:
            await peer.sio.disconnect()


async def test_frames_are_what_a_server_sends() -> None:
    assert ws_frame(b"42", 0x1) == b"\x81\x0242"
    assert ws_frame(b"x" * 300, 0x2)[:4] == b"\x82\x7e\x01\x2c"
    assert ws_frame(b"x" * 70000, 0x1)[:10] == b"\x81\x7f" + (70000).to_bytes(8, "big")


async def test_websocket_and_polling_members_get_text_and_binary_in_order(
    aiohttp_server: Server, clients: list[Recorder]
) -> None:
    node = await start_node(aiohttp_server, FanoutManager(), ping_timeout=1)
    ws, poller = await node.client("ws"), await node.client("poll", "polling")
    skipped = await node.client("skip")
    clients.extend([ws, poller, skipped])
    blob = bytes(range(256)) * 3
    await node.sio.emit("text", {"n": 1}, to=ROOM)
    await node.sio.emit("blob", {"n": 2, "data": blob, "more": [b"\x00", "x"]}, to=ROOM)
    await node.sio.emit("args", (3, b"\xff"), to=ROOM, skip_sid=node.sids["skip"])
    expected = [
        ("text", {"n": 1}),
        ("blob", {"n": 2, "data": blob, "more": [b"\x00", "x"]}),
        ("args", (3, b"\xff")),
    ]
    assert await ws.take(3) == expected
    assert await poller.take(3) == expected
    assert await skipped.take(2) == expected[:2]
    assert node.stats.direct >= 3
    assert node.stats.queued >= 3


@pytest.mark.parametrize("server_class", [socketio.AsyncServer, LeanServer])
async def test_order_per_socket_across_fast_path_and_queued_packets(
    aiohttp_server: Server, clients: list[Recorder], server_class: type[socketio.AsyncServer]
) -> None:
    """Emits gathered in one loop turn, packets put in the queue between them (acks use that
    path) and emits with a callback (python-socketio's own path, which awaits): each socket
    gets them in the order they were sent, on python-engineio's sockets and the hub's."""
    node = await start_node(aiohttp_server, FanoutManager(), server_class=server_class)

    async def burst(sid: str, count: int) -> dict[str, Any]:
        eio_sid = node.manager.eio_sid_from_sid(sid, "/")
        for i in range(count):
            if i % 3 == 1:  # python-socketio's per-socket send (acks use it): the queue
                event = node.sio.packet_class(sio_packet.EVENT, data=["seq", i], namespace="/")
                await node.sio._send_packet(eio_sid, event)
            elif i % 10 == 5:  # a callback: one packet per recipient, sent from tasks
                await node.sio.emit("seq", i, to=sid, callback=lambda *_: None)
            else:  # gathered, or queued behind a packet still in the queue
                await node.sio.emit("seq", i, to=ROOM)
            if i % 7 == 0:
                await asyncio.sleep(0)  # the writer catches up now and then
        return {"done": count}

    node.sio.on("burst", burst)
    first, second = await node.client("a"), await node.client("b")
    clients.extend([first, second])
    direct, queued, writes = node.stats.direct, node.stats.queued, node.stats.writes
    assert await first.sio.call("burst", 60, timeout=WAIT) == {"done": 60}
    got = await first.take(60)
    assert [e for e, _ in got] == ["seq"] * 60
    assert [v for _, v in got] == list(range(60))
    room_only = [i for i in range(60) if i % 3 != 1 and i % 10 != 5]
    assert [v for _, v in await second.take(len(room_only))] == room_only
    assert node.stats.direct > direct  # the first emit found the writers idle
    assert node.stats.queued > queued
    assert node.stats.writes - writes < node.stats.direct - direct  # some writes carried more


async def test_emits_of_one_loop_turn_share_one_write_per_socket(
    aiohttp_server: Server, clients: list[Recorder]
) -> None:
    node = await start_node(aiohttp_server, FanoutManager(), ping_interval=25)
    peers = [await node.client(name) for name in ("a", "b", "c")]
    clients.extend(peers)
    direct, writes = node.stats.direct, node.stats.writes
    for i in range(10):  # no emit awaits anything: all ten run in one loop turn
        await node.sio.emit("seq", i, to=ROOM)
    for peer in peers:
        assert [v for _, v in await peer.take(10)] == list(range(10))
    assert node.stats.direct - direct == 30
    assert node.stats.writes - writes == 3


async def test_bytes_gathered_for_a_socket_that_closes_are_dropped_with_it(
    aiohttp_server: Server, clients: list[Recorder], caplog: pytest.LogCaptureFixture
) -> None:
    node = await start_node(aiohttp_server, FanoutManager(), ping_interval=25)
    stay, leave = await node.client("stay"), await node.client("leave")
    clients.extend([stay, leave])
    eio_sid = node.manager.eio_sid_from_sid(node.sids["leave"], "/")
    transport = node.manager.fanout.websockets[eio_sid].transport
    assert transport is not None
    writes = node.stats.writes
    with caplog.at_level(logging.WARNING):
        await node.sio.emit("seq", 1, to=ROOM)
        transport.abort()  # the connection goes after an emit, before the turn's writes
        await node.sio.emit("seq", 2, to=ROOM)
        sid, _ = await asyncio.wait_for(node.gone.get(), WAIT)
    assert sid == node.sids["leave"]
    assert await stay.take(2) == [("seq", 1), ("seq", 2)]
    assert node.stats.writes == writes + 1  # the staying socket's: none to the aborted one
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_acks_both_ways_still_work(aiohttp_server: Server, clients: list[Recorder]) -> None:
    node = await start_node(aiohttp_server, FanoutManager())

    async def echo(sid: str, value: Any) -> Any:
        await node.sio.emit("heard", value, to=ROOM)
        return {"echo": value}

    node.sio.on("echo", echo)
    peer = await node.client("a")
    clients.append(peer)
    assert await peer.sio.call("echo", "hi", timeout=WAIT) == {"echo": "hi"}
    assert await peer.take(1) == [("heard", "hi")]
    answer = await node.sio.call("ask", 21, to=node.sids["a"], timeout=WAIT)
    assert answer == {"answer": 42}


async def test_a_socket_leaving_during_a_fan_out_does_not_hold_up_the_room(
    aiohttp_server: Server, clients: list[Recorder], caplog: pytest.LogCaptureFixture
) -> None:
    node = await start_node(aiohttp_server, FanoutManager())
    stay, leave = await node.client("stay"), await node.client("leave")
    clients.extend([stay, leave])

    async def burst() -> None:
        for i in range(200):
            await node.sio.emit("seq", i, to=ROOM)
            if i % 20 == 0:
                await asyncio.sleep(0)  # let the leaving client's close interleave

    async def gone(sid: str, reason: Any) -> None:  # emits while `sid` is still a member
        await node.sio.emit("left", sid, to=ROOM)
        node.gone.put_nowait((sid, reason))

    node.sio.on("disconnect", gone)
    with caplog.at_level(logging.WARNING):
        await asyncio.gather(burst(), leave.sio.disconnect())
        sid, _ = await asyncio.wait_for(node.gone.get(), WAIT)
    got = await stay.take(201)
    assert [v for e, v in got if e == "seq"] == list(range(200))
    assert ("left", sid) in got
    assert sid not in dict(node.manager.get_participants("/", ROOM))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_slow_consumer_is_disconnected_and_the_room_keeps_flowing(
    aiohttp_server: Server, clients: list[Recorder], caplog: pytest.LogCaptureFixture
) -> None:
    manager = FanoutManager()
    manager.fanout.limits = Limits(buffered_bytes=64 * 1024, queued_packets=64)
    node = await start_node(aiohttp_server, manager)
    node.send_buffer = 8192  # the kernel takes little from the server for any one socket
    fast, slow = await node.client("fast"), await node.client("slow")
    clients.extend([fast, slow])
    stalled = slow.sio.eio.ws._writer.transport  # aiohttp's; the client stops reading it
    stalled.get_extra_info("socket").setsockopt(so.SOL_SOCKET, so.SO_RCVBUF, 4096)
    stalled.pause_reading()
    text, sent = "x" * 8000, 0
    with caplog.at_level(logging.WARNING, logger="gridhub.fanout"):
        while node.gone.empty() and sent < 500:  # bounded: 4 MB at most
            await node.sio.emit("seq", {"i": sent, "t": text}, to=ROOM)
            assert (await fast.take(1))[0][1]["i"] == sent  # the room flows
            sent += 1
        sid, _ = await asyncio.wait_for(node.gone.get(), WAIT)
    stalled.resume_reading()  # so it sees the closed connection and its clean-up is quick
    assert sid == node.sids["slow"]
    assert node.stats.slow_disconnects == 1
    assert any("slow consumer disconnected" in r.getMessage() for r in caplog.records)
    for i in range(sent, sent + 5):
        await node.sio.emit("seq", {"i": i}, to=ROOM)
    assert [v["i"] for _, v in await fast.take(5)] == list(range(sent, sent + 5))
    assert sid not in dict(manager.get_participants("/", ROOM))


async def test_the_byte_limit_counts_what_one_loop_turn_gathered(
    aiohttp_server: Server, clients: list[Recorder], caplog: pytest.LogCaptureFixture
) -> None:
    """A burst of emits within one loop turn to a socket that reads nothing: it is dropped
    within that turn, before the bytes it could not take pile up in memory."""
    manager = FanoutManager()
    manager.fanout.limits = Limits(buffered_bytes=256 * 1024, queued_packets=64)
    node = await start_node(aiohttp_server, manager, ping_interval=25)
    node.send_buffer = 8192
    fast, slow = await node.client("fast"), await node.client("slow")
    clients.extend([fast, slow])
    stalled = slow.sio.eio.ws._writer.transport
    stalled.get_extra_info("socket").setsockopt(so.SOL_SOCKET, so.SO_RCVBUF, 4096)
    stalled.pause_reading()
    text = "x" * 8000
    with caplog.at_level(logging.WARNING, logger="gridhub.fanout"):
        for i in range(125):  # 1 MB to the stalled socket, none of it awaiting anything
            await node.sio.emit("seq", {"i": i, "t": text}, to=node.sids["slow"])
        assert node.stats.slow_disconnects == 1  # already, within the turn
        sid, _ = await asyncio.wait_for(node.gone.get(), WAIT)
    stalled.resume_reading()
    assert sid == node.sids["slow"]
    assert any("slow consumer disconnected" in r.getMessage() for r in caplog.records)
    await node.sio.emit("after", 1, to=ROOM)
    assert await fast.take(1) == [("after", 1)]


async def test_rooms_across_two_nodes_on_redis(
    aiohttp_server: Server, clients: list[Recorder], redis_url: str
) -> None:
    channel = f"fanout-test-{uuid.uuid4().hex}"
    first = await start_node(aiohttp_server, FanoutRedisManager(redis_url, channel=channel))
    second = await start_node(aiohttp_server, FanoutRedisManager(redis_url, channel=channel))
    here, there = await first.client("here"), await second.client("there")
    clients.extend([here, there])
    await until_subscribed(first, there)
    here.pending()
    direct = second.stats.direct
    blob = b"\x01\x02" * 500
    for i in range(20):
        await first.sio.emit("seq", {"i": i, "blob": blob}, to=ROOM)
    expected = [("seq", {"i": i, "blob": blob}) for i in range(20)]
    assert await here.take(20) == expected
    assert await there.take(20) == expected
    assert second.stats.direct >= direct + 20  # the other node's fast path delivered them


async def until_subscribed(sender: Node, peer: Recorder) -> None:
    """The other node reads Redis once its listener has subscribed: probe until it delivers."""
    for attempt in range(50):
        await sender.sio.emit("probe", attempt, to=ROOM)
        try:
            await asyncio.wait_for(peer.got.get(), 0.2)
        except TimeoutError:
            continue
        peer.pending()
        return
    raise AssertionError("the second node never delivered an emit published on Redis")


async def test_the_hub_uses_the_fast_path(start_hub: StartHub, peers: list[Peer]) -> None:
    hub = await start_hub()
    realtime = hub.client.server.app[REALTIME]
    assert isinstance(realtime.sio.manager, FanoutManager)
    worker = await joined(hub.client, peers, "w01")
    pid = await person_id(hub.client.server.app, "w01")
    direct = realtime.sio.manager.fanout.stats.direct
    await realtime.emit("probe.fast", {"ok": 1}, user_room(pid))
    assert await worker.next("probe.fast") == {"ok": 1}
    assert realtime.sio.manager.fanout.stats.direct == direct + 1
    cluster = _socket_cluster(hub.settings.model_copy(update={"redis_url": "redis://127.0.0.1:1"}))
    assert isinstance(cluster["client_manager"], FanoutRedisManager)


async def test_concurrent_emits_reach_the_other_node_in_this_nodes_order(
    aiohttp_server: Server, clients: list[Recorder], redis_url: str
) -> None:
    """Emits started together (as concurrent channel sends are) are delivered on the emitting
    node in one order; the other node must see that order too, not the order in which pooled
    Redis connections happened to get their PUBLISH through."""
    channel = f"fanout-test-{uuid.uuid4().hex}"
    first = await start_node(aiohttp_server, FanoutRedisManager(redis_url, channel=channel))
    second = await start_node(aiohttp_server, FanoutRedisManager(redis_url, channel=channel))
    here, there = await first.client("here"), await second.client("there")
    clients.extend([here, there])
    await until_subscribed(first, there)
    here.pending()
    await asyncio.gather(*(first.sio.emit("seq", {"i": i}, to=ROOM) for i in range(60)))
    local = [v["i"] for _, v in await here.take(60)]
    assert sorted(local) == list(range(60))
    assert [v["i"] for _, v in await there.take(60)] == local
