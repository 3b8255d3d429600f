"""Fixtures: demo-county hubs with one embedded media worker, aiortc gathering on loopback.

aioice's host-address discovery skips 127.0.0.1, so the tests' own aiortc peers use a
replacement that returns 127.0.0.1 only (the worker process does the same through
``media.ice_addresses``); no STUN/TURN servers are configured anywhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aioice.ice
import pytest
from aiohttp import web

from hub.keys import CHANNELS, REALTIME
from media.ice import only_addresses
from media.pool import MediaPool
from media.wiring import MEDIA
from tests.hub.conftest import (  # noqa: F401  (fixtures)
    Client,
    StartHub,
    bearer,
    copy_demo,
    demo_template,
    login_pair,
    peers,
    start_hub,
)
from tests.hub.sockets import Peer, connect
from tests.media.rtc import Listener

LOOPBACK = "127.0.0.1"
READY_S = 30.0


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", only_addresses([LOOPBACK]))


@dataclass
class MediaHub:
    client: Client
    peers: list[Peer]
    listeners: list[Listener] = field(default_factory=list)

    @property
    def pool(self) -> MediaPool:
        pool: MediaPool = self.client.app[MEDIA]
        return pool

    async def token(self, username: str) -> str:
        token: str = (await login_pair(self.client, username))["access_token"]
        return token

    async def person_id(self, username: str) -> int:
        me = await self.client.get("/api/v1/auth/me", headers=bearer(await self.token(username)))
        return int((await me.json())["person_id"])

    async def socket(self, username: str) -> Peer:
        peer = await connect(self.client, await self.token(username))
        self.peers.append(peer)
        return peer

    async def village_channel(self) -> int:
        """The channel of 东庄村 (village 1: v01.cmd, v01.lead, w01..w05 and residents)."""
        person = await self.person_id("v01.lead")
        found = await self.client.app[CHANNELS].channels_of(person)
        return int(next(c.id for c in found if c.kind == "grid" and c.name == "东庄村"))

    async def join(
        self, peer: Peer, event: str, scope: dict[str, Any], hz: float, **extra: Any
    ) -> tuple[Listener, dict[str, Any]]:
        listener = Listener(hz, **extra)
        self.listeners.append(listener)
        reply = await peer.ok(event, {**scope, "sdp": await listener.offer()})
        await listener.answer(reply["sdp"])
        return listener, reply


def hold_first_reply(app: web.Application, event: str) -> tuple[asyncio.Event, asyncio.Event]:
    """Hold the first `event` call's reply once the hub has built it: (built, send it).

    Meanwhile the test makes the hub emit an event that then reaches the caller first, as one
    sent through Redis, or by another task while the reply is on its way, can."""
    handlers = app[REALTIME].sio.handlers["/"]
    original = handlers[event]
    built, send = asyncio.Event(), asyncio.Event()

    async def held(sid: str, data: Any = None) -> Any:
        reply = await original(sid, data)
        if not built.is_set():
            built.set()
            await send.wait()
        return reply

    handlers[event] = held
    return built, send


StartMedia = Callable[..., Awaitable[MediaHub]]


@pytest.fixture
async def start_media(
    start_hub: StartHub,  # noqa: F811
    peers: list[Peer],  # noqa: F811
) -> AsyncIterator[StartMedia]:
    made: list[MediaHub] = []

    async def start(*, with_plugins: dict[str, Any] | None = None, **media: Any) -> MediaHub:
        settings = {"embedded_workers": 1, "restart_backoff_s": 0.2, **media}
        started = await start_hub(media=settings, with_plugins=with_plugins)
        hub = MediaHub(started.client, peers)
        async with asyncio.timeout(READY_S):
            await hub.pool.wait_for(lambda: all(s.state == "up" for s in hub.pool.slots.values()))
        made.append(hub)
        return hub

    yield start
    for hub in made:
        for listener in hub.listeners:
            await listener.close()


@pytest.fixture
async def media_hub(start_media: StartMedia) -> MediaHub:
    return await start_media()
