"""The commander console in Chromium: sign-in and the demo county on the map."""

from __future__ import annotations

from playwright.async_api import expect

from tests.consoles.browser import Browsers, input_of
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub

SIGNED_IN = f'body[data-gh-user="{COMMANDER}"][data-gh-socket="connected"]'


async def test_commander_sees_the_county_on_the_map(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    grids = await console_hub.api("GET", "/api/v1/grids?geometry=true", COMMANDER)
    drawn = [g for g in grids if g["boundary"]]
    assert len(drawn) > 70  # the demo county: towns, villages, basic and overlay grids

    page = await browsers.signed_in(COMMANDER, PASSWORD)
    live_map = page.get_by_test_id("live-map")
    await live_map.and_(page.locator(f'[data-grid-count="{len(drawn)}"]')).wait_for()
    polygons = page.locator("path.gh-grid")
    assert await polygons.count() == len(drawn)
    assert await page.locator("path.gh-grid-town").count() == 3
    # Visible on screen, not just in the DOM: the map was fitted to the county.
    box = await page.locator("path.gh-grid-county").bounding_box()
    map_box = await live_map.bounding_box()
    assert box is not None
    assert map_box is not None
    assert box["width"] > map_box["width"] * 0.5 or box["height"] > map_box["height"] * 0.5
    # The grid tree names the county's towns.
    tree = page.get_by_test_id("grid-tree")
    for town in ("洛城街道", "稻田镇", "侯镇"):
        await tree.get_by_text(town, exact=True).wait_for()
    # No tile server is configured: nothing was asked of any other host.
    assert await page.locator(".leaflet-tile").count() == 0


async def test_field_staff_are_sent_to_their_own_app(browsers: Browsers) -> None:
    page = await browsers.signed_in(WORKER, PASSWORD)
    refused = page.get_by_test_id("console-refused")
    await expect(refused).to_contain_text("指挥调度台仅供指挥中心人员使用")
    await expect(refused).to_contain_text("/field")
    assert await page.get_by_test_id("live-map").count() == 0
    await refused.get_by_role("button", name="退出登录").click()
    await page.get_by_test_id("login-submit").wait_for()


async def test_a_reload_resumes_from_the_cookie_and_signing_out_ends_it(
    browsers: Browsers,
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD)
    # An earlier build kept the token pair in localStorage: a page load drops it.
    await page.evaluate("localStorage.setItem('gridhub.console.tokens', '{\"access\":\"x\"}')")
    await page.reload()
    await page.wait_for_selector(SIGNED_IN, state="attached")
    assert await page.evaluate("localStorage.getItem('gridhub.console.tokens')") is None
    assert await page.evaluate("Object.keys(sessionStorage).length") == 0
    assert "gridhub_refresh" not in await page.evaluate("document.cookie")

    await page.locator(".user").click()  # the user menu opens on click only
    await page.get_by_test_id("logout").click()
    await page.get_by_test_id("login-submit").wait_for()
    names = {c["name"] for c in await page.context.cookies()}
    assert not names & {"gridhub_refresh", "gridhub_csrf"}
    await page.reload()  # nothing left to resume: the sign-in form, and no refused request
    await page.get_by_test_id("login-submit").wait_for()
    assert await page.evaluate("document.body.dataset.ghUser") is None


async def test_an_empty_sign_in_marks_what_is_missing_and_a_wrong_one_says_tries_left(
    browsers: Browsers,
) -> None:
    page = await browsers.page("/console", viewport={"width": 1600, "height": 900})
    await page.get_by_test_id("login-submit").click()
    missing = page.locator(".el-form-item.is-error")
    await expect(missing).to_have_count(2)
    await expect(missing.nth(0)).to_contain_text("请输入用户名")
    await expect(missing.nth(1)).to_contain_text("请输入密码")
    # Typing the name clears its mark; the password stays marked.
    await input_of(page, "login-username").fill(COMMANDER)
    await page.get_by_test_id("login-submit").click()
    await expect(missing).to_have_count(1)
    await expect(missing).to_contain_text("请输入密码")
    # A wrong password says how many tries are left before the lockout.
    browsers.errors.ignored.append("401 (Unauthorized)")  # Chromium logs the refusal itself
    await input_of(page, "login-password").fill("wrong-password")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("login-error")).to_contain_text("还可尝试 4 次")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("login-error")).to_contain_text("还可尝试 3 次")
