"""A commander in zh mode meets no raw code or English word (issue 18, item 2).

Each page's visible text (the body's inner text) is searched for whole words from a list of
codes the hub uses and English words a page might leak; Latin text a person legitimately
reads (the GridHub brand, usernames, device codes beside a device's name, units) is allowed.
This module walks the alarm centre (banner, table, detail with history), the login refusal,
the incident drawer and its chat, the map's grid panel and the big screen; test_zh_pages.py
walks every other page of the console, the field app's tabs and the residents' /report.
"""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from plugins.alarms.client import DeviceClient
from tests.consoles.browser import Browsers, input_of
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub
from tests.consoles.fieldkit import DISPATCH, dispatched_task, person_id

GAS = "dev-gas-01"  # 屯田村燃气调压箱: the default rule gas_leak is ppm ≥ 1000
SMOKE = "dev-smoke-01"  # 南楼村老年公寓烟感
MANHOLE = "dev-mh-01"  # 王家村主街井盖

# Codes the hub sends and words of the English UI: none may reach a zh page.
RAW_CODES = (
    *("gas_leak", "smoke", "cover_open", "door_open", "intrusion", "high_water", "overheat"),
    *("frost", "raised", "repeated", "severity_changed", "acknowledged", "cleared", "commented"),
    *("assigned", "incident_opened", "pending", "done", "console", "appeal", "field", "audio"),
    *("video", "county", "town", "village", "basic", "dispatch.handle", "dispatch.verify"),
    *("dispatch.close", "CRITICAL", "MAJOR", "MINOR", "WARNING", "ge", "gt", "le", "lt"),
    *("alarm-severe", "incident-overdue", "missed-checkin", "ringing", "ended", "answered"),
    *("missed", "declined", "cancelled", "water_level", "temperature", "camera", "manhole"),
    *("reported", "registered", "dispatched", "signed", "en_route", "on_site", "handled"),
    *("verified", "closed", "urgent", "high", "normal", "low", "env_sanitation"),
    *("road_facility", "online", "offline", "busy", "away", "on_call", "grid_worker"),
    *("commander", "direct", "adhoc", "incident", "ptt", "grid", "checkin", "dispatch"),
    *("alarms", "gas_detector", "smoke_detector", "water_level_gauge"),
)
# codes that are words in capitals: the policy and subject "sos" (SOS is the word people use)
RAW_CODES_EXACT = ("sos",)
ENGLISH = (
    *("password", "failed", "error", "loading", "wrong", "username", "not", "found", "gas"),
    *("leak", "alarm", "device", "unknown", "check-in", "call", "video", "voice", "plugin"),
    *("escalation", "step", "level", "none", "null", "undefined", "NaN", "true", "false"),
    *("submit", "track", "state", "pending", "search", "report", "task", "tasks", "me"),
)


def whole_words(words: tuple[str, ...], flags: int = 0) -> re.Pattern[str]:
    """Whole words: not part of a longer word, a code (dev-smoke-01) or a username
    (county.cmd)."""
    alternatives = "|".join(map(re.escape, words))
    return re.compile(r"(?<![\w.-])(" + alternatives + r")(?![\w-]|\.\w)", flags)


FORBIDDEN = (whole_words(RAW_CODES + ENGLISH, re.I), whole_words(RAW_CODES_EXACT))


def raw_words(text: str) -> list[str]:
    """The forbidden words in `text` (whole words; device codes such as dev-smoke-01 are
    shown beside a name and are not words of their own)."""
    return sorted({m.group(1) for pattern in FORBIDDEN for m in pattern.finditer(text)})


async def assert_chinese(page: Page, where: str) -> None:
    text = await page.inner_text("body")
    assert raw_words(text) == [], f"{where}: {raw_words(text)} in\n{text}"


def test_raw_words_are_whole_words() -> None:
    assert raw_words("紧急 · gas_leak") == ["gas_leak"]
    assert raw_words("南楼村老年公寓烟感 (dev-smoke-01) · Loading…") == ["Loading"]
    assert raw_words("GridHub 指挥调度台 w01 county.cmd 浓度 1774.81") == []
    assert raw_words("来源 console · dispatch.handle") == ["console", "dispatch.handle"]
    assert raw_words("09:30 · sos:1 · sos · SOS 一键报警") == ["sos"]
    assert raw_words("告警 #3 → 村级 (alarm-severe)") == ["alarm-severe"]


