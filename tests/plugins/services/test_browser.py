"""便民服务 in the browser (Debian's Chromium): a resident with no account books a venue on the
residents' page (/report), and the village commander approves it on the console page."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import Browsers, input_of, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.services.conftest import API, VILLAGE, add_venue, services_hub

PURPOSE = "重阳节文艺汇演排练"


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    return await services_hub(start_gridhub, "dispatch", "alarms", "escalation")


async def test_a_resident_books_and_the_village_approves(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    officer = await console_hub.sign_in("v01.cmd")
    venue = await add_venue(officer, await console_hub.grid_id(VILLAGE))

    resident = await browsers.page("/report", name="resident")
    section = resident.get_by_test_id("section-services-services")
    await expect(section).to_contain_text("便民服务")
    await section.get_by_test_id("services-village").click()
    await resident.locator(".el-select-dropdown__item", has_text="东庄村").first.click()
    slot = section.get_by_test_id("services-slot").filter(has_text="09:00–10:00")
    await slot.click()
    await input_of(resident, "services-purpose").fill(PURPOSE)
    await input_of(resident, "services-name").fill("王秀兰")
    await input_of(resident, "services-phone").fill("13800001234")
    await section.get_by_test_id("services-book").click()
    await expect(section.get_by_test_id("services-booked")).to_contain_text("待审批")
    await expect(slot).to_be_disabled()  # the day now shows the slot as held

    page = await browsers.signed_in("v01.cmd", PASSWORD, "/console")
    await page.get_by_test_id("nav-plugin-services-services").click()
    pending = page.get_by_test_id("services-pending")
    await expect(pending).to_contain_text(PURPOSE)
    await expect(pending).to_contain_text("138****1234")  # masked on the console
    await pending.get_by_test_id("services-approve").click()
    await expect(page.get_by_test_id("services-pending")).to_have_count(0)
    await expect(page.get_by_test_id("services-bookings")).to_contain_text("已批准")
    stored = await officer.json("GET", f"{API}/bookings", params={"venue_id": venue["id"]})
    assert [(b["purpose"], b["state"]) for b in stored["bookings"]] == [(PURPOSE, "approved")]


async def test_an_officer_edits_venues_and_an_admin_the_catalogue(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    officer = await console_hub.sign_in("v01.cmd")
    page = await browsers.signed_in("v01.cmd", PASSWORD, "/console")
    await page.get_by_test_id("nav-plugin-services-services").click()
    await page.locator("#tab-setup").click()
    setup = page.get_by_test_id("services-setup")
    await setup.get_by_test_id("services-venue-add").click()
    await setup.get_by_test_id("services-venue-grid").click()
    await page.locator(".el-select-dropdown__item").get_by_text("东庄村", exact=True).click()
    await input_of(page, "services-venue-name").fill("<b>新时代文明实践站</b>")
    await input_of(page, "services-venue-opens").fill("09:00")
    await setup.get_by_test_id("services-venue-save").click()
    venues = setup.get_by_test_id("services-setup-venues")
    await expect(venues).to_contain_text("<b>新时代文明实践站</b>")  # typed text shown as text
    await expect(venues).to_contain_text("09:00–21:00")

    row = venues.locator("tr", has_text="新时代文明实践站")
    await row.get_by_test_id("services-venue-edit").click()
    await input_of(page, "services-venue-closes").fill("18:00")
    await setup.get_by_test_id("services-venue-active").click()
    await setup.get_by_test_id("services-venue-save").click()
    await expect(row).to_contain_text("09:00–18:00")
    await expect(row).to_contain_text("停用")
    stored = {v["name"]: v for v in (await officer.json("GET", f"{API}/venues"))["venues"]}
    changed = stored["<b>新时代文明实践站</b>"]
    assert (changed["opens"], changed["closes"], changed["active"]) == ("09:00", "18:00", False)
    await expect(setup.get_by_test_id("services-item-edit")).to_have_count(0)  # admins only

    item_in = {"code": "medical_claim", "name_zh": "医保报销", "name_en": "Medical claims",
               "department": "医保局", "documents": ["身份证"]}  # fmt: skip
    await (await console_hub.admin()).json("PUT", f"{API}/items", json=item_in)
    admin = await browsers.signed_in("admin", PASSWORD, "/console")
    await admin.get_by_test_id("nav-plugin-services-services").click()
    await admin.locator("#tab-setup").click()
    item = admin.get_by_test_id("services-setup-items").locator("tr", has_text="医保报销")
    await item.get_by_test_id("services-item-edit").click()
    await input_of(admin, "services-item-documents").fill("身份证\n医保卡\n住院发票")
    await admin.get_by_test_id("services-item-save").click()
    await expect(item).to_contain_text("身份证、医保卡、住院发票")
    catalogue = (await officer.json("GET", f"{API}/items"))["items"]
    [edited] = [i for i in catalogue if i["name_zh"] == "医保报销"]
    assert edited["documents"] == ["身份证", "医保卡", "住院发票"]
