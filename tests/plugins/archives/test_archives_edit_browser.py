"""The console's edit forms in Chromium (zh): a village commander opens a person's card, edits
the person (the ID number and phone stay masked: the phone input is empty until typed) and the
person's house, picking its standard address level by level (road, then number); each save is a
new version of the record, audited, with the personal value never in the audit."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import Browsers, input_of, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.archives.conftest import API, BASIC, ID_MAN, OFFICER, add_resident

OLD_PHONE, NEW_PHONE = "13800001234", "13911112222"


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    hub = await start_gridhub(["archives", "dispatch", "alarms", "escalation"], demo=True)
    await hub.add_person("arch.officer", [(OFFICER, "370783")], display_name="档案员")
    return hub


async def pick(page: Page, option: str) -> None:
    await page.get_by_test_id("address-level").click()
    await page.get_by_role("option", name=option, exact=True).click()


async def test_edit_a_person_and_their_house_through_the_forms(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    hub = console_hub
    officer = await hub.sign_in("arch.officer")
    basic = await hub.grid_id(BASIC)
    road = await officer.json("POST", f"{API}/addresses", json={
        "grid_id": basic, "level": "road", "name": "幸福路"})  # fmt: skip
    number = await officer.json("POST", f"{API}/addresses", json={
        "grid_id": basic, "parent_id": road["id"], "level": "number", "name": "8号"})  # fmt: skip
    house = await officer.json("POST", f"{API}/houses", json={
        "grid_id": basic, "code": "DZ-E1", "address_text": "东庄村旧址"})  # fmt: skip
    person = await add_resident(officer, basic, ID_MAN, name="张建国", phone=OLD_PHONE,
                                house_id=house["id"])  # fmt: skip

    page = await browsers.signed_in("v01.cmd", PASSWORD, "/console/p/archives/archives")
    await input_of(page, "archives-search").fill("张建国")
    await page.get_by_test_id("archives-go").click()
    await page.get_by_test_id("archives-name").click()
    card = page.get_by_test_id("archives-card")
    await expect(card.get_by_test_id("card-version")).to_have_text("1")
    await card.get_by_test_id("card-edit").click()
    form = page.get_by_test_id("person-form")
    await expect(input_of(page, "person-phone")).to_have_value("")
    await expect(input_of(page, "person-phone")).to_have_attribute(
        "placeholder", "138****1234 （不改请留空）")  # fmt: skip
    await input_of(page, "person-occupation").fill("果农")
    await input_of(page, "person-phone").fill(NEW_PHONE)
    await form.get_by_test_id("person-save").click()
    await expect(card.get_by_test_id("card-version")).to_have_text("2")
    await expect(card.get_by_test_id("card-phone")).to_have_text("139****2222")
    await expect(card).to_contain_text("果农")
    await expect(page.locator("body")).not_to_contain_text(NEW_PHONE)

    await card.get_by_test_id("card-house-edit").click()
    house_form = page.get_by_test_id("house-form")
    await expect(house_form.get_by_test_id("house-code")).to_have_text("DZ-E1")
    await pick(page, "幸福路（街路巷）")
    await pick(page, "8号（门牌号）")
    await expect(input_of(page, "house-address")).to_have_value("幸福路8号")
    await expect(house_form.get_by_test_id("address-step-1")).to_have_text("8号")
    await page.get_by_test_id("house-use").click()
    await page.get_by_role("option", name="出租", exact=True).click()
    await house_form.get_by_test_id("house-save").click()
    await expect(card.get_by_test_id("card-house")).to_contain_text("幸福路8号 · DZ-E1 · 出租")

    saved = await officer.json("GET", f"{API}/houses/{house['id']}")
    assert (saved["address_id"], saved["address_text"], saved["use"], saved["version"]) == (
        number["id"], "幸福路8号", "rented", 2)  # fmt: skip
    shown = await officer.json("POST", f"{API}/residents/{person['id']}/reveal")
    assert (shown["phone"], shown["id_number"]) == (NEW_PHONE, ID_MAN)
    await hub.settle()
    versions = await officer.json("GET", f"{API}/records/person/{person['id']}/versions")
    assert [(v["version"], v["data"]["occupation"]) for v in versions["items"]] == [
        (1, ""), (2, "果农")]  # fmt: skip
    admin = await hub.admin()
    [entry] = await admin.json(
        "GET", "/api/v1/audit", params={"action": "archives.resident.update"}
    )
    assert entry["actor"] == "v01.cmd"
    assert NEW_PHONE not in str(entry)
    assert OLD_PHONE not in str(entry)
    [house_entry] = await admin.json("GET", "/api/v1/audit", params={
        "action": "archives.house.update"})  # fmt: skip
    assert house_entry["actor"] == "v01.cmd"


async def test_the_incident_drawer_names_the_person_a_hazard_was_found_with(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    """A worker's visit finds a hazard: its incident's drawer card shows the person visited
    (linked by id, masked), without needing a position near their house."""
    hub = console_hub
    officer, worker = await hub.sign_in("arch.officer"), await hub.sign_in("w01")
    person = await add_resident(officer, await hub.grid_id(BASIC), ID_MAN, name="张建国",
                                phone=OLD_PHONE, tags=["elderly_alone"])  # fmt: skip
    w01 = await hub.socket("w01")
    made = await worker.json("POST", f"{API}/visits", json={
        "subject_type": "person", "subject_id": person["id"], "client_id": "drawer-visit-01",
        "hazard": {"title": "独居老人家中电线老化"}})  # fmt: skip
    opened = await w01.next("archives.visit_incident", lambda d: d["visit_id"] == made["id"])

    page = await browsers.signed_in("v01.cmd", PASSWORD, "/console/incidents")
    await page.get_by_test_id(f"incident-card-{opened['incident_id']}").click()
    drawer = page.get_by_test_id("incident-drawer")
    card = drawer.get_by_test_id("drawer-card-archives-archives-near")
    linked = card.get_by_test_id("archives-linked-person")
    await expect(linked).to_contain_text("张建国")
    await expect(linked).to_contain_text("138****1234")
    await expect(linked).to_contain_text("独居老人")
    await expect(card).not_to_contain_text(OLD_PHONE)
