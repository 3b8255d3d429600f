"""矛盾调解 with the archives plugin, in the browser (Debian's Chromium): the town commander
picks the applicant from the archive in the 登记纠纷 form, and the case drawer shows the linked
person masked."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import Browsers, input_of, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.archives.conftest import add_resident, id_number
from tests.plugins.mediation.conftest import API, BASIC, add_people


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    hub = await start_gridhub(
        ["dispatch", "alarms", "escalation", "archives", "mediation"], demo=True
    )
    await add_people(hub)
    await hub.add_person("arch.officer", [("archives_officer", "370783")], display_name="档案员")
    return hub


async def test_the_applicant_is_picked_from_the_archive(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    officer = await console_hub.sign_in("arch.officer")
    basic = await console_hub.grid_id(BASIC)
    person = await add_resident(officer, basic, id_number("37078319650505123"), name="欧阳明远")
    page = await browsers.signed_in("town1.cmd", PASSWORD, "/console")
    await page.get_by_test_id("nav-plugin-mediation-cases").click()
    await page.get_by_test_id("mediation-new").click()
    await page.get_by_test_id("mediation-applicant-person").click()
    await page.keyboard.type("欧阳")
    await page.get_by_role("option", name=re.compile("^欧阳明远")).click()  # the shown dropdown
    await expect(input_of(page, "mediation-applicant")).to_have_value("欧阳明远")
    await input_of(page, "mediation-summary").fill("承包地界桩争议")
    await page.get_by_test_id("mediation-save").click()

    drawer = page.get_by_test_id("mediation-drawer")
    await expect(drawer.get_by_test_id("mediation-party-person")).to_contain_text("档案人员 欧**")
    town = await console_hub.sign_in("town1.cmd")
    [case] = (await town.json("GET", f"{API}/cases"))["cases"]
    detail = await town.json("GET", f"{API}/cases/{case['id']}")
    assert [p["person"]["id"] for p in detail["parties"]] == [person["id"]]
