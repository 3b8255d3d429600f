"""Lone-worker check-ins from the field app to the console: start, answer, stop; a missed one
raises the SOS by itself, on a phone whose microphone is refused (it says so).

Real parts: the hub with every plugin and one media worker process, Chromium for the phone and
the console. The interval is the deployment's shortest (4 s here), which the app offers.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.consoles.browser import Browsers, input_of
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub, StartConsoleHub
from tests.consoles.fieldkit import person_id, phone

INTERVAL_S = 4
LIVE_MS = 5_000
# The phone's user refuses the microphone (or it has none): getUserMedia rejects.
NO_MICROPHONE = """
navigator.mediaDevices.getUserMedia = () =>
  Promise.reject(new DOMException('Permission denied', 'NotAllowedError'))
"""


@pytest.fixture
async def console_hub(start_console_hub: StartConsoleHub) -> ConsoleHub:
    """Check-ins as short as INTERVAL_S; a media worker, so the phone would record an SOS."""
    return await start_console_hub(
        {"escalation": {"checkin_min_s": INTERVAL_S}},
        media={"embedded_workers": 1, "ice_addresses": ["127.0.0.1"]},
    )


async def test_check_ins_from_the_phone_show_on_the_console_and_a_miss_raises_sos(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    hub = console_hub
    console = await browsers.signed_in(COMMANDER, PASSWORD, "/console/alarms")
    listed = console.get_by_test_id("checkin-list")
    await expect(listed).to_have_attribute("data-count", "0")
    field = await browsers.signed_in(WORKER, PASSWORD, "/field", **phone())
    await field.context.add_init_script(NO_MICROPHONE)
    await field.reload()
    await field.get_by_test_id("tab-me").click()
    worker_id = await person_id(hub, WORKER)

    await start(field, "水库大坝巡查", "5 分钟")  # answered and stopped long before it is due
    bar = field.get_by_test_id("checkin-bar")
    first_due = float(await bar.get_attribute("data-due") or 0)
    row = console.get_by_test_id(f"checkin-{worker_id}")
    await expect(row).to_contain_text("水库大坝巡查", timeout=LIVE_MS)
    await expect(row).to_contain_text("徐桂兰")
    await field.get_by_test_id("checkin-ok").click()
    await expect(bar).not_to_have_attribute("data-due", str(first_due))
    await field.get_by_test_id("checkin-stop").click()
    await expect(bar).to_have_count(0)
    await expect(listed).to_have_attribute("data-count", "0", timeout=LIVE_MS)

    await start(field, "独自夜间巡堤", f"{INTERVAL_S} 秒")  # the shortest, never answered
    await expect(listed).to_have_attribute("data-count", "1", timeout=LIVE_MS)
    banner = field.get_by_test_id("sos-banner")
    await expect(banner).to_have_attribute(
        "data-state", "open", timeout=INTERVAL_S * 1000 + LIVE_MS
    )
    await expect(bar).to_have_count(0)
    await expect(banner).to_have_attribute("data-mic", "denied")
    await expect(banner).to_contain_text("无法使用麦克风：求救已发出")
    await expect(listed).to_have_attribute("data-count", "0", timeout=LIVE_MS)
    sos = (await hub.api("GET", "/api/v1/escalation/sos?state=open", COMMANDER))["sos"]
    assert [(s["person_id"], s["source"]) for s in sos] == [(worker_id, "checkin")]
    await expect(console.get_by_test_id(f"sos-{sos[0]['id']}")).to_contain_text("独自夜间巡堤")


async def start(field: Page, task: str, every: str) -> None:
    """Start a check-in from 我的; the intervals offered start with the deployment's shortest."""
    panel = field.get_by_test_id("checkin-panel")
    await input_of(field, "checkin-task").fill(task)
    interval = panel.get_by_test_id("checkin-interval")
    await interval.click()
    shortest = field.get_by_role("option", name=f"每 {INTERVAL_S} 秒 报一次", exact=True)
    await expect(shortest).to_be_visible()
    await field.get_by_role("option", name=f"每 {every} 报一次", exact=True).click()
    await expect(interval).to_contain_text(every)
    await panel.get_by_test_id("checkin-start").click()
    await expect(field.get_by_test_id("checkin-bar")).to_contain_text(task)
