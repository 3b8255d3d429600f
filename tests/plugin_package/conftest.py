"""Fixtures for the example plugin package gridhub-hello (tests/plugin_package/gridhub-hello).

The plugin is used as the hub meets any third-party plugin: installed into the venv by
scripts/setup (not editable), found through its `gridhub.plugins` entry point.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from hub import plugins
from hub.app import build_app
from hub.plugins import Plugin
from tests.consoles.browser import require_dist
from tests.consoles.conftest import (  # noqa: F401  (browsers is a fixture)
    ConsoleHub,
    browsers,
)
from tests.hub.conftest import (  # noqa: F401  (demo_template, peers and start_hub are fixtures)
    AiohttpClient,
    Client,
    StartHub,
    bearer,
    copy_demo,
    demo_template,
    login,
    make_settings,
    peers,
    start_hub,
)

PACKAGE = Path(__file__).parent / "gridhub-hello"
DISTRIBUTION = "gridhub-hello"
KEEPER = "hello_keeper"
COMMANDER = "county.cmd"  # the demo county's commander (grid 370783)
COUNTY, VILLAGE = "370783", "370783-001-001"


def installed_plugins() -> dict[str, Plugin]:
    """Every plugin installed in this environment, hello among them (or the test says why)."""
    try:
        metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pytest.fail(f"{DISTRIBUTION} is not installed: run scripts/setup", pytrace=False)
    return plugins.discover()


@pytest.fixture
def hello() -> Plugin:
    return installed_plugins()["hello"]


@dataclass
class HelloHub:
    client: Client
    data_dir: Path

    async def as_admin(self, method: str, path: str, **kwargs: Any) -> Any:
        token = await login(self.client, "admin")
        response = await self.client.request(method, path, headers=bearer(token), **kwargs)
        body = await response.json()
        assert response.status < 300, body
        return body

    async def grid_id(self, code: str) -> int:
        grids = await self.as_admin("GET", "/api/v1/grids")
        found = [g["id"] for g in grids if g["code"] == code]
        assert found, code
        return int(found[0])

    async def grant(self, username: str, role: str, grid: str) -> None:
        """Give `username` `role` on `grid` beside the roles they hold (as the admin UI does)."""
        people = await self.as_admin("GET", "/api/v1/people")
        person = next(p for p in people if p["username"] == username)
        roles = [{"role": r["role"], "grid": r["grid"]} for r in person["roles"]]
        roles.append({"role": role, "grid": grid})
        await self.as_admin("PATCH", f"/api/v1/people/{person['id']}", json={"roles": roles})


async def start_hello(
    start_hub: StartHub,  # noqa: F811
    hello: Plugin,
    database_url: str | None = None,
) -> HelloHub:
    """A demo-county hub with the hello plugin only (SQLite unless `database_url` is given)."""
    hub = await start_hub(database_url=database_url, with_plugins={"hello": hello})
    return HelloHub(hub.client, hub.settings.data_dir)


@pytest.fixture
async def hello_hub(start_hub: StartHub, hello: Plugin) -> HelloHub:  # noqa: F811
    return await start_hello(start_hub, hello)


# --- the browser: every installed plugin, hello among them, and the built consoles ---------


@pytest.fixture
async def console_hub(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    aiohttp_client: AiohttpClient,
) -> ConsoleHub:
    """A demo-county hub with every installed plugin (as a deployment would run) on loopback."""
    require_dist()
    data_dir = tmp_path_factory.mktemp("hello-console")
    url = f"sqlite+aiosqlite:///{data_dir / 'gridhub.db'}"
    await copy_demo(url, request)
    template: Path = request.getfixturevalue("demo_template")
    keys = json.loads((template.parent / "demo-device-keys.json").read_text())
    settings = make_settings(data_dir, url, timers={"poll_s": 0.05})
    app = build_app(settings, available_plugins=installed_plugins())
    return ConsoleHub(await aiohttp_client(app), app, keys, data_dir)
