"""领导包案 in the browser (Debian's Chromium): the town commander puts 王家村's 包靠领导 on an
incident of 东庄村 from the 领导包靠 tab; when dispatch says it is overdue, the alert appears live
in the leader's own field tab 包靠预警."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from plugins.dispatch.lifecycle import DEFAULT_SLA
from tests.consoles import fieldkit
from tests.consoles.browser import Browsers, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.party.conftest import VILLAGE
from tests.plugins.party.test_building import branch


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    sla = {stage: dict(row) for stage, row in DEFAULT_SLA.items()}
    sla["dispatch"]["normal"] = 1  # overdue a second after it is registered
    started = await start_gridhub(
        ["party", "dispatch", "escalation"],
        demo=True,
        config={"dispatch": {"sla": sla}},
        timers={"poll_s": 0.05},
    )
    lead = await started.add_person(
        "lead.v02", [("party_leader", "370783-001-002")], display_name="包靠领导丙"
    )
    town = await started.sign_in("town1.cmd")  # the leader is a party member too
    org = await branch(started, town)
    member = {"org_id": org, "name": "包靠领导丙", "person_id": lead, "join_date": "1998-07-01"}
    await town.json("POST", "/api/v1/party/members", json=member)
    return started


async def test_a_case_leader_sees_the_overdue_alert_live_on_the_phone(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    worker = await console_hub.sign_in("w01")
    report = {"title": "排水沟堵塞", "category": "road_facility", "grid": f"{VILLAGE}-01"}
    incident = await worker.json("POST", "/api/v1/dispatch/incidents", json=report)
    await console_hub.settle()
    page = await browsers.signed_in("town1.cmd", PASSWORD, "/console/p/party/building")
    await page.get_by_role("tab", name="领导包靠").click()
    form = page.get_by_test_id("party-case-form")
    await form.get_by_test_id("party-case-incident").locator("input").fill(str(incident["id"]))
    await form.get_by_test_id("party-case-person").click()
    await page.get_by_role("option", name="包靠领导丙").click()
    await form.get_by_test_id("party-case-assign").click()
    await expect(page.get_by_test_id("party-case-leaders")).to_contain_text(incident["number"])
    phone = await browsers.signed_in("lead.v02", PASSWORD, "/field", **fieldkit.phone())
    await phone.get_by_test_id("tab-plugin-party-leader_alerts").click()
    tab = phone.get_by_test_id("party-leader-tab")
    await expect(tab).to_contain_text("暂无包靠预警")
    commander = await console_hub.sign_in("v01.cmd")
    path = f"/api/v1/dispatch/incidents/{incident['id']}/actions/register"
    await commander.json("POST", path, json={"version": incident["version"]})
    await expect(tab).to_contain_text("包案督办")  # pushed to the leader's phone, not reloaded
    await expect(tab).to_contain_text(incident["number"])
    await expect(tab).to_contain_text("新")
