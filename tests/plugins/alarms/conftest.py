"""Fixtures: demo-county hubs running the alarms plugin, real device clients, a bus probe."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from aiohttp import web

from hub.app import build_app
from hub.keys import BUS
from hub.messages import DomainMessage
from hub.plugins import Plugin
from plugins.alarms.client import DeviceClient
from plugins.alarms.plugin import AlarmsPlugin
from tests.hub.conftest import (  # noqa: F401  (fixtures)
    AiohttpClient,
    Client,
    bearer,
    copy_demo,
    demo_template,
    login,
    make_settings,
    peers,
)

# Demo devices (hub/demo_data.py): a water-level gauge in 王家村 (town 1) and a gas box in
# 海丰村 (town 3).
WATER = "dev-wl-01"
SMOKE = "dev-smoke-01"
GAS_TOWN3 = "dev-gas-02"
DEADLINE_S = 10.0


@dataclass
class AlarmHub:
    client: Client
    app: web.Application
    keys: dict[str, str]
    data_dir: Path

    @property
    def url(self) -> str:
        return str(self.client.make_url("")).rstrip("/")

    def device(self, code: str = WATER, **options: Any) -> DeviceClient:
        return DeviceClient(self.url, code, self.keys[code], **options)

    async def api(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        return await self.client.request(
            method, f"/api/v1/alarms{path}", headers=bearer(token), **kwargs
        )


class StartAlarms(Protocol):
    async def __call__(
        self,
        config: dict[str, Any] | None = ...,
        reuse: Path | None = ...,
        extra: dict[str, Plugin] | None = ...,
        **other: Any,
    ) -> AlarmHub: ...


@pytest.fixture
def device_keys(request: pytest.FixtureRequest) -> dict[str, str]:
    template: Path = request.getfixturevalue("demo_template")
    keys: dict[str, str] = json.loads((template.parent / "demo-device-keys.json").read_text())
    return keys


@pytest.fixture
def start_alarms(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    aiohttp_client: AiohttpClient,
    device_keys: dict[str, str],
) -> StartAlarms:
    """A demo-county hub (SQLite) with the alarms plugin; `config` is the plugin's config."""

    async def start(
        config: dict[str, Any] | None = None,
        reuse: Path | None = None,
        extra: dict[str, Plugin] | None = None,
        **other: Any,
    ) -> AlarmHub:
        """`reuse`: the data dir of an earlier (stopped) hub, to start on its database."""
        data_dir = reuse or tmp_path_factory.mktemp("alarms")
        url = f"sqlite+aiosqlite:///{data_dir / 'gridhub.db'}"
        if reuse is None:
            await copy_demo(url, request)
        plugins = {"config": {"alarms": config or {}}}
        settings = make_settings(data_dir, url, plugins=plugins, **other)
        app = build_app(settings, available_plugins={"alarms": AlarmsPlugin(), **(extra or {})})
        client = await aiohttp_client(app)
        return AlarmHub(client, app, device_keys, data_dir)

    return start


@pytest.fixture
async def hub(start_alarms: StartAlarms) -> AlarmHub:
    return await start_alarms()


@pytest.fixture
async def devices() -> AsyncIterator[list[DeviceClient]]:
    """Device clients a test opens; closed at the end."""
    made: list[DeviceClient] = []
    yield made
    for device in made:
        await device.close()


class BusProbe:
    """Collects every message of some types published on a hub's bus."""

    def __init__(self) -> None:
        self.seen: list[DomainMessage] = []

    async def attach(self, app: web.Application, *types: type[DomainMessage]) -> None:
        for message_type in types:
            await app[BUS].listen(message_type, self._record)

    async def _record(self, message: DomainMessage) -> None:
        self.seen.append(message)

    def of(self, message_type: type[DomainMessage]) -> list[Any]:
        return [m for m in self.seen if isinstance(m, message_type)]


async def eventually(check: Callable[[], Any], deadline_s: float = DEADLINE_S) -> Any:
    """Poll an observable condition until it holds (bounded); returns its last value."""
    end = time.monotonic() + deadline_s
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
