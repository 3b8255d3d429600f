"""The civic plugins in zh mode meet no raw code or English word (issue 18, item 2).

A hub with 矛盾调解 (mediation), 三务公开/党建 (party) and 便民服务 (services) and their demo
data: the console's pages (desktop 1600×900), the field app's 党员 and 探访 tabs and the
residents' /report sections (phone 390×844) are searched with test_zh_walk.py's word list and
the plugins' own codes (case states, kinds, levels, booking states, disclosure kinds/states…);
a spot check of the English console shows a plugin page's English words.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from hub.keys import PLUGINS
from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import (  # noqa: F401  (fixtures)
    StartGridHub,
    gridhub_demo_template,
    start_gridhub,
)
from tests.consoles.browser import Browsers, require_dist, sign_in
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.consoles.fieldkit import phone
from tests.consoles.test_zh_walk import ENGLISH, RAW_CODES, RAW_CODES_EXACT, whole_words
from tests.plugins.mediation.conftest import add_people

DESKTOP = {"viewport": {"width": 1600, "height": 900}}
# The plugins' codes (states, kinds, levels, categories) and words of their English UI.
CIVIC_CODES = (
    *("marriage_family", "neighbours", "land_contract", "labour_wages", "damages"),
    *("property_mgmt", "other", "accepted", "agreed", "performed", "failed", "referred"),
    *("medium", "applicant", "respondent", "litigation", "arbitration", "petition", "office"),
    *("resident", "opened", "accept", "assign", "escalate", "agree", "perform", "fail"),
    *("refer", "risk", "take_risk", "confirm", "follow_up", "follow_up_due", "risk_unanswered"),
    *("session_scheduled", "session_recorded", "party_added", "party", "finance", "draft"),
    *("submitted", "returned", "published", "superseded", "overdue", "due", "committee"),
    *("general_branch", "branch", "assembly", "group", "lecture", "theme_day", "formal"),
    *("probationary", "inactive", "free", "approved", "rejected", "not_accepted", "on_scene"),
    *("parked", "requested", "confirmed", "delivered", "full", "partial", "guidance", "meal"),
    *("health", "cleaning", "visit", "mediator", "legal_adviser", "secretary", "demo", "system"),
)
CIVIC_ENGLISH = (
    *("case", "cases", "mediation", "agreement", "disclosure", "services", "service"),
    *("approve", "reject", "save", "new", "date", "time", "kind", "type", "points", "title"),
    *("members", "member", "total", "booking", "bookings", "venue", "check-ins", "no", "data"),
)
FORBIDDEN = (
    whole_words(RAW_CODES + ENGLISH + CIVIC_CODES + CIVIC_ENGLISH, re.I),
    whole_words(RAW_CODES_EXACT),
    re.compile(r"(?<![\w.-])(v\d+)(?![\w-]|\.\w)"),  # a version in zh is 第1版, not v1
)
HAN = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_PAGES = (
    ("nav-plugin-mediation-cases", "mediation-page"),
    ("nav-plugin-party-disclosure", "party-disclosure-page"),
    ("nav-plugin-party-building", "party-building-page"),
    ("nav-plugin-services-services", "services-page"),
)
VILLAGE_COMMANDER = "v01.cmd"
WORKER = "w01"


def raw_words(text: str) -> list[str]:
    return sorted({m.group(1) for pattern in FORBIDDEN for m in pattern.finditer(text)})


class Walk:
    """The raw words each page showed, all pages first, then one assertion naming them all."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}
        self.texts: dict[str, str] = {}

    async def check(self, page: Page, where: str) -> None:
        text = await page.inner_text("body")
        if words := raw_words(text):
            self.found[where] = words
            self.texts[where] = text

    async def tabs(self, page: Page, where: str) -> None:
        """Each tab of the page's tab bar, once its data is drawn (no skeleton left)."""
        await expect(page.locator(".el-skeleton")).to_have_count(0)
        tabs = page.locator(".el-tabs__item")
        for n in range(await tabs.count()):
            tab = tabs.nth(n)
            await tab.click()
            await expect(tab).to_have_class(re.compile(r"\bis-active\b"))
            await expect(page.locator(".el-skeleton")).to_have_count(0)
            await self.check(page, f"{where} · {await tab.inner_text()}")

    def assert_clean(self) -> None:
        assert not self.found, f"{self.found}\n" + "\n----\n".join(
            f"{where}:\n{text}" for where, text in self.texts.items()
        )


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:  # noqa: F811
    require_dist()
    hub = await start_gridhub(
        ["dispatch", "alarms", "escalation", "mediation", "party", "services"], demo=True
    )
    await add_people(hub)
    await hub.app[PLUGINS].seed_demo_all()
    return hub


