"""Engine.IO sockets with fewer objects per idle connection (issue #24, goal 4).

python-engineio gives every WebSocket client five asyncio tasks while it sits idle: the request
handler, a reader task wrapped in `asyncio.wait_for` (which makes a second task), a writer task
also in `wait_for` (a third and fourth), and a ping task asleep for the ping interval; and an
`asyncio.Queue` of four deques. At ten thousand sockets those are most of the memory a socket
costs. Here the protocol stays the same (open, ping/pong, message, upgrade from polling, close),
but an idle WebSocket socket holds its request handler (which reads), one writer task, a timer
for the next ping and a queue that allocates storage only while packets wait.

With hub/fanout.py (which writes to these sockets' transports and queues), this module is where
the hub relies on python-engineio's socket internals (`AsyncSocket`'s attributes, the `connect`
event order in `AsyncServer._handle_connect`, the async driver table). It was written against
python-engineio 4.15 and python-socketio 5.18; tests/hub/test_lean_sockets.py fails if a newer
release moves what it relies on.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

import engineio
import socketio
from aiohttp import WSMsgType, web
from engineio import exceptions, packet
from engineio.async_socket import AsyncSocket

SocketHandler = Any  # the bound `_websocket_handler` python-engineio passes to its driver


class PacketQueue:
    """The part of `asyncio.Queue` engine.io sockets use (put, get, task_done, join), with
    storage and waiter lists made only while something waits: an idle socket's queue is one
    small object instead of four deques and an Event."""

    __slots__ = ("_getters", "_items", "_joiners", "_unfinished")

    def __init__(self) -> None:
        self._items: deque[Any] | None = None
        self._getters: list[asyncio.Future[None]] | None = None
        self._joiners: list[asyncio.Future[None]] | None = None
        self._unfinished = 0

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        self._unfinished += 1
        self._wake_getter()

    async def put(self, item: Any) -> None:  # unbounded, like engine.io's queue
        self.put_nowait(item)

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        item = self._items.popleft()
        if not self._items:
            self._items = None  # an idle socket keeps no deque
        return item

    async def get(self) -> Any:
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            self._getters = self._getters or []
            self._getters.append(waiter)
            try:
                await waiter
            except BaseException:
                self._drop_getter(waiter)
                raise
        return self.get_nowait()

    def task_done(self) -> None:
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if self._unfinished == 0 and self._joiners:
            joiners, self._joiners = self._joiners, None
            for waiter in joiners:
                if not waiter.done():
                    waiter.set_result(None)

    async def join(self) -> None:
        if self._unfinished:
            waiter = asyncio.get_running_loop().create_future()
            self._joiners = self._joiners or []
            self._joiners.append(waiter)
            await waiter

    def _wake_getter(self) -> None:
        while self._getters:
            waiter = self._getters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                break
        if not self._getters:
            self._getters = None

    def _drop_getter(self, waiter: asyncio.Future[None]) -> None:
        """A cancelled getter hands a wake-up it may have received on to the next one."""
        if self._getters and waiter in self._getters:
            self._getters.remove(waiter)
        if not self._getters:
            self._getters = None
        if self._items and waiter.done() and not waiter.cancelled():
            self._wake_getter()


class LeanWebSocket:
    """python-engineio's aiohttp WebSocket driver, with the read timeout (ping interval plus
    ping timeout) given to aiohttp, so no `wait_for` task wraps each read."""

    def __init__(self, handler: SocketHandler, server: engineio.AsyncServer) -> None:
        self.handler = handler
        self.server = server
        self.response: web.WebSocketResponse | None = None

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        server = self.server
        self.response = web.WebSocketResponse(
            max_msg_size=server.max_http_buffer_size,
            receive_timeout=server.ping_interval + server.ping_timeout,
        )
        await self.response.prepare(environ["aiohttp.request"])
        _let_go_of_handshake(environ, self.response)
        await self.handler(self)
        return self.response

    async def send(self, message: str | bytes) -> None:
        assert self.response is not None
        if isinstance(message, bytes):
            await self.response.send_bytes(message)
        else:
            await self.response.send_str(message)

    async def wait(self) -> str | bytes | None:
        """The next text or binary message; None once the client has gone, timed out, sent
        something too large, or the connection failed."""
        assert self.response is not None
        try:
            msg = await self.response.receive()
        except (TimeoutError, RuntimeError):  # silent past the read timeout, or closed
            return None
        if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
            return None
        data: str | bytes = msg.data
        return None if len(data) > self.server.max_http_buffer_size else data

    async def close(self) -> None:
        assert self.response is not None
        await self.response.close()


# What engine.io's environ keeps once the WebSocket is open; the hub reads the request itself.
ENVIRON_KEPT = ("aiohttp.request", "REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "REMOTE_ADDR")


def _let_go_of_handshake(environ: dict[str, Any], response: web.WebSocketResponse) -> None:
    """Once the 101 answer is written, drop what only the handshake needed but the socket would
    hold for its whole life: the answer's headers (the security headers among them: written
    once, never read again) and environ's copies of the request headers, `HTTP_*` (python-
    socketio keeps environ per socket; the request, headers and all, stays in it)."""
    response.headers.clear()
    kept = {key: environ[key] for key in ENVIRON_KEPT if key in environ}
    environ.clear()  # in place: the frames of the request's handler share this dict
    environ.update(kept)


class LeanSocket(AsyncSocket):  # type: ignore[misc]  # python-engineio has no type hints
    """An engine.io socket whose ping is a timer and whose WebSocket transport runs in the
    request's own task plus one writer task. Adds no state: sockets are re-classed to it."""

    last_ping: float | None  # python-engineio's attributes this class sets
    connected: bool
    upgraded: bool
    upgrading: bool

    def schedule_ping(self) -> None:
        if self.last_ping:  # the previous ping was answered
            self.last_ping = None
            asyncio.get_running_loop().call_later(self.server.ping_interval, self._ping_due)

    def _ping_due(self) -> None:
        if not self.closing and not self.closed:
            self.last_ping = time.time()
            self.queue.put_nowait(packet.Packet(packet.PING))

    async def _websocket_handler(self, ws: LeanWebSocket) -> None:
        if self.connected:  # an upgrade from long-polling: probe first
            if not await self._upgrade_handshake(ws):
                return
        else:
            self.connected = True
        self.upgraded = True
        writer = asyncio.ensure_future(self._write(ws))
        try:
            await self._read(ws)
        finally:
            await self.queue.put(None)  # ends the writer after what is queued
            try:
                await writer
            finally:  # also when aiohttp cancels this task as the connection goes
                reason = self.server.reason.TRANSPORT_CLOSE
                await self.close(wait=False, abort=True, reason=reason)

    async def _upgrade_handshake(self, ws: LeanWebSocket) -> bool:
        self.upgrading = True  # packets wait in the queue until the upgrade is done
        try:
            probe = await ws.wait()
            if probe is None or _decode(probe) != (packet.PING, "probe"):
                return False
            await ws.send(packet.Packet(packet.PONG, data="probe").encode())
            await self.queue.put(packet.Packet(packet.NOOP))  # ends the pending long-poll
            upgrade = await ws.wait()
            return upgrade is not None and _decode(upgrade)[0] == packet.UPGRADE
        finally:
            self.upgrading = False

    async def _read(self, ws: LeanWebSocket) -> None:
        while (data := await ws.wait()) is not None:
            try:
                await self.receive(packet.Packet(encoded_packet=data))
            except exceptions.SocketIsClosedError:
                return
            except (exceptions.UnknownPacketError, ValueError, IndexError):
                continue  # a packet we cannot read is dropped, as python-engineio does
            except Exception:
                self.server.logger.exception("engine.io receive failed")

    async def _write(self, ws: LeanWebSocket) -> None:
        """Send queued packets in order until the None the reader queues at its end. After a
        failed send the rest is only taken off the queue, so `close(wait=True)` never waits
        on a socket that cannot write."""
        broken = False
        while (pkt := await self.queue.get()) is not None:
            self.queue.task_done()
            if broken:
                continue
            try:
                await ws.send(pkt.encode())
            except Exception:  # the connection broke: closing it ends the reader too
                broken = True
                await ws.close()
        self.queue.task_done()
        await ws.close()


def _decode(data: str | bytes) -> tuple[int, Any]:
    try:
        pkt = packet.Packet(encoded_packet=data)
    except (ValueError, IndexError):
        return (-1, None)
    return (pkt.packet_type, pkt.data)


class LeanEngineServer(engineio.AsyncServer):  # type: ignore[misc]
    """python-engineio's server making `LeanSocket`s with `PacketQueue`s."""

    _async: dict[str, Any]  # python-engineio's async driver table

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._async = {**self._async, "websocket": LeanWebSocket}  # the table is shared

    def create_queue(self, *args: Any, **kwargs: Any) -> PacketQueue:
        return PacketQueue()

    async def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        # `_handle_connect` builds an `AsyncSocket` by name, then fires `connect` before it
        # schedules the first ping or starts the transport: the moment to re-class it.
        if event == "connect":
            sock = self.sockets.get(args[0])
            if type(sock) is AsyncSocket:
                sock.__class__ = LeanSocket
        return await super()._trigger_event(event, *args, **kwargs)


class LeanServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server on `LeanEngineServer`."""

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return LeanEngineServer
