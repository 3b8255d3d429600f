"""The field app's task detail and report form at phone size, where the device's position is slow
or shared: actions go out without waiting for a position, only the pressed button spins, the
处置记录 follows each action, and 上报 takes its position from the running 在岗 watch."""

from __future__ import annotations

import re

import socketio
from playwright.async_api import Page, Route, expect

from tests.consoles.browser import Browsers, sign_in
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub
from tests.consoles.fieldkit import DISPATCH, dispatched_task, person_id, phone

LOADING = re.compile(r"\bis-loading\b")

# A position source that answers only when the test says so: every getCurrentPosition and
# watchPosition call waits in window.__geoWaiting until window.__giveFix() is called.
HELD_GEOLOCATION = """
(() => {
  const waiting = [];
  window.__geoWaiting = waiting;
  window.__giveFix = () => {
    const position = {
      coords: { latitude: 36.9263, longitude: 118.5656, accuracy: 12, altitude: null,
                altitudeAccuracy: null, heading: null, speed: null },
      timestamp: Date.now(),
    };
    for (const answer of waiting.splice(0)) answer(position);
  };
  const geo = navigator.geolocation;
  geo.getCurrentPosition = (ok) => { waiting.push(ok); };
  geo.watchPosition = (ok) => { waiting.push(ok); return 1; };
  geo.clearWatch = () => undefined;
})();
"""


async def open_task(
    browsers: Browsers, hub: ConsoleHub, title: str, *, hold_position: bool = False
) -> tuple[Page, str]:
    """The worker's phone with a dispatched and signed task open; with hold_position its
    geolocation answers nobody until the test calls window.__giveFix()."""
    page = await browsers.page("/field", name=WORKER, **phone())
    if hold_position:
        await page.add_init_script(HELD_GEOLOCATION)
        await page.reload()
    await sign_in(page, WORKER, PASSWORD)
    task = await dispatched_task(hub, title)
    number = str(task["number"])
    await page.get_by_test_id(f"sign-{number}").click()
    await expect(page.get_by_test_id(f"task-{number}")).to_have_attribute("data-state", "signed")
    await page.get_by_test_id(f"task-{number}").click()
    return page, number


async def test_en_route_is_sent_without_waiting_for_a_position_and_only_its_button_spins(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    field, number = await open_task(browsers, console_hub, "村东头路灯不亮", hold_position=True)
    held: list[Route] = []

    async def hold(route: Route) -> None:
        held.append(route)

    await field.route("**/actions/en_route", hold)

    async with field.expect_request("**/actions/en_route") as request:
        await field.get_by_test_id("act-en_route").click()
    # sent while the phone had not given a position yet (the test never answered): none attached
    assert "location" not in ((await request.value).post_data_json or {})
    await expect(field.get_by_test_id("act-en_route")).to_have_class(LOADING)
    for other in ("act-on_scene", "act-handle", "act-return"):
        await expect(field.get_by_test_id(other)).not_to_have_class(LOADING)

    [route] = held
    await route.continue_()
    await expect(field.get_by_test_id(f"detail-{number}")).to_have_attribute(
        "data-state", "en_route"
    )
    await expect(field.get_by_test_id("act-on_scene")).not_to_have_class(LOADING)


async def test_the_timeline_shows_an_action_without_reopening_the_task(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    field, number = await open_task(browsers, console_hub, "村口垃圾桶满溢")
    timeline = field.get_by_test_id("detail-timeline")
    steps = timeline.locator(".el-timeline-item")
    await expect(steps.last).to_contain_text("签收")
    before = await steps.count()

    await field.get_by_test_id("act-en_route").click()

    await expect(field.get_by_test_id(f"detail-{number}")).to_have_attribute(
        "data-state", "en_route"
    )
    await expect(steps).to_have_count(before + 1)
    await expect(steps.last).to_contain_text("出发")


async def test_report_takes_its_position_from_the_duty_watch(browsers: Browsers) -> None:
    # The phone answers the 在岗 watch once and then no further request, as phones seen in use
    # did while the watch ran: the report form must make do with the watch's fix.
    field = await browsers.page("/field", name=WORKER, **phone())
    await field.add_init_script(HELD_GEOLOCATION)
    await field.reload()
    await sign_in(field, WORKER, PASSWORD)
    await field.get_by_test_id("tab-me").click()
    await field.get_by_test_id("duty-switch").click()
    await field.evaluate("window.__giveFix()")
    await expect(field.get_by_test_id("duty-fix")).to_have_attribute("data-sent", "1")

    await field.get_by_test_id("tab-report").click()

    located = field.get_by_test_id("report-located")
    await expect(located).to_be_visible(timeout=1_000)
    await expect(located).to_contain_text("36.92630, 118.56560")


async def test_a_mention_puts_a_badge_on_chat_that_reading_clears(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    task = await dispatched_task(console_hub, "东庄桥护栏松动")
    opened = await console_hub.api("POST", f"{DISPATCH}/incidents/{task['id']}/channel", COMMANDER)
    field = await browsers.signed_in(WORKER, PASSWORD, "/field", **phone())
    badge = field.get_by_test_id("chat-unread")
    await expect(field.get_by_test_id(f"task-{task['number']}")).to_be_visible()
    await expect(badge).to_have_count(0)

    commander = socketio.AsyncClient()
    token = await console_hub.token(COMMANDER)
    await commander.connect(console_hub.url, auth={"token": token}, transports=["websocket"])
    try:
        sent = await commander.call(
            "channel.send",
            {
                "channel_id": opened["channel_id"], "client_msg_id": "mention-1",
                "kind": "text", "body": {"text": "@徐桂兰 请尽快到场"},
                "mentions": [await person_id(console_hub, WORKER)],
            },
            timeout=5,
        )  # fmt: skip
    finally:
        await commander.disconnect()
    assert sent["ok"], sent

    await expect(badge).to_have_text("@1")
    await expect(badge).to_have_attribute("data-mention", "true")
    await field.get_by_test_id("tab-chat").click()
    await field.get_by_test_id(f"channel-{opened['channel_id']}").click()
    await expect(field.get_by_test_id("chat-messages")).to_contain_text("请尽快到场")
    await expect(badge).to_have_count(0)


async def test_my_reports_lists_a_report_filed_earlier(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    filed = await console_hub.api(
        "POST", f"{DISPATCH}/incidents", WORKER,
        json={"title": "东庄桥栏杆断裂", "category": "env_sanitation",
              "grid": "370783-001-001-01", "source": "field"},
    )  # fmt: skip
    field = await browsers.signed_in(WORKER, PASSWORD, "/field", **phone())

    await field.get_by_test_id("tab-report").click()

    row = field.get_by_test_id(f"my-report-{filed['number']}")
    await expect(row).to_contain_text("东庄桥栏杆断裂")
    await expect(row).to_have_attribute("data-state", filed["state"])
    await expect(row).to_contain_text(
        {"reported": "待受理", "registered": "已立案"}[filed["state"]]
    )
