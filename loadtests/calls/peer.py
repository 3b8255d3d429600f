"""A bench call party: a socket.io client of the hub plus an aiortc peer connection.

ICE stays on 127.0.0.1: `loopback_only()` makes aioice gather loopback host candidates only
(its own discovery skips loopback) and the peers get no STUN/TURN servers.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import socketio
from aiortc import AudioStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from media.ice import gather_only

WAIT_S = 10.0


def loopback_only() -> None:
    gather_only(["127.0.0.1"])


async def sign_in(url: str, username: str, password: str) -> tuple[str, int]:
    """Access token and person id of `username`."""
    async with aiohttp.ClientSession(url) as http:
        body = {"username": username, "password": password}
        async with http.post("/api/v1/auth/login", json=body) as resp:
            resp.raise_for_status()
            token = str((await resp.json())["access_token"])
        async with http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}) as me:
            me.raise_for_status()
            return token, int((await me.json())["person_id"])


class Party:
    """One signed-in device; server events land in queues by name."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.queues: dict[str, asyncio.Queue[Any]] = {}
        self.pc: Any = None
        self.sio.on("*", self._any)

    async def _any(self, event: str, data: Any = None) -> None:
        self.queue(event).put_nowait(data)

    def queue(self, event: str) -> asyncio.Queue[Any]:
        return self.queues.setdefault(event, asyncio.Queue())

    async def connect(self, url: str, token: str) -> None:
        await self.sio.connect(url, auth={"token": token}, transports=["websocket"])

    async def next(self, event: str) -> Any:
        return await asyncio.wait_for(self.queue(event).get(), WAIT_S)

    async def ok(self, event: str, data: Any) -> dict[str, Any]:
        reply: dict[str, Any] = await self.sio.call(event, data, timeout=WAIT_S)
        if not reply.get("ok"):
            raise RuntimeError(f"{event} refused: {reply}")
        return reply

    def new_pc(self) -> tuple[asyncio.Future[float], asyncio.Future[float]]:
        """A fresh peer connection sending (silent) audio; when it connected (ICE and DTLS),
        and when it decoded its first remote audio frame (perf_counter times)."""
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTrack(AudioStreamTrack())
        loop = asyncio.get_running_loop()
        connected: asyncio.Future[float] = loop.create_future()
        first: asyncio.Future[float] = loop.create_future()
        pc = self.pc

        def state() -> None:
            if pc.connectionState == "connected" and not connected.done():
                connected.set_result(time.perf_counter())

        async def receive(track: Any) -> None:
            await track.recv()
            if not first.done():
                first.set_result(time.perf_counter())

        self.pc.on("connectionstatechange", state)
        self.pc.on("track", lambda track: asyncio.ensure_future(receive(track)))
        return connected, first

    async def describe(self, call_id: int, kind: str, description: Any) -> None:
        """Apply a local offer/answer and send it (its candidates inside: aiortc gathers first)."""
        await self.pc.setLocalDescription(description)
        sdp = self.pc.localDescription.sdp
        await self.ok("call.signal", {"call_id": call_id, "kind": kind, "sdp": sdp})

    async def apply(self, signal: dict[str, Any]) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(signal["sdp"], signal["kind"]))

    async def close_pc(self) -> None:
        if self.pc is not None:
            await self.pc.close()
            self.pc = None
