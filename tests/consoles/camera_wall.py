"""A fixed camera on the console's video wall: a real RTSP camera (Debian's GStreamer RTSP
server, tests/media/rtsp.py) with sound, through the hub's camera gateway in a media worker
process, into Chromium; the camera goes away and comes back while the wall shows it.

Not collected on its own (no test_ prefix): tests/consoles/test_camera_wall.py runs this file
with pytest inside a network namespace that has only `lo` up. It refuses to run anywhere else.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, async_playwright, expect

from tests.consoles.browser import CHROMIUM, CHROMIUM_ARGS, Browsers, wait_until
from tests.consoles.conftest import COMMANDER, PASSWORD, ConsoleHub, StartConsoleHub
from tests.media.rtsp import RtspCamera, free_port

INSIDE = "GRIDHUB_CAMERA_WALL_NETNS"
CONNECT_MS = 20_000
VIDEO = "document.querySelector('[data-testid=video-wall] .tile video')"

pytestmark = pytest.mark.skipif(
    os.environ.get(INSIDE) != "1", reason="runs only inside the loopback-only network namespace"
)


@pytest.fixture
async def camera() -> AsyncIterator[RtspCamera]:
    server = RtspCamera(free_port())
    await server.start()
    try:
        yield server
    finally:
        await server.kill()


@pytest.fixture
async def console_hub(start_console_hub: StartConsoleHub, camera: RtspCamera) -> ConsoleHub:
    """The console hub with one media worker, and RTSP allowed to the camera's port."""
    cameras = {"allowed_networks": ["127.0.0.1/32"], "allowed_ports": [camera.port]}
    media = {"embedded_workers": 1, "ice_addresses": ["127.0.0.1"], "cameras": cameras}
    return await start_console_hub(media=media)


async def frames(page: Page) -> int:
    count: int = await page.evaluate(f"{VIDEO}.getVideoPlaybackQuality().totalVideoFrames")
    return count


async def test_a_camera_with_sound_on_the_wall_survives_a_restart(
    console_hub: ConsoleHub, camera: RtspCamera
) -> None:
    grids = await console_hub.api("GET", "/api/v1/grids", "admin")
    county = next(g for g in grids if g["code"] == "370783")
    body = {
        "name": "弥河桥头",
        "source_kind": "rtsp",
        "source": camera.url,
        "grid_id": county["id"],
    }
    added = await console_hub.api("POST", "/api/v1/cameras", "admin", json=body)
    async with async_playwright() as playwright:
        args = [*CHROMIUM_ARGS, "--allow-loopback-in-peer-connection"]
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        browsers = Browsers(browser, console_hub.url)
        try:
            await _watch(browsers, camera, added["camera_id"])
            browsers.errors.assert_clean()
        finally:
            await browsers.close()


async def _watch(browsers: Browsers, camera: RtspCamera, camera_id: int) -> None:
    console = await browsers.signed_in(COMMANDER, PASSWORD, "/console/calls")
    await console.get_by_role("tab", name="视频墙").click()
    await console.locator(".wall .controls").get_by_role("button", name="弥河桥头").click()
    await wait_until(console, f"{VIDEO} && {VIDEO}.videoWidth === 320", timeout_ms=CONNECT_MS)
    # the camera's sound came too, muted until the commander turns it on
    sound = console.get_by_test_id(f"wall-sound-camera-{camera_id}")
    await expect(sound).to_have_attribute("aria-label", "打开声音")
    video = console.locator("[data-testid=video-wall] .tile video")
    await expect(video).to_have_attribute("data-muted", "true")
    await wait_until(console, f"{VIDEO}.srcObject.getAudioTracks().some((t) => !t.muted)")
    await sound.click()
    await expect(video).to_have_attribute("data-muted", "false")
    assert await console.evaluate(f"{VIDEO}.muted") is False

    await camera.kill()  # the camera goes away, and comes back on the same address
    await camera.start()
    before = await frames(console)
    await wait_until(  # the same tile shows pictures again: nobody pressed anything
        console,
        f"{VIDEO}.getVideoPlaybackQuality().totalVideoFrames > {before + 30}",
        timeout_ms=CONNECT_MS,
    )
