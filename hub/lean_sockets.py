"""Engine.IO sockets with fewer objects per idle connection (issue #24, goal 4).

python-engineio gives every WebSocket client five asyncio tasks while it sits idle: the request
handler, a reader task wrapped in `asyncio.wait_for` (which makes a second task), a writer task
also in `wait_for` (a third and fourth), and a ping task asleep for the ping interval; and an
`asyncio.Queue` of four deques. At ten thousand sockets those are most of the memory a socket
costs. Here the protocol stays the same (open, ping/pong, message, upgrade from polling, close),
but an idle WebSocket socket holds its request's task (which reads, in as few frames as can be,
without a read timeout: a missed pong closes the socket), a queue that allocates storage only
while packets wait and whose parked getter starts a writer task when something is queued, and an
entry in the server's one ping clock.

With hub/fanout.py (which writes to these sockets' transports and queues), this module is where
the hub relies on python-engineio's socket internals (`AsyncSocket`'s attributes, the `connect`
event order in `AsyncServer._handle_connect`, the async driver table). It was written against
python-engineio 4.15 and python-socketio 5.18; tests/hub/test_lean_sockets.py fails if a newer
release moves what it relies on.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import engineio
import socketio
from aiohttp import WSMsgType, web
from engineio import exceptions, packet
from engineio.async_socket import AsyncSocket

log = logging.getLogger("gridhub.engineio")
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

    def park(self, wake: Callable[[asyncio.Future[None]], None]) -> None:
        """Wait for the next item without a task: a getter future (what hub.fanout reads as
        "the writer is parked on its empty queue") whose wake-up, a loop callback scheduled
        by the put, calls `wake`."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiter.add_done_callback(wake)
        self._getters = self._getters or []
        self._getters.append(waiter)

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
    """python-engineio's aiohttp WebSocket driver without a read timeout: a silent client is
    found by its socket's pong deadline (`LeanSocket`), so a read costs no `wait_for` task and
    no timeout object; only the upgrade's probe reads have a timeout."""

    def __init__(self, handler: SocketHandler, server: engineio.AsyncServer) -> None:
        self.handler = handler
        self.server = server
        self.response: web.WebSocketResponse | None = None

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        server = self.server
        self.response = web.WebSocketResponse(max_msg_size=server.max_http_buffer_size)
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

    async def wait(self, silent_s: float | None = None) -> str | bytes | None:
        """The next text or binary message; None once the client has gone, was silent for
        `silent_s` seconds, sent something too large, or the connection failed. (The open
        socket's read loop, `LeanSocket._websocket_handler`, reads inline: one frame less.)"""
        assert self.response is not None
        try:
            msg = await self.response.receive(silent_s)
        except (TimeoutError, RuntimeError):  # silent for too long, or closed
            return None
        return _data(msg, self.server.max_http_buffer_size)

    async def close(self) -> None:
        assert self.response is not None
        await self.response.close()


