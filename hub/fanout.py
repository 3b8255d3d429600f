"""Room fan-out that encodes each emit once and writes the same bytes to every WebSocket.

python-socketio's room emit encodes the socket.io packet once, then starts one task per
recipient; each task puts the packet in that socket's engine.io queue, the socket's writer task
wakes up and aiohttp builds the same WebSocket frame again for that socket. Server frames are
not masked, so the bytes on the wire are identical for every WebSocket in the room.
`FanoutManager` (and `FanoutRedisManager`, whose every node delivers its own sockets the same
way) encodes the socket.io packet, the engine.io packets and their WebSocket frames once per
emit and writes those bytes straight into each recipient's transport, within the emit, without
a task per recipient.

Order per socket. Everything else a socket is sent (acks, pings, emits with a callback, the
close) goes through its engine.io queue, which its writer task drains. The bytes are written
directly only while that queue is empty and the writer is parked on it, i.e. everything queued
before has been written; otherwise the emit's engine.io packets join the queue behind them.
Long-polling sockets and sockets still upgrading always take the queue.

Backpressure. A socket whose unsent bytes pass `Limits.buffered_bytes` (or whose queue passes
`Limits.queued_packets`) is a slow consumer: it is disconnected, with a WARNING naming it and
the reason, and counted (`gridhub_fanout_slow_disconnects_total`), so it neither stalls the
room nor holds memory without bound.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

log = logging.getLogger("gridhub.fanout")
TEXT, BINARY = 0x1, 0x2  # WebSocket opcodes (RFC 6455 §5.2)


@dataclass(frozen=True, slots=True)
class Limits:
    """How far a socket may fall behind before it is disconnected as a slow consumer."""

    buffered_bytes: int = 1 << 20  # written but not yet taken by the kernel
    queued_packets: int = 1000  # waiting in its engine.io queue


@dataclass(slots=True)
class FanoutStats:
    direct: int = 0  # deliveries written straight into a WebSocket transport
    queued: int = 0  # deliveries put into an engine.io queue (polling, writer busy)
    slow_disconnects: int = 0


def ws_frame(payload: bytes, opcode: int) -> bytes:
    """One final, unmasked WebSocket frame: what a server sends."""
    size, first = len(payload), 0x80 | opcode
    if size < 126:
        return struct.pack("!BB", first, size) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", first, 126, size) + payload
    return struct.pack("!BBQ", first, 127, size) + payload


class Encoded:
    """One emit, encoded once: engine.io packets for queues and the bytes for WebSockets."""

    __slots__ = ("_parts", "_polling", "packets", "wire")

    def __init__(self, parts: list[str | bytes]) -> None:
        self._parts = parts
        self.packets = [eio_packet.Packet(eio_packet.MESSAGE, p) for p in parts]
        self.wire = b"".join(_frame(p.encode()) for p in self.packets)
        self._polling: list[Any] | None = None

    def queued(self, websocket: bool) -> list[Any]:
        """Packets for a queue. engine.io caches a packet's first encoding, and a binary one is
        base64 text on long-polling, so polling sockets get packets of their own."""
        if websocket or all(isinstance(p, str) for p in self._parts):
            return self.packets
        if self._polling is None:
            self._polling = [eio_packet.Packet(eio_packet.MESSAGE, p) for p in self._parts]
        return self._polling


def _frame(encoded: str | bytes) -> bytes:
    if isinstance(encoded, str):
        return ws_frame(encoded.encode(), TEXT)
    return ws_frame(bytes(encoded), BINARY)


def encode(packet_class: Any, event: str, data: Any, namespace: str) -> Encoded:
    """The socket.io EVENT packet as python-socketio builds it (binary attachments apart)."""
    args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
    parts = packet_class(sio_packet.EVENT, namespace=namespace, data=[event, *args]).encode()
    return Encoded(parts if isinstance(parts, list) else [parts])


class TrackedWebSocket:
    """Wraps the engine.io server's WebSocket driver (python-engineio's, or the hub's lean one)
    and registers the connection's transport by engine.io sid while its handler runs."""

    def __init__(
        self, driver: Any, registry: dict[str, TrackedWebSocket], handler: Any, server: Any
    ) -> None:
        self.inner = driver(handler, server)
        self.sid: str = handler.__self__.sid  # the engine.io socket this handler belongs to
        self.registry = registry
        self.transport: asyncio.Transport | None = None

    async def __call__(self, environ: dict[str, Any]) -> Any:
        self.transport = environ["aiohttp.request"].transport
        if self.transport is not None:
            self.registry[self.sid] = self
        try:
            return await self.inner(environ)
        finally:
            if self.registry.get(self.sid) is self:
                del self.registry[self.sid]

    @property
    def open(self) -> bool:
        """Neither the connection nor the WebSocket (either driver's response) is closing."""
        response = getattr(self.inner, "_sock", None) or getattr(self.inner, "response", None)
        transport = self.transport
        if response is None or response.closed or transport is None:
            return False
        return not transport.is_closing()


