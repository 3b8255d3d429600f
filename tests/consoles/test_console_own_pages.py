"""The console's own pages for dispatch and alarms are the plugins' contributions (dogfooding):
drawn by the modules of the dispatch, alarms and escalation bundles, at the console's old
addresses, in the old tab order, with the tabs' numbers from the bundles' badge exports."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, ConsoleHub

DISPATCHER = "county.dispatch"
BASIC = "370783-001-001-01"
LIVE_MS = 5_000


def module_of(plugin: str) -> str:
    return f'[data-plugin-module^="/plugins/{plugin}/static/{plugin}.js?v="]'


async def test_the_boards_come_from_the_plugins_bundles_at_the_old_addresses(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents")
    await expect(
        page.locator(module_of("dispatch")).get_by_test_id("incident-board")
    ).to_be_visible()
    tabs = page.locator("nav.tabs > .tab")
    await expect(tabs).to_have_count(6)
    order = [await tab.get_attribute("data-testid") for tab in await tabs.all()]
    assert order == [
        "nav-map",
        "nav-incidents",
        "nav-alarms",
        "nav-channels",
        "nav-calls",
        "nav-screen",
    ]
    await expect(page.get_by_test_id("nav-incidents")).to_have_class(re.compile(r"\bactive\b"))

    await page.get_by_test_id("nav-alarms").click()
    await expect(page).to_have_url(re.compile(r"/console/alarms$"))
    alarms = page.locator(module_of("alarms"))
    await expect(alarms.get_by_test_id("alarm-table")).to_be_visible()
    # escalation's SOS panel is its section of the alarms page, loaded from its own bundle
    section = alarms.locator('[data-section="escalation-sos"]' + module_of("escalation"))
    await expect(section.get_by_test_id("sos-panel")).to_be_visible()
    await page.reload()
    await expect(page.locator(module_of("alarms")).get_by_test_id("alarm-table")).to_be_visible()
    await expect(page.get_by_test_id("sos-panel")).to_be_visible()


async def test_the_incidents_tab_counts_open_incidents_live(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/")
    await report(console_hub, "村口路灯不亮")  # at least one open: the tab shows a number
    badge = page.get_by_test_id("nav-incidents").locator(".el-badge__content")
    await expect(badge).to_have_text(re.compile(r"^[1-9]\d*$"), timeout=LIVE_MS)
    before = int(await badge.inner_text())
    await report(console_hub, "东街井盖缺失")
    await expect(badge).to_have_text(str(before + 1), timeout=LIVE_MS)


async def report(hub: ConsoleHub, title: str) -> None:
    await hub.api(
        "POST", "/api/v1/dispatch/incidents", DISPATCHER,
        json={"title": title, "category": "env_sanitation", "grid": BASIC},
    )  # fmt: skip