# What engine.io's environ keeps once the WebSocket is open; the hub reads the request itself.
ENVIRON_KEPT = ("aiohttp.request", "REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "REMOTE_ADDR")


def _let_go_of_handshake(environ: dict[str, Any], response: web.WebSocketResponse) -> None:
    """Once the 101 answer is written, drop what only the handshake needed but the socket would
    hold for its whole life: the answer's headers (the security headers among them: written
    once, never read again), environ's copies of the request headers, `HTTP_*` (python-
    socketio keeps environ per socket), and the connection's HTTP parser (`_let_go_of_request`)."""
    response.headers.clear()
    kept = {key: environ[key] for key in ENVIRON_KEPT if key in environ}
    environ.clear()  # in place: the frames of the request's handler share this dict
    environ.update(kept)
    _let_go_of_request(environ["aiohttp.request"])


def _let_go_of_request(request: web.BaseRequest) -> None:
    """From the upgrade on, the WebSocket's parser reads the connection: its HTTP parser and
    request queue, which aiohttp itself lets go only when the connection is lost, go now.
    (aiohttp internals: tests/hub/test_lean_sockets.py checks they are still where they were.
    The request's headers cannot go: aiohttp's `start` keeps the parsed message in a local.)"""
    protocol = request.protocol
    if protocol is not None and protocol._upgraded and protocol._payload_parser is not None:
        protocol._parser = None
        protocol._messages = EMPTY_QUEUE


# aiohttp's request queue of an upgraded connection: read (for its length) but never added to.
EMPTY_QUEUE: deque[Any] = deque(maxlen=0)


class LeanSocket(AsyncSocket):  # type: ignore[misc]  # python-engineio has no type hints
    """An engine.io socket whose next ping and pong deadline wait on the server's `PingClock`
    and whose WebSocket transport runs in the request's own task (plus a writer task while
    there is something to write). Sockets are re-classed to it when they connect."""

    last_ping: float | None  # python-engineio's attributes this class sets
    connected: bool
    upgraded: bool
    upgrading: bool
    _slot: int | None = None  # the PingClock tick of its next ping, or of the pong's deadline
    _written: asyncio.Future[None] | None = None  # set once the writing is to end

    def schedule_ping(self) -> None:
        if self.last_ping:  # just connected, or the ping out was answered
            self.last_ping = None
            self._wait(self.server.ping_interval)

    def due(self) -> None:
        """`PingClock`'s call: the next ping is due, or, with a ping out, the pong's deadline
        has passed: the client is gone (or stuck). That socket is closed with the reason
        python-engineio's own check gives ("ping timeout"); `close` ends the writer, which
        closes the WebSocket (there is no read timeout to do it)."""
        self._slot = None
        if self.closing or self.closed:
            return
        if self.last_ping is None:
            self.last_ping = time.time()
            self.queue.put_nowait(packet.Packet(packet.PING))
            self._wait(self.server.ping_timeout)
        else:
            reason = self.server.reason.PING_TIMEOUT
            _in_background(self.close(wait=False, abort=False, reason=reason))

    def _wait(self, delay: float) -> None:
        clock: PingClock = self.server.clock
        if self._slot is not None:
            clock.discard(self, self._slot)
        self._slot = clock.add(self, delay)

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        ending = not self.closing and not self.closed
        if self._slot is not None:  # a closed socket is not kept by the clock
            self.server.clock.discard(self, self._slot)
            self._slot = None
        await super().close(wait=wait, abort=abort, reason=reason)
        if ending and self.upgraded:
            # The writer ends after what is queued (the CLOSE packet, if any: python-engineio
            # leaves it out on a ping timeout) and closes the WebSocket. With no read timeout,
            # a client that never closes its end is not waited for.
            self._stop_writing()

    async def _upgrade_websocket(self, environ: dict[str, Any]) -> WebSocketToRun:
        """The WebSocket transport, handed back to `LeanEngineServer.handle_request` to run
        there: python-engineio's request frames (and what they hold: the OPEN packet, the
        parsed query) end instead of lasting as long as the connection."""
        if self.upgraded:
            raise OSError("Socket has been upgraded already")
        driver = self.server._async["websocket"](self._websocket_handler, self.server)
        return WebSocketToRun(self, driver, environ)

    async def _websocket_handler(self, ws: LeanWebSocket) -> None:
        """The WebSocket transport: reads in this (the request's) task, inline, so an idle
        socket's task is suspended in as few frames as can be; writes in a writer task that
        exists only while there is something to write (`_write`)."""
        if self.connected:  # an upgrade from long-polling: probe first
            if not await self._upgrade_handshake(ws):
                return
        else:
            self.connected = True
        self.upgraded = True
        self._wake_writer(ws)  # for what was queued before (the OPEN packet, say)
        assert ws.response is not None
        response, limit = ws.response, self.server.max_http_buffer_size
        try:
            while True:
                try:
                    data = _data(await response.receive(), limit)
                except RuntimeError:  # closed
                    break
                if data is None or not await self._take(data):
                    break
        finally:
            try:
                await self._stop_writing()  # after what is queued; closes the WebSocket
            finally:  # also when aiohttp cancels this task as the connection goes
                reason = self.server.reason.TRANSPORT_CLOSE
                await self.close(wait=False, abort=True, reason=reason)

    async def _take(self, data: str | bytes) -> bool:
        """Hand a received packet to python-engineio; False once the socket is closed."""
        try:
            await self.receive(packet.Packet(encoded_packet=data))
        except exceptions.SocketIsClosedError:
            return False
        except (exceptions.UnknownPacketError, ValueError, IndexError):
            pass  # a packet we cannot read is dropped, as python-engineio does
        except Exception:
            self.server.logger.exception("engine.io receive failed")
        return True

    async def _upgrade_handshake(self, ws: LeanWebSocket) -> bool:
        self.upgrading = True  # packets wait in the queue until the upgrade is done
        limit = self.server.ping_interval + self.server.ping_timeout
        try:
            probe = await ws.wait(limit)
            if probe is None or _decode(probe) != (packet.PING, "probe"):
                return False
            await ws.send(packet.Packet(packet.PONG, data="probe").encode())
            await self.queue.put(packet.Packet(packet.NOOP))  # ends the pending long-poll
            upgrade = await ws.wait(limit)
            return upgrade is not None and _decode(upgrade)[0] == packet.UPGRADE
        finally:
            self.upgrading = False

    def _wake_writer(self, ws: LeanWebSocket, waiter: asyncio.Future[None] | None = None) -> None:
        """Start a writer task: something was queued (`waiter`: the parked getter it woke)."""
        if waiter is None or not waiter.cancelled():
            _in_background(self._write(ws))

    async def _write(self, ws: LeanWebSocket) -> None:
        """Send what is queued, in order, then park on the empty queue and end: the next put
        starts a writer again (an idle socket has no writer task). A None ends the writing:
        the WebSocket is closed. After a failed send the WebSocket is closed too, and the
        rest only taken off the queue, so `close(wait=True)` never waits on a dead socket."""
        queue = self.queue
        while not queue.empty():
            pkt = queue.get_nowait()
            queue.task_done()
            if pkt is None:
                await self._close_websocket(ws)
                return
            try:
                await ws.send(pkt.encode())
            except Exception:  # the connection broke (or is closed): closing ends the reader
                await ws.close()
        queue.park(functools.partial(self._wake_writer, ws))

    async def _close_websocket(self, ws: LeanWebSocket) -> None:
        try:
            await ws.close()
        finally:
            if self._written is not None and not self._written.done():
                self._written.set_result(None)

    def _stop_writing(self) -> asyncio.Future[None]:
        """Queue the None that ends the writing (once) and return the future the writer
        resolves when it has closed the WebSocket, after what was queued before."""
        if self._written is None:
            self._written = asyncio.get_running_loop().create_future()
            self.queue.put_nowait(None)
        return self._written


def _data(msg: Any, limit: int) -> str | bytes | None:
    """A text or binary message's data; None for anything else (close, error) or too large."""
    if msg.type is not WSMsgType.TEXT and msg.type is not WSMsgType.BINARY:
        return None
    data: str | bytes = msg.data
    return None if len(data) > limit else data


@dataclass(slots=True)
class WebSocketToRun:
    """A WebSocket transport python-engineio's request handling returned instead of running."""

    socket: LeanSocket
    driver: Any  # the server's websocket driver: hub.fanout's TrackedWebSocket(LeanWebSocket)
    environ: dict[str, Any]


_BACKGROUND: set[asyncio.Future[Any]] = set()  # the loop keeps only weak references to tasks


def _in_background(work: Coroutine[Any, Any, Any]) -> None:
    task = asyncio.ensure_future(work)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)


