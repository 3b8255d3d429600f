"""Group call and push-to-talk from two commander consoles through a real media worker.

Not collected on its own (no test_ prefix): test_console_media.py runs this file with pytest
inside a network namespace that has only `lo` up, so WebRTC between Chromium and the media
worker cannot use any other address of the machine. It refuses to run anywhere else.
"""

from __future__ import annotations

import asyncio
import os
import re
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.consoles.browser import Browsers, wait_until
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub, StartConsoleHub
from tests.consoles.fieldkit import phone

INSIDE = "GRIDHUB_CONSOLES_NETNS"
TOWN = "town1.cmd"  # 洛城街道's commander: a member of the county's grid channel too
CONNECT_MS = 20_000

pytestmark = pytest.mark.skipif(
    os.environ.get(INSIDE) != "1", reason="runs only inside the loopback-only network namespace"
)


@pytest.fixture
async def console_hub(start_console_hub: StartConsoleHub) -> ConsoleHub:
    """The console hub, with one media worker process; 1:1 calls are recorded."""
    media = {"embedded_workers": 1, "ice_addresses": ["127.0.0.1"], "recording": {"calls": True}}
    return await start_console_hub(media=media)


async def county_channel(page: Page) -> None:
    await page.get_by_test_id("channel-list").get_by_text("寿光市", exact=True).click()


async def test_group_call_and_push_to_talk(browsers: Browsers) -> None:
    county = await browsers.signed_in(COMMANDER, PASSWORD, "/console/channels")
    town = await browsers.signed_in(TOWN, PASSWORD, "/console/channels")
    for page in (county, town):
        await county_channel(page)
        await page.get_by_test_id("group-join").click()
    for page in (county, town):
        voice = page.get_by_test_id("channel-voice")
        await expect(voice).to_have_attribute("data-group", "connected", timeout=CONNECT_MS)
        await expect(voice).to_contain_text("通话中（2 人）")
        # Audio from the worker's mix arrives over RTP.
        await wait_until(
            page,
            "Number(document.querySelector('[data-testid=channel-voice]').dataset.received) > 20",
        )

    for page in (county, town):
        await page.get_by_test_id("ptt-join").click()
        await expect(page.get_by_test_id("channel-voice")).to_have_attribute("data-floor", "free")
    button = county.get_by_test_id("ptt-button")
    await button.hover()
    await county.mouse.down()
    await expect(town.get_by_test_id("channel-voice")).to_have_attribute("data-floor", "张秀英")
    await expect(town.get_by_test_id("channel-voice")).to_contain_text("张秀英 正在讲话")
    await county.mouse.up()
    await expect(town.get_by_test_id("channel-voice")).to_have_attribute("data-floor", "free")


async def test_commander_calls_a_worker(console_hub: ConsoleHub, browsers: Browsers) -> None:
    """A 1:1 voice call from the console to the worker's phone (the field app answers)."""
    # Microphones granted: Chromium then offers real loopback host candidates instead of mDNS
    # names (which need multicast, absent in a lo-only namespace).
    worker = await browsers.signed_in(
        WORKER, PASSWORD, "/field", **phone(permissions=["geolocation", "microphone"])
    )
    console = await browsers.signed_in(
        COMMANDER, PASSWORD, "/console/calls", permissions=["microphone"]
    )
    row = console.get_by_test_id(f"call-person-{WORKER}")
    await row.get_by_role("button", name="语音呼叫").click()
    layer = worker.get_by_test_id("call-layer")
    await expect(layer).to_have_attribute("data-phase", "incoming", timeout=CONNECT_MS)
    await worker.get_by_test_id("call-accept").click()

    window = console.get_by_test_id("call-window")
    await expect(window).to_have_attribute("data-state", "active")
    await expect(window).to_have_attribute("data-connection", "connected", timeout=CONNECT_MS)
    await expect(layer).to_have_attribute("data-link", "connected", timeout=CONNECT_MS)
    await expect(layer).not_to_have_attribute("data-received", "0", timeout=CONNECT_MS)

    await expect(window).to_contain_text(re.compile(r"通话中 \d+s"))  # the answered clock runs
    await console.get_by_test_id("call-hangup").click()
    await expect(layer).to_have_attribute("data-outcome", "answered")
    # The console published its side to the recorder: the call's recording is finished.
    recording = await finished_recording(console_hub)
    assert recording["kind"] == "call"
    assert recording["duration_s"] > 0


async def finished_recording(hub: ConsoleHub) -> dict[str, Any]:
    """The newest recording once it is done (the worker finishes the file after the hang-up)."""
    for _ in range(40):  # bounded: 10 s
        rows = await hub.api("GET", "/api/v1/recordings", COMMANDER)
        if rows and rows[0]["state"] == "done":
            found: dict[str, Any] = rows[0]
            return found
        await asyncio.sleep(0.25)
    raise AssertionError(f"no finished recording: {rows}")
