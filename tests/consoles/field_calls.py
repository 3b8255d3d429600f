"""Calls of the field app in Chromium: a 1:1 voice call between two field apps (w01 calls their
grid leader v01.lead), and a commander pulling the worker's camera onto the console's video wall.

Not collected on its own (no test_ prefix): tests/consoles/test_field_calls.py runs this file
with pytest inside a network namespace that has only `lo` up, so media can only flow over
127.0.0.1. It refuses to run anywhere else.
"""

from __future__ import annotations

import os
import subprocess

from playwright.async_api import async_playwright, expect

from tests.consoles.browser import CHROMIUM, CHROMIUM_ARGS, Browsers, wait_until
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub
from tests.consoles.fieldkit import phone

INSIDE = "GRIDHUB_FIELD_CALLS_NETNS"
LEADER = "v01.lead"
CONNECT_MS = 15_000


def only_loopback() -> bool:
    links = subprocess.run(["ip", "-o", "link", "show", "up"], capture_output=True, text=True)
    return [line.split(":")[1].strip() for line in links.stdout.splitlines()] == ["lo"]


async def test_worker_calls_grid_leader_from_the_channel_members(console_hub: ConsoleHub) -> None:
    assert os.environ.get(INSIDE), "run by tests/consoles/test_field_calls.py only"
    assert only_loopback(), "must run in a network namespace with only lo up"
    args = [*CHROMIUM_ARGS, "--allow-loopback-in-peer-connection"]
    async with async_playwright() as playwright:  # a fresh temporary profile per launch
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        browsers = Browsers(browser, console_hub.url)
        try:
            await _call(browsers)
            browsers.errors.assert_clean()
        finally:
            await browsers.close()


async def _call(browsers: Browsers) -> None:
    # The microphone granted as a phone's user would: Chromium then shows the real (loopback)
    # host candidates instead of mDNS names, which need multicast that a lo-only namespace lacks.
    mic = phone(permissions=["geolocation", "microphone"])
    leader = await browsers.signed_in(LEADER, PASSWORD, "/field", **mic)
    worker = await browsers.signed_in(WORKER, PASSWORD, "/field", **mic)
    await worker.get_by_test_id("tab-chat").click()
    await worker.locator(".chan", has_text="东庄村").filter(has_not_text="网格").click()
    await worker.get_by_role("button", name="成员").click()
    await worker.get_by_test_id(f"call-{LEADER}").click()

    ringing = leader.get_by_test_id("call-layer")
    await expect(ringing).to_have_attribute("data-phase", "incoming")
    await leader.get_by_test_id("call-accept").click()
    calling = worker.get_by_test_id("call-layer")
    for side in (calling, ringing):
        await expect(side).to_have_attribute("data-phase", "active")
        await expect(side).to_have_attribute("data-link", "connected", timeout=CONNECT_MS)
    for side in (calling, ringing):  # the fake microphones' audio arrives both ways
        await expect(side).not_to_have_attribute("data-received", "0", timeout=CONNECT_MS)

    await worker.get_by_test_id("call-hangup").click()
    for side in (calling, ringing):
        await expect(side).to_have_attribute("data-phase", "ended")
        await expect(side).to_have_attribute("data-outcome", "answered")


async def test_commander_pulls_the_workers_camera_with_consent(console_hub: ConsoleHub) -> None:
    assert os.environ.get(INSIDE), "run by tests/consoles/test_field_calls.py only"
    assert only_loopback(), "must run in a network namespace with only lo up"
    args = [*CHROMIUM_ARGS, "--allow-loopback-in-peer-connection"]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        browsers = Browsers(browser, console_hub.url)
        try:
            await _pull(browsers)
            browsers.errors.assert_clean()
        finally:
            await browsers.close()


async def _pull(browsers: Browsers) -> None:
    mic = phone(permissions=["geolocation", "camera", "microphone"])
    worker = await browsers.signed_in(WORKER, PASSWORD, "/field", **mic)
    console = await browsers.signed_in(
        COMMANDER, PASSWORD, "/console/calls", permissions=["camera", "microphone"]
    )
    await console.get_by_role("tab", name="视频墙").click()
    await console.locator(".wall .el-select").click()
    await console.locator(".el-select-dropdown__item", has_text="(w01)").click()
    await console.get_by_test_id("wall-pull").click()

    asked = worker.get_by_test_id("call-layer")
    await expect(asked).to_have_attribute("data-kind", "pull")
    await expect(asked).to_have_attribute("data-phase", "incoming")  # policy: ask first
    await worker.get_by_test_id("call-accept").click()
    await expect(asked).to_have_attribute("data-link", "connected", timeout=CONNECT_MS)
    tile = console.locator("[data-testid=video-wall] .tile video")
    await expect(tile).to_have_count(1)
    await wait_until(
        console,  # the phone's (fake) camera decodes on the wall
        "document.querySelector('[data-testid=video-wall] .tile video').videoWidth > 0",
        timeout_ms=CONNECT_MS,
    )
    await worker.get_by_test_id("call-hangup").click()
    await expect(asked).to_have_attribute("data-phase", "ended")
    await expect(tile).to_have_count(0)
