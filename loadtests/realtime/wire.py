"""A receive-only Engine.IO v4 / Socket.IO v5 client written straight on a TCP connection.

The fan-out benchmarks compare servers that deliver a few hundred thousand frames a second to
one load-generator core; a receiver built on aiohttp's WebSocket client spends about 6 µs of
that core per frame (reader task wake-up, message object, queue), so the generator, not the
server, set the pace (issue #24). Here an `asyncio.Protocol` does the HTTP upgrade itself and
cuts the frames out of each chunk the kernel hands over: every frame of a chunk is stamped with
the chunk's arrival time and kept as bytes, and parsed only after the measured window.

What it speaks: the WebSocket upgrade (RFC 6455 §4, with the accept check), unmasked server
frames (text, binary, close, ping), masked client frames (the Socket.IO connect with its auth,
Engine.IO pongs, WebSocket pongs and the close), and the Engine.IO / Socket.IO packets a
receiver sees (open, ping, close, connect answer, disconnect, events). No permessage-deflate is
offered, so servers send plain frames; a fragmented message is refused (no server here sends one).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import struct
import time
from typing import Any, cast
from urllib.parse import urlsplit

from loadtests.realtime.lean import ConnectRefused, split_event

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3
TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA
MAX_HANDSHAKE = 16 * 1024  # an upgrade answer longer than this is not one


def client_frame(payload: bytes, opcode: int = TEXT) -> bytes:
    """One final frame, masked as every client frame must be (RFC 6455 §5.3)."""
    mask, size = os.urandom(4), len(payload)
    key = int.from_bytes((mask * (size // 4 + 1))[:size], "big")
    masked = (int.from_bytes(payload, "big") ^ key).to_bytes(size, "big")
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return head + mask + masked


def upgrade_request(host: str, port: int, path: str, key: bytes) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key.decode()}",
        "Sec-WebSocket-Version: 13",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def accept_value(key: bytes) -> bytes:
    return base64.b64encode(hashlib.sha1(key + WS_GUID).digest())


def split_frames(buf: bytearray) -> tuple[list[tuple[int, bytes]], int]:
    """The complete server frames at the start of `buf` as (first byte, payload), and how many
    bytes they took. Server frames carry no mask (RFC 6455 §5.1)."""
    frames: list[tuple[int, bytes]] = []
    pos, end = 0, len(buf)
    while end - pos >= 2:
        size, head = buf[pos + 1] & 0x7F, 2
        if size == 126:
            if end - pos < 4:
                break
            size, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
        elif size == 127:
            if end - pos < 10:
                break
            size, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
        if pos + head + size > end:
            break
        frames.append((buf[pos], bytes(buf[pos + head : pos + head + size])))
        pos += head + size
    return frames, pos


class WireReceiver(asyncio.Protocol):
    """One authenticated receiving socket; `raw_sink` (once set) collects
    (arrival time, Engine.IO message payload as bytes) for every Socket.IO event."""

    def __init__(self, key: bytes, auth: bytes) -> None:
        self.raw_sink: list[tuple[float, Any]] | None = None
        self.closed = False
        self.close_reason = ""
        self.pings = 0
        self._key = key
        self._auth = auth
        self._buf = bytearray()
        self._upgraded = False
        self._transport: asyncio.Transport | None = None
        self._connected: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pings_wanted: tuple[int, asyncio.Future[None]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        at = time.time()
        self._buf += data
        if not self._upgraded and not self._handshake():
            return
        frames, used = split_frames(self._buf)
        del self._buf[:used]
        sink = self.raw_sink
        for first, payload in frames:
            if sink is not None and first == 0x81 and payload[:2] == b"42":
                sink.append((at, payload))  # the hot path: a Socket.IO event, kept unparsed
            else:
                self._frame(first, payload, at)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(f"connection lost: {exc!r}" if exc else "websocket closed")
        if not self._lost.done():
            self._lost.set_result(None)

    async def wait_closed(self) -> None:
        """Until the connection is gone (closed by the server, or by `close`)."""
        await self._lost

    async def close(self) -> None:
        """Send a normal close (1000) and wait until the connection is gone."""
        self.closed = True
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.write(client_frame(struct.pack("!H", 1000), CLOSE))
            transport.close()
        await self._lost

    def _handshake(self) -> bool:
        """Consume the 101 answer once it is complete; True when frames may follow."""
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buf) > MAX_HANDSHAKE:
                self._abort("upgrade answer too long")
            return False
        head = bytes(self._buf[:end]).decode("latin-1").split("\r\n")
        del self._buf[: end + 4]
        pairs = (line.partition(":") for line in head[1:])
        fields = {name.strip().lower(): value.strip() for name, _, value in pairs}
        accepted = fields.get("sec-websocket-accept", "").encode() == accept_value(self._key)
        if " 101 " not in head[0] + " " or not accepted:
            self._abort(f"upgrade refused: {head[0]}")
            return False
        self._upgraded = True
        self._send(b"40" + self._auth)  # the Socket.IO connect, as soon as the socket is open
        return True

    def _frame(self, first: int, payload: bytes, at: float) -> None:
        opcode = first & 0x0F
        if not first & 0x80:
            self._abort("fragmented message")
        elif opcode == TEXT:
            self._engineio(payload, at)
        elif opcode == PING:
            self._write(client_frame(payload, PONG))
        elif opcode == CLOSE:
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self._fail(f"websocket close {code}")
            if self._transport is not None:
                self._transport.close()

    def _engineio(self, payload: bytes, at: float) -> None:
        kind = payload[:1]
        if kind == b"4":
            self._socketio(payload, at)
        elif kind == b"2":
            self.pings += 1
            self._send(b"3" + payload[1:])
            self._ping_answered()
        elif kind == b"1":
            self._fail("engine.io close")

    def _socketio(self, payload: bytes, at: float) -> None:
        kind = payload[1:2]
        if kind == b"2":
            if self.raw_sink is not None:
                self.raw_sink.append((at, payload))
        elif kind in (b"0", b"4"):
            self._connect_answer(kind, payload[2:])
        elif kind == b"1":
            self._fail("socket.io disconnect")

    async def answered_pings(self, count: int) -> None:
        """Until `count` Engine.IO pings have been answered (the server's heartbeat works)."""
        if self.pings < count:
            self._pings_wanted = (count, asyncio.get_running_loop().create_future())
            await self._pings_wanted[1]

    def _ping_answered(self) -> None:
        wanted = self._pings_wanted
        if wanted is not None and self.pings >= wanted[0] and not wanted[1].done():
            wanted[1].set_result(None)

    def _connect_answer(self, kind: bytes, body: bytes) -> None:
        if self._connected.done():
            return
        answer = json.loads(body) if body else None
        if kind == b"0":
            self._connected.set_result(answer)
        else:
            self._connected.set_exception(ConnectRefused(json.dumps(answer)))

    def _send(self, text: bytes) -> None:
        self._write(client_frame(text))

    def _write(self, frame: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(frame)

    def _abort(self, reason: str) -> None:
        self._fail(reason)
        if self._transport is not None:
            self._transport.abort()

    def _fail(self, reason: str) -> None:
        self.close_reason = self.close_reason or reason
        self.closed = True
        if not self._connected.done():
            self._connected.set_exception(ConnectionError(reason))


def event_args(payload: bytes) -> list[Any]:
    """The arguments of a kept `42[…]` event payload (the Engine.IO `4` dropped, as
    `lean.split_event` reads Socket.IO packets)."""
    args = split_event(payload[1:].decode())[1]
    return args if isinstance(args, list) else []


async def open_wire_receiver(
    base_url: str, auth: dict[str, Any], wait_s: float = 30.0
) -> WireReceiver:
    """Connect, upgrade and complete the Socket.IO connect with `auth`."""
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    key = base64.b64encode(os.urandom(16))
    loop = asyncio.get_running_loop()
    auth_json = json.dumps(auth).encode()
    _, receiver = await loop.create_connection(lambda: WireReceiver(key, auth_json), host, port)
    assert receiver._transport is not None
    path = (url.path.rstrip("/") or "") + "/socket.io/?EIO=4&transport=websocket"
    receiver._transport.write(upgrade_request(host, port, path, key))
    try:
        await asyncio.wait_for(asyncio.shield(receiver._connected), wait_s)
    except BaseException:
        receiver._abort("connect failed")
        raise
    return receiver