class Fanout:
    """Delivers encoded emits to an engine.io server's sockets (see the module's notes)."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.stats = FanoutStats()
        self.websockets: dict[str, TrackedWebSocket] = {}  # engine.io sid -> open WebSocket
        self._sockets: dict[str, Any] = {}  # the engine.io server's, by engine.io sid
        self._dropping: set[str] = set()
        self._closing: set[asyncio.Task[None]] = set()

    def attach(self, eio_server: Any) -> None:
        """Track the WebSockets of this engine.io server (its own copy of the driver table)."""
        self._sockets = eio_server.sockets
        driver = eio_server._async["websocket"]
        tracked = functools.partial(TrackedWebSocket, driver, self.websockets)
        eio_server._async = {**eio_server._async, "websocket": tracked}

    def deliver(self, encoded: Encoded, participants: Iterable[tuple[str, str]], skip: Any) -> None:
        """Hand `encoded` to every participant (sid, engine.io sid) but `skip` (a sid or a
        list of them), in one pass with no await: emits reach each socket in emit order."""
        skipped = set(skip) if isinstance(skip, list) else {skip}
        sockets = self._sockets
        for sid, eio_sid in participants:
            socket = sockets.get(eio_sid)
            if sid in skipped or socket is None or socket.closing or socket.closed:
                continue
            if eio_sid in self._dropping:
                continue
            if not self._write(eio_sid, socket, encoded):
                self._enqueue(eio_sid, socket, encoded)

    def _write(self, eio_sid: str, socket: Any, encoded: Encoded) -> bool:
        """Write the bytes if nothing of this socket's is waiting to be written before them."""
        ws = self.websockets.get(eio_sid)
        if ws is None or not socket.upgraded or socket.upgrading or not _writer_idle(socket):
            return False
        transport = ws.transport
        if not ws.open or transport is None:
            return True  # closing: its handler ends the socket; nothing more can be sent
        buffered = transport.get_write_buffer_size()
        if buffered > self.limits.buffered_bytes:
            self._drop(eio_sid, socket, f"{buffered} bytes unsent")
            return True
        transport.write(encoded.wire)
        self.stats.direct += 1
        return True

    def _enqueue(self, eio_sid: str, socket: Any, encoded: Encoded) -> None:
        queue = socket.queue
        if queue.qsize() >= self.limits.queued_packets:
            self._drop(eio_sid, socket, f"{queue.qsize()} packets queued")
            return
        for pkt in encoded.queued(socket.upgraded and not socket.upgrading):
            queue.put_nowait(pkt)
        self.stats.queued += 1

    def _drop(self, eio_sid: str, socket: Any, backlog: str) -> None:
        """Disconnect a slow consumer: its transport is aborted (buffers freed at once), which
        ends the socket the usual way; a long-polling one is closed by engine.io."""
        self.stats.slow_disconnects += 1
        self._dropping.add(eio_sid)
        log.warning(
            "slow consumer disconnected: %s (limits: %d bytes, %d packets)",
            backlog,
            self.limits.buffered_bytes,
            self.limits.queued_packets,
            extra={"eio_sid": eio_sid, "reason": "fanout.slow_consumer"},
        )
        ws = self.websockets.get(eio_sid)
        if ws is not None and ws.transport is not None:
            ws.transport.abort()
        task = asyncio.ensure_future(self._closed(eio_sid, socket))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _closed(self, eio_sid: str, socket: Any) -> None:
        try:
            await socket.close(wait=False, abort=True)
        finally:
            self._dropping.discard(eio_sid)


def _writer_idle(socket: Any) -> bool:
    """Is the socket's writer parked on its empty queue (all it was given is written)? A getter
    waiting on an asyncio.Queue is that writer: only it reads a WebSocket socket's queue."""
    queue = socket.queue
    if queue.qsize():
        return False
    getters = getattr(queue, "_getters", None) or ()  # asyncio.Queue's, or hub.lean_sockets'
    return any(not getter.done() for getter in getters)


class LocalFanout(socketio.AsyncManager):  # type: ignore[misc]  # untyped library
    """An AsyncManager whose emits without a callback take the fast path on this node."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fanout = Fanout()

    def set_server(self, server: Any) -> None:
        super().set_server(server)
        self.fanout.attach(server.eio)

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        namespace = namespace or "/"
        if callback is not None or namespace not in self.rooms:
            # A callback needs an ack id per recipient: python-socketio's own path.
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid,
                               callback=callback, to=to, **kwargs)  # fmt: skip
            return
        encoded = encode(self.server.packet_class, event, data, namespace)
        self.fanout.deliver(encoded, self.get_participants(namespace, to or room), skip_sid)


class FanoutManager(LocalFanout):
    """The single-node client manager: python-socketio's, with the fast room fan-out."""


class FanoutRedisManager(socketio.AsyncRedisManager, LocalFanout):  # type: ignore[misc]
    """The cluster client manager: emits travel through Redis as before, and every node
    (this one included) delivers them to its own sockets through `LocalFanout`, which sits
    between AsyncPubSubManager and AsyncManager in the method order.

    Publishes leave in the order this node delivered the emits. python-socketio awaits each
    PUBLISH on redis-py's pooled client, so concurrent emits (concurrent channel sends) took
    different connections and reached the other nodes reordered: their members got channel
    messages out of offset order. A FIFO lock sends them one after the other."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._publishing = asyncio.Lock()  # fair: waiters go in the order they came

    async def _publish(self, data: Any) -> Any:
        async with self._publishing:
            return await super()._publish(data)
