"""The hub's lean engine.io sockets (hub.lean_sockets): the same protocol, fewer objects.

Raw engine.io WebSocket clients show what is on the wire (pings from the timer, pongs,
close on a missed pong); python-socketio clients show the upgrade from long-polling; the
server's own socket table shows what an idle socket holds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType

from hub.keys import REALTIME
from hub.lean_sockets import ENVIRON_KEPT, LeanSocket, PacketQueue, PingClock
from hub.testing.clients import WAIT_S as WAIT
from tests.hub.conftest import Client, StartHub, login

FAST_PINGS = {"ping_interval_s": 0.2, "ping_timeout_s": 0.5}


class RawSocket:
    """An engine.io v4 client over one aiohttp WebSocket, read by the test itself."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def frame(self) -> str | None:
        msg = await self.ws.receive(timeout=WAIT)
        return str(msg.data) if msg.type is WSMsgType.TEXT else None

    async def expect(self, prefix: str) -> str:
        """The next frame, which must start with `prefix`; pings on the way are answered."""
        while (text := await self.frame()) is not None:
            if text == "6":  # noop (ends a long-poll during an upgrade)
                continue
            if text == "2" and prefix != "2":
                await self.ws.send_str("3")
                continue
            assert text.startswith(prefix), text
            return text
        raise AssertionError(f"closed while waiting for {prefix!r}")


@pytest.fixture
async def raw_open(client_session: aiohttp.ClientSession) -> Any:
    async def open_one(client: Client, token: str) -> RawSocket:
        url = str(client.make_url("/socket.io/?EIO=4&transport=websocket"))
        raw = RawSocket(await client_session.ws_connect(url, compress=0))
        opening = json.loads((await raw.expect("0"))[1:])
        assert "pingInterval" in opening
        assert "sid" in opening
        await raw.ws.send_str("40" + json.dumps({"token": token}))
        await raw.expect("40")
        return raw

    return open_one


@pytest.fixture
async def client_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def hub_sockets(client: Client) -> list[Any]:
    return list(client.app[REALTIME].sio.eio.sockets.values())


ENGINEIO_SOCKET_TASKS = {
    "AsyncSocket._send_ping",
    "AsyncSocket._websocket_handler.<locals>.writer",
    "AsyncSocket._websocket_handler.<locals>.websocket_wait",
    "Queue.get",
}


def _coro_name(task: asyncio.Task[Any]) -> str:
    return str(getattr(task.get_coro(), "__qualname__", ""))


def _await_chain(task: asyncio.Task[Any]) -> list[Any]:
    """The coroutines a task is suspended in, outermost first."""
    chain: list[Any] = []
    coro: Any = task.get_coro()
    while coro is not None and hasattr(coro, "cr_frame"):
        chain.append(coro)
        coro = getattr(coro, "cr_await", None)
    return chain


def _names(chain: list[Any]) -> list[str]:
    return [str(getattr(coro, "__qualname__", "")) for coro in chain]


def _coro_self(task: asyncio.Task[Any]) -> Any:
    frame = getattr(task.get_coro(), "cr_frame", None)
    return frame.f_locals.get("self") if frame is not None else None


async def test_pings_come_from_a_timer_and_the_socket_keeps_working(
    start_hub: StartHub, raw_open: Any
) -> None:
    client = (await start_hub(realtime=FAST_PINGS)).client
    raw = await raw_open(client, await login(client, "w01"))
    for _ in range(3):  # three ping cycles, each answered
        await raw.expect("2")
        await raw.ws.send_str("3")
    await raw.ws.send_str('421["presence.set",{"state":"busy"}]')
    reply = json.loads((await raw.expect("431"))[3:])
    assert reply == [{"ok": True, "state": "busy"}]
    await raw.ws.close()


def record_disconnect_reasons(client: Client) -> tuple[list[Any], asyncio.Event]:
    """Every socket.io disconnect's reason, as python-socketio hands it to the hub."""
    sio = client.app[REALTIME].sio
    original = sio.handlers["/"]["disconnect"]
    reasons: list[Any] = []
    gone = asyncio.Event()

    async def disconnect(sid: str, reason: Any = None) -> None:
        reasons.append(reason)
        await original(sid, reason)
        gone.set()

    sio.on("disconnect", disconnect)
    return reasons, gone


async def test_a_socket_that_stops_answering_pings_is_closed(
    start_hub: StartHub, raw_open: Any
) -> None:
    client = (await start_hub(realtime=FAST_PINGS)).client
    reasons, gone = record_disconnect_reasons(client)
    raw = await raw_open(client, await login(client, "w01"))
    assert await raw.frame() == "2"  # not answered
    while (text := await raw.frame()) is not None:  # the server ends it (a close packet first)
        assert text in ("1", "2"), text
    await asyncio.wait_for(gone.wait(), WAIT)  # and the hub saw the socket go
    assert reasons == [client.app[REALTIME].sio.reason.PING_TIMEOUT]


async def test_a_socket_the_server_closes_is_closed_without_waiting_for_the_client(
    client: Client, raw_open: Any
) -> None:
    # Default pings (25 s) and a client that never closes its end: only the server's own
    # close can end the connection within the test's wait (there is no read timeout).
    raw = await raw_open(client, await login(client, "w01"))
    (sock,) = hub_sockets(client)
    await client.app[REALTIME].sio.eio.disconnect(sock.sid)
    assert await raw.frame() == "1"  # engine.io's CLOSE packet, then the WebSocket closes
    assert await raw.frame() is None
    assert raw.ws.closed
    assert hub_sockets(client) == []


