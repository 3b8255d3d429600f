"""Booking care for an archives person in the console (Debian's Chromium): with the archives
plugin, v01.cmd picks the elderly person from the archives' list (masked, with age) in the
为老服务 tab, and the booking names the person (resident_id)."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import Browsers, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.services.conftest import API, VILLAGE, services_hub
from tests.plugins.services.test_elders import BASIC, add_resident


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    return await services_hub(start_gridhub, "dispatch", "alarms", "escalation", "archives")


async def test_an_officer_books_care_for_a_person_picked_from_the_archives(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    hub = console_hub
    officer = await hub.sign_in("v01.cmd")
    elder = await add_resident(officer, await hub.grid_id(BASIC), "钱奶奶", "19400105")
    meal = {"grid_id": await hub.grid_id(VILLAGE), "kind": "meal", "title": "助老送餐"}
    offer = await officer.json("POST", f"{API}/care/offers", json=meal)

    page = await browsers.signed_in("v01.cmd", PASSWORD, "/console")
    await page.get_by_test_id("nav-plugin-services-services").click()
    await page.locator("#tab-care").click()
    form = page.get_by_test_id("services-care-book-for")
    await form.get_by_test_id("services-care-offer-pick").click()
    await page.locator(".el-select-dropdown__item", has_text="助老送餐").click()
    await form.get_by_test_id("services-care-elder-pick").click()
    person = page.locator(".el-select-dropdown__item", has_text="钱**")
    await expect(person).to_contain_text("岁")
    await person.click()
    await form.get_by_test_id("services-care-book-submit").click()
    await expect(page.get_by_test_id("services-care-bookings")).to_contain_text("待确认")
    stored = (await officer.json("GET", f"{API}/care/bookings"))["bookings"]
    assert [(b["offer_id"], b["resident_id"], b["state"]) for b in stored] == [
        (offer["id"], elder, "requested")
    ]
