"""The big screen (展示中心) follows the county live: incidents, people online, alarms."""

from __future__ import annotations

import socketio
from playwright.async_api import expect

from plugins.alarms.client import DeviceClient
from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub

BASIC = "370783-001-001-01"
REFRESH_MS = 9_000  # a push refreshes the KPIs at most every 5 s (1.5 s after a quiet spell)


async def test_big_screen_refreshes_live(
    console_hub: ConsoleHub, browsers: Browsers, devices: list[DeviceClient]
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/screen")
    screen = page.get_by_test_id("big-screen")
    await expect(screen).not_to_have_attribute("data-refreshes", "0")
    await expect(page.get_by_test_id("kpi-total")).to_have_text("0")
    assert await page.locator('[data-testid="chart-per-day"] canvas').count() == 1
    online = int(await page.get_by_test_id("kpi-online").inner_text())

    await console_hub.api(
        "POST", "/api/v1/dispatch/incidents", "county.dispatch",
        json={"title": "东庄桥北侧积水", "category": "env_sanitation", "grid": BASIC},
    )  # fmt: skip
    await expect(page.get_by_test_id("kpi-total")).to_have_text("1", timeout=REFRESH_MS)
    await expect(page.get_by_test_id("kpi-open")).to_have_text("1")

    worker = socketio.AsyncClient()
    token = await console_hub.token(WORKER)
    await worker.connect(console_hub.url, auth={"token": token}, transports=["websocket"])
    try:
        await expect(page.get_by_test_id("kpi-online")).to_have_text(str(online + 1))
    finally:
        await worker.disconnect()

    device = console_hub.device("dev-wl-01")
    devices.append(device)
    await device.connect()
    await device.alarm("high_water", "MAJOR", message="水位超警戒")
    await expect(page.get_by_test_id("kpi-alarms")).to_have_text("1")
