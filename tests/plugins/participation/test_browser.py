"""群众参与 in the browser (Debian's Chromium): a resident signs in inside the section of the
residents' page (/report), signs up for an activity there and checks in on site by the phone's
position; after the resident exchanges points, the village commander sees the
sign-up and check-in on the console page, completes the activity (hours and points recorded)
and hands the goods over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import Browsers, input_of, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.participation.conftest import API, VILLAGE, add_item, add_resident, add_rule


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    return await start_gridhub(["participation", "dispatch", "alarms", "escalation"], demo=True)


async def test_an_officer_sees_a_sign_up_and_hands_goods_over(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    hub = console_hub
    officer = await hub.sign_in("v01.cmd")
    village = await hub.grid_id(VILLAGE)
    rule = await add_rule(officer, village, points=10, kind="volunteer_hour", title="每小时")
    now = datetime.now(UTC)
    spec = {
        "grid_id": village,
        "title": "敬老院打扫卫生",
        "category": "elderly",
        "place": "幸福院",
        "lon": 118.7,
        "lat": 36.9,
        "starts_at": (now - timedelta(minutes=5)).isoformat(),
        "ends_at": (now + timedelta(hours=2)).isoformat(),
        "hours": 2,
        "capacity": 10,
        "rule_id": rule["id"],
    }
    await officer.json("POST", f"{API}/activities", json=spec)
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
    item = await add_item(officer, village, cost=5, stock=2)

    page = await browsers.signed_in("v01.cmd", PASSWORD, "/console")
    await page.get_by_test_id("nav-plugin-participation-participation").click()
    card = page.get_by_test_id("participation-activity").filter(has_text="敬老院打扫卫生")
    await expect(card.get_by_test_id("participation-signups")).to_contain_text("居民vol.browser")
    await expect(card.get_by_test_id("participation-signups")).to_contain_text(" m)")
    await card.get_by_test_id("participation-complete").click()
    await expect(card).to_contain_text("已结束")
    mine = await resident.json("GET", f"{API}/points/mine")
    assert [a["balance"] for a in mine["accounts"]] == [20]

    await resident.json("POST", f"{API}/shop/exchanges", json={"item_id": item["id"]})
    await page.reload()
    await page.get_by_role("tab", name="积分超市").click()
    exchanges = page.get_by_test_id("participation-exchanges")
    await expect(exchanges).to_contain_text("待发放")
    await exchanges.get_by_test_id("participation-hand-over").click()
    await expect(exchanges).to_contain_text("已发放")
    stored = await officer.json("GET", f"{API}/shop/exchanges")
    assert [x["state"] for x in stored["exchanges"]] == ["handed_over"]
