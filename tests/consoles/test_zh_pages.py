"""Every other page in zh mode meets no raw code or English word (issue 18, item 2).

test_zh_walk.py walks the alarm centre, the incident drawer, the map's grid panel, the big
screen and the login; this module walks the rest with the same word list: the console's
消息群组, 音视频通话 (with a call still ringing, so its state has no outcome yet), 人员与角色,
the plugin pages 事件调度 and 物联告警 with the SOS panel (an SOS, its escalation chain and
notices), the map's alarm (its marker's tooltip, its panel, the desktop notification), the field
app's every tab on a phone (390×844) and the residents' /report (an appeal filed, then tracked).
"""

from __future__ import annotations

import socketio
from playwright.async_api import Page, expect

from hub.demo_data import DEMO_PASSWORD
from plugins.alarms.client import DeviceClient
from tests.consoles.browser import Browsers, input_of, sign_in
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub
from tests.consoles.fieldkit import dispatched_task, person_id, phone
from tests.consoles.test_zh_walk import GAS, assert_chinese

LIVE_MS = 5_000
ADMIN = "admin"
# Desktop notifications the page shows, recorded (Chromium in a test shows none of its own).
RECORD_NOTIFICATIONS = """
window.ghNotifications = [];
window.Notification = class {
  static permission = 'granted';
  static requestPermission() { return Promise.resolve('granted'); }
  constructor(title, options) { window.ghNotifications.push({ title, body: options?.body ?? '' }); }
};
"""
# 东庄村's commander: an SOS in w01's grid escalates to the village at once (the county later)
VILLAGE_COMMANDER = "v01.cmd"


async def socket_of(hub: ConsoleHub, username: str) -> socketio.AsyncClient:
    client = socketio.AsyncClient()
    token = await hub.token(username)
    await client.connect(hub.url, auth={"token": token}, transports=["websocket"])
    return client


async def visit(page: Page, nav: str, ready: str) -> None:
    """Open a page of the console by its nav entry and wait for a part of it."""
    await page.get_by_test_id(nav).click()
    await page.get_by_test_id(ready).first.wait_for()


async def test_console_pages_in_chinese(console_hub: ConsoleHub, browsers: Browsers) -> None:
    task = await dispatched_task(console_hub, "东庄桥北侧积水")
    page = await browsers.signed_in(VILLAGE_COMMANDER, PASSWORD, "/console/alarms")
    await page.get_by_test_id("sos-panel").wait_for()
    worker = await socket_of(console_hub, WORKER)
    commander = await socket_of(console_hub, VILLAGE_COMMANDER)
    try:
        raised = await worker.call(
            "escalation.sos.raise", {"lat": 36.9263, "lon": 118.5656, "note": "河边滑倒"}, timeout=5
        )
        sos = raised["sos"]
        await expect(page.get_by_test_id(f"sos-{sos['id']}")).to_be_visible(timeout=LIVE_MS)
        chain = page.get_by_test_id("escalation-chain").first
        await expect(chain).to_contain_text(f"SOS 报警 #{sos['id']} · SOS 报警升级")
        village = page.get_by_test_id("escalation-alert").filter(has_text="→ 东庄村 (")
        await expect(village).to_contain_text(f"SOS 报警 #{sos['id']} → 东庄村 (SOS 报警升级)")
        await assert_chinese(page, "alarm centre with an SOS and its escalation")

        await visit(page, "nav-incidents", f"incident-card-{task['id']}")
        await assert_chinese(page, "incident board")
        await visit(page, "nav-channels", "channel-list")
        await page.get_by_test_id("channel-list").locator("[data-testid^=channel-]").first.click()
        await expect(page.get_by_test_id("channel-title")).not_to_have_text("")
        await assert_chinese(page, "channels with one open")

        # a call from the commander's other device, still ringing: the log names its state
        invited = await commander.call(
            "call.invite",
            {"callee_id": await person_id(console_hub, WORKER), "media": "audio",
             "client_call_id": "zh-walk"},
            timeout=5,
        )  # fmt: skip
        assert invited["state"] == "ringing", invited
        await visit(page, "nav-calls", f"call-person-{WORKER}")
        await expect(page.get_by_text("呼叫中").first).to_be_visible()
        await assert_chinese(page, "calls with a ringing call in the log")
    finally:
        await commander.disconnect()
        await worker.disconnect()


