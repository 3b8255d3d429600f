"""Fixtures: demo-county hubs running the escalation plugin, bus helpers, socket peers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import pytest
from sqlalchemy import select

from hub.app import build_app
from hub.bus import MessageBus
from hub.keys import BUS, GRIDS, SESSIONS
from hub.messages import DomainMessage
from plugins.alarms.messages import AlarmChanged
from plugins.escalation import EscalationPlugin
from storage.models import AuditEntry
from tests.hub.conftest import (  # noqa: F401  (demo_template and peers are fixtures)
    AiohttpClient,
    Client,
    Hub,
    copy_demo,
    demo_template,
    make_settings,
    peers,
)

VILLAGE, BASIC = "370783-001-001", "370783-001-001-01"


def policy(name: str, trigger: str, *offsets: float, **extra: Any) -> dict[str, Any]:
    """A policy whose steps climb village -> town -> county at the given offsets."""
    levels = ["village", "town", "county", "county"]
    steps = [{"level": lv, "after_s": at} for lv, at in zip(levels, offsets, strict=False)]
    return {"name": name, "trigger": trigger, "steps": steps, **extra}


class StartHub(Protocol):
    async def __call__(
        self, config: dict[str, Any] | None = ..., *, data_dir: Path | None = ..., seed: bool = ...
    ) -> Hub: ...


@pytest.fixture
def start_escalation(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    aiohttp_client: AiohttpClient,
) -> StartHub:
    """A demo-county hub on SQLite with the escalation plugin (and `config` for it).

    Pass the `data_dir` of an earlier hub with seed=False to restart on its database.
    """

    async def start(
        config: dict[str, Any] | None = None, *, data_dir: Path | None = None, seed: bool = True
    ) -> Hub:
        data_dir = data_dir or tmp_path_factory.mktemp("esc")
        url = f"sqlite+aiosqlite:///{data_dir / 'gridhub.db'}"
        if seed:
            await copy_demo(url, request)
        plugins = {"config": {"escalation": config or {}}}
        settings = make_settings(data_dir, url, plugins=plugins, timers={"poll_s": 0.05})
        app = build_app(settings, available_plugins={"escalation": EscalationPlugin()})
        return Hub(await aiohttp_client(app), settings, "")

    return start


def bus_of(client: Client) -> MessageBus:
    """The hub's own bus (in-process transport): what the alarms/dispatch plugins publish on."""
    bus: MessageBus = client.app[BUS]
    return bus


async def publish(client: Client, message: DomainMessage) -> None:
    await bus_of(client).publish(message)


def alarm(alarm_id: int, grid: int, action: str = "raised", **fields: Any) -> AlarmChanged:
    values: dict[str, Any] = {
        "alarm_id": alarm_id,
        "device_id": 1,
        "device_code": "wl-001",
        "grid_id": grid,
        "type": "water_level",
        "severity": "CRITICAL",
        "active": True,
        "acknowledged": False,
        "action": action,
        "count": 1,
        "value": 3.2,
        "message": "water high",
        "actor_id": None,
    }
    values.update(fields)
    return AlarmChanged(**values)


def grid_id(client: Client, code: str) -> int:
    return int(client.app[GRIDS].index.by_code(code).id)


async def audit(client: Client, action: str) -> list[AuditEntry]:
    statement = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    async with client.app[SESSIONS]() as session:
        return list(await session.scalars(statement))


async def until(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Poll an observable condition with a bounded deadline."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
