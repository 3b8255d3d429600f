"""Hostile text filed through every public and staff input is shown as text everywhere.

Markup and template syntax go in through /report (an appeal's title, description, address),
Open311, a worker's report, a commander's comment, a chat message, and the admin API (a
village's name, a worker's name, a device's name) plus a device's alarm message. Then the
console (map with its tooltips hovered, incident board and drawer, alarm centre, channels), the
big screen, the field app and /report are opened: no script runs (`window.__pwned` stays
unset), the text is on screen literally, the pages' CSP refused nothing, and no token is left
where a page script could read it.
"""

from __future__ import annotations

from typing import Any

import socketio
from playwright.async_api import Page, expect

from plugins.alarms.client import DeviceClient
from tests.consoles.browser import STEP_TIMEOUT_MS, Browsers, input_of, sign_in
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub
from tests.consoles.fieldkit import DISPATCH, person_id, phone

IMG = '<img src=x onerror="window.__pwned=1">'
SCRIPT = "<script>window.__pwned=1</script>"
SVG = '"><svg onload=window.__pwned=1>'
TEMPLATE = "{{constructor.constructor('window.__pwned=1')()}}"

APPEAL_TITLE = f"路灯不亮{IMG}"
APPEAL_TEXT = f"描述{SCRIPT}"
APPEAL_ADDRESS = f"村口{SVG}"
OPEN311_TITLE = f"积水{TEMPLATE}"
STAFF_TITLE = f"占道经营{SVG}"
STAFF_TEXT = f"现场{IMG}"
COMMENT = f"{SCRIPT}评论"
CHAT = f"{IMG} {TEMPLATE}"
VILLAGE_NAME = f"东庄村{SVG}"
WORKER_NAME = f"徐桂兰{IMG}"
DEVICE_NAME = f"烟感{SCRIPT}"
ALARM_TEXT = f"报警{SVG}"

VILLAGE = "370783-001-001"
SMOKE = "dev-smoke-01"
# Far apart, so that no marker covers another on the county map.
PLACES = {
    "appeal": "370783-001-002-03",
    "open311": "370783-002-001-01",
    "staff": "370783-001-001-01",
    "worker": "370783-003-001-01",
}
LIVE_MS = 5_000

# Before any page script: record CSP refusals (the page's own code must cause none).
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


async def test_hostile_text_is_only_ever_text(
    console_hub: ConsoleHub, browsers: Browsers, devices: list[DeviceClient]
) -> None:
    places = await centres(console_hub)
    await rename(console_hub)
    resident = await opened(browsers, "/report", "resident", **phone(geolocation=places["appeal"]))
    assert len(await file_appeal(resident)) == 10  # its tracking code
    await file_open311(console_hub, places["open311"])
    field = await opened(browsers, "/field", WORKER, **phone())
    await sign_in(field, WORKER, PASSWORD)
    staff = await staff_report(console_hub, places["staff"])
    # Dispatched while the field app is open: its live notice names the task.
    await expect(field.locator(".el-message")).to_contain_text(STAFF_TITLE, timeout=LIVE_MS)
    alarm_id = await raise_alarm(console_hub, devices)
    worker = await worker_socket(console_hub, places["worker"])
    try:
        chat_id = await chat_to_commander(console_hub, worker)
        console = await opened(browsers, "/console", COMMANDER)
        await sign_in(console, COMMANDER, PASSWORD)
        await no_token_for_scripts(console)
        await check_map(console, staff, alarm_id)
        await check_console_views(console, staff, chat_id)
        await check_big_screen(console)
    finally:
        await worker.disconnect()
    await check_field(field, staff)
    await check_report(resident)
    for page in (resident, field, console):
        await assert_untouched(page)


# --- filing the hostile text ---------------------------------------------------------------------


async def centres(hub: ConsoleHub) -> dict[str, dict[str, float]]:
    grids = await hub.api("GET", "/api/v1/grids", COMMANDER)
    by_code = {g["code"]: g for g in grids}
    found = {}
    for name, code in PLACES.items():
        lon, lat = by_code[code]["centre"]
        found[name] = {"latitude": lat, "longitude": lon, "accuracy": 10}
    return found


async def rename(hub: ConsoleHub) -> None:
    """Names only an admin sets, but shown to everyone: a village, a worker, a device."""
    grids = await hub.api("GET", "/api/v1/grids", "admin")
    village = next(g for g in grids if g["code"] == VILLAGE)
    await hub.api("PATCH", f"/api/v1/grids/{village['id']}", "admin", json={"name": VILLAGE_NAME})
    worker = await person_id(hub, WORKER)
    await hub.api("PATCH", f"/api/v1/people/{worker}", "admin", json={"display_name": WORKER_NAME})
    await hub.api("PATCH", f"/api/v1/devices/{SMOKE}", "admin", json={"name": DEVICE_NAME})