async def test_people_page_in_chinese(console_hub: ConsoleHub, browsers: Browsers) -> None:
    page = await browsers.signed_in(ADMIN, DEMO_PASSWORD, "/console/people")
    for username in (WORKER, "county.dispatch"):  # a grid worker, a county dispatcher
        await page.get_by_test_id(f"person-{username}").click()
        await expect(page.get_by_test_id("person-detail")).to_contain_text(username)
        await assert_chinese(page, f"people and roles with {username} picked")


async def test_field_tabs_in_chinese(console_hub: ConsoleHub, browsers: Browsers) -> None:
    task = await dispatched_task(console_hub, "东庄桥北侧积水")
    field = await browsers.signed_in(WORKER, PASSWORD, "/field", **phone())
    await field.get_by_test_id(f"task-{task['number']}").wait_for(timeout=LIVE_MS)
    await assert_chinese(field, "field tasks")
    await field.get_by_test_id(f"task-{task['number']}").click()
    await field.get_by_test_id(f"detail-{task['number']}").wait_for()
    await assert_chinese(field, "field task detail")
    await field.get_by_test_id("tab-report").click()
    await field.get_by_test_id("report-located").wait_for()
    await assert_chinese(field, "field tab 上报")
    await field.get_by_test_id("tab-chat").click()
    await field.locator(".chan", has_text="东庄村第一网格").wait_for()
    await assert_chinese(field, "field tab 消息 (the channels)")
    await field.locator(".chan", has_text="东庄村第一网格").click()
    await field.get_by_test_id("chat-input").wait_for()
    await assert_chinese(field, "field tab 消息 (a channel)")
    await field.get_by_test_id("tab-me").click()
    await field.get_by_test_id("queue-panel").wait_for()
    await assert_chinese(field, "field tab 我的")


async def test_report_page_in_chinese(browsers: Browsers, console_hub: ConsoleHub) -> None:
    page = await browsers.page("/report", name="resident", **phone())
    await page.get_by_test_id("category-road_facility").click()
    await assert_chinese(page, "report form")
    await input_of(page, "appeal-title").fill("村口路灯不亮")
    await input_of(page, "appeal-name").fill("王大妈")
    await page.get_by_test_id("appeal-located").wait_for()
    await page.get_by_test_id("appeal-submit").click()
    await page.get_by_test_id("tracking-code").wait_for()
    await assert_chinese(page, "appeal filed")
    await page.get_by_test_id("track-now").click()
    await expect(page.get_by_test_id("track-state")).to_have_text("已提交，待受理")
    await assert_chinese(page, "appeal tracked")


async def test_map_alarm_in_chinese(
    console_hub: ConsoleHub, browsers: Browsers, devices: list[DeviceClient]
) -> None:
    page = await browsers.page("/console", name=COMMANDER)
    await page.context.add_init_script(RECORD_NOTIFICATIONS)
    await page.reload()
    await sign_in(page, COMMANDER, PASSWORD)
    gas = console_hub.device(GAS)
    devices.append(gas)
    await gas.connect()
    await gas.wait_acked(await gas.telemetry(ppm=1774.81))
    [alarm] = await console_hub.api("GET", "/api/v1/alarms?active=true", COMMANDER)
    marker = page.get_by_test_id(f"alarm-{alarm['id']}")
    # Events, not the mouse: the marker blinks (never "stable") and the incident opened for the
    # alarm stands on the same spot, over it.
    await marker.dispatch_event("mouseover")
    await expect(page.locator(".leaflet-tooltip", has_text="紧急")).to_have_text(
        "紧急 · 燃气泄漏 · 屯田村燃气调压箱"
    )
    await marker.dispatch_event("click")
    detail = page.get_by_test_id("map-detail")
    await expect(detail).to_contain_text("紧急 · 燃气泄漏")
    await expect(detail).to_contain_text("屯田村燃气调压箱 · 燃气泄漏：浓度(ppm) 1774.81 ≥ 1000")
    await assert_chinese(page, "map with an alarm's panel")
    await page.get_by_test_id(f"device-{GAS}").dispatch_event("click")
    await expect(detail).to_contain_text(f"{GAS} · 燃气探测器")
    await assert_chinese(page, "map with a device's panel")
    shown = await page.evaluate("window.ghNotifications")
    assert shown == [
        {"title": "紧急 · 燃气泄漏", "body": "屯田村燃气调压箱 燃气泄漏：浓度(ppm) 1774.81 ≥ 1000"}
    ]
