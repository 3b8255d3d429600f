"""矛盾调解 in the browser (Debian's Chromium): the town commander enters a dispute at the
console, accepts it and records the agreement in the case drawer; a case a village mediator
opens elsewhere appears on the board live."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import Browsers, input_of, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.mediation.conftest import API, VILLAGE, add_people, new_case

SUMMARY = "两户因承包地边界界桩移位发生争执"
TERMS = "由镇自然资源所重新测定界桩，双方认可测定结果"


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    hub = await start_gridhub(["dispatch", "alarms", "escalation", "mediation"], demo=True)
    await add_people(hub)
    return hub


async def test_commander_enters_accepts_and_agrees_a_case(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    page = await browsers.signed_in("town1.cmd", PASSWORD, "/console")
    await page.get_by_test_id("nav-plugin-mediation-cases").click()
    board = page.get_by_test_id("mediation-page")
    await expect(board).to_contain_text("暂无案件")
    await page.get_by_test_id("mediation-new").click()
    await input_of(page, "mediation-applicant").fill("徐德胜")
    await input_of(page, "mediation-respondent").fill("杨桂芝")
    await input_of(page, "mediation-summary").fill(SUMMARY)
    await page.get_by_test_id("mediation-save").click()

    drawer = page.get_by_test_id("mediation-drawer")
    await expect(drawer).to_contain_text("待受理")
    await expect(drawer).to_contain_text("申请人：徐德胜")
    await drawer.get_by_test_id("mediation-accept").click()
    await expect(drawer).to_contain_text("调解中")
    await input_of(page, "mediation-terms").fill(TERMS)
    await drawer.get_by_test_id("mediation-agree").click()
    await expect(drawer).to_contain_text("已达成协议")
    await drawer.get_by_role("tab", name="时间线").click()
    await expect(drawer.get_by_test_id("mediation-timeline")).to_contain_text("达成调解协议")

    stored = (await (await console_hub.sign_in("town1.cmd")).json("GET", f"{API}/cases"))["cases"]
    assert [(c["summary"], c["state"], c["agreement"]) for c in stored] == [
        (SUMMARY, "agreed", TERMS)
    ]
    # A village mediator enters another case: the board shows it without a reload.
    mediator = await console_hub.sign_in("med.v01")
    village = await console_hub.grid_id(VILLAGE)
    other = await mediator.json(
        "POST", f"{API}/cases", json=new_case(village, summary="鸡鸭啄食菜苗")
    )
    await page.keyboard.press("Escape")
    await expect(board).to_contain_text(other["number"])
