"""The console's 导出台账 buttons: the incident and alarm ledgers download as workbooks."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import openpyxl
from playwright.async_api import Page

from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, ConsoleHub
from tests.consoles.fieldkit import dispatched_task

DESKTOP = {"width": 1600, "height": 900}


async def downloaded_rows(page: Page, button: str, item: str) -> list[tuple[object, ...]]:
    await page.get_by_test_id(button).hover()
    async with page.expect_download() as started:
        await page.get_by_test_id(item).click()
    download = await started.value
    assert download.suggested_filename.endswith(".xlsx")
    data = await asyncio.to_thread(Path(await download.path()).read_bytes)
    book = openpyxl.load_workbook(io.BytesIO(data))
    return list(book.worksheets[0].iter_rows(values_only=True))


async def test_the_commander_downloads_both_ledgers(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    task = await dispatched_task(console_hub, "台账导出核对")
    board = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents", viewport=DESKTOP)
    incidents = await downloaded_rows(board, "incident-export", "incident-export-xlsx")
    assert incidents[0][0] == "编号 number"
    assert (task["number"], "台账导出核对") in {row[:2] for row in incidents[1:]}

    alarms_page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/alarms", viewport=DESKTOP)
    alarms = await downloaded_rows(alarms_page, "alarm-export", "alarm-export-xlsx")
    assert alarms[0][0] == "编号 id"
