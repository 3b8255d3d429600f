"""gridhub-hello in a running hub: found through its entry point, migrated, scoped by its own
role over HTTP, sockets and the UI manifest, and told of the core's grid changes on the bus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.keys import BUS
from hub.messages import GridTreeChanged
from hub.plugins import Plugin
from tests.hub.conftest import Client, StartHub, bearer, error_code, login
from tests.hub.sockets import Peer, joined
from tests.hub.test_sdk import internal_imports
from tests.plugin_package.conftest import (
    COMMANDER,
    COUNTY,
    KEEPER,
    PACKAGE,
    VILLAGE,
    HelloHub,
    installed_plugins,
    start_hello,
)

GREETINGS = "/api/v1/hello/greetings"


async def manifest_of(client: Client, username: str) -> dict[str, Any]:
    token = await login(client, username)
    response = await client.get("/api/v1/ui/manifest", headers=bearer(token))
    assert response.status == 200
    return {p["name"]: p for p in (await response.json())["plugins"]}


def test_it_imports_gridhub_only_through_the_sdk() -> None:
    files = sorted((PACKAGE / "gridhub_hello").rglob("*.py"))
    assert len(files) >= 7
    offending = {f.name: internal_imports(f) for f in files}
    assert {name: found for name, found in offending.items() if found} == {}


def test_it_is_an_installed_package_found_by_its_entry_point(hello: Plugin) -> None:
    module = type(hello).__module__
    assert module == "gridhub_hello"
    source = Path(__import__(module).__file__ or "").resolve()
    # From the installed wheel, not from the source folder of the example.
    assert not source.is_relative_to(PACKAGE.resolve()), source
    assert (source.parent / "static" / "hello.js").is_file()


async def test_the_hub_starts_with_it_and_without_it(start_hub: StartHub) -> None:
    everything = installed_plugins()
    with_it = (await start_hub(with_plugins=everything)).client
    assert (await with_it.get("/healthz")).status == 200
    token = await login(with_it, "admin")
    assert (await with_it.get(GREETINGS, headers=bearer(token))).status == 200
    assert "hello" in await manifest_of(with_it, "admin")

    others = {name: p for name, p in everything.items() if name != "hello"}
    without = (await start_hub(with_plugins=others)).client
    assert (await without.get("/healthz")).status == 200
    token = await login(without, "admin")
    assert (await without.get(GREETINGS, headers=bearer(token))).status == 404
    assert "hello" not in await manifest_of(without, "admin")
    roles = await (await without.get("/api/v1/roles", headers=bearer(token))).json()
    assert KEEPER not in str(roles)


async def test_without_its_role_nothing_of_it(hello_hub: HelloHub, peers: list[Peer]) -> None:
    client = hello_hub.client
    village = await hello_hub.grid_id(VILLAGE)
    headers = bearer(await login(client, COMMANDER))
    body = {"grid_id": village, "text": "你好"}
    for method, path, data in [
        ("GET", GREETINGS, None),
        ("POST", GREETINGS, body),
        ("GET", f"{GREETINGS}.geojson", None),
        ("GET", "/api/v1/hello/stats", None),
    ]:
        response = await client.request(method, path, json=data, headers=headers)
        assert (response.status, await error_code(response)) == (403, "auth.role_required"), path
    peer = await joined(client, peers, COMMANDER)
    ack = await peer.call("hello.post", body)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "auth.role_required"
    manifest = await manifest_of(client, COMMANDER)
    items = manifest.get("hello", {})
    assert not any(items.get(kind) for kind in ("pages", "map_layers", "screen_panels"))
    assert (await hello_hub.as_admin("GET", GREETINGS))["greetings"] == []


async def test_a_keeper_posts_and_reads_over_http_and_socket(
    database_url: str, start_hub: StartHub, hello: Plugin, peers: list[Peer]
) -> None:
    hello_hub = await start_hello(start_hub, hello, database_url)
    client = hello_hub.client
    await hello_hub.grant(COMMANDER, KEEPER, COUNTY)
    village = await hello_hub.grid_id(VILLAGE)
    headers = bearer(await login(client, COMMANDER))
    peer = await joined(client, peers, COMMANDER)

    response = await client.post(
        GREETINGS, json={"grid_id": village, "text": " 晚上七点村委会开会 "}, headers=headers
    )
    assert response.status == 201, await response.text()
    posted = await response.json()
    assert posted["text"] == "晚上七点村委会开会"
    assert posted["lat"] is not None  # the grid's centre
    live = await peer.next("hello.greeting")
    assert live["greeting"]["id"] == posted["id"]

    ack = await peer.ok("hello.post", {"grid_id": village, "text": "<b>明早停水</b>"})
    by_socket = ack["greeting"]
    assert by_socket["text"] == "<b>明早停水</b>"  # stored as typed; pages show it as text

    listed = await (await client.get(GREETINGS, headers=headers)).json()
    assert [g["id"] for g in listed["greetings"]] == [by_socket["id"], posted["id"]]
    layer = await (await client.get(f"{GREETINGS}.geojson", headers=headers)).json()
    assert layer["type"] == "FeatureCollection"
    assert {f["id"] for f in layer["features"]} == {posted["id"], by_socket["id"]}
    stats = await (await client.get("/api/v1/hello/stats", headers=headers)).json()
    assert stats["greetings"] == 2


async def test_hostile_or_out_of_scope_posts_change_nothing(hello_hub: HelloHub) -> None:
    client = hello_hub.client
    await hello_hub.grant(COMMANDER, KEEPER, VILLAGE)
    village = await hello_hub.grid_id(VILLAGE)
    county = await hello_hub.grid_id(COUNTY)
    headers = bearer(await login(client, COMMANDER))
    cases = [
        ({"grid_id": county, "text": "越权"}, 403, "scope.forbidden"),
        ({"grid_id": village, "text": "   "}, 422, "request.invalid"),
        ({"grid_id": village, "text": "长" * 201}, 422, "request.invalid"),
        ({"grid_id": village, "text": "x", "lat": 36.9}, 422, "request.invalid"),
        ({"grid_id": village, "text": "x", "lat": 91, "lon": 118}, 422, "request.invalid"),
        ({"grid_id": 2**31, "text": "x"}, 422, "request.invalid"),
        ({"grid_id": village}, 422, "request.invalid"),
    ]
    for body, status, code in cases:
        response = await client.post(GREETINGS, json=body, headers=headers)
        assert (response.status, await error_code(response)) == (status, code), body
    assert (await hello_hub.as_admin("GET", GREETINGS))["greetings"] == []


async def test_its_manifest_items_for_a_keeper(hello_hub: HelloHub) -> None:
    client = hello_hub.client
    await hello_hub.grant(COMMANDER, KEEPER, COUNTY)
    hello = (await manifest_of(client, COMMANDER))["hello"]
    assert [p["path"] for p in hello["pages"]] == ["greetings"]
    assert [layer["source"] for layer in hello["map_layers"]] == [f"{GREETINGS}.geojson"]
    assert [p["export"] for p in hello["screen_panels"]] == ["GreetingsPanel"]
    module = hello["pages"][0]["module"]
    assert module.startswith("/plugins/hello/static/hello.js?v=")
    bundle = await client.get(module)
    assert bundle.status == 200
    assert "javascript" in bundle.headers["Content-Type"]
    assert 'from "@gridhub/host"' in await bundle.text()


async def test_it_counts_the_cores_grid_changes(hello_hub: HelloHub) -> None:
    client = hello_hub.client
    await hello_hub.grant(COMMANDER, KEEPER, COUNTY)
    headers = bearer(await login(client, COMMANDER))
    before = await (await client.get("/api/v1/hello/stats", headers=headers)).json()
    bus = client.app[BUS]
    await bus.publish(GridTreeChanged(grid_ids=(1,)))
    await bus.flush()
    after = await (await client.get("/api/v1/hello/stats", headers=headers)).json()
    assert after["grid_changes"] == before["grid_changes"] + 1
