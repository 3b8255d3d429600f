"""The console's and the field app's chat follow a channel as docs/protocol.md asks
("Delivery and recovery", consoles/web/src/shared/channelLog.ts).

A message the hub commits but never fans out is what a cluster node leaves behind when it dies
between its commit and its fan-out; here the test commits through the hub's channel store,
which fans out nothing. The page must still show it, in offset order: when a later message
reveals the gap, when a `channel.head` announces the channel's head, and after a reconnect.
"""

from __future__ import annotations

from typing import Any

import socketio
from playwright.async_api import Locator, Page, expect

from hub.channel_heads import announce
from hub.channels import ChannelStore
from hub.keys import CHANNELS, REALTIME
from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub
from tests.consoles.fieldkit import person_id, phone

LIVE_MS = 5_000  # a gap is recovered after the clients' 1 s wait
RECONNECT_MS = 15_000  # socket.io's reconnection back-off starts at 1 s, grows to 5 s


class Talk:
    """A real socket.io member of the channel who sends, and the hub committing behind its
    back (a lost fan-out)."""

    def __init__(self, hub: ConsoleHub, sio: socketio.AsyncClient, channel_id: int) -> None:
        self.hub, self.sio, self.channel_id = hub, sio, channel_id
        self.sender_id = 0
        self.sent = 0

    async def send(self, words: str) -> None:
        self.sent += 1
        body = {"channel_id": self.channel_id, "client_msg_id": f"t{self.sent}", "kind": "text"}
        reply = await self.sio.call("channel.send", {**body, "body": {"text": words}}, timeout=5)
        assert reply["ok"], reply
        self.sender_id = reply["message"]["sender_id"]

    async def lost(self, words: str) -> None:
        self.sent += 1
        store: ChannelStore = self.hub.app[CHANNELS]
        msg_id = f"t{self.sent}"
        await store.append(self.channel_id, self.sender_id, msg_id, "text", {"text": words})

    async def announce_head(self) -> None:
        """What a surviving node sends for the channels of a node that died."""
        await announce(self.hub.app[CHANNELS], self.hub.app[REALTIME], [self.channel_id])


async def connected(hub: ConsoleHub, username: str) -> socketio.AsyncClient:
    sio = socketio.AsyncClient(reconnection=False)
    auth = {"token": await hub.token(username)}
    await sio.connect(hub.url, auth=auth, transports=["websocket"], wait_timeout=5)
    return sio


async def every_way_of_missing_a_message(
    page: Page, talk: Talk, bubbles: Locator, browsers: Browsers
) -> None:
    await talk.send("第一条")
    await expect(bubbles).to_have_text(["第一条"], timeout=LIVE_MS)
    await talk.lost("第二条")
    await talk.send("第三条")  # arrives live above the gap: 第二条 is recovered
    await expect(bubbles).to_have_text(["第一条", "第二条", "第三条"], timeout=LIVE_MS)
    await talk.lost("第四条")
    await talk.announce_head()  # nothing follows it: only the head reveals it
    await expect(bubbles).to_have_text(["第一条", "第二条", "第三条", "第四条"], timeout=LIVE_MS)

    # Chromium logs the requests that fail while offline: expected here, and only here.
    browsers.errors.ignored.append("net::ERR_INTERNET_DISCONNECTED")
    body = page.locator("body")
    await page.context.set_offline(True)
    await expect(body).to_have_attribute("data-gh-socket", "disconnected", timeout=RECONNECT_MS)
    await talk.send("第五条")
    await page.context.set_offline(False)
    await expect(bubbles).to_have_text(
        ["第一条", "第二条", "第三条", "第四条", "第五条"], timeout=RECONNECT_MS
    )


async def test_the_console_chat_shows_messages_that_never_arrived_live(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    worker = await connected(console_hub, WORKER)
    try:
        commander = await person_id(console_hub, COMMANDER)
        direct: dict[str, Any] = await worker.call("channel.direct", {"person_id": commander})
        talk = Talk(console_hub, worker, direct["channel"]["id"])
        page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/channels")
        await page.get_by_test_id(f"channel-{talk.channel_id}").click()
        bubbles = page.get_by_test_id("chat-messages").locator(".bubble")
        await every_way_of_missing_a_message(page, talk, bubbles, browsers)
    finally:
        await worker.disconnect()


async def test_the_field_app_chat_shows_messages_that_never_arrived_live(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    other = await connected(console_hub, "w02")  # in 东庄村 with w01
    try:
        channels = (await other.call("channel.list", {}, timeout=5))["channels"]
        village = next(c for c in channels if c["name"] == "东庄村")
        talk = Talk(console_hub, other, village["id"])
        field = await browsers.signed_in(WORKER, PASSWORD, "/field", **phone())
        await field.get_by_test_id("tab-chat").click()
        await field.get_by_test_id(f"channel-{talk.channel_id}").click()
        bubbles = field.get_by_test_id("chat-messages").locator(".msg:not(.pending) .bubble")
        await every_way_of_missing_a_message(field, talk, bubbles, browsers)
    finally:
        await other.disconnect()
