"""An online deliberation meeting in Chromium: the village's officer puts the topic's meeting
online from the console (线上会议) and joins it (加入会议); a registered resident joins the same
call from the field app's 议事会议 tab; both hear the mix, hang up, and the meeting's recording
appears in the console's list and plays.

Not collected on its own (no test_ prefix): test_meeting_call_browser.py runs it under pytest
inside a network namespace with only `lo` up, so media flows over 127.0.0.1 only.
"""

from __future__ import annotations

import os

from playwright.async_api import Locator, Page, async_playwright, expect

from hub.testing import PASSWORD, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.consoles.browser import CHROMIUM, CHROMIUM_ARGS, Browsers, require_dist, wait_until
from tests.consoles.field_calls import only_loopback
from tests.consoles.fieldkit import phone
from tests.plugins.participation.conftest import API, VILLAGE, add_resident

INSIDE = "GRIDHUB_MEETING_CALL_NETNS"
MEDIA = {"embedded_workers": 1, "restart_backoff_s": 0.2}
CONNECT_MS = 15_000
TITLE = "村口路灯安装"


async def test_officer_and_resident_meet_online_and_the_recording_plays(
    start_gridhub: StartGridHub,
) -> None:
    assert os.environ.get(INSIDE), "run by test_meeting_call_browser.py only"
    assert only_loopback(), "must run in a network namespace with only lo up"
    require_dist()
    plugins = ["participation", "dispatch", "alarms", "escalation"]  # the console asks them
    hub = await start_gridhub(plugins, demo=True, media=MEDIA)
    await registered_topic(hub)
    args = [*CHROMIUM_ARGS, "--allow-loopback-in-peer-connection"]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        browsers = Browsers(browser, hub.url)
        try:
            await meet(hub, browsers)
            browsers.errors.assert_clean()
        finally:
            await browsers.close()


async def registered_topic(hub: RunningHub) -> None:
    await add_resident(hub, "meet.a")
    officer, resident = await hub.sign_in("v01.cmd"), await hub.sign_in("meet.a")
    spec = {"grid_id": await hub.grid_id(VILLAGE), "title": TITLE, "body": "请村民线上参加议事"}
    topic = await officer.json("POST", f"{API}/topics", json=spec)
    await resident.json("POST", f"{API}/topics/{topic['id']}/participants")


async def meet(hub: RunningHub, browsers: Browsers) -> None:
    mic = {"permissions": ["microphone"]}
    console = await browsers.signed_in("v01.cmd", PASSWORD, "/console", **mic)
    await console.get_by_test_id("nav-plugin-participation-participation").click()
    await console.get_by_role("tab", name="民主议事").click()
    topic = console.get_by_test_id("participation-topic").filter(has_text=TITLE)
    meeting = topic.get_by_test_id("participation-meeting")
    await meeting.get_by_test_id("participation-meeting-online").click()
    await expect(meeting).to_have_attribute("data-online", "true")

    field = await browsers.signed_in(
        "meet.a", PASSWORD, "/field", **phone(permissions=["microphone"])
    )
    await field.get_by_test_id("tab-plugin-participation-meetings").click()
    mine = field.get_by_test_id("participation-field-topic").filter(has_text=TITLE)
    calls = [meeting.get_by_test_id("group-call"), mine.get_by_test_id("group-call")]
    for call in calls:
        await call.get_by_test_id("group-call-join").click()
        await expect(call).to_have_attribute("data-state", "connected", timeout=CONNECT_MS)
    for call in calls:  # each sees both in the call
        await expect(call.get_by_test_id("group-call-person")).to_have_count(2)
    await audio_arrives(console)
    await audio_arrives(field)
    await calls[1].get_by_test_id("group-call-leave").click()
    await expect(calls[0].get_by_test_id("group-call-person")).to_have_count(1)
    await calls[0].get_by_test_id("group-call-leave").click()  # the last one out: the file ends
    await recording_listed(hub, console, meeting)


async def audio_arrives(page: Page) -> None:
    """The mix's audio plays on the page (the other side's fake microphone)."""
    script = "(() => { const a = document.querySelector('[data-testid=group-call] audio');"
    script += " return !!(a && a.srcObject && a.srcObject.getAudioTracks().length) })()"
    await wait_until(page, script, timeout_ms=CONNECT_MS)


async def recording_listed(hub: RunningHub, console: Page, meeting: Locator) -> None:
    done = meeting.locator("[data-testid=participation-recording][data-state=done]")
    for _ in range(50):  # the media worker finishes the file, then ChannelRecording arrives
        await hub.settle()
        await meeting.get_by_test_id("participation-meeting-reload").click()
        if await done.count():
            break
        await console.wait_for_timeout(200)
    await expect(done).to_have_count(1)
    await done.get_by_test_id("participation-recording-play").click()
    await wait_until(
        console,
        "document.querySelector('[data-testid=participation-recording-audio]')?.readyState >= 1",
        timeout_ms=CONNECT_MS,
    )
