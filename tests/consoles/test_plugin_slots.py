"""Plugins' field tabs, residents' page sections and incident-drawer cards in Chromium.

A test plugin declares them (hub/ui.py) with a bundle written by hand: an ES module importing
`vue` through the pages' import map, so it shares the page's Vue. Each item appears for the
people its roles allow and not for others; a bundle that cannot be loaded (offline, or it
throws) shows its own zh/en message while the rest of the page works.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, expect

from hub.sdk import (
    BasePlugin,
    DrawerCard,
    FieldTab,
    PluginContext,
    PluginUi,
    ResidentSection,
)
from tests.consoles.browser import Browsers, input_of
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub, StartConsoleHub
from tests.consoles.fieldkit import DISPATCH, dispatched_task, phone

LEADER = "v01.lead"  # grid_leader of 东庄村, w01's village
DISPATCHER = "county.dispatch"
LIVE_MS = 5_000

BUNDLE = """\
import { defineComponent, h, ref } from 'vue'

export const LeaderTab = defineComponent({
  setup() {
    const taps = ref(0)
    const tap = () => taps.value++
    return () => h('div', { 'data-testid': 'extras-leader' }, [
      h('p', '今日巡查'),
      h('button', { 'data-testid': 'extras-tap', onClick: tap }, `记一笔 ${taps.value}`),
    ])
  },
})

export const Notice = defineComponent({
  setup: () => () => h('p', { 'data-testid': 'extras-notice' }, '周六上午村委会集中办理医保缴费'),
})

export const StaffOnly = defineComponent({
  setup: () => () => h('p', { 'data-testid': 'extras-staff' }, '内部通知'),
})

export const IncidentCard = defineComponent({
  props: { incident: { type: Object, required: true } },
  setup: (props) => () =>
    h('p', { 'data-testid': 'extras-card' }, `${props.incident.number} ${props.incident.state}`),
})

