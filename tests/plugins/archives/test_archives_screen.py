"""The archive on the big screen and the export in Chromium (zh): the 辖区档案 panel counts the
people of the viewer's grids, their key groups and the visit coverage (the tags shown by role
are tested over the API in test_overview.py); a village commander exports a grid's people from
the 辖区档案 page as a masked file (a real download through the host)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import Browsers, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.archives.conftest import BASIC, ID_MAN, ID_WOMAN, OFFICER, add_resident


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    hub = await start_gridhub(["archives", "dispatch", "alarms", "escalation"], demo=True)
    await hub.add_person("arch.officer", [(OFFICER, "370783")], display_name="档案员")
    return hub


async def test_screen_panel_and_masked_export(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
    tmp_path: Path,
) -> None:
    hub = console_hub
    officer = await hub.sign_in("arch.officer")
    basic = await hub.grid_id(BASIC)
    await add_resident(officer, basic, ID_MAN, name="张建国", tags=["community_correction"])
    await add_resident(officer, basic, ID_WOMAN, name="李桂芝", tags=["elderly_alone"])

    page = await browsers.signed_in("v01.cmd", PASSWORD, "/console/screen")
    panel = page.get_by_test_id("archives-panel")
    await expect(page.get_by_test_id("archives-panel-total")).to_have_text("2")
    await expect(panel.get_by_test_id("archives-panel-groups")).to_contain_text("独居老人")
    await expect(panel.get_by_test_id("archives-panel-groups")).to_contain_text("社区矫正")
    await expect(panel.get_by_test_id("archives-panel-coverage")).to_contain_text("0/2")

    await page.goto("/console/p/archives/archives")  # a commander exports their village's grid
    await expect(page.get_by_test_id("archives-export")).to_be_visible()
    await page.get_by_test_id("archives-export").get_by_text("CSV").click()
    await page.get_by_test_id("archives-export-grid").click()
    await page.get_by_role("option", name=BASIC).first.click()
    async with page.expect_download() as started:
        await page.get_by_test_id("archives-export-run").click()
    download = await started.value
    assert download.suggested_filename == f"archives-residents-{BASIC}.csv"
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    content = saved.read_text(encoding="utf-8-sig")
    assert "张建国" in content
    assert "370783********1233" in content
    assert ID_MAN not in content
