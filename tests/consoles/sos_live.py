"""SOS hot mic and live listening, in Chromium with fake media devices: the field app raises an
SOS by long press and publishes its microphone to the SOS's recorder on a real media worker;
the commander takes the SOS on the console, listens live (sound, not only packets, arrives)
and talks back (the phone hears it); the recording is attached to the SOS. The field app
reloaded mid-SOS learns its SOS from the hub and publishes its microphone again: the commander
hears it anew. Where video is recorded and the worker allowed the rear camera, the commander
listening sees it live.

Not collected on its own (no test_ prefix): tests/consoles/test_field_sos_live.py runs this file
with pytest inside a network namespace that has only `lo` up. It refuses to run anywhere else.
"""

from __future__ import annotations

import os

import pytest
from playwright.async_api import Page, expect

from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub, StartConsoleHub
from tests.consoles.fieldkit import phone

INSIDE = "GRIDHUB_SOS_LIVE_NETNS"
CONNECT_MS = 20_000

pytestmark = pytest.mark.skipif(
    os.environ.get(INSIDE) != "1", reason="runs only inside the loopback-only network namespace"
)


VIDEO = {"video": True, "video_width": 320, "video_height": 240}


@pytest.fixture
async def console_hub(
    start_console_hub: StartConsoleHub, request: pytest.FixtureRequest
) -> ConsoleHub:
    """The hub the browsers open; its recording settings may be given (indirect param)."""
    recording = getattr(request, "param", {})
    media = {"embedded_workers": 1, "ice_addresses": ["127.0.0.1"], "recording": recording}
    return await start_console_hub(media=media)


async def raise_sos(field: Page) -> None:
    """Hold the SOS button until the banner says the hub has it."""
    box = await field.get_by_test_id("sos-button").bounding_box()
    assert box is not None
    await field.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await field.mouse.down()
    await expect(field.get_by_test_id("sos-banner")).to_have_attribute("data-state", "open")
    await field.mouse.up()


async def test_sos_hot_mic_is_heard_live_on_the_console_and_answered(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    # The microphone granted as a user would: Chromium then offers its real (loopback) host
    # candidates instead of mDNS names, which need multicast that a lo-only namespace lacks.
    console = await browsers.signed_in(
        COMMANDER, PASSWORD, "/console/alarms", permissions=["microphone", "notifications"]
    )
    field = await browsers.signed_in(
        WORKER, PASSWORD, "/field", **phone(permissions=["geolocation", "microphone"])
    )
    await raise_sos(field)
    banner = field.get_by_test_id("sos-banner")
    await expect(banner).to_have_attribute("data-mic", "live", timeout=CONNECT_MS)
    await expect(banner).to_contain_text("麦克风已开启")
    sos = (await console_hub.api("GET", "/api/v1/escalation/sos?state=open", COMMANDER))["sos"][0]
    assert sos["audio_stream_id"].startswith("recording:")  # the recording is the SOS's

    await console.get_by_test_id(f"sos-take-{sos['id']}").click()
    live = console.get_by_test_id(f"sos-live-{sos['id']}")
    await console.get_by_test_id(f"sos-listen-{sos['id']}").click()
    await expect(live).to_have_attribute("data-state", "live", timeout=CONNECT_MS)
    # the fake microphone's beeps, not only the relay's silence packets
    await expect(live).to_have_attribute("data-heard", "true", timeout=CONNECT_MS)
    await expect(banner).to_have_attribute("data-talkback", "false")  # the console is muted

    await console.get_by_test_id(f"sos-talk-{sos['id']}").click()
    await expect(banner).to_have_attribute("data-talkback", "true", timeout=CONNECT_MS)
    await expect(banner).to_contain_text("指挥员正在与您通话")
    recording_id = sos["audio_stream_id"].removeprefix("recording:")
    row = await console_hub.api("GET", f"/api/v1/recordings/{recording_id}", COMMANDER)
    assert (row["kind"], row["state"], row["subject"]) == ("sos", "recording", f"sos:{sos['id']}")
    assert len(row["participants"]) == 2  # the worker and the commander who listened
    await reloaded_mid_sos(console_hub, console, field, sos["id"])


async def reloaded_mid_sos(hub: ConsoleHub, console: Page, field: Page, sos_id: int) -> None:
    """A reload (the app killed and opened again) during the SOS: the banner and the hot mic
    come back by themselves, and a commander listening anew hears the phone."""
    await field.reload()
    banner = field.get_by_test_id("sos-banner")
    await expect(banner).to_have_attribute("data-state", "acknowledged", timeout=CONNECT_MS)
    await expect(banner).to_have_attribute("data-mic", "live", timeout=CONNECT_MS)
    await console.get_by_role("button", name="停止监听").click()
    live = console.get_by_test_id(f"sos-live-{sos_id}")
    await expect(live).to_have_attribute("data-state", "off")
    await console.get_by_test_id(f"sos-listen-{sos_id}").click()
    await expect(live).to_have_attribute("data-state", "live", timeout=CONNECT_MS)
    await expect(live).to_have_attribute("data-heard", "true", timeout=CONNECT_MS)
    sos = (await hub.api("GET", f"/api/v1/escalation/sos/{sos_id}", COMMANDER))["sos"]
    recording_id = sos["audio_stream_id"].removeprefix("recording:")
    row = await hub.api("GET", f"/api/v1/recordings/{recording_id}", COMMANDER)
    assert (row["state"], row["subject"]) == ("recording", f"sos:{sos_id}")


@pytest.mark.parametrize("console_hub", [VIDEO], indirect=True)
async def test_the_commander_listening_sees_the_rear_camera_live(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    console = await browsers.signed_in(
        COMMANDER, PASSWORD, "/console/alarms", permissions=["microphone", "notifications"]
    )
    field = await browsers.signed_in(
        WORKER, PASSWORD, "/field", **phone(permissions=["geolocation", "microphone", "camera"])
    )
    await field.get_by_test_id("tab-me").click()
    await field.get_by_test_id("sos-camera-switch").click()  # 求救时同时开启后置摄像头
    await raise_sos(field)
    banner = field.get_by_test_id("sos-banner")
    await expect(banner).to_have_attribute("data-mic", "live", timeout=CONNECT_MS)
    await expect(banner).to_contain_text("后置摄像头录像中")
    sos = (await console_hub.api("GET", "/api/v1/escalation/sos?state=open", COMMANDER))["sos"][0]

    await console.get_by_test_id(f"sos-take-{sos['id']}").click()
    await console.get_by_test_id(f"sos-listen-{sos['id']}").click()
    video = console.get_by_test_id(f"sos-video-{sos['id']}")
    await expect(video).to_be_visible(timeout=CONNECT_MS)  # shown once pictures are decoded
    await console.wait_for_function(
        "([el]) => el.videoWidth > 0 && !el.paused", arg=[await video.element_handle()]
    )
    await expect(console.get_by_test_id(f"sos-live-{sos['id']}")).to_have_attribute(
        "data-heard", "true", timeout=CONNECT_MS
    )
