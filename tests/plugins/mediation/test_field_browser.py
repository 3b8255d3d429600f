"""矛盾调解 on a phone (Debian's Chromium, 390×844): a grid worker who is also the village's
mediator opens the field app's 调解 tab, finds the case assigned to them, records the session
held in the village and photographs the signed agreement; the big screen's panel counts the
open case by level and risk. On the residents' page a 普法 article shows as text."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles import fieldkit
from tests.consoles.browser import Browsers, input_of, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.mediation.conftest import (
    API,
    BASIC,
    TOWN,
    VILLAGE,
    add_people,
    new_case,
    step,
)

RECORD = "张建国同意三日内拆除越界围栏，李秀兰不再追究"


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    hub = await start_gridhub(["dispatch", "alarms", "escalation", "mediation"], demo=True)
    await add_people(hub)
    # a grid worker who is also the village's mediator (网格员兼调解员): the field app's own
    # task list is a grid worker's, and asks dispatch for their tasks
    roles = [("grid_worker", BASIC), ("mediation_mediator", VILLAGE)]
    await hub.add_person("med.field", roles, display_name="陈调解")
    return hub


async def test_mediator_records_a_session_and_photographs_the_signed_paper(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
    tmp_path: Path,
) -> None:
    mediator = await console_hub.sign_in("med.field")
    village = await console_hub.grid_id(VILLAGE)
    case = await mediator.json("POST", f"{API}/cases", json=new_case(village))
    me = await console_hub.person_id("med.field")
    case = await step(mediator, case, "assign", mediator_ids=[me])

    phone = await browsers.signed_in("med.field", PASSWORD, "/field", **fieldkit.phone())
    await phone.get_by_test_id("tab-plugin-mediation-cases").click()
    tab = phone.get_by_test_id("mediation-field")
    await tab.get_by_test_id("mediation-field-case").filter(has_text=case["number"]).click()
    await input_of(phone, "mediation-field-attendees").fill("张建国、李秀兰")
    await input_of(phone, "mediation-field-record").fill(RECORD)
    await tab.get_by_test_id("mediation-field-save").click()
    await expect(tab.get_by_test_id("mediation-field-session")).to_contain_text(RECORD)

    signed = tmp_path / "协议签字页.png"
    signed.write_bytes(fieldkit.png())
    await tab.get_by_test_id("mediation-field-file").set_input_files(signed)
    await expect(tab.get_by_test_id("mediation-field-documents")).to_contain_text("协议签字页.png")
    # the phone's layout fits its width: no sideways scrolling
    assert await phone.evaluate("document.documentElement.scrollWidth <= 390")

    detail = await mediator.json("GET", f"{API}/cases/{case['id']}")
    assert [(s["attendees"], s["record"]) for s in detail["sessions"]] == [
        (["张建国", "李秀兰"], RECORD)
    ]
    assert [(d["name"], d["content_type"]) for d in detail["documents"]] == [
        ("协议签字页.png", "image/png")
    ]

    screen = await browsers.signed_in("town1.cmd", PASSWORD, "/console/screen")
    panel = screen.get_by_test_id("screen-panel-mediation-mediation")
    await expect(panel).to_contain_text("村级化解占比")
    village_row = panel.get_by_test_id("mediation-panel-open").locator("tr", has_text="村级")
    await expect(village_row.locator("td")).to_have_text(["村级", "1", "0", "0"])


async def test_a_published_article_reads_as_text_on_the_residents_page(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    town = await console_hub.sign_in("town1.cmd")
    body = '<img src=x onerror="window.pwned=1">防范电信诈骗：陌生来电要求转账一律拒绝'
    article = await town.json(
        "POST",
        f"{API}/articles",
        json={"grid_id": await console_hub.grid_id(TOWN), "title": "<b>反诈</b>提醒", "body": body},
    )
    await town.json("POST", f"{API}/articles/{article['id']}/publish", json={"version": 1})
    page = await browsers.page("/report", name="resident", **fieldkit.phone())
    section = page.get_by_test_id("section-mediation-articles")
    await section.get_by_test_id("mediation-articles-village").click()
    await page.get_by_role("option", name="洛城街道 东庄村").click()
    shown = section.get_by_test_id("mediation-article")
    await expect(shown).to_contain_text("<b>反诈</b>提醒")
    await expect(shown).to_contain_text(body)  # the markup as typed, as text
    assert await shown.locator("img, b").count() == 0
    assert await page.evaluate("window.pwned === undefined")


async def test_a_mediator_without_grid_roles_sees_only_what_they_may_use(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    """Only 调解员 (no grid worker role): the field app opens on their plugin tab, shows no
    task list or 上报 tab of dispatch's, and asks nothing they would be refused (a 403 is a
    console error, which the fixture's browser check fails on)."""
    phone = await browsers.signed_in("med.v01", PASSWORD, "/field", **fieldkit.phone())
    await expect(phone.get_by_test_id("mediation-field")).to_be_visible()
    tab = phone.get_by_test_id("tab-plugin-mediation-cases")
    await expect(tab).to_have_class("on")
    for builtin in ("tab-tasks", "tab-report"):
        await expect(phone.get_by_test_id(builtin)).to_have_count(0)
    await expect(phone.get_by_test_id("tab-plugin-mediation-articles")).to_be_visible()
    await phone.get_by_test_id("tab-me").click()
    await expect(phone.get_by_test_id("queue-panel")).to_be_visible()
    await expect(phone.get_by_test_id("duty-panel")).to_be_visible()  # staff: 在岗 is theirs
    await phone.get_by_test_id("tab-chat").click()
    await expect(phone.get_by_test_id("tab-chat")).to_have_class("on")
