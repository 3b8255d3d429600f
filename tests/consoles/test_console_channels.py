"""Channels on the console: history, live messages, @mentions and read markers."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio
from playwright.async_api import expect

from hub.chat import PAGE_MAX
from hub.keys import CHANNELS
from tests.consoles.browser import Browsers, input_of
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub
from tests.consoles.fieldkit import person_id

LIVE_MS = 5_000


async def test_chat_with_a_worker(console_hub: ConsoleHub, browsers: Browsers) -> None:
    worker = socketio.AsyncClient()
    mentions: list[dict[str, Any]] = []
    worker.on("channel.mention", mentions.append)
    token = await console_hub.token(WORKER)
    await worker.connect(console_hub.url, auth={"token": token}, transports=["websocket"])
    try:
        # A direct channel: read markers are broadcast in direct and small channels.
        commander = await person_id(console_hub, COMMANDER)
        direct = await worker.call("channel.direct", {"person_id": commander}, timeout=5)
        chat = direct["channel"]
        sent = await worker.call(
            "channel.send",
            {
                "channel_id": chat["id"],
                "client_msg_id": "m1",
                "kind": "text",
                "body": {"text": "东庄桥下垃圾已清理一半"},
            },
            timeout=5,
        )
        assert sent["ok"], sent

        page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/channels")
        await page.get_by_test_id(f"channel-{chat['id']}").click()
        messages = page.get_by_test_id("chat-messages")
        await expect(messages).to_contain_text("东庄桥下垃圾已清理一半")

        await input_of(page, "chat-input").fill("@徐桂兰 清运车半小时后到")
        await page.get_by_test_id("chat-send").click()
        await expect(messages).to_contain_text("清运车半小时后到")
        w01 = await person_id(console_hub, WORKER)
        history = await worker.call("channel.history", {"channel_id": chat["id"]}, timeout=5)
        last = history["messages"][-1]
        assert last["body"]["text"] == "@徐桂兰 清运车半小时后到"
        assert last["mentions"] == [w01]

        await worker.call("channel.read", {"channel_id": chat["id"], "offset": last["offset"]})
        await expect(messages.get_by_text("1 人已读")).to_be_visible(timeout=LIVE_MS)
        # A message the worker sends now arrives live.
        await worker.call(
            "channel.send",
            {
                "channel_id": chat["id"],
                "client_msg_id": "m2",
                "kind": "text",
                "body": {"text": "好的，收到"},
            },
        )
        await expect(messages).to_contain_text("好的，收到", timeout=LIVE_MS)
    finally:
        await worker.disconnect()
    assert [m["body"]["text"] for m in mentions] == ["@徐桂兰 清运车半小时后到"]


async def test_the_channel_list_shows_every_page(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    """`channel.list` answers 500 channels a page: the console asks on until the last one."""
    store = console_hub.client.app[CHANNELS]
    commander = await person_id(console_hub, COMMANDER)
    made = [await store.create_adhoc(f"专班{n}", commander) for n in range(PAGE_MAX + 1)]
    page = await browsers.signed_in(COMMANDER, PASSWORD, "/console/channels")
    last = page.get_by_test_id(f"channel-{made[-1].id}")
    await expect(last).to_contain_text(f"专班{PAGE_MAX}")
    listed = await page.get_by_test_id("channel-list").locator("[data-testid^=channel-]").count()
    assert listed == len(await store.memberships_of(commander, limit=10 * PAGE_MAX))


async def test_the_county_commander_opens_a_village_channel_and_posts(
    console_hub: ConsoleHub, browsers: Browsers
) -> None:
    """Not a member of 东庄村's grid channel, the county commander finds it by typing the
    village's name in the grid-channel picker, opens it and posts; w01 (a member) hears it."""
    worker = socketio.AsyncClient()
    said = "县指挥中心：东庄村请核实积水情况"
    heard: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    def on_message(message: dict[str, Any]) -> None:
        if message["body"].get("text") == said and not heard.done():
            heard.set_result(message)

    worker.on("channel.message", on_message)
    token = await console_hub.token(WORKER)
    await worker.connect(console_hub.url, auth={"token": token}, transports=["websocket"])
    try:
        page = await browsers.signed_in(
            COMMANDER, PASSWORD, "/console/channels", viewport={"width": 1600, "height": 900}
        )
        picker = page.get_by_test_id("grid-channel-picker")
        await picker.click()
        await picker.locator("input").fill("东庄村")
        await page.locator(".el-select-dropdown__item:visible", has_text="东庄村").first.click()
        title = page.get_by_test_id("channel-title")
        await expect(title).to_have_text("东庄村")
        await input_of(page, "chat-input").fill(said)
        await page.get_by_test_id("chat-send").click()
        messages = page.get_by_test_id("chat-messages")
        await expect(messages).to_contain_text("东庄村请核实积水情况")
        message = await asyncio.wait_for(heard, LIVE_MS / 1000)
        assert message["sender_id"] == await person_id(console_hub, COMMANDER)
    finally:
        await worker.disconnect()
