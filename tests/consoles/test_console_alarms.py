"""A CRITICAL alarm from a real device reaches the commander console with sound."""

from __future__ import annotations

from playwright.async_api import expect

from plugins.alarms.client import DeviceClient
from tests.consoles.browser import Browsers, input_of, wait_until
from tests.consoles.conftest import COMMANDER, PASSWORD, ConsoleHub
from tests.consoles.fieldkit import person_id

SMOKE = "dev-smoke-01"  # demo smoke detector in 洛城街道
WITHIN_MS = 1000  # the bound from the device's frame to the console
# Who may take dev-smoke-01's alarms (hub/demo_data.py): its grid's worker, the village's
# commander and leader, the town's commander, the county's commander and dispatcher.
ASSIGNABLE = ["w16", "v04.cmd", "v04.lead", "town1.cmd", "county.cmd", "county.dispatch"]


async def test_critical_alarm_appears_with_sound_within_a_second(
    console_hub: ConsoleHub, browsers: Browsers, devices: list[DeviceClient]
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, permissions=["notifications"])
    await page.get_by_test_id("nav-alarms").click()
    await page.get_by_test_id("alarm-table").wait_for()
    device = console_hub.device(SMOKE)
    devices.append(device)
    await device.connect()

    await device.alarm("smoke", "CRITICAL", message="烟感报警")
    row = page.locator('[data-testid^="alarm-row-"][data-severity="CRITICAL"][data-sound="played"]')
    await row.wait_for(timeout=WITHIN_MS)

    alarms = await console_hub.api("GET", "/api/v1/alarms?active=true", COMMANDER)
    (alarm,) = [a for a in alarms if a["device_code"] == SMOKE]
    assert await row.get_attribute("data-testid") == f"alarm-row-{alarm['id']}"
    await page.get_by_test_id(f"flash-alarm-{alarm['id']}").wait_for()
    # The siren really plays through WebAudio: the level measured at its output is not silence.
    await wait_until(page, "Number(document.body.dataset.ghSirenLevel) > 0.05")
    assert await page.evaluate("document.body.dataset.ghSirenCount") == "1"
    assert await page.evaluate("document.body.dataset.ghNotified") == "1"


async def test_commander_acknowledges_and_clears(
    console_hub: ConsoleHub, browsers: Browsers, devices: list[DeviceClient]
) -> None:
    device = console_hub.device(SMOKE)
    devices.append(device)
    await device.connect()
    await device.wait_acked(await device.alarm("smoke", "MAJOR", message="烟感报警"))
    page = await browsers.signed_in(COMMANDER, PASSWORD)
    await page.get_by_test_id("nav-alarms").click()
    alarms = await console_hub.api("GET", "/api/v1/alarms?active=true", COMMANDER)
    (alarm,) = [a for a in alarms if a["device_code"] == SMOKE]

    # The MAJOR alarm started an escalation chain (default policy alarm-severe): listed by name.
    chain = page.get_by_test_id("escalation-chain")
    await expect(chain).to_contain_text(f"告警 #{alarm['id']} · 严重告警升级")

    row = page.get_by_test_id(f"alarm-row-{alarm['id']}").locator("xpath=ancestor::tr")
    await row.get_by_role("button", name="评论").click()
    await input_of(page, "alarm-comment").fill("现场有烟，已通知网格员")
    await page.get_by_test_id("alarm-submit").click()
    await expect(page.get_by_test_id("alarm-detail")).to_contain_text("现场有烟，已通知网格员")
    await row.get_by_role("button", name="指派").click()
    await page.get_by_test_id("alarm-assignee").click()
    # Only people the hub accepts: staff over the alarm's grid (南楼村第一网格), nearest first.
    # w01 (东庄村) and residents are not offered.
    options = page.locator(".el-select-dropdown:visible").get_by_role("option")
    await expect(options).to_have_count(len(ASSIGNABLE))
    for option, username in zip(await options.all(), ASSIGNABLE, strict=True):
        await expect(option).to_contain_text(f"({username})")
    await page.get_by_role("option", name="(w16)").click()
    await page.get_by_test_id("alarm-submit").click()
    await expect(page.get_by_test_id("alarm-detail")).to_contain_text("杨宝山")

    await page.get_by_test_id(f"alarm-ack-{alarm['id']}").click()
    await input_of(page, "alarm-comment").fill("已派人核实")
    await page.get_by_test_id("alarm-submit").click()
    await page.get_by_test_id(f"alarm-ack-{alarm['id']}").wait_for(state="detached")
    await expect(chain).to_have_count(0)  # acknowledging stops the chain, live
    await page.get_by_test_id(f"alarm-clear-{alarm['id']}").click()
    await page.get_by_test_id("alarm-submit").click()
    await page.get_by_test_id(f"alarm-row-{alarm['id']}").wait_for(state="detached")

    after = await console_hub.api("GET", f"/api/v1/alarms/{alarm['id']}", COMMANDER)
    assert after["status"] == "CLEARED_ACK"
    actions = [h["action"] for h in after["history"]]
    assert "acknowledged" in actions
    assert "cleared" in actions
    assert "commented" in actions
    assert after["assignee_id"] == await person_id(console_hub, "w16")
    ack = next(h for h in after["history"] if h["action"] == "acknowledged")
    assert ack["comment"] == "已派人核实"
