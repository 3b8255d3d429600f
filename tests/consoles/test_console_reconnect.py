"""After losing its connection the console catches up with what it missed."""

from __future__ import annotations

from playwright.async_api import expect

from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, ConsoleHub

BASIC = "370783-001-001-01"
RECONNECT_MS = 15_000  # socket.io's reconnection back-off starts at 1 s, grows to 5 s


async def test_console_reloads_what_it_missed_while_offline(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents")
    await page.get_by_test_id("incident-board").wait_for()
    body = page.locator("body")

    # Chromium itself logs every request that fails while the context is offline (the console's
    # reloads and socket.io's reconnect attempts): expected here, and only here.
    browsers.errors.ignored.append("net::ERR_INTERNET_DISCONNECTED")
    await page.context.set_offline(True)
    await expect(body).to_have_attribute("data-gh-socket", "disconnected", timeout=RECONNECT_MS)
    missed = await console_hub.api(
        "POST", "/api/v1/dispatch/incidents", "county.dispatch",
        json={"title": "断线期间上报的事件", "category": "env_sanitation", "grid": BASIC},
    )  # fmt: skip
    card = page.get_by_test_id(f"incident-card-{missed['id']}")
    assert await card.count() == 0

    await page.context.set_offline(False)
    await expect(body).to_have_attribute("data-gh-socket", "connected", timeout=RECONNECT_MS)
    await expect(card).to_have_attribute("data-state", "registered")
