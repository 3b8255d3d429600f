"""A voice message to someone offline (issue 18, item 9), in Chromium with its fake microphone:
the commander calls w01, who has no device online; the console says so and offers 录制语音留言;
the clip goes into their direct channel and plays in the console's chat and on w01's phone."""

from __future__ import annotations

from playwright.async_api import Locator, Page, expect

from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER
from tests.consoles.fieldkit import phone

DESKTOP = {"width": 1600, "height": 900}


async def playable(page: Page, audio: Locator) -> None:
    """The <audio> has read the clip's metadata: a real audio file, decodable, is behind it."""
    handle = await audio.element_handle()
    await page.wait_for_function("el => el.readyState >= 1 && !el.error", arg=handle)


async def record_and_send(page: Page) -> None:
    offline = page.get_by_test_id("call-offline")
    await expect(offline).to_contain_text("不在线")
    voice = offline.get_by_test_id("voice-message")
    await voice.get_by_test_id("voice-record").click()
    await expect(voice).to_have_attribute("data-phase", "recording")
    await expect(voice).to_contain_text("0:01")  # a second of the fake microphone's tone
    await voice.get_by_test_id("voice-stop").click()
    await playable(page, voice.get_by_test_id("voice-preview"))
    await voice.get_by_test_id("voice-send").click()
    await expect(voice.get_by_test_id("voice-sent")).to_contain_text("语音留言已发送")


async def test_a_call_to_someone_offline_leaves_a_voice_message_they_can_play(
    browsers: Browsers,
) -> None:
    console = await browsers.signed_in(COMMANDER, PASSWORD, "/console/calls", viewport=DESKTOP)
    row = console.get_by_test_id(f"call-person-{WORKER}")  # w01 has no device connected
    await row.get_by_role("button", name="语音呼叫").click()
    await record_and_send(console)
    await expect(console.get_by_test_id("call-window")).to_have_count(0)

    await console.get_by_text("消息群组", exact=True).click()
    direct = console.get_by_test_id("channel-list").locator("[data-testid^=channel-]")
    await direct.filter(has_text="私聊").first.click()
    await playable(console, console.get_by_test_id("chat-voice"))
    await expect(console.get_by_test_id("chat-message")).to_contain_text("语音留言")

    worker = await browsers.signed_in(WORKER, PASSWORD, "/field", **phone())
    await worker.get_by_test_id("tab-chat").click()
    await worker.locator(".chan", has=worker.locator(".kind", has_text="☎")).first.click()
    voice = worker.get_by_test_id("chat-voice")
    await expect(voice).to_have_count(1)
    await playable(worker, voice)


async def test_the_phone_offers_a_voice_message_when_the_callee_is_offline(
    browsers: Browsers,
) -> None:
    worker = await browsers.signed_in(WORKER, PASSWORD, "/field", **phone())
    await worker.get_by_test_id("tab-chat").click()
    await worker.locator(".chan", has_text="东庄村").filter(has_not_text="网格").click()
    await worker.get_by_role("button", name="成员").click()
    await worker.get_by_test_id("call-v01.lead").click()  # the leader is not signed in anywhere
    layer = worker.get_by_test_id("call-layer")
    await expect(layer).to_have_attribute("data-outcome", "offline")
    await expect(layer).to_contain_text("语音留言")
    voice = layer.get_by_test_id("voice-message")
    await voice.get_by_test_id("voice-record").click()
    await expect(voice).to_contain_text("0:01")
    await voice.get_by_test_id("voice-stop").click()
    await voice.get_by_test_id("voice-send").click()
    await expect(voice.get_by_test_id("voice-sent")).to_be_visible()
