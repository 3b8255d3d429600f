"""The map's people: a worker's live position, track playback, and the English switch."""

from __future__ import annotations

import time

import socketio
from playwright.async_api import expect

from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub

# A walk from 东庄村第一网格 (w01's grid), one report every five minutes; the last step is long
# enough (2 km north) to move the marker visibly on the county-wide map.
WALK = [(36.9263 + 0.0004 * i, 118.5656 + 0.0003 * (i % 3)) for i in range(7)] + [(36.945, 118.566)]


async def test_worker_position_track_and_english(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    worker = socketio.AsyncClient()
    token = await console_hub.token(WORKER)
    await worker.connect(console_hub.url, auth={"token": token}, transports=["websocket"])
    try:
        now = time.time()
        for i, (lat, lon) in enumerate(WALK[:-1]):
            at = now - (len(WALK) - i) * 300
            ack = await worker.call("location.report", {"lat": lat, "lon": lon, "at": at})
            assert ack["ok"], ack
        page = await browsers.signed_in(COMMANDER, PASSWORD, "/console")
        marker = page.get_by_test_id(f"person-{WORKER}")
        await marker.wait_for()
        lat, lon = WALK[-1]
        await worker.call("location.report", {"lat": lat, "lon": lon, "battery": 77})
        # The marker moves live (location.changed). Its position is read from the marker itself,
        # not from the screen: the map may still be fitting its view when the marker appears.
        await expect(marker).to_have_attribute("data-lat", str(lat))
        await expect(marker).to_have_attribute("data-lon", str(lon))
        await expect(marker).to_be_visible()

        await page.get_by_text("人员在岗").click()
        row = page.get_by_test_id(f"presence-{WORKER}")
        await expect(row).to_have_attribute("data-state", "online")
        await row.click()
        detail = page.get_by_test_id("map-detail")
        await expect(detail).to_contain_text("77%")
        await page.get_by_test_id("track-play").click()
        await expect(page.locator("path.gh-track")).to_have_count(1)
        # Every stored report is on the track (location.track), the live one included.
        live_map = page.get_by_test_id("live-map")
        await expect(live_map).to_have_attribute("data-track-points", str(len(WALK)))
    finally:
        await worker.disconnect()

    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_test_id("nav-incidents")).to_have_text("Incidents")
    await expect(page.get_by_text("People on duty")).to_be_visible()
    assert await page.evaluate("document.documentElement.lang") == "en"