async def file_appeal(page: Page) -> str:
    """An appeal typed into /report; returns its tracking code."""
    await page.get_by_test_id("category-road_facility").click()
    await input_of(page, "appeal-title").fill(APPEAL_TITLE)
    await input_of(page, "appeal-description").fill(APPEAL_TEXT)
    await input_of(page, "appeal-address").fill(APPEAL_ADDRESS)
    await input_of(page, "appeal-name").fill(f"王{IMG}")
    await input_of(page, "appeal-phone").fill("13800001234")
    await expect(page.get_by_test_id("appeal-located")).to_be_visible()
    await page.get_by_test_id("appeal-submit").click()
    return (await page.get_by_test_id("tracking-code").inner_text()).strip()


async def file_open311(hub: ConsoleHub, at: dict[str, float]) -> None:
    response = await hub.client.post(
        f"{DISPATCH}/open311/v2/requests.json",
        json={
            "service_code": "env_sanitation",
            "lat": at["latitude"],
            "long": at["longitude"],
            "description": f"{OPEN311_TITLE}\n{IMG}",
            "first_name": SVG,
        },
    )
    assert response.status == 200, await response.text()


async def staff_report(hub: ConsoleHub, at: dict[str, float]) -> dict[str, Any]:
    """A worker's report, registered, dispatched back to them and commented on."""
    made = await hub.api(
        "POST", f"{DISPATCH}/incidents", WORKER,
        json={"title": STAFF_TITLE, "description": STAFF_TEXT, "category": "env_sanitation",
              "location": {"lat": at["latitude"], "lon": at["longitude"]}},
    )  # fmt: skip
    done = await act(hub, made, "register")
    target = str(await person_id(hub, WORKER))
    done = await act(hub, done, "dispatch", assignees=[{"kind": "person", "target": target}])
    return await act(hub, done, "comment", note=COMMENT)


async def act(hub: ConsoleHub, incident: dict[str, Any], action: str, **body: Any) -> Any:
    path = f"{DISPATCH}/incidents/{incident['id']}/actions/{action}"
    return await hub.api("POST", path, COMMANDER, json={"version": incident["version"], **body})


async def raise_alarm(hub: ConsoleHub, devices: list[DeviceClient]) -> int:
    device = hub.device(SMOKE)
    devices.append(device)
    await device.connect()
    await device.wait_acked(await device.alarm("smoke", "CRITICAL", message=ALARM_TEXT))
    alarms = await hub.api("GET", "/api/v1/alarms?active=true", COMMANDER)
    (alarm,) = [a for a in alarms if a["device_code"] == SMOKE]
    return int(alarm["id"])


async def worker_socket(hub: ConsoleHub, at: dict[str, float]) -> socketio.AsyncClient:
    """The worker online at a place of their own, so their (renamed) dot is on the map."""
    worker = socketio.AsyncClient()
    token = await hub.token(WORKER)
    await worker.connect(hub.url, auth={"token": token}, transports=["websocket"])
    place = {"lat": at["latitude"], "lon": at["longitude"]}
    ack = await worker.call("location.report", place, timeout=5)
    assert ack["ok"], ack
    return worker


async def chat_to_commander(hub: ConsoleHub, worker: socketio.AsyncClient) -> int:
    commander = await person_id(hub, COMMANDER)
    direct = await worker.call("channel.direct", {"person_id": commander}, timeout=5)
    chat = direct["channel"]
    message = {"channel_id": chat["id"], "client_msg_id": "x1", "kind": "text"}
    sent = await worker.call("channel.send", {**message, "body": {"text": CHAT}}, timeout=5)
    assert sent["ok"], sent
    return int(chat["id"])


# --- looking at it -------------------------------------------------------------------------------


