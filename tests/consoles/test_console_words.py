"""One Chinese word per thing across the console and the field app (zh): a dispatch is 派遣 and a
state on the way is 前往中 everywhere, and the call log's time column says when the call started,
not 上报时间 (which is an incident's)."""

from __future__ import annotations

from playwright.async_api import expect

from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub
from tests.consoles.fieldkit import dispatched_task, phone

DESKTOP = {"width": 1600, "height": 900}


async def test_the_call_log_time_column_is_the_call_time(browsers: Browsers) -> None:
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/calls", viewport=DESKTOP)
    header = page.locator(".el-table__header-wrapper")
    await expect(header).to_contain_text("呼叫时间")
    await expect(header).not_to_contain_text("上报时间")


async def test_the_board_says_en_route_and_dispatched_as_the_field_app_does(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    board = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents", viewport=DESKTOP)
    await expect(board.get_by_test_id("column-en_route")).to_contain_text("前往中")
    await expect(board.get_by_test_id("column-dispatched")).to_contain_text("已派遣")
    await expect(board.locator("body")).not_to_contain_text("赶赴中")

    field = await browsers.signed_in(WORKER, PASSWORD, "/field", **phone())
    number = str((await dispatched_task(console_hub, "村西桥栏杆松动"))["number"])
    await field.get_by_test_id(f"task-{number}").click()
    timeline = field.get_by_test_id("detail-timeline")
    await expect(timeline).to_contain_text("派遣")
    await expect(timeline).not_to_contain_text("派单")