async def test_an_idle_socket_holds_a_timer_a_parked_queue_and_a_short_read(
    client: Client, raw_open: Any
) -> None:
    token = await login(client, "w01")
    raws = [await raw_open(client, token) for _ in range(3)]
    await raws[-1].ws.send_str('421["presence.activity",{}]')
    await raws[-1].expect("431")
    sockets = hub_sockets(client)
    assert len(sockets) == 3
    for sock in sockets:
        assert type(sock) is LeanSocket
        assert sock.upgraded
        assert sock._slot is not None  # waits on the server's clock for its next ping
        assert type(sock.queue) is PacketQueue
        assert sock.queue.empty()
        assert not hasattr(sock.queue, "__dict__")  # slots: no dict per socket
    # engine.io's environ keeps the request, not its copies of the request's headers
    # and the connection's HTTP parser is let go (the WebSocket's parser reads it now)
    for environ in client.app[REALTIME].sio.environ.values():
        assert set(environ) <= set(ENVIRON_KEPT)
        request = environ["aiohttp.request"]
        assert request.protocol._parser is None
        assert not request.protocol._messages
    tasks = asyncio.all_tasks()
    # No writer task while there is nothing to write: each queue holds the parked getter
    # whose wake-up starts one (hub.fanout reads it as "the writer is parked").
    assert not [t for t in tasks if _coro_name(t) == "LeanSocket._write"]
    for sock in sockets:
        assert sock.queue._getters is not None
        assert [g.done() for g in sock.queue._getters] == [False]
    # python-engineio's own per-socket tasks are not there: no ping task, no wait_for wrappers.
    assert not [t for t in tasks if _coro_name(t) in ENGINEIO_SOCKET_TASKS]
    # Each socket's request task reads in a short chain: python-engineio's request frames
    # (holding the OPEN packet and the parsed query) have ended, and no read has a timeout.
    readers = [c for c in map(_await_chain, tasks) if "LeanSocket._websocket_handler" in _names(c)]
    assert len(readers) == 3
    for chain in readers:
        names = _names(chain)
        assert "LeanEngineServer.handle_request" in names
        assert not {"AsyncServer.handle_request", "AsyncServer._handle_connect"} & set(names)
        assert "AsyncSocket.handle_get_request" not in names
        assert names[names.index("LeanSocket._websocket_handler") + 1].endswith(".receive")
        (handler,) = [c for c in chain if c.__qualname__ == "LeanSocket._websocket_handler"]
        assert handler.cr_frame.f_locals["response"]._receive_timeout is None
    for raw in raws:
        await raw.ws.close()


async def test_long_polling_upgrades_to_websocket(
    client: Client, client_session: aiohttp.ClientSession
) -> None:
    path = "/socket.io/?EIO=4&transport=polling"
    opening = json.loads((await (await client.get(path)).text())[1:])
    path += f"&sid={opening['sid']}"
    token = await login(client, "w01")
    await client.post(path, data="40" + json.dumps({"token": token}))
    assert (await (await client.get(path)).text()).startswith("40")
    url = str(client.make_url(path.replace("polling", "websocket")))
    raw = RawSocket(await client_session.ws_connect(url, compress=0))
    await raw.ws.send_str("2probe")
    assert await raw.expect("3") == "3probe"
    await raw.ws.send_str("5")  # upgrade: from now on everything goes over the WebSocket
    await raw.ws.send_str('421["presence.set",{"state":"busy"}]')
    assert json.loads((await raw.expect("431"))[3:]) == [{"ok": True, "state": "busy"}]
    (sock,) = hub_sockets(client)
    assert type(sock) is LeanSocket
    assert sock.upgraded
    await raw.ws.close()


async def test_packet_queue_keeps_order_and_join_waits_for_task_done() -> None:
    queue = PacketQueue()
    for item in ("a", "b", "c"):
        await queue.put(item)
    assert queue.qsize() == 3
    assert [await queue.get() for _ in range(3)] == ["a", "b", "c"]
    joined = asyncio.ensure_future(queue.join())
    queue.task_done()
    queue.task_done()
    await asyncio.sleep(0)
    assert not joined.done()
    queue.task_done()
    await asyncio.wait_for(joined, WAIT)
    with pytest.raises(ValueError, match="too many times"):
        queue.task_done()
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


async def test_a_cancelled_get_passes_its_wake_up_on() -> None:
    queue = PacketQueue()
    first = asyncio.ensure_future(queue.get())
    second = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("x")  # wakes the first getter...
    first.cancel()  # ...which is cancelled before it runs
    assert await asyncio.wait_for(second, WAIT) == "x"
    assert queue.empty()


async def test_the_ping_clock_calls_each_socket_once_in_tick_order() -> None:
    clock = PingClock(0.01)
    called: list[str] = []
    all_called = asyncio.Event()

    class Waiting:
        def __init__(self, sid: str) -> None:
            self.sid = sid

        def due(self) -> None:
            called.append(self.sid)
            if len(called) == 3:
                all_called.set()

    late, early, dropped, middle = (Waiting(sid) for sid in ("late", "early", "dropped", "mid"))
    clock.add(late, 0.08)  # type: ignore[arg-type]  # anything with due() and sid
    clock.add(early, 0.02)  # type: ignore[arg-type]
    clock.discard(dropped, clock.add(dropped, 0.03))  # type: ignore[arg-type]
    clock.add(middle, 0.05)  # type: ignore[arg-type]
    await asyncio.wait_for(all_called.wait(), WAIT)
    assert called == ["early", "mid", "late"]
