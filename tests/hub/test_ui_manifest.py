"""Plugins' console contributions on a real hub: the manifest each caller gets (by role, and
without signing in), each plugin's static bundle (types, caching, nothing outside its
folder), and the start-up check of a declaration against its folder."""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from yarl import URL

from hub import __version__
from hub.api.ui import CATALOGUE
from hub.app import build_app
from hub.keys import PLUGINS
from hub.plugins import PluginError
from hub.ui import ConsolePage, MapLayer, PluginUi, UiError
from tests.hub.conftest import Client, StartHub, bearer, error_code, login, make_settings
from tests.hub.ui_plugin import NAME, UI, UiTestPlugin, ui_plugin

MODULE_URL = re.compile(rf"/plugins/{NAME}/static/console\.js\?v=[0-9a-f]{{16}}")


@pytest.fixture
async def hub(start_hub: StartHub, tmp_path: Path) -> Client:
    """A demo hub with the test plugin, its bundle in tmp_path/static."""
    plugin = ui_plugin(tmp_path)
    return (await start_hub(with_plugins={NAME: plugin})).client


async def manifest(client: Client, username: str | None) -> dict[str, Any]:
    headers = bearer(await login(client, username)) if username else {}
    response = await client.get("/api/v1/ui/manifest", headers=headers)
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    return body


def ids(body: dict[str, Any], kind: str) -> list[str]:
    return [item["id"] for plugin in body["plugins"] for item in plugin[kind]]


async def test_a_commander_gets_every_staff_item_with_versioned_module_urls(hub: Client) -> None:
    body = await manifest(hub, "v01.cmd")
    [plugin] = body["plugins"]
    assert plugin["name"] == NAME
    assert plugin["version"]
    assert ids(body, "pages") == ["counter", "secret", "broken"]
    counter = plugin["pages"][0]
    assert MODULE_URL.fullmatch(counter["module"])
    assert counter | {"module": ""} == {
        "id": "counter", "title_zh": "计数器", "title_en": "Counter", "roles": [],
        "order": 10, "module": "", "export": "CounterPage", "path": "counter", "badge": None,
    }  # fmt: skip
    assert plugin["map_layers"] == [
        {
            "id": "places", "title_zh": "地点", "title_en": "Places", "roles": [], "order": 100,
            "source": f"/api/v1/{NAME}/places.geojson", "default_on": False, "viewport": False,
            "style": {"color": "#00ff88", "radius": 9, "fillOpacity": 0.6},
        }
    ]  # fmt: skip
    assert ids(body, "screen_panels") == ["places"]
    assert plugin["styles"][0].startswith(f"/plugins/{NAME}/static/style.css?v=")


async def test_items_are_cut_down_to_the_callers_roles(hub: Client) -> None:
    worker = await manifest(hub, "w01")
    assert ids(worker, "pages") == ["counter", "broken"]  # not the command roles' page
    assert ids(worker, "map_layers") == ["places"]
    admin = await manifest(hub, "admin")
    assert ids(admin, "pages") == ["counter", "secret", "broken"]
    resident = await manifest(hub, "r01")  # not staff: only what is for anyone
    assert ids(resident, "pages") == []
    assert ids(resident, "map_layers") == []
    assert ids(resident, "resident_sections") == ["notice"]


async def test_without_signing_in_only_residents_sections_are_listed(hub: Client) -> None:
    body = await manifest(hub, None)
    [plugin] = body["plugins"]
    assert ids(body, "resident_sections") == ["notice"]
    assert all(plugin[kind] == [] for kind in ("pages", "map_layers", "screen_panels"))


async def test_a_hub_without_plugins_has_an_empty_manifest(start_hub: StartHub) -> None:
    client = (await start_hub()).client
    body = await manifest(client, "v01.cmd")
    assert body["plugins"] == []
    assert [layout["name"] for layout in body["screen"]["layouts"]] == ["all"]


async def test_the_module_is_served_as_javascript_and_cached_by_its_hash(hub: Client) -> None:
    url = (await manifest(hub, "v01.cmd"))["plugins"][0]["pages"][0]["module"]
    response = await hub.get(url)
    assert response.status == 200
    assert response.content_type == "text/javascript"
    assert "export const CounterPage" in await response.text()
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    unversioned = await hub.get(f"/plugins/{NAME}/static/console.js")
    assert unversioned.headers["Cache-Control"] == "no-cache"
    again = await hub.get(
        unversioned.url.path, headers={"If-None-Match": unversioned.headers["ETag"]}
    )
    assert again.status == 304


