"""Fixtures: demo-county hubs with calls configured, signed-in socket peers by username."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aioice.ice
import pytest

from media.ice import only_addresses
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

TURN_SECRET = "turn-test-secret"
CALLS: dict[str, Any] = {
    "ring_timeout_s": 30.0,
    "ice_servers": ["stun:127.0.0.1:3478", "turn:127.0.0.1:3478?transport=udp"],
    "turn_secret": TURN_SECRET,
    "turn_ttl_s": 600,
}


@dataclass
class Person:
    username: str
    person_id: int
    token: str


@dataclass
class CallHub:
    client: Client
    peers: list[Peer]

    async def person(self, username: str) -> Person:
        token = (await login_pair(self.client, username))["access_token"]
        me = await self.client.get("/api/v1/auth/me", headers=bearer(token))
        assert me.status == 200
        return Person(username, int((await me.json())["person_id"]), token)

    async def device(self, person: Person) -> Peer:
        """One more connected device (socket) of `person`."""
        peer = await connect(self.client, person.token)
        self.peers.append(peer)
        return peer


StartCalls = Callable[..., Awaitable[CallHub]]


@pytest.fixture
def start_calls(start_hub: StartHub, peers: list[Peer]) -> StartCalls:  # noqa: F811
    async def start(database_url: str | None = None, **calls: Any) -> CallHub:
        hub = await start_hub(
            calls={**CALLS, **calls}, timers={"poll_s": 0.05}, database_url=database_url
        )
        return CallHub(hub.client, peers)

    return start


@pytest.fixture
async def hub(start_calls: StartCalls) -> CallHub:
    return await start_calls()


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """aioice gathers 127.0.0.1 only (its host-address discovery would skip loopback).

    Autouse: no test here may let an aiortc peer gather any other address of the machine."""

    monkeypatch.setattr(aioice.ice, "get_host_addresses", only_addresses(["127.0.0.1"]))


async def connected(hub: CallHub, caller: str, callee: str, media: str = "audio") -> Call:
    """`caller` invites `callee` (one device each), who accepts: the call is active."""
    a, b = await hub.person(caller), await hub.person(callee)
    caller_peer, callee_peer = await hub.device(a), await hub.device(b)
    invite = {"callee_id": b.person_id, "media": media, "client_call_id": f"{caller}-{callee}"}
    call_id = (await caller_peer.ok("call.invite", invite))["call_id"]
    await callee_peer.next("call.ringing")
    await callee_peer.ok("call.accept", {"call_id": call_id})
    await caller_peer.next("call.state", lambda d: d["state"] == "active")
    return Call(call_id, caller_peer, callee_peer)


@dataclass
class Call:
    call_id: int
    caller: Peer
    callee: Peer
