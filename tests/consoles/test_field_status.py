"""The field app's status picker (在岗/忙碌/离开): what the worker picks is what commanders see."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio
from playwright.async_api import expect

from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub
from tests.consoles.fieldkit import phone

WAIT_S = 10.0


async def test_the_worker_picks_busy_then_away_and_the_commander_sees_it(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    changes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    commander = socketio.AsyncClient()
    commander.on("presence.changed", changes.put_nowait)
    token = await console_hub.token(COMMANDER)
    await commander.connect(console_hub.url, auth={"token": token}, transports=["websocket"])
    try:
        field = await browsers.signed_in(WORKER, PASSWORD, "/field", **phone())
        await field.get_by_test_id("tab-me").click()
        picker = field.get_by_test_id("status-picker")
        await expect(picker).to_contain_text("在岗")
        for state, label in (("busy", "忙碌"), ("away", "离开")):
            await picker.get_by_text(label).click()
            await expect(picker).to_have_attribute("data-state", state)
            await _until(changes, state)
    finally:
        await commander.disconnect()


async def _until(changes: asyncio.Queue[dict[str, Any]], state: str) -> None:
    async def seen() -> None:
        while True:
            change = await changes.get()
            if change["username"] == WORKER and change["state"] == state:
                return

    await asyncio.wait_for(seen(), WAIT_S)
