"""领导包靠 in the browser (Debian's Chromium): the town commander opens the tab on the 党建
page, sees the village's 包靠领导 and their grid, and an overdue incident's alert appears live."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from plugins.dispatch.lifecycle import DEFAULT_SLA
from tests.consoles.browser import Browsers, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.party.conftest import VILLAGE


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    sla = {stage: dict(row) for stage, row in DEFAULT_SLA.items()}
    sla["intake"]["normal"] = 1  # overdue a second after it is reported
    started = await start_gridhub(
        ["party", "dispatch", "escalation"],
        demo=True,
        config={"dispatch": {"sla": sla}},
        timers={"poll_s": 0.05},
    )
    await started.add_person("lead.v01", [("party_leader", VILLAGE)], display_name="包靠领导甲")
    return started


async def test_leaders_and_a_live_alert_on_the_party_page(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    page = await browsers.signed_in("town1.cmd", PASSWORD, "/console/p/party/building")
    await page.get_by_role("tab", name="领导包靠").click()
    leaders = page.get_by_test_id("party-leader-list")
    await expect(leaders).to_contain_text("包靠领导甲")
    await expect(leaders).to_contain_text("东庄村")
    worker = await console_hub.sign_in("w01")
    report = {"title": "村道塌陷无人处理", "category": "road_facility", "grid": f"{VILLAGE}-01"}
    incident = await worker.json("POST", "/api/v1/dispatch/incidents", json=report)
    alerts = page.get_by_test_id("party-leader-alerts")
    await expect(alerts).to_contain_text(f"事件 #{incident['id']}")  # pushed, not reloaded
    await expect(alerts).to_contain_text("事件超时升级")
    await expect(leaders).to_contain_text("包靠领导甲")
