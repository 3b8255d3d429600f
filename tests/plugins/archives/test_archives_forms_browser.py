"""The console's create forms in Chromium (zh): a village commander adds a person (a wrong ID
number is refused by name first), sets up the person's household from the card, adds a house,
adds a place with its standard address (the address's coordinates fill the form), changes the
place's risk level, and adds an organisation. Phones stay masked on the page; each write is in
the archive as typed and in the audit log under the commander's name."""

from __future__ import annotations

from playwright.async_api import Page, expect

from hub.testing import PASSWORD, RunningHub
from tests.consoles.browser import Browsers, input_of
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.archives.conftest import API, BASIC, ID_MAN
from tests.plugins.archives.test_archives_edit_browser import console_hub, pick  # noqa: F401

PHONE = "13805361234"
GRID = "东庄村第一网格 370783-001-001-01"


async def choose(page: Page, test_id: str, option: str) -> None:
    await page.get_by_test_id(test_id).click()
    await page.get_by_role("option", name=option, exact=True).click()


async def add_person(page: Page) -> None:
    await page.get_by_test_id("archives-new-person").click()
    form = page.get_by_test_id("person-form")
    await choose(page, "grid-select", GRID)
    await input_of(page, "person-name").fill("张建国")
    await input_of(page, "person-id-number").fill(ID_MAN[:17] + ("0" if ID_MAN[17] != "0" else "1"))
    await form.get_by_test_id("person-save").click()
    await expect(page.locator(".el-message--error").last).to_contain_text("身份证号校验位不正确")
    await input_of(page, "person-id-number").fill(ID_MAN)
    await input_of(page, "person-phone").fill(PHONE)
    await form.get_by_test_id("person-save").click()
    await expect(form).to_be_hidden()


async def set_up_household(page: Page) -> None:
    await input_of(page, "archives-search").fill("张建国")
    await page.get_by_test_id("archives-go").click()
    await page.get_by_test_id("archives-name").click()
    card = page.get_by_test_id("archives-card")
    await expect(card.get_by_test_id("card-phone")).to_have_text("138****1234")
    await card.get_by_test_id("card-household-edit").click()
    form = page.get_by_test_id("household-form")
    await form.get_by_test_id("household-new").click()
    await input_of(page, "household-number").fill("DZ-H900")
    await form.get_by_test_id("household-save").click()
    await expect(card.get_by_test_id("card-household")).to_have_text("DZ-H900")
    await expect(card.get_by_test_id("card-version")).to_have_text("2")


async def add_place(page: Page) -> None:
    units = page.get_by_test_id("archives-units")
    await units.get_by_test_id("units-new").click()
    form = page.get_by_test_id("place-form")
    await choose(page, "grid-select", GRID)
    await input_of(page, "place-name").fill("东庄村加油站")
    await choose(page, "place-kind", "危化品场所")
    await form.get_by_text("高", exact=True).click()
    await input_of(page, "place-interval").fill("7")
    await pick(page, "幸福路（街路巷）")
    await expect(input_of(page, "place-address")).to_have_value("幸福路")
    await expect(input_of(page, "place-lng")).to_have_value("118.6")
    await input_of(page, "place-phone").fill(PHONE)
    await form.get_by_test_id("place-save").click()
    await expect(form).to_be_hidden()
    await expect(units.get_by_test_id("units-name")).to_have_text(["东庄村加油站"])
    await expect(units.get_by_test_id("units-risk")).to_have_text(["高"])
    await expect(units.get_by_test_id("units-table")).to_contain_text("138****1234")


