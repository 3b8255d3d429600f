"""Room fan-out that encodes each emit once and writes the same bytes to every WebSocket.

python-socketio's room emit encodes the socket.io packet once, then starts one task per
recipient; each task puts the packet in that socket's engine.io queue, the socket's writer task
wakes up and aiohttp builds the same WebSocket frame again for that socket. Server frames are
not masked, so the bytes on the wire are identical for every WebSocket in the room.
`FanoutManager` (and `FanoutRedisManager`, whose every node delivers its own sockets the same
way) encodes the socket.io packet, the engine.io packets and their WebSocket frames once per
emit, without a task per recipient, and gathers each WebSocket's bytes of one event-loop turn
into one `transport.write` (one `send()`) per socket: channel sends are group-committed, so one
commit resumes many `channel.send` handlers in the same turn and their emits go to the same
sockets.

Order per socket. Everything else a socket is sent (acks, pings, emits with a callback, the
close) goes through its engine.io queue, which its writer task drains. A socket starts gathering
only while that queue is empty and its writer is parked on it, i.e. everything queued before
has been written; it keeps gathering while the queue stays empty. The flush is a `call_soon`
callback scheduled when the turn's first socket started gathering. The writer can only write
after a put into its queue wakes it, and that wake-up is a callback scheduled at the put, so
after the flush: asyncio and uvloop run ready callbacks first in, first out. Once something is
put in a gathering socket's queue, the socket's later emits join the queue behind it. Long-
polling sockets and sockets still upgrading always take the queue. Bytes gathered for a socket
whose WebSocket or connection closes before the flush are dropped with it (aiohttp marks the
response closed before it writes its close frame, so nothing follows a close frame).

Backpressure. A socket whose unsent bytes (gathered plus held by its transport) pass
`Limits.buffered_bytes` (or whose queue passes `Limits.queued_packets`) is a slow consumer: it
is disconnected, with a WARNING naming it and the reason, and counted
(`gridhub_fanout_slow_disconnects_total`), so it neither stalls the room nor holds memory
without bound. A socket that gathers more than `FLUSH_AT` bytes in one turn writes them at
once, so a burst alone does not count as falling behind.
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
    writes: int = 0  # transport writes that carried them (one per socket per loop turn)
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


FLUSH_AT = 1 << 16  # bytes a socket may gather in one loop turn before they are written at once


class Sink:
    """One WebSocket as the fast path sees it: wraps the engine.io server's WebSocket driver
    (python-engineio's, or the hub's lean one), is registered by engine.io sid while its
    handler runs, and gathers the bytes of one loop turn's emits for it (`pending`)."""

    __slots__ = (
        "inner", "pending", "queue", "registry", "response", "sid", "size", "socket", "transport"
    )  # fmt: skip

    def __init__(self, driver: Any, registry: dict[str, Sink], handler: Any, server: Any) -> None:
        self.inner = driver(handler, server)
        self.socket = handler.__self__  # the engine.io socket this handler belongs to
        self.sid: str = self.socket.sid
        self.queue = self.socket.queue  # made with the socket, never replaced
        self.registry = registry
        self.transport: asyncio.Transport | None = None
        self.response: Any = None  # the driver's WebSocket response, once it has one
        self.pending: list[bytes] | None = None  # None: nothing gathered this loop turn
        self.size = 0  # pending bytes plus what the transport held when gathering began

    async def __call__(self, environ: dict[str, Any]) -> Any:
        self.transport = environ["aiohttp.request"].transport
        if self.transport is not None:
            self.registry[self.sid] = self
        try:
            return await self.inner(environ)
        finally:
            if self.registry.get(self.sid) is self:
                del self.registry[self.sid]

    def writable(self) -> bool:
        """Neither the connection nor the WebSocket (either driver's response) is closing:
        aiohttp marks the response closed before it writes its close frame."""
        response = self.response
        if response is None:
            inner = self.inner
            response = getattr(inner, "_sock", None) or getattr(inner, "response", None)
            if response is None:
                return False
            self.response = response
        transport = self.transport
        return not response.closed and transport is not None and not transport.is_closing()

    def write(self) -> bool:
        """Write what was gathered (if the socket can still take it) as one write."""
        pending, self.pending = self.pending, None
        if not pending or not self.writable():
            return False  # closed since: nothing more can be sent to it
        assert self.transport is not None
        self.transport.write(pending[0] if len(pending) == 1 else b"".join(pending))
        return True