async def test_alarm_centre_in_chinese(
    console_hub: ConsoleHub, browsers: Browsers, devices: list[DeviceClient]
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD)
    await page.get_by_test_id("nav-alarms").click()
    await page.get_by_test_id("alarm-table").wait_for()
    gas, smoke, manhole = (console_hub.device(code) for code in (GAS, SMOKE, MANHOLE))
    devices.extend((gas, smoke, manhole))
    for device in (gas, smoke, manhole):
        await device.connect()
    await gas.wait_acked(await gas.telemetry(ppm=1774.81))
    await smoke.wait_acked(await smoke.alarm("smoke", "CRITICAL", message="烟感报警"))
    await manhole.wait_acked(await manhole.alarm("cover_open", "MAJOR", message="井盖被打开"))
    alarms = await console_hub.api("GET", "/api/v1/alarms?active=true", COMMANDER)
    by_code = {a["device_code"]: a for a in alarms}

    banner = page.get_by_test_id(f"flash-alarm-{by_code[GAS]['id']}")
    await expect(banner).to_contain_text("紧急 · 燃气泄漏")
    await expect(banner).to_contain_text("屯田村燃气调压箱 燃气泄漏：浓度(ppm) 1774.81 ≥ 1000")
    table = page.get_by_test_id("alarm-table")
    await expect(table).to_contain_text("井盖开启")
    await expect(table).to_contain_text("南楼村老年公寓烟感 (dev-smoke-01)")
    await assert_chinese(page, "alarm centre with banners")

    smoke_id = by_code[SMOKE]["id"]
    await page.get_by_test_id(f"alarm-ack-{smoke_id}").click()
    await input_of(page, "alarm-comment").fill("已派人核实")
    await page.get_by_test_id("alarm-submit").click()
    detail = page.get_by_test_id("alarm-detail")
    await expect(detail).to_contain_text("告警产生")
    await expect(detail).to_contain_text("已确认")
    await assert_chinese(page, "alarm detail with history")


async def test_login_refusal_in_chinese(browsers: Browsers) -> None:
    page = await browsers.page("/console")
    browsers.errors.ignored.append("401 (Unauthorized)")  # Chromium logs the refusal itself
    await input_of(page, "login-username").fill(COMMANDER)
    await input_of(page, "login-password").fill("wrong-password")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("login-error")).to_contain_text("登录失败: 用户名或密码错误")
    await assert_chinese(page, "login refused")


async def test_incident_drawer_and_its_chat_in_chinese(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    task = await dispatched_task(console_hub, "东庄桥北侧积水")
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents")
    await page.get_by_test_id(f"incident-card-{task['id']}").click()
    drawer = page.get_by_test_id("incident-drawer")
    await expect(drawer).to_contain_text("指挥中心录入")  # 来源 console
    worker = await person_id(console_hub, WORKER)
    await expect(drawer.get_by_test_id(f"assignee-{worker}")).to_contain_text("待签收")
    await assert_chinese(page, "incident drawer")

    await drawer.get_by_role("tab", name="事件群聊").click()
    await input_of(page, "chat-input").fill("请尽快处理")
    await drawer.get_by_test_id("chat-send").click()  # the channel opens with the first line
    await expect(drawer.get_by_test_id("chat-messages")).to_contain_text("请尽快处理")
    await console_hub.api(
        "POST", f"{DISPATCH}/incidents/{task['id']}/actions/sign", WORKER,
        json={"version": task["version"]},
    )  # fmt: skip
    await expect(drawer.get_by_test_id("chat-messages")).to_contain_text("签收")
    await expect(drawer.get_by_test_id(f"assignee-{worker}")).to_contain_text("已签收")
    await assert_chinese(page, "incident chat with a notice")


async def test_map_grid_panel_in_chinese(console_hub: ConsoleHub, browsers: Browsers) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console")
    await page.get_by_test_id("grid-node-370783").click()
    await expect(page.get_by_text("370783 · 县级 · 基础网格")).to_be_visible()
    await assert_chinese(page, "map with the county's panel")


async def test_big_screen_in_chinese(
    console_hub: ConsoleHub, browsers: Browsers, devices: list[DeviceClient]
) -> None:
    gas = console_hub.device(GAS)
    devices.append(gas)
    await gas.connect()
    await gas.wait_acked(await gas.telemetry(ppm=1774.81))
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/screen")
    # The pie is drawn on a canvas; its legend's names are on the chart's element too.
    await expect(page.get_by_test_id("chart-by-type")).to_have_attribute("data-names", "燃气泄漏")
    await assert_chinese(page, "big screen")
