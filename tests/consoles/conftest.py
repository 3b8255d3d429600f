"""Browser fixtures: a demo-county hub with every plugin on a loopback port, and Chromium.

`console_hub` starts the hub (dispatch, alarms and escalation plugins, the built consoles
served by the hub itself) on 127.0.0.1; `browsers` launches Debian's Chromium through
Playwright and, at the end of the test, fails it if any page logged an error. Use
`browsers.signed_in("county.cmd", DEMO_PASSWORD)` for a page signed in through the UI.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from aiohttp import web
from playwright.async_api import async_playwright

from hub.app import build_app
from hub.demo_data import DEMO_PASSWORD
from plugins.alarms.client import DeviceClient
from plugins.alarms.plugin import AlarmsPlugin
from plugins.dispatch import DispatchPlugin
from plugins.escalation import EscalationPlugin
from tests.consoles.browser import CHROMIUM, CHROMIUM_ARGS, Browsers, require_dist
from tests.hub.conftest import (  # noqa: F401  (demo_template is a fixture)
    AiohttpClient,
    Client,
    bearer,
    copy_demo,
    demo_template,
    login,
    make_settings,
)

COMMANDER = "county.cmd"
WORKER = "w01"
PASSWORD = DEMO_PASSWORD


@dataclass
class ConsoleHub:
    client: Client
    app: web.Application
    device_keys: dict[str, str]
    data_dir: Path

    @property
    def url(self) -> str:
        return str(self.client.make_url("")).rstrip("/")

    def device(self, code: str, **options: Any) -> DeviceClient:
        """A real device client (websocket on /ws/device) for a demo device."""
        return DeviceClient(self.url, code, self.device_keys[code], **options)

    async def token(self, username: str) -> str:
        return await login(self.client, username)

    async def api(self, method: str, path: str, username: str, **kwargs: Any) -> Any:
        """Call the hub's HTTP API as a demo user; returns the decoded JSON (asserts 2xx)."""
        token = await self.token(username)
        response = await self.client.request(method, path, headers=bearer(token), **kwargs)
        body = await response.json() if response.status != 204 else None
        assert response.status < 300, body
        return body


class StartConsoleHub(Protocol):
    async def __call__(
        self,
        plugins: dict[str, Any] | None = ...,
        *,
        more: dict[str, Any] | None = ...,
        **other: Any,
    ) -> ConsoleHub: ...


def all_plugins() -> dict[str, Any]:
    return {
        "dispatch": DispatchPlugin(),
        "alarms": AlarmsPlugin(),
        "escalation": EscalationPlugin(),
    }


@pytest.fixture
def start_console_hub(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    aiohttp_client: AiohttpClient,
) -> StartConsoleHub:
    """Start a demo-county hub with every plugin; `plugins` is the plugins' config by name,
    `more` more plugin objects by name (a test's own plugin)."""

    async def start(
        plugins: dict[str, Any] | None = None, *, more: dict[str, Any] | None = None, **other: Any
    ) -> ConsoleHub:
        require_dist()
        data_dir = tmp_path_factory.mktemp("consoles")
        url = f"sqlite+aiosqlite:///{data_dir / 'gridhub.db'}"
        await copy_demo(url, request)
        template: Path = request.getfixturevalue("demo_template")
        keys = json.loads((template.parent / "demo-device-keys.json").read_text())
        # No media worker process unless a test asks for one (media={...}): it costs a core.
        options = {"media": {"embedded_workers": 0}, **other}
        settings = make_settings(
            data_dir, url, plugins={"config": plugins or {}}, timers={"poll_s": 0.05}, **options
        )
        app = build_app(settings, available_plugins={**all_plugins(), **(more or {})})
        client = await aiohttp_client(app)
        return ConsoleHub(client, app, keys, data_dir)

    return start


@pytest.fixture
async def console_hub(start_console_hub: StartConsoleHub) -> ConsoleHub:
    return await start_console_hub()


@pytest.fixture
async def browsers(console_hub: ConsoleHub) -> AsyncIterator[Browsers]:
    """Chromium on the hub's URL; the test fails if any page logged an error."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        browsers = Browsers(browser, console_hub.url)
        try:
            yield browsers
            browsers.errors.assert_clean()
        finally:
            await browsers.close()


@pytest.fixture
async def devices() -> AsyncIterator[list[DeviceClient]]:
    """Device clients a test opens; closed at the end."""
    made: list[DeviceClient] = []
    yield made
    for device in made:
        await device.close()
