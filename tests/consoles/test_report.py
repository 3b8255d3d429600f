"""The residents' page (/report) in Chromium, phone-sized, with no account: an appeal with a
photo and the phone's position lands on the commander's incident board, and its tracking code
shows its progress as the command centre works on it."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.consoles.browser import Browsers, input_of
from tests.consoles.conftest import COMMANDER, PASSWORD, ConsoleHub
from tests.consoles.fieldkit import DISPATCH, incident, phone, png

LIVE_MS = 5_000


async def test_appeal_with_photo_and_location_reaches_the_board_and_is_tracked(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    console = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents")
    page = await browsers.page("/report", name="resident", **phone())

    await page.get_by_test_id("category-road_facility").click()
    await input_of(page, "appeal-title").fill("村口路灯不亮")
    await input_of(page, "appeal-name").fill("王大妈")
    await input_of(page, "appeal-phone").fill("13800001234")
    await page.get_by_test_id("appeal-photo").set_input_files(
        {"name": "lamp.png", "mimeType": "image/png", "buffer": png()}
    )
    await expect(page.get_by_test_id("appeal-located")).to_be_visible()
    await page.get_by_test_id("appeal-submit").click()

    code = (await page.get_by_test_id("tracking-code").inner_text()).strip()
    number = (await page.get_by_test_id("appeal-number").inner_text()).strip()
    assert len(code) == 10
    found = await console_hub.api("GET", f"{DISPATCH}/incidents?q={number}", COMMANDER)
    [summary] = found["items"]
    card = console.get_by_test_id(f"incident-card-{summary['id']}")
    await expect(card).to_have_attribute("data-state", "reported", timeout=LIVE_MS)
    filed = await incident(console_hub, summary["id"])
    assert (filed["source"], filed["title"], filed["reporter_name"]) == (
        "appeal",
        "村口路灯不亮",
        "王大妈",
    )
    assert (round(filed["lat"], 4), round(filed["lon"], 4)) == (36.9263, 118.5656)
    assert len(filed["attachments"]) == 1
    photo = await console_hub.client.get(
        f"{DISPATCH}/public/appeals/{code}/photos/{filed['attachments'][0]}"
    )
    assert photo.status == 200
    assert photo.content_type == "image/jpeg"  # shrunk and re-encoded on the phone

    await page.get_by_test_id("track-now").click()
    result = page.get_by_test_id("track-result")
    await expect(result).to_have_attribute("data-state", "reported")
    await expect(page.get_by_test_id("track-state")).to_have_text("已提交，待受理")

    await console_hub.api(
        "POST", f"{DISPATCH}/incidents/{filed['id']}/actions/register", COMMANDER,
        json={"version": filed["version"]},
    )  # fmt: skip
    await page.get_by_test_id("track-submit").click()
    await expect(result).to_have_attribute("data-state", "registered")
    await expect(page.get_by_test_id("track-state")).to_have_text("已受理")


async def fill_appeal(page: Page, title: str) -> None:
    await page.get_by_test_id("category-road_facility").click()
    await input_of(page, "appeal-title").fill(title)
    await input_of(page, "appeal-name").fill("李大爷")
    await expect(page.get_by_test_id("appeal-located")).to_be_visible()


async def published(hub: ConsoleHub) -> list[str]:
    """The ids Open311 lists (to anyone, without an account)."""
    response = await hub.client.get(f"{DISPATCH}/open311/v2/requests.json")
    assert response.status == 200, await response.text()
    return [r["service_request_id"] for r in await response.json()]


async def test_a_report_is_published_only_when_the_resident_ticks_the_box(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    page = await browsers.page("/report", name="resident", **phone())
    consent = page.get_by_test_id("appeal-public")
    await expect(consent).to_contain_text("同意公开（仅公开类别、状态和大致位置）")
    await expect(consent.locator("input")).not_to_be_checked()

    await fill_appeal(page, "桥边护栏松了")
    await consent.click()
    await expect(consent.locator("input")).to_be_checked()
    await page.get_by_test_id("appeal-submit").click()
    public_id = (await page.get_by_test_id("appeal-public-id").inner_text()).strip()
    assert len(public_id) == 16
    assert await published(console_hub) == [public_id]

    await page.get_by_role("button", name="再反映一件").click()
    await expect(consent.locator("input")).not_to_be_checked()  # not carried over
    await fill_appeal(page, "垃圾没人收")
    await page.get_by_test_id("appeal-submit").click()
    number = (await page.get_by_test_id("appeal-number").inner_text()).strip()
    await expect(page.get_by_test_id("appeal-public-id")).to_have_count(0)
    found = await console_hub.api("GET", f"{DISPATCH}/incidents?q={number}", COMMANDER)
    assert [i["title"] for i in found["items"]] == ["垃圾没人收"]  # filed, but not published
    assert await published(console_hub) == [public_id]


async def test_unknown_tracking_code_says_so(browsers: Browsers) -> None:
    browsers.errors.ignored.append("404 (Not Found)")  # Chromium logs the refused look-up itself
    page = await browsers.page("/report?code=ABCDEFGHJK", name="resident", **phone())
    await expect(page.get_by_test_id("track-error")).to_be_visible()
    await expect(page.get_by_test_id("track-result")).to_have_count(0)


async def test_an_empty_appeal_marks_each_missing_field(browsers: Browsers) -> None:
    page = await browsers.page(
        "/report", name="resident", **phone(permissions=[])
    )  # no position: the place is missing too
    await page.get_by_test_id("appeal-submit").click()
    missing = page.locator(".el-form-item.is-error")
    await expect(missing).to_have_count(4)
    for need in ("请选择类别", "请填写概述", "请定位或填写地址", "请填写称呼"):
        await expect(missing.filter(has_text=need)).to_have_count(1)
    # Filling a field lifts its mark at once; the others stay.
    await input_of(page, "appeal-title").fill("路灯不亮")
    await input_of(page, "appeal-address").fill("东庄村口")
    await expect(missing).to_have_count(2)


async def test_a_pasted_tracking_code_with_spaces_is_found(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    page = await browsers.page("/report", name="resident", **phone())
    await fill_appeal(page, "井盖丢了")
    await page.get_by_test_id("appeal-submit").click()
    code = (await page.get_by_test_id("tracking-code").inner_text()).strip()

    track = await browsers.page("/report", name="other phone", **phone())
    await track.get_by_test_id("tab-track").click()
    # Nothing typed: asked for the code, nothing looked up.
    await track.get_by_test_id("track-submit").click()
    await expect(track.get_by_test_id("track-error")).to_have_text("请输入查询码")
    # Pasted with spaces around it (and in lower case): still the whole code, and found.
    field = input_of(track, "track-code")
    await field.focus()
    await track.keyboard.insert_text(f"  {code.lower()} ")
    await expect(field).to_have_value(code)
    await track.get_by_test_id("track-submit").click()
    await expect(track.get_by_test_id("track-result")).to_have_attribute("data-state", "reported")
    await expect(track.get_by_test_id("track-error")).to_have_count(0)
