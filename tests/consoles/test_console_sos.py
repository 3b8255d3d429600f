"""An SOS from a worker reaches the console loudly; the commander takes it over in the UI."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio
from playwright.async_api import expect

from tests.consoles.browser import Browsers, input_of, wait_until
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub

LIVE_MS = 5_000


async def test_sos_takeover_and_close_from_the_console(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    page = await browsers.signed_in(
        COMMANDER, PASSWORD, "/console/alarms", permissions=["notifications"]
    )
    await page.get_by_test_id("sos-panel").wait_for()
    worker = socketio.AsyncClient()
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    worker.on("escalation.sos.received", received.put_nowait)
    token = await console_hub.token(WORKER)
    await worker.connect(console_hub.url, auth={"token": token}, transports=["websocket"])
    try:
        raised = await worker.call(
            "escalation.sos.raise", {"lat": 36.9263, "lon": 118.5656, "note": "河边滑倒"}, timeout=5
        )
        sos = raised["sos"]
        card = page.get_by_test_id(f"sos-{sos['id']}")
        await expect(card).to_have_attribute("data-state", "open", timeout=LIVE_MS)
        await expect(card).to_contain_text("河边滑倒")
        await expect(page.get_by_test_id("sos-indicator")).to_be_visible()
        await page.get_by_test_id(f"flash-sos-{sos['id']}").wait_for()
        await wait_until(page, "Number(document.body.dataset.ghSirenLevel) > 0.05")
        assert await page.evaluate("document.body.dataset.ghNotified") == "1"

        await page.get_by_test_id(f"sos-take-{sos['id']}").click()
        await expect(card).to_have_attribute("data-state", "acknowledged")
        notice = await asyncio.wait_for(received.get(), 5)
        assert notice["sos_id"] == sos["id"]
        assert notice["received_by"] == "张秀英"  # county.cmd

        await card.get_by_role("button", name="处置完毕").click()
        await input_of(page, "sos-close-note").fill("已送医，无大碍")
        await page.get_by_test_id("sos-close-submit").click()
        await expect(card).to_have_count(0)
    finally:
        await worker.disconnect()
    closed = await console_hub.api("GET", f"/api/v1/escalation/sos/{sos['id']}", COMMANDER)
    assert closed["sos"]["state"] == "closed"
    assert closed["sos"]["close_note"] == "已送医，无大碍"
