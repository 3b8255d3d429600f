"""One count, one definition (zh, 1600×900): the grid panel, the grid tree's badges, the map
legend and the big screen show the same numbers of active alarms, open incidents and people
online for the same grids (docs/consoles.md, 'Counts')."""

from __future__ import annotations

import socketio
from playwright.async_api import Page, expect

from plugins.alarms.client import DeviceClient
from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub

DESKTOP = {"width": 1600, "height": 900}
BASIC = "370783-001-001-01"  # w01's grid, two levels under its town
TOWN = "370783-001"
COUNTY = "370783"


async def panel_counts(page: Page, code: str) -> tuple[str, str, str]:
    """The grid panel's (alarms, incidents, people online) after picking the grid in the tree."""
    await page.get_by_test_id(f"grid-node-{code}").click()
    panel = page.get_by_test_id("grid-counts")
    await expect(panel).to_have_attribute("data-grid", code)
    return (
        await panel.get_attribute("data-alarms") or "",
        await panel.get_attribute("data-incidents") or "",
        await panel.get_attribute("data-people") or "",
    )


async def test_panel_tree_legend_and_screen_agree(
    console_hub: ConsoleHub, browsers: Browsers, devices: list[DeviceClient]
) -> None:
    await console_hub.api(
        "POST", "/api/v1/dispatch/incidents", "county.dispatch",
        json={"title": "东庄村路面塌陷", "category": "env_sanitation", "grid": BASIC},
    )  # fmt: skip
    device = console_hub.device("dev-wl-01")
    devices.append(device)
    await device.connect()
    await device.alarm("high_water", "MAJOR", message="水位超警戒")
    worker = socketio.AsyncClient()
    await worker.connect(
        console_hub.url, auth={"token": await console_hub.token(WORKER)}, transports=["websocket"]
    )
    try:
        page = await browsers.signed_in(COMMANDER, PASSWORD, "/console", viewport=DESKTOP)
        legend = page.get_by_test_id("map-legend")
        await expect(legend.get_by_test_id("legend-alarms")).to_have_text("活动告警 1")
        await expect(legend.get_by_test_id("legend-incidents")).to_have_text("在办事件 1")

        town = page.get_by_test_id(f"grid-node-{TOWN}")
        town_panel = await panel_counts(page, TOWN)
        assert town_panel[1] == "1"  # the incident two levels down counts for its town
        await expect(town.locator(".inc")).to_have_text(f"▼{town_panel[1]}")

        county = await panel_counts(page, COUNTY)
        assert county[:2] == ("1", "1")
        await expect(
            page.get_by_test_id(f"grid-node-{COUNTY}").locator(".sev-CRITICAL").first
        ).to_have_text("◉1")

        await page.goto(page.url.split("/console")[0] + "/console/screen")
        await expect(page.get_by_test_id("kpi-alarms")).to_have_text("1")
        await expect(page.get_by_test_id("kpi-online")).to_have_text(county[2])
        assert int(county[2]) >= 2  # the commander and w01, both signed in
    finally:
        await worker.disconnect()
