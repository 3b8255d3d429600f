"""Socket.IO test clients for hubs started by the `start_hub`/`client` fixtures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import socketio

from tests.hub.conftest import Client, login

WAIT = 5.0


class Peer:
    """A real python-socketio client that queues every server event it receives."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, asyncio.Queue[Any]] = {}
        self.sio.on("*", self._any)

    async def _any(self, event: str, data: Any = None) -> None:
        self.queue(event).put_nowait(data)

    def queue(self, event: str) -> asyncio.Queue[Any]:
        return self.events.setdefault(event, asyncio.Queue())

    async def next(
        self, event: str, match: Callable[[Any], bool] | None = None, wait: float = WAIT
    ) -> Any:
        """The next `event` (whose payload satisfies `match`, if given) within `wait` seconds."""

        async def first() -> Any:
            while True:
                data = await self.queue(event).get()
                if match is None or match(data):
                    return data

        return await asyncio.wait_for(first(), wait)

    def drain(self, event: str) -> list[Any]:
        """Everything of `event` received so far, removed from the queue."""
        queue, items = self.queue(event), []
        while not queue.empty():
            items.append(queue.get_nowait())
        return items

    async def call(self, event: str, data: Any = None) -> dict[str, Any]:
        reply: dict[str, Any] = await self.sio.call(event, data, timeout=WAIT)
        return reply

    async def ok(self, event: str, data: Any = None) -> dict[str, Any]:
        """Call and insist on success."""
        reply = await self.call(event, data)
        assert reply["ok"] is True, reply
        return reply


async def connect(client: Client, token: str | None) -> Peer:
    peer = Peer()
    auth = {"token": token} if token is not None else None
    url = str(client.make_url("/"))
    await peer.sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=WAIT)
    return peer


async def joined(client: Client, peers: list[Peer], username: str) -> Peer:
    """Sign `username` in and connect a socket, remembered in `peers` for clean-up."""
    peer = await connect(client, await login(client, username))
    peers.append(peer)
    return peer
