"""gridhub-hello in the console, loaded at run time from its prebuilt bundle: a commander who
holds its role opens its page from the nav, posts a greeting and sees it, finds its layer
under 图层 on the map and its panel on the big screen. The console was built without it."""

from __future__ import annotations

from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from tests.consoles.browser import Browsers, input_of
from tests.plugin_package.conftest import COMMANDER, COUNTY, KEEPER

NAV = "nav-plugin-hello-greetings"


async def test_a_keeper_uses_the_plugin_page_layer_and_panel(
    console_hub: RunningHub, browsers: Browsers
) -> None:
    await console_hub.grant(COMMANDER, KEEPER, COUNTY)
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console")
    await page.get_by_test_id(NAV).click()
    await expect(page).to_have_url(f"{console_hub.url}/console/p/hello/greetings")
    await expect(page.get_by_test_id("hello-page")).to_be_visible()

    typed = "<i>今晚七点</i> 村口放电影"
    await input_of(page, "hello-text").fill(typed)
    await page.get_by_test_id("hello-post").click()
    first = page.get_by_test_id("hello-greeting").first
    await expect(first).to_contain_text(typed)  # shown as typed: text, not markup
    await expect(page.locator('[data-testid="hello-greeting"] i')).to_have_count(0)
    stored = await (await console_hub.sign_in(COMMANDER)).json("GET", "/api/v1/hello/greetings")
    assert [g["text"] for g in stored["greetings"]] == [typed]

    await page.get_by_test_id("nav-map").click()
    toggle = page.get_by_test_id("layer-plugin-hello-greetings")
    await expect(toggle).to_contain_text("村口公告")
    await toggle.click()
    await expect(page.locator("path.gh-plugin-layer-hello-greetings")).to_have_count(1)

    screen = await browsers.signed_in(COMMANDER, PASSWORD, "/console/screen")
    panel = screen.get_by_test_id("screen-panel-hello-greetings")
    await expect(panel.get_by_test_id("hello-count")).to_have_text("1")


async def test_without_the_role_the_console_shows_none_of_it(
    console_hub: RunningHub, browsers: Browsers
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/p/hello/greetings")
    # shown once the manifest is read: from then on the nav is complete
    await expect(page.get_by_test_id("plugin-page-missing")).to_be_visible()
    await expect(page.get_by_test_id("hello-page")).to_have_count(0)
    await expect(page.get_by_test_id("nav-map")).to_be_visible()
    await expect(page.get_by_test_id(NAV)).to_have_count(0)