def _decode(data: str | bytes) -> tuple[int, Any]:
    try:
        pkt = packet.Packet(encoded_packet=data)
    except (ValueError, IndexError):
        return (-1, None)
    return (pkt.packet_type, pkt.data)


class PingClock:
    """Every socket's next ping and pong deadline on one loop timer. A timer per socket costs
    about 0.5 KB at rest (uvloop's handle, its libuv timer, the callback); here a waiting
    socket is an entry in the set of the tick it waits for (deadlines are rounded up to
    the tick), and the timer is armed for the earliest tick with sockets."""

    __slots__ = ("_due", "_next", "_timer", "tick")

    def __init__(self, tick: float) -> None:
        self.tick = tick
        self._due: dict[int, set[LeanSocket]] = {}
        self._next = 0  # the tick the timer is armed for
        self._timer: asyncio.TimerHandle | None = None

    def add(self, sock: LeanSocket, delay: float) -> int:
        """Call `sock.due()` after `delay` seconds (up to a tick later); returns its tick."""
        loop = asyncio.get_running_loop()
        slot = math.ceil((loop.time() + delay) / self.tick)
        self._due.setdefault(slot, set()).add(sock)
        if self._timer is None or slot < self._next:
            self._arm(loop, slot)
        return slot

    def discard(self, sock: LeanSocket, slot: int) -> None:
        waiting = self._due.get(slot)
        if waiting is not None:
            waiting.discard(sock)
            if not waiting:
                del self._due[slot]

    def _arm(self, loop: asyncio.AbstractEventLoop, slot: int) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._next = slot
        self._timer = loop.call_at(slot * self.tick, self._fire)

    def _fire(self) -> None:
        loop = asyncio.get_running_loop()
        self._timer = None
        now = max(self._next, math.floor(loop.time() / self.tick))
        for slot in sorted(slot for slot in self._due if slot <= now):
            for sock in self._due.pop(slot):
                try:
                    sock.due()  # may wait again, for a later tick
                except Exception:  # one socket's failure must not stop the others' pings
                    log.exception("engine.io ping failed", extra={"sid": sock.sid})
        if self._due and (self._timer is None or min(self._due) < self._next):
            self._arm(loop, min(self._due))


class LeanEngineServer(engineio.AsyncServer):  # type: ignore[misc]
    """python-engineio's server making `LeanSocket`s with `PacketQueue`s."""

    _async: dict[str, Any]  # python-engineio's async driver table

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._async = {**self._async, "websocket": LeanWebSocket}  # the table is shared
        # Pings and pong deadlines up to a second late (less with short test intervals).
        self.clock = PingClock(min(1.0, self.ping_interval / 4, self.ping_timeout / 4))

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

    async def handle_request(self, *args: Any, **kwargs: Any) -> Any:
        """python-engineio's request handling; a WebSocket it hands back (`LeanSocket.
        _upgrade_websocket`) runs here, in one frame, for as long as the connection lasts."""
        answer = await super().handle_request(*args, **kwargs)
        if type(answer) is not WebSocketToRun:
            return answer
        sock, running = answer.socket, answer.driver(answer.environ)
        del answer
        try:
            return await running
        finally:  # what python-engineio does once its WebSocket handler returns
            if sock.closed and self.sockets.get(sock.sid) is sock:
                del self.sockets[sock.sid]


class LeanServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server on `LeanEngineServer`."""

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return LeanEngineServer