async def test_files_in_sub_folders_styles_and_their_types(hub: Client) -> None:
    panel = await hub.get(f"/plugins/{NAME}/static/panels/screen.js")
    assert panel.status == 200
    assert panel.content_type == "text/javascript"
    style = await hub.get(f"/plugins/{NAME}/static/style.css")
    assert style.status == 200
    assert style.content_type == "text/css"


@pytest.mark.parametrize(
    "path",
    [
        "/plugins/nosuch/static/console.js",  # no such plugin
        f"/plugins/{NAME}/static/missing.js",
        f"/plugins/{NAME}/static/notes.txt",  # a file of a type the hub does not serve
        f"/plugins/{NAME}/static/%2e%2e/%2e%2e/ui_plugin.py",
        f"/plugins/{NAME}/static/..%2f..%2fui_plugin.py",
        f"/plugins/{NAME}/static/.hidden.js",
        f"/plugins/{NAME}/static/panels/%2e%2e/console.js",
        f"/plugins/{NAME}/static/%5c..%5cconsole.js",
    ],
)
async def test_anything_but_a_file_of_the_folder_is_not_found(
    hub: Client, tmp_path: Path, path: str
) -> None:
    (tmp_path / "static" / ".hidden.js").write_text("export const Hidden = 1")
    response = await hub.get(URL(path, encoded=True))
    assert response.status == 404
    assert await error_code(response) == "http.not_found"


async def test_a_link_out_of_the_folder_is_refused(hub: Client, tmp_path: Path) -> None:
    outside = tmp_path / "outside.js"
    outside.write_text("export const Secret = 1")
    (tmp_path / "static" / "linked.js").symlink_to(outside)
    response = await hub.get(f"/plugins/{NAME}/static/linked.js")
    assert response.status == 404


async def test_a_declaration_naming_a_missing_file_stops_start_up(tmp_path: Path) -> None:
    plugin = UiTestPlugin(tmp_path / "empty")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PluginError, match=r"console\.js is not a file"):
        build_app(make_settings(tmp_path), available_plugins={NAME: plugin})


def page(**changes: Any) -> ConsolePage:
    fields = {"id": "x", "title_zh": "甲", "title_en": "x", "module": "x.js", "export": "A"}
    return ConsolePage(**{**fields, "path": "x", **changes})


def layer(**changes: Any) -> MapLayer:
    fields = {"id": "m", "title_zh": "甲", "title_en": "m", "source": "/api/v1/a"}
    return MapLayer(**{**fields, **changes})


@pytest.mark.parametrize(
    "make",
    [
        lambda: page(module="../x.js"),
        lambda: page(module="x.html"),
        lambda: page(export="A-b"),
        lambda: page(path="/x"),
        lambda: page(path="x/../y"),
        lambda: page(id="X y"),
        lambda: page(title_zh=""),
        lambda: page(roles={"Not a role"}),
        lambda: layer(source="https://evil.example/x"),
        lambda: layer(source="/api/v1/a/../b"),
        lambda: layer(style={"color": "red;x"}),
        lambda: layer(style={"radius": 1e9}),
        lambda: layer(style={"onclick": "x"}),
        lambda: layer(viewport="yes"),
        lambda: PluginUi(pages=(UI.pages[0], UI.pages[0])),
        lambda: PluginUi(styles=("../x.css",)),
    ],
)
def test_unsafe_names_are_refused_when_declared(make: Any) -> None:
    with pytest.raises(UiError):
        make()


def test_start_up_scans_the_installed_distributions_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin's version may come from its distribution, found by a scan of every installed
    distribution's file list (slow): one scan serves every plugin of a start."""
    scans: list[int] = []
    real = metadata.packages_distributions

    def counted() -> Mapping[str, list[str]]:
        scans.append(1)
        return real()

    monkeypatch.setattr(metadata, "packages_distributions", counted)
    app = build_app(make_settings(tmp_path))  # every installed plugin, most with pages
    with_pages = [b for b in app[CATALOGUE].bundles.values() if b.ui is not None]
    assert len(with_pages) > 2
    assert len(scans) == 1
    modules = {plugin.name: type(plugin).__module__ for plugin in app[PLUGINS].plugins}
    owners = real()
    for bundle in with_pages:  # a built-in has the hub's version, any other its distribution's
        package = modules[bundle.name].partition(".")[0]
        expected = __version__ if package == "plugins" else metadata.version(owners[package][0])
        assert bundle.version == expected, bundle.name
