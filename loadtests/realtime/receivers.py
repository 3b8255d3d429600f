"""Receiver modes of the fan-out driver, and the generator-bound mark.

``raw`` (the default): :class:`~loadtests.realtime.wire.WireReceiver` — an asyncio protocol on
a TCP connection doing the WebSocket upgrade and framing itself and speaking Engine.IO v4 /
Socket.IO v5 by hand (``40`` connect with the token, pongs). While the run is measured, the
frames of each chunk the kernel hands over are cut out in one pass and each event costs one
list append of its bytes with the chunk's arrival time; frames are parsed after the window.

``aiohttp``: :class:`~loadtests.realtime.lean.LeanSocket` — the same protocol over aiohttp's
WebSocket client (a reader task, a message object per frame): about five times the generator
CPU per frame of ``raw``, which made the generator the limit of the fan-out comparisons.

``socketio``: a python-socketio ``AsyncClient`` per receiver (full packet decoding, handler
dispatch), for comparison: it shows how much a heavyweight client costs the generator.

Neither mode joins anything itself: the hub puts a socket into the rooms of the channels its
person is a member of when it connects (and the bare baselines put every socket in one room).
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import aiohttp
import socketio

from loadtests.realtime.lean import LeanSocket
from loadtests.realtime.wire import open_wire_receiver

RECEIVER_KINDS = ("raw", "aiohttp", "socketio")
GENERATOR_BOUND_PCT = 80.0  # the generator's core above this: the figures measure the generator


class Receiver(Protocol):
    """What the driver needs: a sink of (arrival time, frame) and a way to close."""

    raw_sink: list[tuple[float, Any]] | None
    closed: bool  # the connection ended (before the driver closed it: a drop)
    close_reason: str

    async def close(self) -> None: ...


def generator_bound(usage: dict[str, float]) -> bool:
    """True when the load generator took more than 80 % of one core in the measured window."""
    return float(usage.get("loadgen_cpu_pct", 0.0)) > GENERATOR_BOUND_PCT


class SioReceiver:
    """A python-socketio client; keeps ``(arrival time, [event, data])`` per event."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.client = socketio.AsyncClient(reconnection=False, http_session=http, ssl_verify=True)
        self.raw_sink: list[tuple[float, Any]] | None = None
        self.closed = False
        self.close_reason = ""
        self.client.on("*", self._event)
        # "*" never sees a disconnect: without this a dropped receiver just stopped receiving
        # and the run read as lost messages (issue #24: 100 of 200 "missed their last ones").
        self.client.on("disconnect", self._disconnected)

    async def _event(self, event: str, data: Any = None) -> None:
        if self.raw_sink is not None:
            self.raw_sink.append((time.time(), [event, data]))

    async def _disconnected(self, reason: Any = None) -> None:
        if not self.closed:
            self.closed = True
            self.close_reason = f"disconnect: {reason}"

    async def connect(self, url: str, token: str) -> None:
        await self.client.connect(
            url, auth={"token": token}, transports=["websocket"], wait_timeout=30
        )

    async def close(self) -> None:
        self.closed = True
        await self.client.disconnect()


async def open_receiver(http: aiohttp.ClientSession, url: str, token: str, kind: str) -> Receiver:
    """A connected receiver of ``kind`` (see ``RECEIVER_KINDS``) collecting into ``raw_sink``."""
    if kind == "socketio":
        sio = SioReceiver(http)
        await sio.connect(url, token)
        sio.raw_sink = []
        return sio
    if kind == "raw":
        wire = await open_wire_receiver(url, {"token": token})
        wire.raw_sink = []
        return wire
    if kind != "aiohttp":
        raise ValueError(f"receivers must be one of {RECEIVER_KINDS}, not {kind!r}")
    lean = LeanSocket(http, url)
    await lean.connect({"token": token})
    lean.raw_sink = []
    return lean