export const Throws = defineComponent({
  setup() {
    throw new Error('extras: a component that fails on purpose')
  },
})
"""
BROKEN = "throw new Error('extras: a bundle that fails on purpose')\n"


def extras_ui() -> PluginUi:
    leaders = frozenset({"grid_leader"})
    workers = frozenset({"grid_worker"})
    commanders = frozenset({"commander"})
    tab, section, card = FieldTab, ResidentSection, DrawerCard
    return PluginUi(
        field_tabs=(
            tab(id="patrol", title_zh="巡查本", title_en="Patrol log", roles=leaders,
                module="extras.js", export="LeaderTab", order=1),
            tab(id="broken", title_zh="坏页", title_en="Broken", roles=leaders,
                module="broken.js", export="LeaderTab", order=2),
        ),
        resident_sections=(
            section(id="notice", title_zh="村务公告", title_en="Village notices",
                    module="extras.js", export="Notice", order=1),
            section(id="staff", title_zh="内部", title_en="Staff", roles=workers,
                    module="extras.js", export="StaffOnly", order=2),
            section(id="throws", title_zh="坏区块", title_en="Broken section",
                    module="extras.js", export="Throws", order=3),
        ),
        drawer_cards=(
            card(id="patrol", title_zh="巡查情况", title_en="Patrol", roles=commanders,
                 module="extras.js", export="IncidentCard", order=1),
            card(id="throws", title_zh="坏卡片", title_en="Broken card", roles=commanders,
                 module="extras.js", export="Throws", order=2),
        ),
    )  # fmt: skip


class Extras(BasePlugin):
    """Adds nothing but UI: its tabs, sections and cards."""

    name = "extras"

    def __init__(self, static: Path) -> None:
        self.static = static
        self.ui = extras_ui()

    async def setup(self, ctx: PluginContext) -> None:
        return None


@pytest.fixture
async def console_hub(start_console_hub: StartConsoleHub, tmp_path: Path) -> ConsoleHub:
    """The demo hub with the extras plugin beside the built-in ones."""
    static = tmp_path / "extras-static"
    static.mkdir()
    (static / "extras.js").write_text(BUNDLE)
    (static / "broken.js").write_text(BROKEN)
    return await start_console_hub(more={"extras": Extras(static)})


def ignore_plugin_failures(browsers: Browsers) -> None:
    """The pages log the bundles that fail on purpose (and Chromium the requests refused
    while offline); the tests check what the person sees instead."""
    browsers.errors.ignored += [
        "plugin module",
        "plugin component",
        "extras:",
        "net::ERR_INTERNET_DISCONNECTED",
    ]


async def field_app(browsers: Browsers, username: str) -> Page:
    return await browsers.signed_in(username, PASSWORD, "/field", **phone())


async def test_field_tab_only_for_its_role_shares_vue_and_follows_the_language(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    leader = await field_app(browsers, LEADER)
    tab = leader.get_by_test_id("tab-plugin-extras-patrol")
    await expect(tab).to_have_text("▦巡查本")
    await tab.click()
    view = leader.get_by_test_id("view-plugin-extras-patrol")
    await expect(view.locator("h2")).to_have_text("巡查本")
    tap = view.get_by_test_id("extras-tap")
    await tap.click()
    await tap.click()
    await expect(tap).to_have_text("记一笔 2")  # the page's own Vue redraws the plugin's ref
    await expect(tab).to_have_class("on")

    await leader.get_by_test_id("tab-me").click()
    await leader.get_by_role("radio", name="English").dispatch_event("click")
    await expect(tab).to_have_text("▦Patrol log")

    worker = await field_app(browsers, WORKER)
    await expect(worker.get_by_test_id("tab-me")).to_be_visible()
    await expect(worker.locator('[data-testid^="tab-plugin-"]')).to_have_count(0)


async def test_field_tab_that_cannot_load_says_so_and_the_app_goes_on(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    ignore_plugin_failures(browsers)
    leader = await field_app(browsers, LEADER)
    await leader.get_by_test_id("tab-plugin-extras-broken").click()
    failure = leader.get_by_test_id("view-plugin-extras-broken").get_by_test_id("plugin-error")
    await expect(failure).to_contain_text("插件模块加载失败")
    await leader.get_by_test_id("tab-report").click()  # the built-in tabs still work
    await expect(leader.get_by_test_id("report-submit")).to_be_visible()

    await leader.context.set_offline(True)
    await expect(leader.get_by_test_id("net-status")).to_have_attribute("data-state", "offline")
    await leader.get_by_test_id("tab-plugin-extras-patrol").click()  # never loaded so far
    view = leader.get_by_test_id("view-plugin-extras-patrol")
    await expect(view.get_by_test_id("plugin-error")).to_contain_text("当前离线，联网后自动加载")
    await leader.get_by_test_id("tab-me").click()
    await expect(leader.get_by_test_id("duty-switch")).to_be_visible()
    await leader.get_by_test_id("tab-plugin-extras-patrol").click()

    await leader.context.set_offline(False)  # loads by itself
    await expect(view.get_by_test_id("extras-tap")).to_have_text("记一笔 0", timeout=LIVE_MS)


async def test_residents_see_public_sections_only_and_a_broken_one_stays_in_its_box(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    ignore_plugin_failures(browsers)
    page = await browsers.page("/report", name="resident", **phone())
    notice = page.get_by_test_id("section-extras-notice")
    await expect(notice.locator("h2")).to_have_text("村务公告")
    text = notice.get_by_test_id("extras-notice")
    await expect(text).to_have_text("周六上午村委会集中办理医保缴费")
    broken = page.get_by_test_id("section-extras-throws")
    await expect(broken.get_by_test_id("plugin-error")).to_be_visible()
    await expect(page.get_by_test_id("section-extras-staff")).to_have_count(0)
    await expect(page.get_by_test_id("extras-staff")).to_have_count(0)

    await page.get_by_test_id("category-road_facility").click()  # the form still works
    await input_of(page, "appeal-title").fill("村口路灯不亮")
    await expect(input_of(page, "appeal-title")).to_have_value("村口路灯不亮")

    anonymous = await (await console_hub.client.get("/api/v1/ui/manifest")).json()
    [extras] = [p for p in anonymous["plugins"] if p["name"] == "extras"]
    assert [s["id"] for s in extras["resident_sections"]] == ["notice", "throws"]
    assert extras["field_tabs"] == extras["drawer_cards"] == []


async def open_drawer(console: Page, incident_id: int) -> Locator:
    await console.get_by_test_id(f"incident-card-{incident_id}").click()
    drawer = console.get_by_test_id("incident-drawer")
    await expect(drawer.get_by_test_id("timeline")).to_be_visible()
    return drawer


async def test_drawer_cards_for_commanders_get_the_incident(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    ignore_plugin_failures(browsers)
    task = await dispatched_task(console_hub, "东庄桥北侧积水")
    commander = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents")
    drawer = await open_drawer(commander, task["id"])
    card = drawer.get_by_test_id("drawer-card-extras-patrol")
    await expect(card).to_contain_text("巡查情况")
    shown = card.get_by_test_id("extras-card")
    await expect(shown).to_have_text(f"{task['number']} dispatched")
    broken = drawer.get_by_test_id("drawer-card-extras-throws")
    await expect(broken.get_by_test_id("plugin-error")).to_be_visible()
    actions = drawer.get_by_test_id("incident-actions").get_by_role("button")
    await expect(actions.first).to_be_visible()  # the drawer around it works
    await drawer.get_by_role("tab", name="附件").click()
    await expect(drawer.get_by_role("tab", name="附件")).to_have_attribute("aria-selected", "true")
    await console_hub.api(
        "POST", f"{DISPATCH}/incidents/{task['id']}/actions/sign", WORKER,
        json={"version": task["version"]},
    )  # fmt: skip
    await expect(shown).to_have_text(f"{task['number']} signed", timeout=LIVE_MS)  # kept live

    dispatcher = await browsers.signed_in(DISPATCHER, PASSWORD, "/console/incidents")
    other = await open_drawer(dispatcher, task["id"])
    await expect(other.locator('[data-testid^="drawer-card-"]')).to_have_count(0)
