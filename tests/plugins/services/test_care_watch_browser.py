"""The console's SOS与老人 tab (Debian's Chromium): the archives' elderly person living alone is
listed (name masked), and when their SOS device (a real device client on the alarms plugin's
WebSocket) raises an alarm, it appears live in the tab with the incident answering it."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import Browsers, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.services.conftest import API, services_hub
from tests.plugins.services.test_elders import BASIC, add_resident, checkins
from tests.plugins.services.test_sos import DEVICE, device_of


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    return await services_hub(start_gridhub, "dispatch", "alarms", "escalation", "archives")


async def test_sos_alarms_and_the_elderly_in_the_console(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    officer = await console_hub.sign_in("v01.cmd")
    basic = await console_hub.grid_id(BASIC)
    alone = await add_resident(officer, basic, "赵大爷", "19500302", tags=["elderly_alone"])
    await console_hub.settle()  # services heard of the tag: a check-in record
    checkin = (await checkins(officer))[alone]
    bind = f"{API}/care/checkins/{checkin['id']}/device"
    await officer.json("PUT", bind, json={"device_code": DEVICE})

    page = await browsers.signed_in("v01.cmd", PASSWORD, "/console")
    await page.get_by_test_id("nav-plugin-services-services").click()
    await page.get_by_role("tab", name="SOS与老人").click()
    elders = page.get_by_test_id("services-elders")
    await expect(elders).to_contain_text("赵***")
    await expect(elders).to_contain_text("独居")
    sos = page.get_by_test_id("services-sos")
    await expect(sos).to_contain_text("暂无 SOS 求助")

    device = device_of(console_hub, DEVICE)
    try:
        await device.connect()
        await device.alarm("sos", "MAJOR")
        await expect(sos).to_contain_text(DEVICE)  # pushed (services.sos), not reloaded
        await expect(sos).to_contain_text("告警中")
    finally:
        await device.close()
    await expect(sos).to_contain_text("SOS 求助 · 重要")  # codes named, not shown raw
    # the alarm's incident is opened over the bus after the alarm itself: wait for it to land
    await console_hub.settle()
    events = (await officer.json("GET", f"{API}/care/sos"))["events"]
    assert [(e["name"], e["device_code"]) for e in events] == [("赵***", DEVICE)]
    assert events[0]["incident_number"], events[0]
    await expect(sos).to_contain_text(f"{events[0]['incident_number']} · 已提交")