async def opened(browsers: Browsers, path: str, name: str, **options: Any) -> Page:
    """A page in a context of its own that records CSP refusals from its first script on."""
    context = await browsers.browser.new_context(
        base_url=browsers.base_url, locale="zh-CN", **options
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    browsers.contexts.append(context)
    await context.add_init_script(WATCH)
    page = await context.new_page()
    browsers.errors.watch(page, name, browsers.base_url)
    await page.goto(path)
    return page


async def no_token_for_scripts(page: Page) -> None:
    """Signed in: nothing in web storage looks like a token, and the refresh token is in an
    HttpOnly cookie for /api/v1/auth only (document.cookie does not show it)."""
    stored = await page.evaluate(
        "JSON.stringify([localStorage, sessionStorage].map((s) => Object.entries(s)))"
    )
    assert "token" not in stored.lower(), stored
    assert "eyJ" not in stored, stored  # a JWT's header
    assert "gridhub_refresh" not in await page.evaluate("document.cookie")
    cookies = {c["name"]: c for c in await page.context.cookies()}
    refresh = cookies["gridhub_refresh"]
    assert (refresh["httpOnly"], refresh["sameSite"]) == (True, "Strict")
    assert refresh["path"] == "/api/v1/auth"


async def hover_shows(page: Page, test_id: str, text: str, **where: Any) -> None:
    await page.get_by_test_id(test_id).hover(**where)
    tooltip = page.locator(".leaflet-tooltip", has_text=text)
    await expect(tooltip).to_be_visible()


async def check_map(page: Page, staff: dict[str, Any], alarm_id: int) -> None:
    found = await page.evaluate("window.__csp")
    assert found == [], found
    incidents = await incident_ids(page)
    await expect(page.locator(".gh-grid-label", has_text=VILLAGE_NAME)).to_be_visible()
    await hover_shows(page, f"incident-{incidents[APPEAL_TITLE]}", APPEAL_TITLE)
    await hover_shows(page, f"incident-{incidents[OPEN311_TITLE]}", OPEN311_TITLE)
    await hover_shows(page, f"incident-{staff['id']}", STAFF_TITLE)
    await hover_shows(page, f"person-{WORKER}", WORKER_NAME)
    # The lower half of the ring: the pin of the incident the alarm opened stands on its top.
    await hover_shows(page, f"alarm-{alarm_id}", DEVICE_NAME, position={"x": 13, "y": 22})
    await page.get_by_test_id(f"incident-{staff['id']}").click()
    await expect(page.get_by_test_id("map-detail")).to_contain_text(STAFF_TITLE)
    await page.get_by_test_id(f"alarm-{alarm_id}").click(position={"x": 13, "y": 22})
    await expect(page.get_by_test_id("map-detail")).to_contain_text(ALARM_TEXT)


async def incident_ids(page: Page) -> dict[str, int]:
    """The ids of the three incidents by title, read from the board's cards."""
    await page.get_by_test_id("nav-incidents").click()
    board = page.get_by_test_id("incident-board")
    for title in (APPEAL_TITLE, OPEN311_TITLE, STAFF_TITLE):
        await expect(board).to_contain_text(title)
    cards = page.locator('[data-testid^="incident-card-"]')
    ids = {}
    for card in await cards.all():
        text = await card.inner_text()
        testid = await card.get_attribute("data-testid") or ""
        for title in (APPEAL_TITLE, OPEN311_TITLE, STAFF_TITLE):
            if title in text:
                ids[title] = int(testid.removeprefix("incident-card-"))
    assert len(ids) == 3, ids
    await page.get_by_test_id("nav-map").click()
    return ids


async def check_console_views(page: Page, staff: dict[str, Any], chat_id: int) -> None:
    await page.get_by_test_id("nav-incidents").click()
    await page.get_by_test_id(f"incident-card-{staff['id']}").click()
    drawer = page.get_by_test_id("incident-drawer")
    await expect(drawer).to_contain_text(STAFF_TITLE)
    await expect(page.get_by_test_id("timeline")).to_contain_text(COMMENT)
    await page.keyboard.press("Escape")
    await page.get_by_test_id("nav-alarms").click()
    await expect(page.get_by_test_id("alarm-table")).to_contain_text(ALARM_TEXT)
    await page.get_by_test_id("nav-channels").click()
    await page.get_by_test_id(f"channel-{chat_id}").click()
    message = page.get_by_test_id("chat-message").filter(has_text=CHAT)
    await expect(message).to_contain_text(WORKER_NAME)  # the sender


async def check_big_screen(page: Page) -> None:
    """A reload (the session comes back from the cookie) onto the big screen; its charts'
    tooltips are drawn too."""
    await page.goto("/console/screen")
    screen = page.get_by_test_id("big-screen")
    await expect(screen).not_to_have_attribute("data-refreshes", "0")
    await expect(screen).to_contain_text(STAFF_TITLE)
    chart = page.get_by_test_id("chart-per-day")
    box = await chart.bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + box["width"] - 30, box["y"] + box["height"] / 2)
    await no_token_for_scripts(page)


async def check_field(page: Page, staff: dict[str, Any]) -> None:
    row = page.get_by_test_id(f"task-{staff['number']}")
    await expect(row).to_contain_text(STAFF_TITLE)
    await row.click()
    detail = page.get_by_test_id(f"detail-{staff['number']}")
    await expect(detail).to_contain_text(STAFF_TEXT)
    await expect(detail).to_contain_text(COMMENT)
    await page.get_by_test_id("tab-me").click()
    await expect(page.locator("body")).to_contain_text(WORKER_NAME)
    await no_token_for_scripts(page)


async def check_report(page: Page) -> None:
    await page.get_by_test_id("track-now").click()
    result = page.get_by_test_id("track-result")
    await expect(result).to_contain_text(APPEAL_TITLE)


async def assert_untouched(page: Page) -> None:
    """No hostile script ran, and the page's CSP had nothing to refuse."""
    assert await page.evaluate("window.__pwned") is None
    refused = await page.evaluate("window.__csp")
    assert refused == [], refused
