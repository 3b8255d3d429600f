"""The testing kit (hub.testing) that plugin authors' tests use: a real hub on a loopback port
with a plugin given as an object, seeded with a plugin role, HTTP as a signed-in person (tokens
and the browser's cookie + CSRF way), a Socket.IO client with acknowledged emits, and a clean
stop; and its pytest fixtures (hub.testing.fixtures: a plugin repository loads them with
pytest_plugins in its root conftest.py, tests/plugin_package/test_hello_guide.py runs that)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import BaseModel, Field

from hub.sdk import (
    BasePlugin,
    Call,
    Connection,
    GridTreeChanged,
    PluginContext,
    RoleSpec,
    Scope,
    for_roles,
    require_scope,
)
from hub.testing import PASSWORD, running_hub
from hub.testing.clients import error_code
from hub.testing.fixtures import (  # noqa: F401  (fixtures)
    StartGridHub,
    gridhub_demo_template,
    start_gridhub,
)
from hub.testing.hubs import choose_plugins

WARDEN = "kit_warden"
OCTETS = "application/octet-stream"
BADGE = bytes(range(256)) * 1024  # every byte value, larger than one read of the socket
WATCH = for_roles("kit.watch", frozenset({WARDEN}), Scope.GRID)


class Watch(BaseModel):
    grid_id: int = Field(ge=1, le=2**31 - 1)


class KitPlugin(BasePlugin):
    """A plugin of the test's own: a role, a route, a socket event and a bus listener."""

    name = "kit"
    roles = (RoleSpec(name=WARDEN, title_zh="看守", title_en="Warden"),)

    def __init__(self) -> None:
        self.grid_changes = 0

    async def setup(self, ctx: PluginContext) -> None:
        @ctx.http.post("/watch", summary="Watch a grid", body=Watch, rule=WATCH)
        async def watch(call: Call[Watch, None]) -> dict[str, Any]:
            require_scope(call.who, ctx.grids.index, call.body.grid_id)
            return {"watching": call.body.grid_id, "by": call.who.username}

        @ctx.http.get("/badge", summary="A binary answer", produces=OCTETS, rule=WATCH)
        async def badge(call: Call[None, None]) -> web.Response:
            return web.Response(body=BADGE, content_type=OCTETS)

        @ctx.realtime.on("watch", Watch, WATCH)
        async def watch_live(conn: Connection, body: Watch) -> dict[str, Any]:
            require_scope(conn.principal, ctx.grids.index, body.grid_id)
            return {"watching": body.grid_id}

        async def changed(_: GridTreeChanged) -> None:
            self.grid_changes += 1

        await ctx.bus.listen(GridTreeChanged, changed)


async def test_a_plugin_object_with_its_role_over_http_and_socket() -> None:
    plugin = KitPlugin()
    async with running_hub([plugin]) as hub:
        assert plugin.grid_changes == 0
        town = await hub.add_grid("T1", "东庄镇", level="town", centre=(118.5, 36.9))
        village = await hub.add_grid("T1-01", "东庄村", parent="T1", level="village")
        await hub.settle()
        assert plugin.grid_changes == 2  # the core's own events reached the plugin
        await hub.add_person("warden", [(WARDEN, "T1-01")], display_name="王看守")
        await hub.add_person("clerk", [("grid_worker", "T1")])

        warden = await hub.sign_in("warden")
        body = await warden.json("POST", "/api/v1/kit/watch", json={"grid_id": village})
        assert body == {"watching": village, "by": "warden"}
        refused = await warden.refused("POST", "/api/v1/kit/watch", json={"grid_id": town})
        assert refused == (403, "scope.forbidden")
        clerk = await hub.sign_in("clerk")
        refused = await clerk.refused("POST", "/api/v1/kit/watch", json={"grid_id": village})
        assert refused == (403, "auth.role_required")
        anonymous = hub.anonymous()
        refused = await anonymous.refused("POST", "/api/v1/kit/watch", json={"grid_id": village})
        assert refused == (401, "auth.required")

        socket = await hub.socket("warden")
        assert (await socket.ok("kit.watch", {"grid_id": village}))["watching"] == village
        ack = await (await hub.socket("clerk")).call("kit.watch", {"grid_id": village})
        assert (ack["ok"], ack["error"]["code"]) == (False, "auth.role_required")

        await hub.grant("clerk", WARDEN, "T1")  # a plugin role, given through the people API
        await clerk.json("POST", "/api/v1/kit/watch", json={"grid_id": village})


async def test_a_binary_answer_reads_after_the_request() -> None:
    """HubClient leaves aiohttp's `async with` before returning: read() must still give the
    bytes (it raised "Connection closed" while json() worked)."""
    async with running_hub([KitPlugin()]) as hub:
        await hub.add_grid("T1", "东庄镇", level="town")
        await hub.add_person("warden", [(WARDEN, "T1")])
        warden = await hub.sign_in("warden")
        response = await warden.get("/api/v1/kit/badge")
        assert (response.status, response.content_type) == (200, OCTETS)
        assert await response.read() == BADGE
        assert await response.read() == BADGE  # and again
        refused = await hub.anonymous().get("/api/v1/kit/badge")
        assert refused.status == 401
        assert b'"auth.required"' in await refused.read()
        assert await error_code(refused) == "auth.required"  # json() after read() as before


async def test_a_cookie_session_refreshes_with_the_csrf_header() -> None:
    async with running_hub() as hub:
        browser = await hub.sign_in("admin", PASSWORD, cookie=True)
        assert browser.refresh_token is None  # it went into the HttpOnly cookie
        first = browser.token
        await browser.refresh()  # cookie + X-CSRF-Token from the kit
        assert browser.token not in (None, first)
        assert (await browser.json("GET", "/api/v1/auth/me"))["username"] == "admin"
        # The same cookies without the header: the hub refuses, so the kit's header mattered.
        refused = await browser.refused(
            "POST", "/api/v1/auth/refresh", json={}, headers={"X-CSRF-Token": "forged"}
        )
        assert refused == (403, "auth.csrf")


async def test_the_hub_is_gone_after_the_block() -> None:
    async with running_hub() as hub:
        url, data_dir = hub.url, hub.data_dir
        assert (await (await hub.sign_in("admin")).get("/healthz")).status == 200
    assert not data_dir.exists()  # its own temporary folder is removed
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(f"{url}/healthz")


def test_an_unknown_plugin_name_is_refused() -> None:
    with pytest.raises(LookupError, match="'no_such_plugin' is not installed"):
        choose_plugins(["no_such_plugin"])


async def test_the_fixture_starts_demo_hubs_by_plugin_name(
    start_gridhub: StartGridHub,  # noqa: F811  (the fixture imported above)
) -> None:
    hub = await start_gridhub(["hello"], demo=True)
    commander = await hub.sign_in("county.cmd")
    assert (await commander.get("/api/v1/hello/greetings")).status == 403
    await hub.grant("county.cmd", "hello_keeper", "370783")
    keeper = await hub.sign_in("county.cmd")
    assert (await keeper.json("GET", "/api/v1/hello/greetings")) == {"greetings": []}
    other = await start_gridhub([])  # a second hub of one test: empty but for the admin
    assert [p["username"] for p in await (await other.admin()).json("GET", "/api/v1/people")] == [
        "admin"
    ]
