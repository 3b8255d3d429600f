"""Consoles follow the newest word of who speaks, who holds the floor and who listens.

The hub holds a console's join reply once built, while an aiortc peer (another person) joins
and talks or takes the floor; the events this causes reach the console before its own, older
reply. The console must show the events' word (versions: docs/protocol.md, group calls and
push-to-talk), as it would when a reply travels slower than an event through Redis.

Not collected on its own (no test_ prefix): tests/consoles/test_media_order.py runs this file
with pytest inside a network namespace that has only `lo` up. It refuses to run anywhere else.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import aioice.ice
import pytest
from playwright.async_api import expect

from hub.keys import CHANNELS
from media.ice import only_addresses
from tests.consoles.browser import Browsers
from tests.consoles.conftest import COMMANDER, PASSWORD, WORKER, ConsoleHub, StartConsoleHub
from tests.consoles.fieldkit import phone
from tests.hub.sockets import Peer, connect
from tests.media.conftest import hold_first_reply
from tests.media.rtc import Listener

INSIDE = "GRIDHUB_MEDIA_ORDER_NETNS"
TOWN = "town1.cmd"  # 洛城街道's commander: a member of the county's grid channel too
LEADER = "v01.lead"  # 东庄村's grid leader, on w01's village channel
BUILT_S = 20.0
LOUD = 16000.0  # louder than Chromium's fake microphone: the peer stays the active speaker

pytestmark = pytest.mark.skipif(
    os.environ.get(INSIDE) != "1", reason="runs only inside the loopback-only network namespace"
)


@pytest.fixture
async def console_hub(start_console_hub: StartConsoleHub) -> ConsoleHub:
    """The console hub with one media worker process."""
    return await start_console_hub(media={"embedded_workers": 1, "ice_addresses": ["127.0.0.1"]})


@pytest.fixture
async def other(
    console_hub: ConsoleHub, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[list[tuple[Peer, Listener]]]:
    """Other people's sockets and aiortc peers (offering 127.0.0.1, which aioice skips)."""
    monkeypatch.setattr(aioice.ice, "get_host_addresses", only_addresses(["127.0.0.1"]))
    made: list[tuple[Peer, Listener]] = []
    yield made
    for peer, listener in made:
        await listener.close()
        if peer.sio.connected:
            await peer.sio.disconnect()


async def person(hub: ConsoleHub, username: str) -> dict[str, Any]:
    me: dict[str, Any] = await hub.api("GET", "/api/v1/auth/me", username)
    return me


async def grid_channel(hub: ConsoleHub, username: str, name: str) -> dict[str, int]:
    found = await hub.app[CHANNELS].channels_of((await person(hub, username))["person_id"])
    return {"channel_id": next(c.id for c in found if c.kind == "grid" and c.name == name)}


async def joined(
    hub: ConsoleHub, made: list[tuple[Peer, Listener]], username: str, event: str, scope: Any
) -> Peer:
    """`username` joins the room by `event` (group.join, ptt.join) sending a loud tone."""
    peer, listener = await connect(hub.client, await hub.token(username)), Listener(800.0, LOUD)
    made.append((peer, listener))
    reply = await peer.ok(event, {**scope, "sdp": await listener.offer()})
    await listener.answer(reply["sdp"])
    return peer


async def test_console_shows_speaker_and_floor_that_overtook_its_join_replies(
    console_hub: ConsoleHub, browsers: Browsers, other: list[tuple[Peer, Listener]]
) -> None:
    town = await person(console_hub, TOWN)
    scope = await grid_channel(console_hub, TOWN, "寿光市")
    county = await browsers.signed_in(COMMANDER, PASSWORD, "/console/channels")
    await county.get_by_test_id("channel-list").get_by_text("寿光市", exact=True).click()
    voice = county.get_by_test_id("channel-voice")

    built, send = hold_first_reply(console_hub.app, "group.join")
    await county.get_by_test_id("group-join").click()
    await asyncio.wait_for(built.wait(), BUILT_S)
    talker = await joined(console_hub, other, TOWN, "group.join", scope)
    await talker.next("group.active_speaker", lambda d: d["person_id"] == town["person_id"])
    send.set()  # the console's reply, built before the town joined: nobody speaks
    await expect(voice).to_contain_text("通话中（2 人）")
    await expect(voice.locator(".who.speaking")).to_have_text(town["display_name"])

    built, send = hold_first_reply(console_hub.app, "ptt.join")
    await county.get_by_test_id("ptt-join").click()
    await asyncio.wait_for(built.wait(), BUILT_S)
    await talker.ok("ptt.request", scope)
    send.set()  # the console's reply, built before the town took the floor: it is free
    await expect(voice).to_have_attribute("data-floor", town["display_name"])


async def test_field_app_shows_listeners_and_floor_that_overtook_its_ptt_join_reply(
    console_hub: ConsoleHub, browsers: Browsers, other: list[tuple[Peer, Listener]]
) -> None:
    leader = await person(console_hub, LEADER)
    scope = await grid_channel(console_hub, LEADER, "东庄村")
    mic = phone(permissions=["geolocation", "microphone"])
    worker = await browsers.signed_in(WORKER, PASSWORD, "/field", **mic)
    await worker.get_by_test_id("tab-chat").click()
    await worker.locator(".chan", has_text="东庄村").filter(has_not_text="网格").click()
    panel = worker.get_by_test_id("ptt-panel")

    built, send = hold_first_reply(console_hub.app, "ptt.join")
    await panel.get_by_test_id("ptt-join").click()
    await asyncio.wait_for(built.wait(), BUILT_S)
    talker = await joined(console_hub, other, LEADER, "ptt.join", scope)
    await talker.ok("ptt.request", scope)
    send.set()  # the phone's reply, built before the leader came: one listener, floor free
    await expect(panel).to_have_attribute("data-joined", "true")
    await expect(panel).to_have_attribute("data-listeners", "2")
    await expect(panel).to_have_attribute("data-floor", leader["display_name"])
