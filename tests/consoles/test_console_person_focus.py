"""Picking a person under 人员在岗 centres the map on them, every time (issue 18, zh, 1600×900).

It did not always: the person's panel opening beside the map narrowed it without Leaflet
knowing (it watches the window, not its element), so the map centred on its old width and the
person stood ~150 px right of the centre; and a pick made while a zoom was animating (the
grids' fit after sign-in, a zoom button, a wheel turn) was dropped by Leaflet altogether.
"""

from __future__ import annotations

import re

import socketio
from playwright.async_api import Page, expect

from tests.consoles.browser import Browsers, wait_until
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub

DESKTOP = {"width": 1600, "height": 900}
OTHER = "w08"
WHERE = {WORKER: (36.9263, 118.5656), OTHER: (36.9551, 118.6402)}


def centred(username: str) -> str:
    """JS: the person's marker stands at the centre of the map's element (within 2 px)."""
    return f"""(() => {{
        const box = document.querySelector('[data-testid="live-map"]').getBoundingClientRect();
        const dot = document.querySelector('[data-testid="person-{username}"]');
        const icon = dot && dot.closest('.leaflet-marker-icon').getBoundingClientRect();
        return !!icon
            && Math.abs(icon.left + icon.width / 2 - (box.left + box.width / 2)) < 2
            && Math.abs(icon.top + icon.height / 2 - (box.top + box.height / 2)) < 2;
    }})()"""


async def report_positions(hub: ConsoleHub) -> list[socketio.AsyncClient]:
    clients = []
    for username, (lat, lon) in WHERE.items():
        client = socketio.AsyncClient()
        token = await hub.token(username)
        await client.connect(hub.url, auth={"token": token}, transports=["websocket"])
        clients.append(client)
        ack = await client.call("location.report", {"lat": lat, "lon": lon}, timeout=5)
        assert ack["ok"], ack
    return clients


async def pick(page: Page, username: str) -> None:
    """Pick the person; the map ends centred on them (to the pixel: the map's own centre
    may differ in the fifth decimal after a resize rounds to whole pixels), at street zoom."""
    await page.get_by_test_id(f"presence-{username}").click()
    await wait_until(page, centred(username))
    await expect(page.get_by_test_id("live-map")).to_have_attribute("data-view", re.compile(",15$"))


async def test_picking_a_person_centres_the_map_on_them(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    workers = await report_positions(console_hub)
    try:
        page = await browsers.signed_in(COMMANDER, PASSWORD, "/console", viewport=DESKTOP)
        await page.get_by_test_id(f"person-{OTHER}").wait_for()
        await page.get_by_text("人员在岗").click()
        # the first pick opens the person's panel beside the map, narrowing it
        await pick(page, WORKER)
        await expect(page.get_by_test_id("map-detail")).to_be_visible()
        # a pick while a zoom animates (the zoom button, then at once the person)
        await page.locator(".leaflet-control-zoom-out").click()
        await pick(page, OTHER)
    finally:
        for worker in workers:
            await worker.disconnect()
