"""A plugin's console contributions in a real browser: its page module, served from the
plugin's own static folder and importing `vue`, `element-plus` and `@gridhub/host` bare
(tests/hub/ui_plugin.py), becomes a nav tab and a working page on the host's single Vue;
its map layer toggles under 图层; its big-screen panel shows; a broken page stays contained."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, ConsoleHub, StartConsoleHub
from tests.hub.ui_plugin import NAME, ui_plugin

BROKEN = "this page is broken on purpose"


@pytest.fixture
async def console_hub(start_console_hub: StartConsoleHub, tmp_path: Path) -> ConsoleHub:
    """The demo hub with every plugin and the test plugin, its bundle in tmp_path/static."""
    return await start_console_hub(more={NAME: ui_plugin(tmp_path)})


async def open_counter(page: Page) -> None:
    tab = page.get_by_test_id(f"nav-plugin-{NAME}-counter")
    await expect(tab).to_have_text("计数器")
    await tab.click()
    await expect(page.get_by_test_id("uitest-page")).to_be_visible()


async def test_a_plugin_page_is_a_tab_on_the_hosts_vue_and_survives_a_reload(
    browsers: Browsers,
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console")
    await open_counter(page)
    assert page.url.endswith(f"/console/p/{NAME}/counter")
    count = page.get_by_test_id("uitest-count")
    await expect(count).to_have_text("计数 0")
    button = page.get_by_test_id("uitest-add")
    await expect(button).to_have_class("el-button el-button--primary")  # the host's Element Plus
    await button.click()
    await button.click()
    await expect(count).to_have_text("计数 2")  # a plugin ref drives the host's renderer
    await expect(page.get_by_test_id("uitest-user")).to_have_text(COMMANDER)  # @gridhub/host
    # the host's router and i18n instances (useRoute, useI18n from the bare imports)
    await expect(page.get_by_test_id("uitest-route")).to_have_text(f"/p/{NAME}/counter")
    await expect(page.get_by_test_id("uitest-i18n")).to_have_text("刷新")
    # the plugin's stylesheet, linked from the manifest
    outline = "getComputedStyle(document.querySelector('[data-testid=uitest-page]')).outlineColor"
    assert await page.evaluate(outline) == "rgb(0, 128, 0)"

    await page.get_by_role("button", name="English").click()
    await expect(count).to_have_text("Count 2")  # text() follows the page's language
    await expect(page.get_by_test_id("uitest-i18n")).to_have_text("Refresh")
    await expect(page.get_by_test_id(f"nav-plugin-{NAME}-counter")).to_have_text("Counter")

    await page.reload()  # a deep link: the route exists before the manifest is read
    await expect(page.get_by_test_id("uitest-count")).to_have_text("Count 0")


async def test_a_broken_plugin_page_shows_its_error_and_the_console_goes_on(
    browsers: Browsers,
) -> None:
    browsers.errors.ignored.append(BROKEN)  # logged on purpose by PluginSlot
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console")
    await page.get_by_test_id(f"nav-plugin-{NAME}-broken").click()
    error = page.get_by_test_id("plugin-error")
    await expect(error).to_contain_text("插件无法显示")
    await expect(error).to_contain_text(BROKEN)
    await open_counter(page)  # the shell and the other plugin pages still work
    await page.get_by_test_id("nav-incidents").click()
    await expect(page).to_have_url(re.compile(r"/console/incidents$"))


async def test_a_plugin_map_layer_toggles_and_its_panel_is_on_the_big_screen(
    browsers: Browsers,
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console")
    toggle = page.get_by_test_id(f"layer-plugin-{NAME}-places")
    await expect(toggle).to_have_text("地点")
    drawn = page.locator(f"path.gh-plugin-layer-{NAME}-places")
    await expect(drawn).to_have_count(0)  # not default_on
    await toggle.click()
    await expect(drawn).to_have_count(1)  # the GeoJSON point, as a circle marker
    await expect(drawn).to_have_attribute("stroke", "#00ff88")
    await toggle.click()
    await expect(drawn).to_have_count(0)

    await page.goto("/console/screen")
    panel = page.get_by_test_id(f"screen-panel-{NAME}-places")
    await expect(panel.get_by_test_id("uitest-panel")).to_have_text("地点面板")
    # `echarts` resolves to the host's copy too
    await expect(panel.get_by_test_id("uitest-panel")).to_have_attribute(
        "data-echarts", re.compile(r"^\d+\.")
    )
