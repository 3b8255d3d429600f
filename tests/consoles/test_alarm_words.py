"""An alarm's words come from its facts in the page's language (issue 18, item 2): a rule's
comparison (metric, op, threshold, value) in zh and in en, a device's own message as it came,
and the hub's English offline notice (with its UTC time) left out."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.async_api import expect
from sqlalchemy import update

from hub.keys import SESSIONS
from plugins.alarms.client import DeviceClient
from plugins.alarms.models import Alarm
from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, ConsoleHub

GAS = "dev-gas-01"  # 屯田村燃气调压箱: the default rule gas_leak is ppm ≥ 1000
SMOKE = "dev-smoke-01"
DESKTOP = {"width": 1600, "height": 900}


async def test_alarm_text_is_worded_from_facts_in_either_language(
    console_hub: ConsoleHub, browsers: Browsers, devices: list[DeviceClient]
) -> None:
    gas, smoke = console_hub.device(GAS), console_hub.device(SMOKE)
    devices.extend((gas, smoke))
    for device in (gas, smoke):
        await device.connect()
    await gas.wait_acked(await gas.telemetry(ppm=1774.81))
    await smoke.wait_acked(await smoke.alarm("smoke", "MAJOR", message="烟感报警"))
    alarms = await console_hub.api("GET", "/api/v1/alarms?active=true", COMMANDER)
    by_device = {a["device_code"]: a for a in alarms}
    # the smoke alarm stands in for a hub-worded one: an offline alarm with the hub's message
    async with console_hub.app[SESSIONS].begin() as session:
        offline = by_device[SMOKE]["id"]
        since = datetime(2026, 12, 6, 10, 46, tzinfo=UTC).isoformat()
        message = f"no frame since {since}"
        await session.execute(
            update(Alarm).where(Alarm.id == offline).values(type="offline", message=message)
        )

    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/alarms", viewport=DESKTOP)
    gas_row = page.get_by_test_id(f"alarm-row-{by_device[GAS]['id']}").locator("xpath=ancestor::tr")
    await expect(gas_row).to_contain_text("燃气泄漏：浓度(ppm) 1774.81 ≥ 1000")
    offline_row = page.get_by_test_id(f"alarm-row-{offline}").locator("xpath=ancestor::tr")
    await expect(offline_row).to_contain_text("设备离线")
    await expect(offline_row).not_to_contain_text("no frame")

    await page.get_by_role("button", name="English").click()
    await expect(gas_row).to_contain_text("Gas leak: Concentration (ppm) 1774.81 ≥ 1000")
    await expect(gas_row).not_to_contain_text("1774.81 ge 1000")  # the English message
