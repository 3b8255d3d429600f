"""The console's venue week and closures in the browser (Debian's Chromium): v01.cmd closes a
venue for two days through the form, the week shows them 闭馆 with the reason and the resident's
booking on the third day; a public booking into the closure is refused; v01.cmd reopens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import Browsers, input_of, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.services.conftest import API, VILLAGE, add_venue, booking, services_hub, tomorrow


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    return await services_hub(start_gridhub, "dispatch", "alarms", "escalation")


async def test_an_officer_closes_a_venue_and_the_week_shows_it(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    officer = await console_hub.sign_in("v01.cmd")
    venue = await add_venue(officer, await console_hub.grid_id(VILLAGE))
    public = console_hub.anonymous()
    third = tomorrow() + timedelta(days=2)
    path = f"{API}/public/venues/{venue['id']}/bookings"
    await public.json("POST", path, json=booking(day=third, purpose="书法班"))

    page = await browsers.signed_in("v01.cmd", PASSWORD, "/console")
    await page.get_by_test_id("nav-plugin-services-services").click()
    week = page.get_by_test_id("services-week")
    await expect(week.get_by_test_id("services-week-day")).to_have_count(7)
    await expect(week.get_by_test_id("services-week-day").nth(2)).to_contain_text("书法班")
    inputs = page.get_by_test_id("services-closure-period").locator(".el-range-input")
    await inputs.nth(0).click()
    await inputs.nth(0).fill(tomorrow().isoformat())
    await inputs.nth(1).fill((tomorrow() + timedelta(days=1)).isoformat())
    await inputs.nth(1).press("Enter")
    await input_of(page, "services-closure-reason").fill("设备检修")
    await page.get_by_test_id("services-closure-add").click()
    await expect(page.get_by_test_id("services-closure")).to_contain_text("设备检修")
    closed = week.get_by_test_id("services-week-closed")
    await expect(closed).to_have_count(2)
    await expect(closed.first).to_contain_text("设备检修")
    assert await public.refused("POST", path, json=booking()) == (409, "services.day_closed")
    stored = (await officer.json("GET", f"{API}/venues/{venue['id']}/closures"))["closures"]
    assert [(c["first_day"], c["last_day"]) for c in stored] == [
        (tomorrow().isoformat(), (tomorrow() + timedelta(days=1)).isoformat())
    ]

    await page.get_by_test_id("services-closure-reopen").click()
    await expect(page.get_by_test_id("services-closure")).to_have_count(0)
    await expect(closed).to_have_count(0)
    await public.json("POST", path, json=booking())