async def test_add_a_person_household_house_place_and_organisation(
    console_hub: RunningHub,  # noqa: F811
    browsers: Browsers,  # noqa: F811
) -> None:
    hub = console_hub
    officer = await hub.sign_in("arch.officer")
    road = await officer.json("POST", f"{API}/addresses", json={
        "grid_id": await hub.grid_id(BASIC), "level": "road", "name": "幸福路",
        "lng": 118.6, "lat": 36.93})  # fmt: skip
    browsers.errors.ignored.append("422 (Unprocessable Entity)")  # Chromium logs the refusal
    page = await browsers.signed_in("v01.cmd", PASSWORD, "/console/p/archives/archives")
    await add_person(page)
    await set_up_household(page)
    await page.keyboard.press("Escape")  # the card closes

    await page.get_by_test_id("archives-new-house").click()
    house_form = page.get_by_test_id("house-form")
    await choose(page, "grid-select", GRID)
    await input_of(page, "house-new-code").fill("DZ-N1")
    await input_of(page, "house-address").fill("东庄村新村1号")
    await house_form.get_by_test_id("house-save").click()
    await expect(house_form).to_be_hidden()

    await add_place(page)
    units = page.get_by_test_id("archives-units")
    await units.get_by_test_id("units-name").click()
    form = page.get_by_test_id("place-form")
    await expect(input_of(page, "place-name")).to_have_value("东庄村加油站")
    await form.get_by_text("中", exact=True).click()
    await form.get_by_test_id("place-save").click()
    await expect(units.get_by_test_id("units-risk")).to_have_text(["中"])

    await units.get_by_test_id("units-orgs").click()
    await units.get_by_test_id("units-new").click()
    org_form = page.get_by_test_id("org-form")
    await choose(page, "grid-select", GRID)
    await input_of(page, "org-name").fill("东庄村老年协会")
    await choose(page, "org-kind", "社会组织")
    await org_form.get_by_test_id("org-save").click()
    await expect(units.get_by_test_id("units-name")).to_have_text(["东庄村老年协会"])
    await expect(page.locator("body")).not_to_contain_text(PHONE)

    [person] = (await officer.json("GET", f"{API}/residents", params={"q": "张建国"}))["items"]
    assert (person["relation"], person["version"]) == ("head", 2)
    [household] = (await officer.json("GET", f"{API}/households"))["items"]
    assert (household["number"], household["head_resident_id"]) == ("DZ-H900", person["id"])
    [house] = (await officer.json("GET", f"{API}/houses", params={"q": "DZ-N1"}))["items"]
    assert house["address_text"] == "东庄村新村1号"
    [place] = (await officer.json("GET", f"{API}/places"))["items"]
    assert (place["kind"], place["risk_level"], place["inspection_interval_days"],
            place["address_id"], place["lng"], place["version"]) == (
        "hazardous", "medium", 7, road["id"], 118.6, 2)  # fmt: skip
    assert (await officer.json("POST", f"{API}/places/{place['id']}/reveal"))["phone"] == PHONE
    [org] = (await officer.json("GET", f"{API}/orgs"))["items"]
    assert (org["name"], org["kind"]) == ("东庄村老年协会", "social")
    admin = await hub.admin()
    for action in ("archives.resident.create", "archives.household.create",
                   "archives.house.create", "archives.place.create", "archives.place.update",
                   "archives.org.create"):  # fmt: skip
        [entry] = await admin.json("GET", "/api/v1/audit", params={"action": action})
        assert entry["actor"] == "v01.cmd", action


async def test_import_places_from_the_console_after_a_dry_run(
    console_hub: RunningHub,  # noqa: F811
    browsers: Browsers,  # noqa: F811
) -> None:
    """The commander picks 单位场所, a CSV with a bad row: the dry run lists it by row and field
    and 导入 stays off; the corrected file passes and is imported."""
    hub = console_hub
    header = "名称,网格编码,类型,风险等级,联系电话\n"
    bad = header + f"东庄村超市,{BASIC},商铺,低,\n东庄村加油站,{BASIC},危化品场所,极高,\n"
    page = await browsers.signed_in("v01.cmd", PASSWORD, "/console/p/archives/archives")
    box = page.get_by_test_id("archives-import")
    await box.get_by_test_id("import-places").click()
    files = box.get_by_test_id("archives-file")
    await files.set_input_files(files=[{"name": "places.csv", "mimeType": "text/csv",
                                        "buffer": bad.encode()}])  # fmt: skip
    await box.get_by_test_id("archives-dry-run").click()
    report = box.get_by_test_id("archives-report")
    await expect(report).to_have_attribute("data-clean", "false")
    await expect(report).to_contain_text("共 2 行，1 处错误，未导入")
    await expect(report.locator("tbody tr")).to_have_count(1)
    await expect(report.locator("tbody tr")).to_contain_text("3risk_level")
    await expect(box.get_by_test_id("archives-import-run")).to_be_disabled()
    good = bad.replace("极高", "高")
    await files.set_input_files(files=[{"name": "places.csv", "mimeType": "text/csv",
                                        "buffer": good.encode()}])  # fmt: skip
    await box.get_by_test_id("archives-dry-run").click()
    await expect(report).to_have_attribute("data-clean", "true")
    await box.get_by_test_id("archives-import-run").click()
    await expect(page.locator(".el-message--success").last).to_contain_text("已导入 2 条")
    units = page.get_by_test_id("archives-units")
    await input_of(page, "units-search").fill("东庄村")
    await input_of(page, "units-search").press("Enter")
    await expect(units.get_by_test_id("units-name")).to_have_text(["东庄村加油站", "东庄村超市"])
    await expect(units.get_by_test_id("units-risk")).to_have_text(["高", "低"])
    admin = await hub.admin()
    [entry] = await admin.json("GET", "/api/v1/audit", params={"action": "archives.import"})
    assert (entry["actor"], entry["target_id"], entry["details"]) == (
        "v01.cmd",
        "places",
        {"rows": 2},
    )
