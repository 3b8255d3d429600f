"""A plugin talks to sockets and channels only through its context's narrow views."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from hub import policy
from hub.access import COMMAND_ROLES
from hub.app import build_app
from hub.plugins import BasePlugin, PluginContext
from hub.realtime import Connection
from tests.hub.conftest import AiohttpClient, Client, copy_demo, make_settings
from tests.hub.sockets import Peer, joined


class Nothing(BaseModel):
    pass


class Shout(BaseModel):
    grid: str
    text: str


SHOUT = policy.for_roles("megaphone.shout", COMMAND_ROLES, policy.Scope.GRID)
SOS = policy.signed_in("megaphone.sos", policy.Scope.OWN)


class Megaphone(BasePlugin):
    """Commanders shout to the command centres covering a grid; workers can raise SOS."""

    name = "megaphone"

    async def setup(self, ctx: PluginContext) -> None:
        self.ctx = ctx
        ctx.presence_states.add("sos")

        @ctx.realtime.on("shout", Shout, SHOUT)
        async def shout(conn: Connection, body: Shout) -> dict[str, Any]:
            grid = ctx.grids.index.by_code(body.grid)
            rooms = ctx.realtime.command_rooms([grid.id])
            await ctx.realtime.emit("heard", {"text": body.text}, rooms)
            channel = await ctx.channels.for_ref("alert", 1, "警报 1", [conn.principal.person_id])
            await ctx.channels.notice(channel.id, "shouted", {"text": body.text})
            return {"rooms": rooms, "channel_id": channel.id}

        @ctx.realtime.on("sos", Nothing, SOS)
        async def sos(conn: Connection, _: Nothing) -> dict[str, Any]:
            await ctx.realtime.force_presence(conn.principal.person_id, "sos")
            return {}


@pytest.fixture
async def hub(
    aiohttp_client: AiohttpClient, tmp_path: Path, request: pytest.FixtureRequest
) -> Client:
    settings = make_settings(tmp_path)
    await copy_demo(settings.effective_database_url, request)
    return await aiohttp_client(build_app(settings, available_plugins={"megaphone": Megaphone()}))


async def test_plugin_events_are_namespaced_scoped_and_reach_command_rooms(
    hub: Client, peers: list[Peer]
) -> None:
    town = await joined(hub, peers, "town1.cmd")
    other_town = await joined(hub, peers, "town2.cmd")
    village = await joined(hub, peers, "v01.cmd")
    worker = await joined(hub, peers, "w01")
    refused = await worker.call("megaphone.shout", {"grid": "370783-001-001", "text": "x"})
    assert refused["error"]["code"] == "auth.role_required"
    reply = await village.ok("megaphone.shout", {"grid": "370783-001-001-01", "text": "撤离"})
    assert (await town.next("megaphone.heard"))["text"] == "撤离"
    notice = await village.next("channel.message", lambda m: m["kind"] == "system")
    assert (notice["channel_id"], notice["body"]["text"]) == (reply["channel_id"], "撤离")
    assert all(room.startswith("cc:") for room in reply["rooms"])
    assert other_town.drain("megaphone.heard") == []


async def test_plugins_may_force_presence(hub: Client, peers: list[Peer]) -> None:
    commander = await joined(hub, peers, "v01.cmd")
    worker = await joined(hub, peers, "w01")
    await worker.ok("megaphone.sos", {})
    sos = await commander.next(
        "presence.changed", lambda d: d["username"] == "w01" and d["state"] == "sos"
    )
    assert sos["devices"] == 1
