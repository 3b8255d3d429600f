"""gridhub-hello in a running hub: found through its entry point, migrated, scoped by its own
role over HTTP, sockets and the UI manifest, and told of the core's grid changes on the bus.
Every hub here is started with the testing kit (hub.testing), as a plugin's own tests would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.plugins import Plugin
from hub.testing import RunningHub
from hub.testing.fixtures import StartGridHub
from tests.hub.test_sdk import internal_imports
from tests.plugin_package.conftest import (
    COMMANDER,
    COUNTY,
    KEEPER,
    PACKAGE,
    VILLAGE,
    every_installed_plugin,
)

GREETINGS = "/api/v1/hello/greetings"


async def manifest_of(hub: RunningHub, username: str) -> dict[str, Any]:
    manifest = await (await hub.sign_in(username)).json("GET", "/api/v1/ui/manifest")
    return {p["name"]: p for p in manifest["plugins"]}


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


async def test_the_hub_starts_with_it_and_without_it(start_gridhub: StartGridHub) -> None:
    everything = every_installed_plugin()
    with_it = await start_gridhub(everything.values(), demo=True)
    admin = await with_it.admin()
    assert (await admin.get("/healthz")).status == 200
    assert (await admin.get(GREETINGS)).status == 200
    assert "hello" in await manifest_of(with_it, "admin")

    others = [p for name, p in everything.items() if name != "hello"]
    without = await start_gridhub(others, demo=True)
    admin = await without.admin()
    assert (await admin.get("/healthz")).status == 200
    assert (await admin.get(GREETINGS)).status == 404
    assert "hello" not in await manifest_of(without, "admin")
    roles = await admin.json("GET", "/api/v1/roles")
    assert KEEPER not in str(roles)


async def test_without_its_role_nothing_of_it(hello_hub: RunningHub) -> None:
    village = await hello_hub.grid_id(VILLAGE)
    commander = await hello_hub.sign_in(COMMANDER)
    body = {"grid_id": village, "text": "你好"}
    for method, path, data in [
        ("GET", GREETINGS, None),
        ("POST", GREETINGS, body),
        ("GET", f"{GREETINGS}.geojson", None),
        ("GET", "/api/v1/hello/stats", None),
    ]:
        refused = await commander.refused(method, path, json=data)
        assert refused == (403, "auth.role_required"), path
    socket = await hello_hub.socket(COMMANDER)
    ack = await socket.call("hello.post", body)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "auth.role_required"
    manifest = await manifest_of(hello_hub, COMMANDER)
    items = manifest.get("hello", {})
    assert not any(items.get(kind) for kind in ("pages", "map_layers", "screen_panels"))
    admin = await hello_hub.admin()
    assert (await admin.json("GET", GREETINGS))["greetings"] == []


async def test_a_keeper_posts_and_reads_over_http_and_socket(
    database_url: str, start_gridhub: StartGridHub
) -> None:
    hub = await start_gridhub(["hello"], demo=True, database_url=database_url)
    await hub.grant(COMMANDER, KEEPER, COUNTY)
    village = await hub.grid_id(VILLAGE)
    keeper = await hub.sign_in(COMMANDER)
    socket = await hub.socket(COMMANDER)

    response = await keeper.post(
        GREETINGS, json={"grid_id": village, "text": " 晚上七点村委会开会 "}
    )
    assert response.status == 201, await response.text()
    posted = await response.json()
    assert posted["text"] == "晚上七点村委会开会"
    assert posted["lat"] is not None  # the grid's centre
    live = await socket.next("hello.greeting")
    assert live["greeting"]["id"] == posted["id"]

    ack = await socket.ok("hello.post", {"grid_id": village, "text": "<b>明早停水</b>"})
    by_socket = ack["greeting"]
    assert by_socket["text"] == "<b>明早停水</b>"  # stored as typed; pages show it as text

    listed = await keeper.json("GET", GREETINGS)
    assert [g["id"] for g in listed["greetings"]] == [by_socket["id"], posted["id"]]
    layer = await keeper.json("GET", f"{GREETINGS}.geojson")
    assert layer["type"] == "FeatureCollection"
    assert {f["id"] for f in layer["features"]} == {posted["id"], by_socket["id"]}
    stats = await keeper.json("GET", "/api/v1/hello/stats")
    assert stats["greetings"] == 2


async def test_hostile_or_out_of_scope_posts_change_nothing(hello_hub: RunningHub) -> None:
    await hello_hub.grant(COMMANDER, KEEPER, VILLAGE)
    village = await hello_hub.grid_id(VILLAGE)
    county = await hello_hub.grid_id(COUNTY)
    keeper = await hello_hub.sign_in(COMMANDER)
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
        assert await keeper.refused("POST", GREETINGS, json=body) == (status, code), body
    admin = await hello_hub.admin()
    assert (await admin.json("GET", GREETINGS))["greetings"] == []


async def test_its_manifest_items_for_a_keeper(hello_hub: RunningHub) -> None:
    await hello_hub.grant(COMMANDER, KEEPER, COUNTY)
    hello = (await manifest_of(hello_hub, COMMANDER))["hello"]
    assert [p["path"] for p in hello["pages"]] == ["greetings"]
    assert [layer["source"] for layer in hello["map_layers"]] == [f"{GREETINGS}.geojson"]
    assert [p["export"] for p in hello["screen_panels"]] == ["GreetingsPanel"]
    module = hello["pages"][0]["module"]
    assert module.startswith("/plugins/hello/static/hello.js?v=")
    bundle = await hello_hub.anonymous().get(module)
    assert bundle.status == 200
    assert "javascript" in bundle.headers["Content-Type"]
    assert 'from "@gridhub/host"' in await bundle.text()


async def test_it_counts_the_cores_grid_changes(hello_hub: RunningHub) -> None:
    await hello_hub.grant(COMMANDER, KEEPER, COUNTY)
    keeper = await hello_hub.sign_in(COMMANDER)
    before = await keeper.json("GET", "/api/v1/hello/stats")
    # A real change of the tree, through the core's API: the core publishes GridTreeChanged.
    await hello_hub.add_grid("370783-hello", "问候新村", parent=COUNTY, level="village")
    await hello_hub.settle()
    after = await keeper.json("GET", "/api/v1/hello/stats")
    assert after["grid_changes"] == before["grid_changes"] + 1
