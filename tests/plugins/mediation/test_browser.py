"""矛盾调解 in the browser (Debian's Chromium): the town commander enters a dispute at the
console, accepts it and records the agreement in the case drawer; a case a village mediator
opens elsewhere appears on the board live. On the residents' page a resident asks a legal
question, reads the adviser's answer by its tracking code and rates it, and applies for
mediation and follows the application by its code."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import Browsers, input_of, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.mediation.conftest import API, VILLAGE, add_people, new_case

SUMMARY = "两户因承包地边界界桩移位发生争执"
TERMS = "由镇自然资源所重新测定界桩，双方认可测定结果"
QUESTION = "承包地被邻村占用多年，可以要回吗？"
ANSWER = "可持承包合同和确权证书先申请村调委会调解，不成可向法院起诉。"


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
    # The agreement PDF: fetched with the page's sign-in (api.download), saved by its number.
    await drawer.get_by_role("tab", name="文书").click()
    async with page.expect_download() as started:
        await drawer.get_by_test_id("mediation-pdf").click()
    pdf = await started.value
    assert pdf.suggested_filename == f"{stored[0]['number']}.pdf"
    assert (await asyncio.to_thread(Path(await pdf.path()).read_bytes)).startswith(b"%PDF-")
    # A village mediator enters another case: the board shows it without a reload.
    mediator = await console_hub.sign_in("med.v01")
    village = await console_hub.grid_id(VILLAGE)
    other = await mediator.json(
        "POST", f"{API}/cases", json=new_case(village, summary="鸡鸭啄食菜苗")
    )
    await page.keyboard.press("Escape")
    await expect(board).to_contain_text(other["number"])


async def test_resident_asks_reads_the_answer_and_rates(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    page = await browsers.page("/report", name="resident")
    section = page.get_by_test_id("section-mediation-legal")
    await expect(section).to_contain_text("法律咨询")
    await section.get_by_test_id("mediation-legal-village").click()
    await page.get_by_role("option", name="洛城街道 东庄村").click()
    await input_of(page, "mediation-legal-text").fill(QUESTION)
    await section.get_by_test_id("mediation-legal-ask").click()
    issued = section.get_by_test_id("mediation-legal-issued")
    await expect(issued).to_have_text(re.compile(r"^[A-Z2-9]{10}$"))
    code = await issued.inner_text()
    await expect(section.get_by_test_id("mediation-legal-result")).to_contain_text(
        "等待法律顾问答复"
    )

    adviser = await console_hub.sign_in("law.v01")
    [question] = (await adviser.json("GET", f"{API}/questions"))["questions"]
    assert (question["code"], question["text"]) == (code, QUESTION)
    await adviser.json("POST", f"{API}/questions/{question['id']}/answer",
                       json={"version": question["version"], "answer": ANSWER})  # fmt: skip

    await section.get_by_test_id("mediation-legal-track").click()
    result = section.get_by_test_id("mediation-legal-result")
    await expect(result).to_contain_text(ANSWER)
    await result.get_by_test_id("mediation-legal-stars").locator(".el-rate__item").nth(3).click()
    await result.get_by_test_id("mediation-legal-rate").click()
    await expect(result).to_contain_text("您的评价：4 / 5")
    tracked = await console_hub.anonymous().json("GET", f"{API}/public/questions/{code}")
    assert tracked["rating"] == 4


async def test_resident_applies_for_mediation_and_follows_it(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    page = await browsers.page("/report", name="resident")
    section = page.get_by_test_id("section-mediation-apply")
    await expect(section).to_contain_text("申请调解")
    await section.get_by_test_id("mediation-apply-village").click()
    await page.get_by_role("option", name="洛城街道 东庄村").click()
    await input_of(page, "mediation-apply-summary").fill("邻居在我家门口堆放建筑垃圾，请求清理")
    await input_of(page, "mediation-apply-name").fill("孙大海")
    await section.get_by_test_id("mediation-apply-send").click()
    card = section.get_by_test_id("mediation-apply-progress")
    await expect(card).to_contain_text("东庄村 · 村级 · 待受理")
    code = await card.get_by_test_id("mediation-apply-code").inner_text()

    mediator = await console_hub.sign_in("med.v01")
    [case] = (await mediator.json("GET", f"{API}/cases"))["cases"]
    assert (case["source"], case["summary"]) == ("resident", "邻居在我家门口堆放建筑垃圾，请求清理")
    await mediator.json(
        "POST", f"{API}/cases/{case['id']}/accept", json={"version": case["version"]}
    )
    await section.get_by_role("button", name="查询进度").click()
    await expect(card).to_contain_text("调解中")
    await expect(card).to_contain_text("受理")
    assert len(code) == 10
