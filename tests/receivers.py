"""A channel receiver that follows docs/protocol.md ("Delivery and recovery") to the letter.

A real python-socketio client whose `channel.message` and `channel.head` events go through the
reference helper (loadtests/channel_log.py). It may move to another node (`connect` again,
then `reconnected`), as a client behind a load balancer does when its node dies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import socketio

from loadtests.channel_log import GAP_WAIT_S, ChannelFollower, Message

WAIT = 15.0


class Receiver:
    def __init__(
        self,
        channel_id: int,
        gap_wait_s: float = GAP_WAIT_S,
        http: aiohttp.ClientSession | None = None,  # e.g. one that trusts a proxy's TLS
    ) -> None:
        self.http = http
        self.applied: list[Message] = []
        self.arrived: list[int] = []  # live offsets in arrival order (to see reordering)
        self.heads: list[dict[str, Any]] = []
        self.sio: socketio.AsyncClient | None = None
        self.follower = ChannelFollower(channel_id, self._call, self._applied, gap_wait_s)
        self.gone = asyncio.Event()  # the current socket dropped
        self._progress = asyncio.Event()

    @property
    def offsets(self) -> list[int]:
        return [m["offset"] for m in self.applied]

    async def connect(self, url: str, token: str) -> None:
        """A new socket (a node chosen by the caller); the old one, if any, is gone."""
        sio = socketio.AsyncClient(reconnection=False, http_session=self.http)
        gone = self.gone = asyncio.Event()
        sio.on("disconnect", gone.set)
        sio.on("channel.message", self._message)
        sio.on("channel.head", self._head)
        await sio.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=WAIT)
        self.sio = sio

    def reconnected(self) -> None:
        self.follower.reconnected()

    async def until(self, done: Callable[[], bool], wait: float = WAIT) -> None:
        """Until `done()` holds after something was applied (bounded by `wait`)."""

        async def progress() -> None:
            while not done():
                await self._progress.wait()

        await asyncio.wait_for(progress(), wait)

    async def until_offset(self, offset: int, wait: float = WAIT) -> None:
        await self.until(lambda: bool(self.applied) and self.offsets[-1] >= offset, wait)

    async def close(self) -> None:
        await self.follower.close()
        if self.sio is not None and self.sio.connected:
            await self.sio.disconnect()

    async def _call(self, event: str, data: dict[str, Any]) -> Any:
        if self.sio is None:
            raise ConnectionError("not connected")
        return await self.sio.call(event, data, timeout=WAIT)

    def _applied(self, messages: list[Message]) -> None:
        self.applied.extend(messages)
        self._progress.set()
        self._progress = asyncio.Event()

    async def _message(self, message: Message) -> None:
        if message["channel_id"] == self.follower.channel_id:
            self.arrived.append(message["offset"])
            self.follower.on_message(message)

    async def _head(self, hint: dict[str, Any]) -> None:
        if hint["channel_id"] == self.follower.channel_id:
            self.heads.append(hint)
            self.follower.on_head(hint)
