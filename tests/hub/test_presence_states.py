"""Presence states a plugin contributes: forced on every device until lifted, like SOS; a state
no enabled plugin contributed is unknown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from hub import policy
from hub.app import build_app
from hub.plugins import BasePlugin, Plugin, PluginContext
from hub.realtime import Connection
from tests.hub.conftest import (
    AiohttpClient,
    Client,
    copy_demo,
    login,
    make_settings,
    person_id,
)
from tests.hub.sockets import Peer, connect, joined

LOST = policy.signed_in("beacon.lost", policy.Scope.OWN)
FOUND = policy.signed_in("beacon.found", policy.Scope.OWN)


class Nothing(BaseModel):
    pass


class Beacon(BasePlugin):
    """Contributes presence state "adrift": a worker declares themselves lost, then found."""

    name = "beacon"

    async def setup(self, ctx: PluginContext) -> None:
        self.ctx = ctx
        adrift = ctx.presence_states.add("adrift")

        @ctx.realtime.on("lost", Nothing, LOST)
        async def lost(conn: Connection, _: Nothing) -> dict[str, Any]:
            await ctx.realtime.force_presence(conn.principal.person_id, adrift)
            return {}

        @ctx.realtime.on("found", Nothing, FOUND)
        async def found(conn: Connection, _: Nothing) -> dict[str, Any]:
            await ctx.realtime.force_presence(conn.principal.person_id, None)
            return {}


StartWith = Callable[[dict[str, Plugin]], Awaitable[Client]]


@pytest.fixture
def start_with(
    aiohttp_client: AiohttpClient, tmp_path: Path, request: pytest.FixtureRequest
) -> StartWith:
    async def start(available: dict[str, Plugin]) -> Client:
        settings = make_settings(tmp_path)
        await copy_demo(settings.effective_database_url, request)
        return await aiohttp_client(build_app(settings, available_plugins=available))

    return start


def w01_in(state: str) -> Callable[[dict[str, Any]], bool]:
    return lambda d: d["username"] == "w01" and d["state"] == state


async def test_a_contributed_state_sticks_on_every_device_until_lifted(
    start_with: StartWith, peers: list[Peer]
) -> None:
    hub = await start_with({"beacon": Beacon()})
    cmd = await joined(hub, peers, "v01.cmd")
    phone = await joined(hub, peers, "w01")
    await phone.ok("beacon.lost", {})
    assert (await cmd.next("presence.changed", w01_in("adrift")))["devices"] == 1
    chosen = await phone.ok("presence.set", {"state": "busy"})
    assert chosen["state"] == "adrift"  # a device's own choice does not lift it
    await phone.sio.disconnect()
    await cmd.next("presence.changed", w01_in("offline"))
    tablet = await connect(hub, await login(hub, "w01"))
    peers.append(tablet)
    assert (await cmd.next("presence.changed", w01_in("adrift")))["devices"] == 1
    await tablet.ok("beacon.found", {})
    await cmd.next("presence.changed", w01_in("online"))
    who = await cmd.ok("presence.who", {})
    assert next(p for p in who["people"] if p["username"] == "w01")["state"] == "online"


async def test_a_contributed_state_cannot_be_chosen_and_others_are_unknown(
    start_with: StartWith, peers: list[Peer]
) -> None:
    beacon = Beacon()
    hub = await start_with({"beacon": beacon})
    worker = await joined(hub, peers, "w01")
    contributed = await worker.call("presence.set", {"state": "adrift"})
    assert contributed["error"]["code"] == "presence.state_invalid"
    unknown = await worker.call("presence.set", {"state": "sos"})  # no escalation plugin here
    assert unknown["error"]["code"] == "request.invalid"
    with pytest.raises(ValueError, match="unknown presence state"):
        await beacon.ctx.realtime.force_presence(await person_id(hub.app, "w01"), "sos")
    assert (await worker.ok("presence.set", {"state": "busy"}))["state"] == "busy"


async def test_without_its_plugin_the_state_is_unknown(
    start_with: StartWith, peers: list[Peer]
) -> None:
    hub = await start_with({})
    worker = await joined(hub, peers, "w01")
    reply = await worker.call("presence.set", {"state": "adrift"})
    assert reply["error"]["code"] == "request.invalid"
    assert (await worker.ok("presence.set", {"state": "on_call"}))["state"] == "on_call"


async def test_a_plugin_cannot_contribute_a_core_state_or_take_one_twice(
    start_with: StartWith,
) -> None:
    beacon = Beacon()
    await start_with({"beacon": beacon})
    for taken in ("online", "offline", "adrift"):
        with pytest.raises(ValueError, match="already exists"):
            beacon.ctx.presence_states.add(taken)
    with pytest.raises(ValueError, match="must match"):
        beacon.ctx.presence_states.add("Adrift!")
