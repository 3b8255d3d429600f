"""Photos belong to the incident: a resident's appeal photo and a worker's report and handling
photos all show (decoded, not broken) in the commander's drawer under 附件, the worker's own
phone chat shows the photos they sent, and a person outside the incident's scope cannot open
them."""

from __future__ import annotations

from playwright.async_api import Locator, Page, expect

from tests.consoles.browser import Browsers, input_of, wait_until
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub
from tests.consoles.fieldkit import DISPATCH, incident, person_id, phone, png
from tests.hub.conftest import bearer

LIVE_MS = 5_000
OUTSIDER = "w52"  # a grid worker of another village
DECODED = "[...document.querySelectorAll('{sel}')].filter((i) => i.naturalWidth > 0).length"


async def decoded_images(page: Page, selector: str, count: int) -> None:
    """Wait until `count` images under `selector` have loaded and decoded."""
    await wait_until(page, DECODED.format(sel=f"{selector} img") + f" === {count}")


async def drawer_photos(console: Page, incident_id: int, count: int) -> Locator:
    await console.get_by_test_id(f"incident-card-{incident_id}").click()
    drawer = console.get_by_test_id("incident-drawer")
    await drawer.get_by_role("tab", name=f"附件 ({count})").click()
    await decoded_images(console, '[data-testid="incident-attachments"]', count)
    return drawer


async def refused_to(hub: ConsoleHub, username: str, incident_id: int, photo_id: int) -> int:
    token = await hub.token(username)
    response = await hub.client.get(
        f"{DISPATCH}/incidents/{incident_id}/photos/{photo_id}", headers=bearer(token)
    )
    return response.status


async def test_an_appeal_photo_shows_in_the_drawer_and_not_to_outsiders(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    console = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents")
    page = await browsers.page("/report", name="resident", **phone())
    await page.get_by_test_id("category-road_facility").click()
    await input_of(page, "appeal-title").fill("桥头护栏断裂")
    await input_of(page, "appeal-name").fill("王大妈")
    await page.get_by_test_id("appeal-photo").set_input_files(
        {"name": "rail.png", "mimeType": "image/png", "buffer": png()}
    )
    await expect(page.get_by_test_id("appeal-located")).to_be_visible()
    await page.get_by_test_id("appeal-submit").click()
    number = (await page.get_by_test_id("appeal-number").inner_text()).strip()

    found = await console_hub.api("GET", f"{DISPATCH}/incidents?q={number}", COMMANDER)
    [summary] = found["items"]
    await drawer_photos(console, summary["id"], 1)
    [photo_id] = (await incident(console_hub, summary["id"]))["attachments"]
    assert await refused_to(console_hub, OUTSIDER, summary["id"], photo_id) in (403, 404)
    assert await refused_to(console_hub, COMMANDER, summary["id"], photo_id) == 200


async def report_with_photo(field: Page, title: str) -> None:
    await field.get_by_test_id("tab-report").click()
    await expect(field.get_by_test_id("report-located")).to_be_visible()
    await field.get_by_test_id("report-category").click()
    await field.locator(".el-select-dropdown__item", has_text="环境卫生").click()
    await input_of(field, "report-title").fill(title)
    await field.locator('input[type="file"]').set_input_files(
        {"name": "heap.png", "mimeType": "image/png", "buffer": png()}
    )
    await expect(field.locator(".photos img")).to_have_count(1)
    await field.get_by_test_id("report-submit").click()
    await expect(field.get_by_test_id("tab-tasks")).to_have_class("on")


async def dispatch_to_worker(hub: ConsoleHub, incident_id: int) -> dict[str, object]:
    made = await incident(hub, incident_id)
    registered = await hub.api(
        "POST", f"{DISPATCH}/incidents/{incident_id}/actions/register", COMMANDER,
        json={"version": made["version"]},
    )  # fmt: skip
    target = str(await person_id(hub, WORKER))
    done: dict[str, object] = await hub.api(
        "POST", f"{DISPATCH}/incidents/{incident_id}/actions/dispatch", COMMANDER,
        json={"version": registered["version"],
              "assignees": [{"kind": "person", "target": target}]},
    )  # fmt: skip
    return done


async def handle_with_photo(field: Page, number: str) -> None:
    await field.get_by_test_id(f"sign-{number}").click()
    await field.get_by_test_id(f"task-{number}").click()
    detail = field.get_by_test_id(f"detail-{number}")
    await expect(detail).to_have_attribute("data-state", "signed")
    await field.get_by_test_id("act-handle").click()
    await field.get_by_test_id("act-note").fill("垃圾已清运")
    await field.get_by_test_id("act-photo").set_input_files(
        {"name": "clean.png", "mimeType": "image/png", "buffer": png(80, 60)}
    )
    await field.get_by_test_id("act-confirm").click()
    await expect(detail).to_have_attribute("data-state", "handled", timeout=LIVE_MS)


async def test_a_workers_report_and_handling_photos_are_the_incidents(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    console = await browsers.signed_in(COMMANDER, PASSWORD, "/console/incidents")
    field = await browsers.signed_in(WORKER, PASSWORD, "/field", **phone())
    await report_with_photo(field, "东庄路口垃圾堆放")
    found = await console_hub.api("GET", f"{DISPATCH}/incidents?q=东庄路口垃圾", COMMANDER)
    [summary] = found["items"]
    dispatched = await dispatch_to_worker(console_hub, summary["id"])
    await handle_with_photo(field, str(dispatched["number"]))

    await drawer_photos(console, summary["id"], 2)
    after = await incident(console_hub, summary["id"])
    assert len(after["timeline"][-1]["data"]["attachments"]) == 1  # the handling's own photo

    await field.get_by_test_id("tab-chat").click()
    await field.get_by_test_id(f"channel-{after['channel_id']}").click()
    await decoded_images(field, '[data-testid="chat-messages"]', 2)
