"""为老服务 in the browser (Debian's Chromium): an elderly resident signs in with their own
account on the residents' page (/report), books a meal offer of their village, and the village
commander confirms it on the console page; the resident then sees it confirmed."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import Browsers, input_of, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.services.conftest import API, OTHER_VILLAGE, VILLAGE, services_hub


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    return await services_hub(start_gridhub, "dispatch", "alarms", "escalation")


async def test_an_elderly_resident_books_care_and_the_village_confirms(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    hub = console_hub
    await hub.add_person("canteen", [("services_provider", VILLAGE)], display_name="幸福食堂")
    await hub.add_person("laozhang", [("resident", f"{VILLAGE}-01")], display_name="张奶奶")
    provider = await hub.sign_in("canteen")
    meal = {"grid_id": await hub.grid_id(VILLAGE), "kind": "meal", "title": "助老送餐",
            "description": "午餐送到家"}  # fmt: skip
    other = {**meal, "grid_id": await hub.grid_id(OTHER_VILLAGE), "title": "王家村助浴"}
    await provider.json("POST", f"{API}/care/offers", json=meal)
    await (await hub.sign_in("v02.cmd")).json("POST", f"{API}/care/offers", json=other)

    resident = await browsers.page("/report", name="resident")
    section = resident.get_by_test_id("section-services-services")
    await section.locator("#tab-care").click()
    await input_of(resident, "services-care-username").fill("laozhang")
    await input_of(resident, "services-care-password").fill(PASSWORD)
    await section.get_by_test_id("services-care-login").click()
    offers = section.get_by_test_id("services-care-offer")
    await expect(offers).to_have_count(1)  # 王家村's offer is not shown
    await expect(offers).to_contain_text("助老送餐")
    await input_of(resident, "services-care-phone").fill("13600002222")
    await offers.get_by_test_id("services-care-book").click()
    await expect(section.get_by_test_id("services-care-notice")).to_contain_text("已预约")
    mine = section.get_by_test_id("services-care-booking")
    await expect(mine).to_contain_text("待确认")

    page = await browsers.signed_in("v01.cmd", PASSWORD, "/console")
    await page.get_by_test_id("nav-plugin-services-services").click()
    await page.locator("#tab-care").click()
    row = page.get_by_test_id("services-care-bookings").locator("tr", has_text="张奶奶")
    await row.get_by_test_id("services-care-confirm").click()
    await expect(row).to_contain_text("已确认")

    await section.get_by_test_id("services-care-refresh").click()
    await expect(mine).to_contain_text("已确认")
    stored = (await provider.json("GET", f"{API}/care/bookings"))["bookings"]
    assert [(b["name"], b["state"], b["phone"]) for b in stored] == [
        ("张奶奶", "confirmed", "136****2222")
    ]
