"""A mediation session held online, in Chromium: the village's commander opens the case in the
console, puts the scheduled session online (上线调解) and joins it (加入调解); a mediator of the
case joins from the field app's 调解 tab; both are in the call, hang up, and the call's
recording appears on the session (from the case's timeline, pushed live) and plays.

Not collected on its own (no test_ prefix): test_session_call_browser.py runs it under pytest
inside a network namespace with only `lo` up, so media flows over 127.0.0.1 only.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import Locator, async_playwright, expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import CHROMIUM, CHROMIUM_ARGS, Browsers, require_dist, wait_until
from tests.consoles.field_calls import only_loopback
from tests.consoles.fieldkit import phone
from tests.plugins.mediation.conftest import API, MEDIATOR, VILLAGE, add_people, new_case, step

INSIDE = "GRIDHUB_SESSION_CALL_NETNS"
MEDIA = {"embedded_workers": 1, "restart_backoff_s": 0.2}
CONNECT_MS = 15_000
MEDIATORS = ("med.v01", "med.v01b")
COMMANDER = "v01.cmd"  # commands the village: works its cases in the console


async def test_two_mediators_hold_a_session_online_and_the_recording_plays(
    start_gridhub: StartGridHub,
) -> None:
    assert os.environ.get(INSIDE), "run by test_session_call_browser.py only"
    assert only_loopback(), "must run in a network namespace with only lo up"
    require_dist()
    plugins = ["dispatch", "alarms", "escalation", "mediation"]  # the console asks them
    hub = await start_gridhub(plugins, demo=True, media=MEDIA)
    await add_people(hub)
    await hub.add_person("med.v01b", [(MEDIATOR, VILLAGE)], display_name="孙调解")
    case = await scheduled_case(hub)
    args = [*CHROMIUM_ARGS, "--allow-loopback-in-peer-connection"]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        browsers = Browsers(browser, hub.url)
        try:
            await hold(browsers, str(case["number"]))
            browsers.errors.assert_clean()
        finally:
            await browsers.close()


async def scheduled_case(hub: RunningHub) -> dict[str, Any]:
    """A case with both village mediators assigned and a session scheduled."""
    mediator = await hub.sign_in(MEDIATORS[0])
    case = await mediator.json("POST", f"{API}/cases", json=new_case(await hub.grid_id(VILLAGE)))
    case = await step(mediator, case, "accept")
    people = [await hub.person_id(name) for name in MEDIATORS]
    case = await step(mediator, case, "assign", mediator_ids=people)
    at = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    spec = {"version": case["version"], "scheduled_at": at, "place": "线上", "attendees": []}
    await mediator.json("POST", f"{API}/cases/{case['id']}/sessions", json=spec)
    return case


async def hold(browsers: Browsers, number: str) -> None:
    console = await browsers.signed_in(COMMANDER, PASSWORD, "/console", permissions=["microphone"])
    await console.get_by_test_id("nav-plugin-mediation-cases").click()
    await console.locator(".mediation-row", has_text=number).click()
    drawer = console.get_by_test_id("mediation-drawer")
    await drawer.get_by_role("tab", name="调解会").click()
    desk = drawer.get_by_test_id("mediation-session-call")
    await desk.get_by_test_id("mediation-session-online").click()
    await expect(desk).to_have_attribute("data-online", "true")

    field = await browsers.signed_in(
        MEDIATORS[1], PASSWORD, "/field", **phone(permissions=["microphone"])
    )
    await field.get_by_test_id("tab-plugin-mediation-cases").click()
    await field.get_by_test_id("mediation-field-case").filter(has_text=number).click()
    calls = [desk.get_by_test_id("group-call"), field.get_by_test_id("group-call")]
    for call in calls:
        await call.get_by_test_id("group-call-join").click()
        await expect(call).to_have_attribute("data-state", "connected", timeout=CONNECT_MS)
    for call in calls:
        await expect(call.get_by_test_id("group-call-person")).to_have_count(2)
    await calls[1].get_by_test_id("group-call-leave").click()
    await expect(calls[0].get_by_test_id("group-call-person")).to_have_count(1)
    await calls[0].get_by_test_id("group-call-leave").click()  # the last one out: the file ends
    await plays(desk)


async def plays(desk: Locator) -> None:
    """The recording's step arrives over the socket; its 播放 loads the file."""
    done = desk.locator("[data-testid=mediation-session-recording][data-state=done]")
    await expect(done).to_have_count(1, timeout=CONNECT_MS)
    await done.get_by_test_id("mediation-recording-play").click()
    await wait_until(
        desk.page,
        "document.querySelector('[data-testid=mediation-recording-audio]')?.readyState >= 1",
        timeout_ms=CONNECT_MS,
    )
    timeline = desk.page.get_by_test_id("mediation-drawer")
    await timeline.get_by_role("tab", name="时间线").click()
    await expect(timeline.get_by_test_id("mediation-timeline")).to_contain_text("线上调解录音")
