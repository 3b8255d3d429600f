"""三务公开 in the browser (Debian's Chromium): a village commander drafts and submits on the
console page, the town commander approves it from the review queue, and a resident with no
account reads it on the residents' page (/report)."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import Browsers, input_of, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.party.conftest import API

TITLE = "十月份财务收支明细"
BODY = "收入：土地承包费 12000 元。支出：道路维修 8000 元。"


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
    await village.get_by_test_id("party-submit").click()
    await expect(village.get_by_test_id("party-items")).to_contain_text(TITLE)
    await expect(village.get_by_test_id("party-items")).to_contain_text("待审核")

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
