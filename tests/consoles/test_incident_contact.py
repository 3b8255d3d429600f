"""The resident's phone number for the follow-up call (回访): the commander's incident drawer
shows it masked, reveals it on 显示 (with a tel: link), and the reveal is in the audit log."""

from __future__ import annotations

from playwright.async_api import expect
from sqlalchemy import func, select

from hub.keys import SESSIONS
from storage.models import AuditEntry
from tests.consoles.browser import Browsers, input_of
from tests.consoles.conftest import COMMANDER, PASSWORD, ConsoleHub
from tests.consoles.fieldkit import DISPATCH, phone

DESKTOP = {"width": 1600, "height": 900}
PHONE = "13800001234"


async def reveals(hub: ConsoleHub, incident_id: int) -> int:
    async with hub.client.app[SESSIONS]() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.action == "dispatch.contact.reveal",
                AuditEntry.target_id == str(incident_id),
            )
        )
    return int(count or 0)


async def test_the_drawer_reveals_the_residents_phone_on_click(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    console = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents",
                                       viewport=DESKTOP)  # fmt: skip
    page = await browsers.page("/report", name="resident", **phone())
    await page.get_by_test_id("category-road_facility").click()
    await input_of(page, "appeal-title").fill("路灯不亮请回电")
    await input_of(page, "appeal-name").fill("王大妈")
    await input_of(page, "appeal-phone").fill(PHONE)
    await expect(page.get_by_test_id("appeal-located")).to_be_visible()
    await page.get_by_test_id("appeal-submit").click()
    number = (await page.get_by_test_id("appeal-number").inner_text()).strip()
    found = await console_hub.api("GET", f"{DISPATCH}/incidents?q={number}", COMMANDER)
    [summary] = found["items"]

    await console.get_by_test_id(f"incident-card-{summary['id']}").click()
    contact = console.get_by_test_id("drawer-contact")
    await expect(contact).to_contain_text("王大妈")
    await expect(contact).to_contain_text("138****1234")
    await expect(console.get_by_test_id("incident-drawer")).not_to_contain_text(PHONE)
    assert await reveals(console_hub, summary["id"]) == 0
    await contact.get_by_role("button", name="显示").click()
    call = contact.get_by_role("link", name=PHONE)
    await expect(call).to_have_attribute("href", f"tel:{PHONE}")
    assert await reveals(console_hub, summary["id"]) == 1
