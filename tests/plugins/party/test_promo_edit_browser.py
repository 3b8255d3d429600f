"""党建宣传 edits in the browser (Debian's Chromium): town1.cmd opens a published article's
editor on the console, is asked for a reason, saves a corrected text with one, and a resident
on /report reads the new text with the 修改记录 showing the earlier version and why; a draft's
picture is previewed, then removed, in the editor."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles import fieldkit
from tests.consoles.browser import Browsers, input_of, require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)
from tests.plugins.party.conftest import API, VILLAGE
from tests.plugins.party.test_building import upload

TITLE = "学习党的二十大精神"


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:
    require_dist()
    return await start_gridhub(["party", "dispatch", "alarms", "escalation"], demo=True)


async def test_a_published_item_is_corrected_with_a_reason_residents_see(
    console_hub: RunningHub,
    browsers: Browsers,  # noqa: F811
) -> None:
    town = await console_hub.sign_in("town1.cmd")
    body = {"kind": "article", "title": TITLE, "body": "第一部分",
            "grid_ids": [await console_hub.grid_id(VILLAGE)]}  # fmt: skip
    item = (await town.json("POST", f"{API}/promotion", json=body))["id"]
    await town.json("POST", f"{API}/promotion/{item}/publish")
    draft = (await town.json("POST", f"{API}/promotion", json={**body, "title": "草稿配图"}))["id"]
    await town.json(
        "POST", f"{API}/promotion/{draft}/media", data=upload("hall.png", fieldkit.png())
    )

    page = await browsers.signed_in("town1.cmd", PASSWORD, "/console")
    await page.get_by_test_id("nav-plugin-party-promotion").click()
    table = page.get_by_test_id("party-promo-table")
    await table.locator("tr", has_text=TITLE).get_by_test_id("party-promo-edit").click()
    editor = page.get_by_test_id("party-promo-editor")
    await input_of(page, "party-promo-edit-text").fill("第一部分（修订）")
    browsers.errors.ignored.append("422 (Unprocessable Entity)")  # Chromium logs the refusal
    await editor.get_by_test_id("party-promo-edit-save").click()
    await expect(page.locator(".el-message--error")).to_contain_text("修改原因")
    await input_of(page, "party-promo-edit-reason").fill("原文有错别字")
    await editor.get_by_test_id("party-promo-edit-save").click()
    await expect(editor.get_by_test_id("party-promo-history")).to_contain_text("原文有错别字")
    await expect(editor).to_contain_text("v2")
    await page.keyboard.press("Escape")

    await table.locator("tr", has_text="草稿配图").get_by_test_id("party-promo-edit").click()
    await expect(page.get_by_test_id("party-promo-editor")).to_contain_text("hall.png")
    # the draft's picture is not public yet; its editor previews it (served with the sign-in)
    preview = page.locator("img[data-testid^=party-promo-preview-]")
    await expect(preview).to_be_visible()
    await expect(preview).to_have_js_property("complete", True)
    assert await preview.evaluate("(img) => img.naturalWidth") > 0
    await page.locator("[data-testid^=party-promo-media-remove-]").click()
    await expect(page.get_by_test_id("party-promo-editor")).not_to_contain_text("hall.png")
    assert (await town.json("GET", f"{API}/promotion/{draft}"))["media"] == []

    resident = await browsers.page("/report", name="resident")
    section = resident.get_by_test_id("section-party-promotion")
    await section.get_by_test_id("party-promo-item").filter(has_text=TITLE).click()
    view = section.get_by_test_id("party-promo-view")
    await expect(view.get_by_test_id("party-promo-body")).to_have_text("第一部分（修订）")
    history = view.get_by_test_id("party-promo-public-history")
    await history.locator("summary").click()
    await expect(history).to_contain_text("原文有错别字")
    await expect(history).to_contain_text("第一部分")
