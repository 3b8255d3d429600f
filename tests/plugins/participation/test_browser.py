"""群众参与 in the browser (Debian's Chromium): the village commander adds a points rule and
publishes an activity through the console page's forms; a resident signs in inside the section
of the residents' page (/report), signs up for it there and checks in on site by the phone's
position; the commander sees the sign-up and check-in, completes the activity (hours and points
recorded), stocks an item through the shop's form, and hands the resident's exchange over."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import Browsers, input_of, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.participation.conftest import API, VILLAGE, add_resident


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    return await start_gridhub(["participation", "dispatch", "alarms", "escalation"], demo=True)


async def choose(page: Page, test_id: str, option: str) -> None:
    """Pick `option` of the Element Plus select tagged `test_id`."""
    await page.get_by_test_id(test_id).click()
    await page.locator(".el-select-dropdown__item:visible", has_text=option).click()


async def number(page: Page, test_id: str, value: object) -> None:
    field = input_of(page, test_id)
    await field.fill(str(value))
    await field.press("Tab")  # an input-number takes its value on change


async def test_an_officer_publishes_a_resident_signs_up_and_goods_are_handed_over(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    hub = console_hub
    officer = await hub.sign_in("v01.cmd")
    village = await hub.grid_id(VILLAGE)
    page = await browsers.signed_in("v01.cmd", PASSWORD, "/console")
    await page.get_by_test_id("nav-plugin-participation-participation").click()
    # The village's rule and the activity, through the page's forms.
    await page.get_by_role("tab", name="积分规则").click()
    await choose(page, "participation-rule-kind", "志愿服务时长")
    await input_of(page, "participation-rule-title").fill("每小时")
    await number(page, "participation-rule-points", 10)
    await page.get_by_test_id("participation-rule-add").click()
    await expect(page.get_by_test_id("participation-rules")).to_contain_text("每小时")
    await page.get_by_role("tab", name="志愿活动").click()
    await page.get_by_test_id("participation-new-activity").click()
    wall = datetime.now(ZoneInfo("Asia/Shanghai"))  # the deployment's zone
    fields = {
        "participation-activity-title": "敬老院打扫卫生",
        "participation-activity-place": "幸福院",
        "participation-activity-starts": f"{wall - timedelta(minutes=5):%Y-%m-%dT%H:%M}",
        "participation-activity-ends": f"{wall + timedelta(hours=2):%Y-%m-%dT%H:%M}",
    }
    for test_id, value in fields.items():
        await input_of(page, test_id).fill(value)
    for test_id, value in (("lon", 118.7), ("lat", 36.9), ("hours", 2), ("capacity", 10)):
        await number(page, f"participation-activity-{test_id}", value)
    await choose(page, "participation-activity-rule", "每小时 (10)")
    await page.get_by_test_id("participation-activity-save").click()
    card = page.get_by_test_id("participation-activity").filter(has_text="敬老院打扫卫生")
    await expect(card).to_contain_text("报名 0/10")
    [stored] = [
        a
        for a in (await officer.json("GET", f"{API}/activities"))["activities"]
        if a["title"] == "敬老院打扫卫生"
    ]
    assert (stored["place"], stored["hours"], stored["lon"], stored["lat"]) == (
        "幸福院",
        2,
        118.7,
        36.9,
    )
    starts = datetime.fromisoformat(stored["starts_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"{starts:%Y-%m-%dT%H:%M}" == fields["participation-activity-starts"]

    await add_resident(hub, "vol.browser")
    # The phone is about 100 m from the activity's place (within its radius).
    near = {
        "geolocation": {"longitude": 118.7, "latitude": 36.9009},
        "permissions": ["geolocation"],
    }
    report = await browsers.page("/report", name="resident", **near)
    section = report.get_by_test_id("section-participation-participation")
    await input_of(report, "participation-username").fill("vol.browser")
    await input_of(report, "participation-password").fill(PASSWORD)
    await section.get_by_test_id("participation-login").click()
    mine = section.get_by_test_id("participation-resident-activity").filter(has_text="敬老院")
    await mine.get_by_test_id("participation-sign-up").click()
    await expect(section.get_by_test_id("participation-notice")).to_contain_text("报名成功")
    await expect(mine).to_contain_text("已报名")
    await mine.get_by_test_id("participation-check-in").click()
    await expect(section.get_by_test_id("participation-notice")).to_contain_text("签到成功")
    await expect(mine).to_contain_text("已签到")
    resident = await hub.sign_in("vol.browser")

    await page.reload()
    card = page.get_by_test_id("participation-activity").filter(has_text="敬老院打扫卫生")
    await expect(card.get_by_test_id("participation-signups")).to_contain_text("居民vol.browser")
    await expect(card.get_by_test_id("participation-signups")).to_contain_text(" m)")
    await card.get_by_test_id("participation-complete").click()
    await expect(card).to_contain_text("已结束")
    mine = await resident.json("GET", f"{API}/points/mine")
    assert [a["balance"] for a in mine["accounts"]] == [20]

    await page.get_by_role("tab", name="积分超市").click()
    await input_of(page, "participation-item-name").fill("环保购物袋")
    await number(page, "participation-item-cost", 5)
    await number(page, "participation-item-stock", 2)
    await page.get_by_test_id("participation-item-add").click()
    await expect(page.get_by_test_id("participation-items")).to_contain_text("环保购物袋")
    items = (await officer.json("GET", f"{API}/shop/items", params={"grid_id": village}))["items"]
    [item] = [i for i in items if i["name"] == "环保购物袋"]
    assert (item["cost"], item["stock"]) == (5, 2)
    await resident.json("POST", f"{API}/shop/exchanges", json={"item_id": item["id"]})
    await page.reload()
    await page.get_by_role("tab", name="积分超市").click()
    exchanges = page.get_by_test_id("participation-exchanges")
    await expect(exchanges).to_contain_text("待发放")
    await exchanges.get_by_test_id("participation-hand-over").click()
    await expect(exchanges).to_contain_text("已发放")
    stored_exchanges = await officer.json("GET", f"{API}/shop/exchanges")
    assert [x["state"] for x in stored_exchanges["exchanges"]] == ["handed_over"]


async def test_a_resident_takes_part_from_the_residents_page(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    """On /report: withdraw and sign up again, check in by the code shown on site, register
    for the village's topic, propose one, post (typed markup stays text) and comment."""
    hub = console_hub
    officer = await hub.sign_in("v01.cmd")
    village = await hub.grid_id(VILLAGE)
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    spec = {
        "grid_id": village, "title": "敬老院包饺子", "category": "elderly", "place": "幸福院",
        "lon": 118.7, "lat": 36.9, "starts_at": (now - timedelta(minutes=5)).isoformat(),
        "ends_at": (now + timedelta(hours=2)).isoformat(), "hours": 2, "capacity": 10,
    }  # fmt: skip
    activity = await officer.json("POST", f"{API}/activities", json=spec)
    topic = {"grid_id": village, "title": "村内停车怎么管", "body": "请大家来商量"}
    await officer.json("POST", f"{API}/topics", json=topic)
    await add_resident(hub, "vol.page")
    report = await browsers.page("/report", name="resident")
    section = report.get_by_test_id("section-participation-participation")
    await input_of(report, "participation-username").fill("vol.page")
    await input_of(report, "participation-password").fill("not-the-password")
    browsers.errors.ignored.append("401 (Unauthorized)")  # Chromium logs the refusal itself
    await section.get_by_test_id("participation-login").click()  # the host's ResidentSignIn
    problem = section.get_by_test_id("participation-problem")
    await expect(problem).to_have_text("auth.invalid_credentials")
    await expect(report.locator(".el-message--error", has_text="用户名或密码错误")).to_be_visible()
    await input_of(report, "participation-password").fill(PASSWORD)
    await section.get_by_test_id("participation-login").click()
    await expect(problem).to_have_count(0)  # a new attempt clears the earlier refusal
    notice = section.get_by_test_id("participation-notice")
    card = section.get_by_test_id("participation-resident-activity").filter(has_text="包饺子")
    await card.get_by_test_id("participation-sign-up").click()
    await expect(card).to_contain_text("1/10")
    await card.get_by_test_id("participation-withdraw").click()
    await expect(notice).to_contain_text("已取消报名")
    await expect(card).to_contain_text("0/10")
    await card.get_by_test_id("participation-sign-up").click()
    await expect(card).to_contain_text("已报名")
    await input_of(report, "participation-code").fill(activity["check_code"])
    await card.get_by_test_id("participation-check-in-code").click()
    await expect(card).to_contain_text("已签到")
    signups = await officer.json("GET", f"{API}/activities/{activity['id']}/signups")
    assert [s["check_in_by"] for s in signups["signups"]] == ["code"]

    talk = section.get_by_test_id("participation-resident-topic").filter(has_text="停车")
    await talk.get_by_test_id("participation-topic-register").click()
    await expect(talk).to_contain_text("已报名参与")
    await input_of(report, "participation-topic-title").fill("修村口的路")
    await input_of(report, "participation-topic-body").fill("下雨天积水")
    await section.get_by_test_id("participation-topic-propose").click()
    await expect(notice).to_contain_text("议题已提交")
    proposed = (await officer.json("GET", f"{API}/topics"))["topics"]
    assert {t["title"]: t["proposer_kind"] for t in proposed} == {
        "村内停车怎么管": "village",
        "修村口的路": "resident",
    }

    typed = "<b>村口新开了超市</b>"
    await input_of(report, "participation-post-text").fill(typed)
    await section.get_by_test_id("participation-post").click()
    mine = section.get_by_test_id("participation-resident-post").filter(has_text="超市")
    await expect(mine.locator(".participation-post-text")).to_have_text(typed)  # text, not markup
    await input_of(report, "participation-reply").fill("真不错")
    await mine.get_by_test_id("participation-comment").click()
    await expect(mine).to_contain_text("居民vol.page: 真不错")
    posts = (await officer.json("GET", f"{API}/feed/posts"))["posts"]
    assert [(p["text"], [c["text"] for c in p["comments"]]) for p in posts] == [(typed, ["真不错"])]
