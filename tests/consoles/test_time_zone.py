"""Every time a person sees is the deployment's (settings `time_zone`), not the browser's.

The hub here is set to Asia/Kolkata (UTC+5:30) rather than the default Asia/Shanghai, so a
page that hard-coded the default would fail too; the commander's laptop and the worker's
phone say they are in New York. Neither the browser's clock, UTC nor Shanghai's can pass."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from plugins.alarms.client import DeviceClient
from tests.consoles.browser import Browsers, input_of
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub, StartConsoleHub
from tests.consoles.fieldkit import dispatched_task, incident, phone

DEPLOYMENT = ZoneInfo("Asia/Kolkata")
BROWSER_ZONE = "America/New_York"
ELSEWHERE = {"timezone_id": BROWSER_ZONE, "viewport": {"width": 1600, "height": 900}}
DISPATCHER = "county.dispatch"
BASIC = "370783-001-001-01"
SMOKE = "dev-smoke-01"


@pytest.fixture
async def console_hub(start_console_hub: StartConsoleHub) -> ConsoleHub:
    return await start_console_hub(time_zone="Asia/Kolkata")


def local(value: str | float, pattern: str) -> str:
    """A time from the hub (ISO or epoch seconds) as the deployment's wall clock shows it."""
    at = (
        datetime.fromtimestamp(value) if isinstance(value, float) else datetime.fromisoformat(value)
    )
    return at.astimezone(DEPLOYMENT).strftime(pattern)


async def smoke_alarm(hub: ConsoleHub, devices: list[DeviceClient]) -> dict[str, Any]:
    device = hub.device(SMOKE)
    devices.append(device)
    await device.connect()
    await device.wait_acked(await device.alarm("smoke", "MAJOR", message="烟感报警"))
    alarms = await hub.api("GET", "/api/v1/alarms?active=true", COMMANDER)
    (alarm,) = [a for a in alarms if a["device_code"] == SMOKE]
    return dict(alarm)


async def test_the_ui_config_names_the_deployments_zone(console_hub: ConsoleHub) -> None:
    config = await console_hub.api("GET", "/api/v1/ui/config", COMMANDER)
    assert config["time_zone"] == "Asia/Kolkata"


async def test_console_times_are_the_deployments_in_a_browser_elsewhere(
    console_hub: ConsoleHub, browsers: Browsers, devices: list[DeviceClient]
) -> None:
    made = await console_hub.api(
        "POST", "/api/v1/dispatch/incidents", DISPATCHER,
        json={"title": "东庄桥北侧积水", "category": "env_sanitation", "grid": BASIC},
    )  # fmt: skip
    full = await incident(console_hub, made["id"])
    alarm = await smoke_alarm(console_hub, devices)
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents", **ELSEWHERE)

    # 上报时间 and the timeline in the incident drawer
    await page.get_by_test_id(f"incident-card-{made['id']}").click()
    drawer = page.get_by_test_id("incident-drawer")
    await expect(drawer).to_contain_text(local(full["created_at"], "%Y-%m-%d %H:%M"))
    first_step = local(full["timeline"][0]["at"], "%Y-%m-%d %H:%M:%S")
    await expect(drawer.get_by_test_id("timeline")).to_contain_text(first_step)

    # the alarm table's 最近 and the detail's 首次
    await page.goto("/console/alarms")
    row = page.get_by_test_id(f"alarm-row-{alarm['id']}").locator("xpath=ancestor::tr")
    await expect(row).to_contain_text(local(alarm["last_at"], "%m-%d %H:%M:%S"))
    await row.click()
    detail = page.get_by_test_id("alarm-detail")
    await expect(detail).to_contain_text(local(alarm["first_at"], "%Y-%m-%d %H:%M:%S"))

    # the big screen's live feed and its date
    await page.goto("/console/screen")
    feed = page.locator(".feed-row", has_text="东庄桥北侧积水")
    await expect(feed).to_contain_text(local(full["updated_at"], "%H:%M:%S"))
    today = datetime.now(DEPLOYMENT).strftime("%Y-%m-%d")
    await expect(page.get_by_test_id("big-screen")).to_contain_text(today)


async def test_the_phone_shows_the_deployments_times(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    task = await dispatched_task(console_hub, "村口路灯不亮")
    full = await incident(console_hub, task["id"])
    field = await browsers.signed_in(WORKER, PASSWORD, "/field", **phone(timezone_id=BROWSER_ZONE))
    row = field.get_by_test_id(f"task-{full['number']}")
    await expect(row).to_contain_text(local(float(full["stage_deadline"]), "%m-%d %H:%M"))
    await row.click()
    timeline = field.get_by_test_id("detail-timeline")
    await expect(timeline).to_contain_text(local(full["timeline"][-1]["at"], "%m-%d %H:%M"))


async def test_a_picked_review_time_is_the_deployments_wall_clock(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    made = await console_hub.api(
        "POST", "/api/v1/dispatch/incidents", DISPATCHER,
        json={"title": "路面塌陷待复查", "category": "env_sanitation", "grid": BASIC},
    )  # fmt: skip
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents", **ELSEWHERE)
    await page.get_by_test_id(f"incident-card-{made['id']}").click()
    await page.get_by_test_id("incident-drawer").get_by_test_id("act-park").click()
    picker = input_of(page, "park-review-at")
    await picker.fill("2031-01-15 10:30:00")
    await picker.press("Enter")
    await input_of(page, "action-note").fill("等待施工方复查")
    await page.get_by_test_id("action-submit").click()
    await expect(page.get_by_test_id("drawer-state")).to_have_text("挂账")
    parked = await incident(console_hub, made["id"])
    assert parked["review_at"] == datetime(2031, 1, 15, 10, 30, tzinfo=DEPLOYMENT).timestamp()
