"""The big screen (展示中心) follows the county live: incidents, people online, alarms; in zh
it names every code, says why a chart is empty, and draws the day's on-time rate."""

from __future__ import annotations

import re

import aiohttp
import socketio
from playwright.async_api import expect

from consoles.screenshots import INCIDENTS, Hub, incidents_in_every_stage
from plugins.alarms.client import DeviceClient
from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub
from tests.consoles.test_zh_walk import assert_chinese

BASIC = "370783-001-001-01"
REFRESH_MS = 9_000  # a push refreshes the KPIs at most every 5 s (1.5 s after a quiet spell)


async def test_big_screen_refreshes_live(
    console_hub: ConsoleHub, browsers: Browsers, devices: list[DeviceClient]
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/screen")
    screen = page.get_by_test_id("big-screen")
    await expect(screen).not_to_have_attribute("data-refreshes", "0")
    await expect(page.get_by_test_id("kpi-total")).to_have_text("0")
    assert await page.locator('[data-testid="chart-per-day"] canvas').count() == 1
    online = int(await page.get_by_test_id("kpi-online").inner_text())

    await console_hub.api(
        "POST", "/api/v1/dispatch/incidents", "county.dispatch",
        json={"title": "东庄桥北侧积水", "category": "env_sanitation", "grid": BASIC},
    )  # fmt: skip
    await expect(page.get_by_test_id("kpi-total")).to_have_text("1", timeout=REFRESH_MS)
    await expect(page.get_by_test_id("kpi-open")).to_have_text("1")

    worker = socketio.AsyncClient()
    token = await console_hub.token(WORKER)
    await worker.connect(console_hub.url, auth={"token": token}, transports=["websocket"])
    try:
        await expect(page.get_by_test_id("kpi-online")).to_have_text(str(online + 1))
    finally:
        await worker.disconnect()

    device = console_hub.device("dev-wl-01")
    devices.append(device)
    await device.connect()
    await device.alarm("high_water", "MAJOR", message="水位超警戒")
    await expect(page.get_by_test_id("kpi-alarms")).to_have_text("1")


TEAL_PIXELS = """(chart) => {
  const canvas = chart.querySelector('canvas')
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height)
  let teal = 0  // the on-time series' colour, #19d3c5
  for (let i = 0; i < data.length; i += 4) {
    const near = Math.abs(data[i] - 0x19) < 30 && Math.abs(data[i + 1] - 0xd3) < 30
    if (near && Math.abs(data[i + 2] - 0xc5) < 30 && data[i + 3] > 200) teal += 1
  }
  return teal
}"""
# a day's bar at 100% is thousands of pixels; the lone dot the line drew was a few dozen
DRAWN_PIXELS = 1000


async def test_big_screen_names_codes_says_why_charts_are_empty_and_draws_the_on_time_rate(
    console_hub: ConsoleHub, browsers: Browsers, devices: list[DeviceClient]
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/screen")
    await expect(page.get_by_test_id("big-screen")).not_to_have_attribute("data-refreshes", "0")
    for panel, why in (
        ("per_day", "近 7 日没有新上报的事件"), ("on_time", "近 7 日没有新上报的事件"),
        ("by_type", "当前没有活动告警"), ("ranking", "近 30 日没有事件"),
        ("by_state", "近 30 日没有事件"), ("live_feed", "暂无事件动态"),
        ("sos", "当前没有 SOS 报警"),
    ):  # fmt: skip
        await expect(page.get_by_test_id(f"empty-{panel}")).to_have_text(why)
    await assert_chinese(page, "empty big screen")
    await page.evaluate("localStorage.setItem('gridhub.locale', 'en')")
    await page.reload()
    await expect(page.get_by_test_id("empty-by_type")).to_have_text("No active alarms")
    await expect(page.get_by_test_id("empty-per_day")).to_have_text(
        "No incident reported in the last 7 days"
    )
    await page.evaluate("localStorage.setItem('gridhub.locale', 'zh-CN')")

    await demo_like_county(console_hub, devices)
    await page.reload()
    screen = page.get_by_test_id("big-screen")
    await expect(screen).not_to_have_attribute("data-refreshes", "0")
    kpis = await console_hub.api("GET", "/api/v1/dispatch/kpis?grid=370783", COMMANDER)
    assert kpis["overall"]["total"] >= len(INCIDENTS)  # and those the alarms opened
    await expect(page.get_by_test_id("kpi-total")).to_have_text(str(kpis["overall"]["total"]))
    await expect(page.get_by_test_id("screen-sos")).to_contain_text("已接警")
    names = await page.get_by_test_id("chart-by-type").get_attribute("data-names")
    assert sorted((names or "").split(",")) == sorted(["燃气泄漏", "水位超警戒", "烟雾报警"])
    # today's incidents have stages ended on time (two closed): today's rate is a bar
    on_time = page.get_by_test_id("chart-on-time")
    await expect(on_time).to_have_attribute("data-values", re.compile(r"^(,){6}100$"))
    await page.wait_for_function(
        f"(c) => ({TEAL_PIXELS})(c) > {DRAWN_PIXELS}", arg=await on_time.element_handle()
    )
    for panel in ("per_day", "on_time", "by_type", "ranking", "by_state", "live_feed", "sos"):
        await expect(page.get_by_test_id(f"empty-{panel}")).to_have_count(0)
    await assert_chinese(page, "big screen with a day's work")


async def demo_like_county(console_hub: ConsoleHub, devices: list[DeviceClient]) -> None:
    """What the docs' screenshots show: incidents in every stage, three alarm types, an SOS
    taken by the commander."""
    async with aiohttp.ClientSession() as http:
        await incidents_in_every_stage(Hub(console_hub.url, http))
    for code, kind, severity in (
        ("dev-gas-02", "gas_leak", "CRITICAL"), ("dev-wl-01", "high_water", "MAJOR"),
        ("dev-smoke-01", "smoke", "MINOR"),
    ):  # fmt: skip
        device = console_hub.device(code)
        devices.append(device)
        await device.connect()
        await device.wait_acked(await device.alarm(kind, severity, message="现场报警"))
    worker, commander = await socket(console_hub, WORKER), await socket(console_hub, COMMANDER)
    try:
        raised = await worker.call("escalation.sos.raise", {"note": "河边滑倒"}, timeout=5)
        assert raised["ok"], raised
        listed = await console_hub.api("GET", "/api/v1/escalation/sos?state=open", COMMANDER)
        sos_id = listed["sos"][0]["id"]
        taken = await commander.call("escalation.sos.ack", {"sos_id": sos_id}, timeout=5)
        assert taken["ok"], taken
    finally:
        await worker.disconnect()
        await commander.disconnect()


async def socket(console_hub: ConsoleHub, username: str) -> socketio.AsyncClient:
    sio = socketio.AsyncClient()
    token = await console_hub.token(username)
    await sio.connect(console_hub.url, auth={"token": token}, transports=["websocket"])
    return sio