async def make_member(hub: RunningHub, username: str) -> None:
    """`username` joins the first demo branch, so the 党员 tab shows a member's page."""
    town = await hub.sign_in("town1.cmd")
    orgs = (await town.json("GET", "/api/v1/party/orgs"))["items"]
    branch = next(org for org in orgs if org["kind"] == "branch")
    member = {"org_id": branch["id"], "name": "张秀英", "join_date": "2001-07-01"}
    member["person_id"] = await hub.person_id(username)
    await town.json("POST", "/api/v1/party/members", json=member)


async def open_page(page: Page, nav: str, ready: str) -> None:
    await page.get_by_test_id(nav).click()
    await page.get_by_test_id(ready).first.wait_for()


async def test_civic_console_pages_in_chinese(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    walk = Walk()
    page = await browsers.signed_in(VILLAGE_COMMANDER, PASSWORD, "/console", **DESKTOP)
    await open_page(page, "nav-plugin-mediation-cases", "mediation-page")
    await page.get_by_test_id("mediation-page").get_by_text("全部", exact=True).click()
    await page.locator(".mediation-row").first.wait_for()
    await walk.check(page, "矛盾调解 board")
    await page.locator(".mediation-row").first.click()
    await page.get_by_test_id("mediation-drawer").wait_for()
    await walk.tabs(page, "矛盾调解 case drawer")
    await page.keyboard.press("Escape")
    await open_page(page, "nav-plugin-party-disclosure", "party-disclosure-page")
    await walk.tabs(page, "三务公开")
    await page.locator(".el-tabs__item", has_text="全部事项").click()
    await page.get_by_test_id("party-items").locator(".el-table__row").first.click()
    await page.get_by_test_id("party-detail").wait_for()
    await walk.check(page, "三务公开 item drawer")
    await page.keyboard.press("Escape")
    await open_page(page, "nav-plugin-party-building", "party-building-page")
    await walk.tabs(page, "党建")
    await open_page(page, "nav-plugin-services-services", "services-page")
    await walk.tabs(page, "便民服务")
    walk.assert_clean()


async def test_civic_field_tabs_and_report_in_chinese(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    walk = Walk()
    await make_member(console_hub, WORKER)
    field = await browsers.signed_in(WORKER, PASSWORD, "/field", **phone())
    await field.get_by_test_id("tab-plugin-party-member").click()
    await field.get_by_test_id("party-my-points").wait_for()
    await walk.check(field, "field tab 党员")
    await field.get_by_test_id("tab-plugin-services-checkins").click()
    await field.get_by_test_id("services-field-checkins").wait_for()
    await walk.check(field, "field tab 探访")
    report = await browsers.page("/report", name="resident", **phone())
    for section in ("party-disclosure", "services-services", "mediation-legal"):
        await report.get_by_test_id(f"section-{section}").wait_for()
    await report.get_by_test_id("party-public-item").first.click()
    await (
        report.get_by_test_id("party-public-answer")
        .or_(report.get_by_test_id("party-ask"))
        .first.wait_for()
    )
    await walk.check(report, "/report with a published item open")
    services = report.get_by_test_id("section-services-services")
    await services.get_by_test_id("services-village").click()
    await report.locator(".el-select-dropdown__item:visible", has_text="东庄村").first.click()
    await services.get_by_test_id("services-slot").first.wait_for()
    await walk.check(report, "/report with a village's venue slots")
    await report.get_by_test_id("mediation-apply-type").click()
    await report.locator(".el-select-dropdown__item:visible").first.wait_for()
    await walk.check(report, "/report with the dispute types open")
    walk.assert_clean()


async def test_civic_pages_in_english_name_their_columns_in_english(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    """Spot check of en mode: the plugin pages' tabs, columns and filters are English (the
    data, such as village names and purposes, stays as people wrote it)."""
    page = await browsers.page("/console", name=VILLAGE_COMMANDER, **DESKTOP)
    await page.context.add_init_script("localStorage.setItem('gridhub.locale', 'en')")
    await page.reload()
    await sign_in(page, VILLAGE_COMMANDER, PASSWORD)
    labels = ".el-tabs__item, th, .el-radio-button, .el-skeleton"
    chinese: dict[str, list[str]] = {}
    for nav, ready in ENGLISH_PAGES:
        await open_page(page, nav, ready)
        await expect(page.locator(".el-skeleton")).to_have_count(0)
        shown = await page.locator(labels).all_inner_texts()
        if han := [label for label in shown if HAN.search(label)]:
            chinese[nav] = han
    assert chinese == {}
