"""三务公开 in the browser (Debian's Chromium): a village commander drafts and submits on the
console page, the town commander approves it from the review queue, and a resident with no
account reads it on the residents' page (/report)."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles import fieldkit
from tests.consoles.browser import Browsers, input_of, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.party.conftest import API, xlsx

TITLE = "十月份财务收支明细"
BODY = "收入：土地承包费 12000 元。支出：道路维修 8000 元。"
SHEET = xlsx([["科目", "金额"], ["土地承包费", 12000], ["道路维修", -8000]])


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    return await start_gridhub(["party", "dispatch", "alarms", "escalation"], demo=True)


async def test_village_drafts_town_approves_resident_reads(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    village = await browsers.signed_in("v01.cmd", PASSWORD, "/console")
    await village.get_by_test_id("nav-plugin-party-disclosure").click()
    editor = village.get_by_test_id("party-editor")
    await expect(editor).to_be_visible()  # nothing to review here: the editor comes first
    await input_of(village, "party-period").fill("2026-10")
    await input_of(village, "party-title").fill(TITLE)
    await input_of(village, "party-body").fill(BODY)
    await village.get_by_test_id("party-save").click()
    items = village.get_by_test_id("party-items")
    await expect(items).to_contain_text(TITLE)
    await expect(items).to_contain_text("草稿")
    # the accounts as an XLSX, attached in the item's drawer, then sent for review
    await items.get_by_text(TITLE).click()
    await village.get_by_test_id("party-attach").set_input_files(
        files=[{"name": "十月账目.xlsx", "mimeType": "application/octet-stream", "buffer": SHEET}]
    )
    await expect(village.get_by_test_id("party-sheet")).to_contain_text("土地承包费")
    await village.get_by_test_id("party-drawer-submit").click()
    await expect(items).to_contain_text("待审核")

    town = await browsers.signed_in("town1.cmd", PASSWORD, "/console/p/party/disclosure")
    await town.get_by_test_id("party-queue-title").filter(has_text=TITLE).click()
    await expect(town.get_by_test_id("party-detail")).to_contain_text(BODY)
    await town.get_by_test_id("party-approve").click()
    await expect(town.get_by_test_id("party-queue")).to_have_count(0)
    stored = await (await console_hub.sign_in("town1.cmd")).json("GET", f"{API}/disclosures")
    assert [(i["title"], i["state"]) for i in stored["items"]] == [(TITLE, "published")]

    resident = await browsers.page("/report", name="resident")
    section = resident.get_by_test_id("section-party-disclosure")
    await expect(section).to_contain_text("三务公开")
    item = section.get_by_test_id("party-public-item").filter(has_text=TITLE)
    await expect(item).to_contain_text("财务公开 · 2026-10")
    await item.click()
    await expect(section.get_by_test_id("party-version-1")).to_contain_text(BODY)
    await expect(section.get_by_test_id("party-version-1")).to_contain_text("已公开")
    await expect(section.get_by_test_id("party-sheet")).to_contain_text("道路维修")


async def test_party_page_map_layer_and_big_screen_panel(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    town = await console_hub.sign_in("town1.cmd")
    committee = await town.json(
        "POST",
        f"{API}/orgs",
        json={
            "name": "洛城街道党委",
            "kind": "committee",
            "grid_id": await console_hub.grid_id("370783-001"),
        },
    )
    branch = await town.json(
        "POST",
        f"{API}/orgs",
        json={
            "name": "东庄村党支部",
            "kind": "branch",
            "parent_id": committee["id"],
            "grid_id": await console_hub.grid_id("370783-001-001-P01"),
        },
    )
    await town.json(
        "POST",
        f"{API}/meetings",
        json={"org_id": branch["id"], "kind": "lecture", "title": "冬季党课",
              "starts_at": datetime.now(UTC).isoformat(), "place": "党群服务中心"},
    )  # fmt: skip
    page = await browsers.signed_in("town1.cmd", PASSWORD, "/console")
    await page.get_by_test_id("nav-plugin-party-building").click()
    tree = page.get_by_test_id("party-org-tree")
    await expect(tree).to_contain_text("洛城街道党委（党委 · 0）")
    await expect(tree).to_contain_text("东庄村党支部（党支部 · 0）")
    # register a member of the branch through the page's form
    await tree.get_by_text("东庄村党支部（党支部 · 0）").click()
    await page.get_by_role("tab", name="登记与安排").click()
    await input_of(page, "party-member-name").fill("刘丽娟")
    joined = input_of(page, "party-member-joined")
    await joined.fill("2001-07-01")
    await joined.press("Enter")
    await page.get_by_test_id("party-member-add").click()
    await expect(tree).to_contain_text("东庄村党支部（党支部 · 1）")
    # change it afterwards: rename the branch, make the member probationary
    await input_of(page, "party-org-rename").fill("东庄村第一党支部")
    await page.get_by_test_id("party-org-save").click()
    await expect(tree).to_contain_text("东庄村第一党支部（党支部 · 1）")
    await page.get_by_test_id("party-edit-member").click()
    await page.get_by_role("option", name="刘丽娟", exact=True).click()
    await page.get_by_test_id("party-edit-status").click()
    await page.get_by_role("option", name="预备党员", exact=True).click()
    await page.get_by_test_id("party-edit-save").click()
    await page.get_by_role("tab", name="党员与积分").click()
    members = page.get_by_test_id("party-members")
    await expect(members).to_contain_text("2001-07-01")
    await expect(members).to_contain_text("预备党员")
    # the meeting's record: minutes typed on the page, a photo added and shown
    await page.get_by_role("tab", name="三会一课").click()
    await page.get_by_test_id("party-meetings").locator(".el-table__expand-icon").first.click()
    await input_of(page, "party-minutes").fill("学习党章第一章。")
    await page.get_by_test_id("party-minutes-save").click()
    await page.get_by_test_id("party-photo-file").set_input_files(
        files=[{"name": "会场.png", "mimeType": "image/png", "buffer": fieldkit.png()}]
    )
    photo = page.get_by_test_id("party-meeting-photo")
    await expect(photo).to_have_js_property("complete", True)
    assert await photo.evaluate("img => img.naturalWidth") == 64
    stored = (await town.json("GET", f"{API}/orgs/{branch['id']}/meetings"))["items"]
    assert [(m["minutes"], len(m["photos"])) for m in stored] == [("学习党章第一章。", 1)]
    # this year's ledger XLSX, fetched with the page's sign-in (api.download)
    async with page.expect_download() as started:
        await page.get_by_test_id("party-ledger-xlsx").click()
    ledger = await started.value
    assert re.fullmatch(rf"ledger-{branch['id']}-\d{{4}}\.xlsx", ledger.suggested_filename)
    body = await asyncio.to_thread(Path(await ledger.path()).read_bytes)
    cells = [c for row in openpyxl.load_workbook(io.BytesIO(body)).active.values for c in row]
    assert "刘丽娟" in cells
    await page.get_by_test_id("nav-map").click()
    toggle = page.get_by_test_id("layer-plugin-party-party_grids")
    await expect(toggle).to_contain_text("党建网格")
    await toggle.click()
    await expect(page.locator("path.gh-plugin-layer-party-party_grids")).to_have_count(1)
    screen = await browsers.signed_in("town1.cmd", PASSWORD, "/console/screen")
    panel = screen.get_by_test_id("screen-panel-party-party")
    await expect(panel).to_contain_text("三务按期公开率")
    await expect(panel.get_by_test_id("party-meetings-held")).to_have_text("1")  # 冬季党课


async def test_a_member_signs_in_reports_home_and_records_service_on_the_phone(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    town = await console_hub.sign_in("town1.cmd")
    branch = await town.json(
        "POST",
        f"{API}/orgs",
        json={
            "name": "东庄村党支部",
            "kind": "branch",
            "grid_id": await console_hub.grid_id("370783-001-001-P01"),
        },
    )
    await town.json(
        "POST",
        f"{API}/members",
        json={
            "org_id": branch["id"],
            "name": "张秀英",
            "join_date": "2001-07-01",
            "person_id": await console_hub.person_id("w01"),
        },
    )
    meeting = await town.json(
        "POST",
        f"{API}/meetings",
        json={
            "org_id": branch["id"],
            "kind": "theme_day",
            "title": "主题党日",
            "starts_at": datetime.now(UTC).isoformat(),
            "place": "党群服务中心",
        },
    )
    here = fieldkit.HERE
    located = await town.json(
        "POST",
        f"{API}/meetings",
        json={"org_id": branch["id"], "kind": "group", "title": "党小组会",
              "starts_at": datetime.now(UTC).isoformat(), "place": "第一网格活动室",
              "lon": here["longitude"], "lat": here["latitude"]},
    )  # fmt: skip
    await town.json(
        "POST",
        f"{API}/tasks",
        json={"grid_id": await console_hub.grid_id("370783-001-002"), "title": "敬老院义务打扫"},
    )

    phone = await browsers.signed_in("w01", PASSWORD, "/field", **fieldkit.phone())
    await phone.get_by_test_id("tab-plugin-party-member").click()
    tab = phone.get_by_test_id("party-member-tab")
    await expect(tab.get_by_test_id("party-my-points")).to_have_text("0")
    coded = tab.get_by_test_id("party-my-meeting").filter(has_text="主题党日")
    code = '[data-testid="party-code"] input, input[data-testid="party-code"]'
    await coded.locator(code).first.fill(meeting["code"])
    await coded.get_by_test_id("party-sign-in").click()
    await expect(coded).to_contain_text("已签到")
    await expect(tab.get_by_test_id("party-my-points")).to_have_text("2")
    # the other meeting by where the phone is (the browser's geolocation, within 200 m)
    by_place = tab.get_by_test_id("party-my-meeting").filter(has_text="党小组会")
    await by_place.get_by_test_id("party-sign-in-here").click()
    await expect(by_place).to_contain_text("已签到")
    await expect(tab.get_by_test_id("party-my-points")).to_have_text("4")
    await tab.get_by_test_id("party-home").click()
    await phone.get_by_role("option", name="王家村", exact=True).click()
    await tab.get_by_test_id("party-report").click()
    task = tab.get_by_test_id("party-my-task")
    await expect(task).to_contain_text("敬老院义务打扫")
    await task.get_by_test_id("party-take").click()
    await task.get_by_test_id("party-done").click()
    await expect(task).to_contain_text("已完成")
    await expect(tab.get_by_test_id("party-my-points")).to_have_text("5")
    w01 = await console_hub.sign_in("w01")
    signed = (await town.json("GET", f"{API}/orgs/{branch['id']}/meetings"))["items"]
    assert {m["id"]: m["signed_in"] for m in signed}[located["id"]] == 1
    service = (await w01.json("GET", f"{API}/me/service"))["items"]
    assert [(s["title"], s["hours"], s["done"]) for s in service] == [("敬老院义务打扫", 1, True)]


PROMO_TITLE = "<b>学习</b>二十大精神"  # typed markup must show as text


async def test_promotion_written_on_the_console_read_by_residents_and_a_member(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    page = await browsers.signed_in("town1.cmd", PASSWORD, "/console")
    await page.get_by_test_id("nav-plugin-party-promotion").click()
    await input_of(page, "party-promo-title").fill(PROMO_TITLE)
    await input_of(page, "party-promo-text").fill("第一段\n第二段")
    await page.get_by_test_id("party-promo-grids").click()
    await page.get_by_role("option", name="洛城街道 (370783-001)").click()
    await page.get_by_test_id("party-promo-save").click()
    table = page.get_by_test_id("party-promo-table")
    await expect(table).to_contain_text(PROMO_TITLE)
    await expect(table).to_contain_text("草稿")
    await page.get_by_test_id("party-promo-file").set_input_files(
        files=[{"name": "会场.png", "mimeType": "image/png", "buffer": fieldkit.png()}]
    )
    await page.get_by_test_id("party-promo-publish").click()
    await expect(table).to_contain_text("已公开")

    resident = await browsers.page("/report", name="resident")
    section = resident.get_by_test_id("section-party-promotion")
    await section.get_by_test_id("party-promo-item").filter(has_text=PROMO_TITLE).click()
    view = section.get_by_test_id("party-promo-view")
    await expect(view.get_by_role("heading")).to_have_text(PROMO_TITLE)
    await expect(view.get_by_test_id("party-promo-body")).to_have_text("第一段\n第二段")
    await expect(view.locator("b")).to_have_count(0)
    image = view.get_by_test_id("party-promo-image")
    await expect(image).to_have_js_property("complete", True)
    assert await image.evaluate("img => img.naturalWidth") == 64

    town = await console_hub.sign_in("town1.cmd")
    branch = await town.json(
        "POST",
        f"{API}/orgs",
        json={
            "name": "东庄村党支部",
            "kind": "branch",
            "grid_id": await console_hub.grid_id("370783-001-001-P01"),
        },
    )
    await town.json(
        "POST",
        f"{API}/members",
        json={
            "org_id": branch["id"],
            "name": "张秀英",
            "join_date": "2001-07-01",
            "person_id": await console_hub.person_id("w01"),
        },
    )
    phone = await browsers.signed_in("w01", PASSWORD, "/field", **fieldkit.phone())
    await phone.get_by_test_id("tab-plugin-party-study").click()
    row = phone.get_by_test_id("party-study-item").filter(has_text=PROMO_TITLE)
    await expect(row).to_contain_text("未学")
    await row.click()
    await expect(phone.get_by_test_id("party-promo-body")).to_have_text("第一段\n第二段")
    await phone.get_by_test_id("party-study-back").click()
    await expect(row).to_contain_text("已学")
    ledger = await town.json("GET", f"{API}/orgs/{branch['id']}/reading")
    assert [(m["name"], m["read"]) for m in ledger["members"]] == [("张秀英", 1)]
