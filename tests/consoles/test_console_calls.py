"""Calls from the commander console (zh, 1600×900): what a call to someone offline says."""

from __future__ import annotations

from playwright.async_api import expect

from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER

DESKTOP = {"width": 1600, "height": 900}


async def test_calling_someone_offline_says_so_at_once_and_points_to_a_message(
    browsers: Browsers,
) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/calls", viewport=DESKTOP)
    row = page.get_by_test_id(f"call-person-{WORKER}")  # w01 has no device connected
    await row.get_by_role("button", name="语音呼叫").click()
    offline = page.get_by_test_id("call-offline")
    await expect(offline).to_contain_text("不在线")
    await expect(offline).to_contain_text("私聊")
    await expect(page.get_by_test_id("call-window")).to_have_count(0)  # no 正在呼叫…
    await offline.get_by_role("button", name="知道了").click()
    await expect(offline).to_have_count(0)
