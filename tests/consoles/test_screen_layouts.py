"""A deployment's big-screen themes in a real browser: a configured layout shows exactly its
panels, the console's own and a plugin's, in its order; ?layout= and the theme picker switch
layouts, and a commander without one in the URL gets the layout naming their role."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, ConsoleHub, StartConsoleHub
from tests.hub.ui_plugin import NAME, ui_plugin

PLACES = f"{NAME}/places"
LAYOUTS: dict[str, Any] = {
    "screen_layouts": {
        "governance": {
            "title_zh": "综合治理",
            "title_en": "Comprehensive governance",
            "panels": ["kpis", "by_type", "sos"],
            "roles": ["commander"],
        },
        "grassroots": {
            "title_zh": "基层治理",
            "title_en": "Grassroots governance",
            "panels": [PLACES, "live_feed", "kpis", "on_time"],
        },
    }
}


@pytest.fixture
async def console_hub(start_console_hub: StartConsoleHub, tmp_path: Path) -> ConsoleHub:
    return await start_console_hub(more={NAME: ui_plugin(tmp_path)}, ui=LAYOUTS)


async def shown(page: Page) -> list[str | None]:
    panels = page.get_by_test_id("screen-panels").locator("[data-panel]")
    return [await panel.get_attribute("data-panel") for panel in await panels.all()]


async def test_a_configured_layout_shows_exactly_its_panels_in_order(
    browsers: Browsers,
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/screen?layout=grassroots")
    screen = page.get_by_test_id("big-screen")
    await expect(screen).to_have_attribute("data-layout", "grassroots")
    await expect(page.get_by_test_id(f"screen-panel-{NAME}-places")).to_contain_text("地点面板")
    assert await shown(page) == [PLACES, "live_feed", "kpis", "on_time"]
    await expect(page.get_by_test_id("screen-panel-live_feed")).to_contain_text("实时动态")

    await page.get_by_test_id("screen-layout").select_option("governance")
    await expect(screen).to_have_attribute("data-layout", "governance")
    assert await shown(page) == ["kpis", "by_type", "sos"]
    await expect(page.get_by_test_id("screen-panel-sos")).to_contain_text("当前没有 SOS 报警")

    await page.goto("/console/screen")  # the commander's own: the layout naming their role
    await expect(screen).to_have_attribute("data-layout", "governance")
    await page.get_by_test_id("screen-layout").select_option("all")  # everything, and ours
    await expect(page.get_by_test_id(f"screen-panel-{NAME}-places")).to_be_visible()
    assert len(await shown(page)) == 9
