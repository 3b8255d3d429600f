"""The console's 走访督办 page in Chromium: the village commander sees a visit go overdue live
(after the sweep) and approves a grid worker's change proposal there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import Browsers, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.archives.conftest import API, BASIC, ID_WOMAN, OFFICER, add_resident

LIVE_MS = 10_000


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    hub = await start_gridhub(["dispatch", "alarms", "escalation", "archives"], demo=True)
    await hub.add_person("arch.officer", [(OFFICER, "370783")], display_name="档案员")
    return hub


async def test_the_village_sees_an_overdue_visit_and_approves_a_change(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    hub = console_hub
    officer, worker = await hub.sign_in("arch.officer"), await hub.sign_in("w01")
    elder = await add_resident(
        officer, await hub.grid_id(BASIC), ID_WOMAN, name="李桂芝", tags=["elderly_alone"]
    )
    rid = elder["id"]
    twelve_days = (datetime.now(UTC) - timedelta(days=12)).isoformat()
    await worker.json(
        "POST",
        f"{API}/visits",
        json={
            "subject_type": "person",
            "subject_id": rid,
            "client_id": "visit-old-0001",
            "visited_at": twelve_days,
        },
    )
    change = await worker.json(
        "POST",
        f"{API}/changes",
        json={"target_type": "person", "target_id": rid, "fields": {"occupation": "退休教师"}},
    )

    page = await browsers.signed_in("v01.cmd", PASSWORD, "/console")
    await page.get_by_test_id("nav-plugin-archives-work").click()
    work = page.get_by_test_id("archives-work")
    await expect(work).to_contain_text("暂无逾期走访")
    await (await hub.admin()).json("POST", f"{API}/visits/sweep", json={})
    await expect(page.get_by_test_id("work-overdue")).to_contain_text("李桂芝", timeout=LIVE_MS)

    await page.get_by_role("tab", name="信息变更 (1)").click()
    await expect(page.get_by_test_id("work-changes")).to_contain_text("occupation: 退休教师")
    await page.get_by_test_id(f"approve-{change['id']}").click()
    await expect(page.get_by_text("已通过并更新档案")).to_be_visible()
    card = await officer.json("GET", f"{API}/residents/{rid}")
    assert (card["occupation"], card["version"]) == ("退休教师", 2)