class Fanout:
    """Delivers encoded emits to an engine.io server's sockets (see the module's notes)."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.stats = FanoutStats()
        self.websockets: dict[str, Sink] = {}  # engine.io sid -> open WebSocket
        self._sockets: dict[str, Any] = {}  # the engine.io server's, by engine.io sid
        self._dirty: list[Sink] = []  # sockets with bytes gathered this loop turn
        self._dropping: set[str] = set()
        self._closing: set[asyncio.Task[None]] = set()

    def attach(self, eio_server: Any) -> None:
        """Track the WebSockets of this engine.io server (its own copy of the driver table)."""
        self._sockets = eio_server.sockets
        driver = eio_server._async["websocket"]
        tracked = functools.partial(Sink, driver, self.websockets)
        eio_server._async = {**eio_server._async, "websocket": tracked}

    def deliver(self, encoded: Encoded, eio_sids: Iterable[str]) -> None:
        """Hand `encoded` to every socket in `eio_sids`, in one pass with no await, so emits
        reach each socket in emit order. A WebSocket's bytes are gathered and written with
        the other emits of this loop turn by `_flush`; the rest go through `_enqueue`."""
        wire, size, limit = encoded.wire, len(encoded.wire), self.limits.buffered_bytes
        sinks, direct = self.websockets, 0
        for eio_sid in eio_sids:
            sink = sinks.get(eio_sid)
            if sink is None:
                self._enqueue(eio_sid, encoded)
                continue
            pending = sink.pending
            if pending is None:
                if not self._gather(sink, encoded):
                    continue
            elif sink.queue.empty():  # nothing was queued for it since it began gathering
                pending.append(wire)
                sink.size += size
                if sink.size > FLUSH_AT and self._full(sink, limit):
                    continue
            else:  # queued behind a packet put in its queue after the gathered bytes
                self._enqueue(eio_sid, encoded)
                continue
            direct += 1
        self.stats.direct += direct

    def _gather(self, sink: Sink, encoded: Encoded) -> bool:
        """A socket's first delivery this loop turn: start gathering if its writer is parked on
        its empty queue, queue behind what is not yet written (or until it is upgraded), skip a
        closing socket."""
        socket = sink.socket
        if socket.closing or socket.closed:
            return False
        if not socket.upgraded or socket.upgrading or not _parked(sink.queue):
            self._enqueue(sink.sid, encoded)
            return False
        if not sink.writable():
            return False
        assert sink.transport is not None
        sink.size = sink.transport.get_write_buffer_size() + len(encoded.wire)
        if sink.size > self.limits.buffered_bytes:
            self._drop(sink.sid, sink.socket, f"{sink.size} bytes unsent")
            return False
        if not self._dirty:
            asyncio.get_running_loop().call_soon(self._flush)
        sink.pending = [encoded.wire]
        self._dirty.append(sink)
        return True

    def _full(self, sink: Sink, limit: int) -> bool:
        """Many bytes gathered: write them now (the order is the same: nothing is queued for
        the socket) and drop the socket if the transport still holds more than `limit`.
        True when the socket takes no more (dropped, or closed meanwhile)."""
        if not sink.write():
            return True  # closed since it began gathering: later emits skip it
        self.stats.writes += 1
        assert sink.transport is not None
        sink.pending, sink.size = [], sink.transport.get_write_buffer_size()
        if sink.size <= limit:
            return False
        self._drop(sink.sid, sink.socket, f"{sink.size} bytes unsent")
        return True

    def _flush(self) -> None:
        """Write each socket's gathered bytes at once: this callback was scheduled before
        anything could wake the socket's writer (a put into its empty queue), and the loop
        runs its ready callbacks in order, so the writer writes only after these bytes."""
        dirty, self._dirty = self._dirty, []
        writes = 0
        for sink in dirty:
            try:
                writes += sink.write()
            except Exception:  # one broken socket must not leave the others' bytes unsent
                log.exception("fast-path write failed", extra={"eio_sid": sink.sid})
        self.stats.writes += writes

    def _enqueue(self, eio_sid: str, encoded: Encoded) -> None:
        socket = self._sockets.get(eio_sid)
        if socket is None or socket.closing or socket.closed or eio_sid in self._dropping:
            return
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
        sink = self.websockets.get(eio_sid)
        if sink is not None and sink.transport is not None:
            sink.pending = None
            sink.transport.abort()
        task = asyncio.ensure_future(self._closed(eio_sid, socket))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _closed(self, eio_sid: str, socket: Any) -> None:
        try:
            await socket.close(wait=False, abort=True)
        finally:
            self._dropping.discard(eio_sid)


def _parked(queue: Any) -> bool:
    """Is the socket's writer parked on its empty queue (all it was given is written)? A getter
    waiting on an asyncio.Queue is that writer: only it reads a WebSocket socket's queue."""
    if not queue.empty():
        return False
    getters = getattr(queue, "_getters", None) or ()  # asyncio.Queue's, or hub.lean_sockets'
    for getter in getters:  # noqa: SIM110  # a loop: any() and its generator cost more here
        if not getter.done():
            return True
    return False


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
        self.fanout.deliver(encoded, self._recipients(namespace, to or room, skip_sid))

    def _recipients(self, namespace: str, room: Any, skip: Any) -> list[str]:
        """The engine.io sids of a room's members but `skip` (a sid or a list of them). One
        room (or the whole namespace, room None) is read straight from the bidict's forward
        dict, as `get_participants` does, without a generator step per member."""
        one = room is None or isinstance(room, str)
        members = self.rooms[namespace].get(room) if one else None
        # sid -> eio_sid; a room's own dict is copied below before anything can change it
        pairs = dict(self.get_participants(namespace, room)) if members is None else members._fwdm
        if skip is None:
            return list(pairs.values())
        skipped = set(skip) if isinstance(skip, list) else {skip}
        return [eio_sid for sid, eio_sid in pairs.items() if sid not in skipped]


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
