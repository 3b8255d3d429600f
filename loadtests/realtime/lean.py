"""A lean Socket.IO v5 / Engine.IO v4 client over one aiohttp WebSocket.

One reader task per socket and no per-message allocations beyond the frame itself, so a
single process can hold thousands of sockets. Only the default namespace and text frames
(JSON) are spoken, which is what the hub uses.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp

AckCallback = Callable[[Any, float], None]
EventHandler = Callable[[str, Any, float], None]


class ConnectRefused(Exception):
    """The server answered the Socket.IO connect with a connect_error (``44``)."""


def socket_url(base: str) -> str:
    return base.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"


def split_event(packet: str) -> tuple[int | None, list[Any]]:
    """``2<id>[...]`` or ``3<id>[...]`` (without the leading ``4``) → (ack id, args)."""
    start = 1
    while start < len(packet) and packet[start].isdigit():
        start += 1
    ack_id = int(packet[1:start]) if start > 1 else None
    args = json.loads(packet[start:]) if start < len(packet) else []
    return ack_id, args


class LeanSocket:
    """One authenticated socket. ``raw_sink`` (if set) collects event frames unparsed."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._session = session
        self._url = socket_url(base_url)
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._acks: dict[int, AckCallback] = {}
        self._next_id = 0
        self._connected: asyncio.Future[Any] | None = None
        self.handler: EventHandler | None = None
        self.raw_sink: list[tuple[float, Any]] | None = None  # (arrival, frame text)
        self.pings = 0
        self.closed = False
        self.close_reason = ""

    async def connect(self, auth: dict[str, Any], wait_s: float = 30.0) -> Any:
        """Open the WebSocket and complete the Socket.IO connect; returns the ``40`` payload."""
        self._ws = await self._session.ws_connect(
            self._url, autoping=True, heartbeat=None, compress=0, timeout=aiohttp.ClientWSTimeout()
        )
        self._connected = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())
        await self._ws.send_str("40" + json.dumps(auth))
        return await asyncio.wait_for(self._connected, wait_s)

    async def emit(self, event: str, data: Any) -> None:
        await self._send("42" + json.dumps([event, data]))

    async def emit_ack(self, event: str, data: Any, on_ack: AckCallback) -> None:
        """Send an event with an ack id; ``on_ack(data, received_at)`` runs when it arrives."""
        self._next_id += 1
        self._acks[self._next_id] = on_ack
        await self._send(f"42{self._next_id}" + json.dumps([event, data]))

    async def call(self, event: str, data: Any, wait_s: float = 30.0) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def done(result: Any, _at: float) -> None:
            if not future.done():
                future.set_result(result)

        await self.emit_ack(event, data, done)
        return await asyncio.wait_for(future, wait_s)

    async def close(self) -> None:
        self.closed = True
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _send(self, text: str) -> None:
        if self._ws is None:
            raise ConnectionError("socket is not open")
        await self._ws.send_str(text)

    async def _read(self) -> None:
        ws = self._ws
        assert ws is not None
        try:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    await self._frame(msg.data)
                elif msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE):
                    break
        except (aiohttp.ClientError, ConnectionError, asyncio.CancelledError) as exc:
            self.close_reason = repr(exc)
        finally:
            self._finish(self.close_reason or "websocket closed")

    def _finish(self, reason: str) -> None:
        self.closed = True
        self.close_reason = self.close_reason or reason
        if self._connected is not None and not self._connected.done():
            self._connected.set_exception(ConnectionError(reason))

    async def _frame(self, text: str) -> None:
        kind = text[:1]
        if kind == "2":
            self.pings += 1
            await self._send("3" + text[1:])
        elif kind == "4":
            self._packet(text[1:], time.time())
        elif kind == "1":
            self.close_reason = "engine.io close"

    def _packet(self, packet: str, at: float) -> None:
        kind = packet[:1]
        if kind == "2":
            self._event(packet, at)
        elif kind == "3":
            ack_id, args = split_event(packet)
            callback = self._acks.pop(ack_id, None) if ack_id is not None else None
            if callback is not None:
                callback(args[0] if args else None, at)
        elif kind in ("0", "4"):
            self._connect_answer(kind, packet[1:])
        elif kind == "1":
            self.close_reason = "socket.io disconnect"

    def _event(self, packet: str, at: float) -> None:
        if self.raw_sink is not None:
            self.raw_sink.append((at, packet))
            return
        if self.handler is not None:
            _ack, args = split_event(packet)
            self.handler(str(args[0]), args[1] if len(args) > 1 else None, at)

    def _connect_answer(self, kind: str, body: str) -> None:
        future = self._connected
        if future is None or future.done():
            return
        payload = json.loads(body) if body else None
        if kind == "0":
            future.set_result(payload)
        else:
            future.set_exception(ConnectRefused(json.dumps(payload)))
