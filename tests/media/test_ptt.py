"""Push-to-talk through a real hub and worker: grant, deny, pre-emption, emergency, timeout.

The listener (w02) sends silence; each talker sends its own tone. What the listener hears is
checked by FFT: only the floor holder's tone, and nothing while the floor is free.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.hub.sockets import Peer
from tests.media.conftest import MediaHub, StartMedia, hold_first_reply
from tests.media.rtc import Listener, levels

TALKERS = {"v01.cmd": 500.0, "v01.lead": 800.0, "w01": 1300.0}
HEARD, ABSENT = 1000.0, 300.0
BUILT_S = 20.0


async def on_channel(hub: MediaHub) -> tuple[dict[str, Any], dict[str, Peer], Listener]:
    scope = {"channel_id": await hub.village_channel()}
    sockets = {name: await hub.socket(name) for name in [*TALKERS, "w02"]}
    for name, hz in TALKERS.items():
        await hub.join(sockets[name], "ptt.join", scope, hz)
    ear, reply = await hub.join(sockets["w02"], "ptt.join", scope, 0.0)
    assert reply["floor"] is None
    return scope, sockets, ear


async def only(ear: Listener, talker: str | None) -> None:
    heard = levels(await ear.listen(0.8), TALKERS)
    for name, amplitude in heard.items():
        if name == talker:
            assert amplitude > HEARD, (talker, heard)
        else:
            assert amplitude < ABSENT, (talker, heard)


async def floor(peer: Peer, reason: str) -> dict[str, Any]:
    event: dict[str, Any] = await peer.next("ptt.floor", lambda d: d["reason"] == reason)
    return event


async def test_grant_deny_preempt_emergency_release(media_hub: MediaHub) -> None:
    scope, sockets, ear = await on_channel(media_hub)
    await only(ear, None)

    granted = await sockets["v01.lead"].ok("ptt.request", scope)
    lead = await media_hub.person_id("v01.lead")
    assert granted["floor"]["person_id"] == lead
    assert (await floor(sockets["w02"], "granted"))["holder"]["person_id"] == lead
    await only(ear, "v01.lead")

    denied = await sockets["w01"].call("ptt.request", scope)
    assert denied["error"]["code"] == "ptt.floor_busy"
    assert denied["error"]["details"]["holder"]["person_id"] == lead

    await sockets["v01.cmd"].ok("ptt.request", scope)
    taken = await floor(sockets["w02"], "preempted")
    assert taken["displaced"]["person_id"] == lead
    await only(ear, "v01.cmd")

    await sockets["w01"].ok("ptt.request", {**scope, "emergency": True})
    rescue = await floor(sockets["w02"], "preempted")
    assert rescue["holder"]["emergency"] is True
    await only(ear, "w01")

    refused = await sockets["v01.cmd"].call("ptt.release", scope)
    assert refused["error"]["code"] == "ptt.not_holder"
    await sockets["w01"].ok("ptt.release", scope)
    assert (await floor(sockets["w02"], "released"))["holder"] is None
    await only(ear, None)


async def test_floor_is_revoked_after_the_max_talk_time(start_media: StartMedia) -> None:
    hub = await start_media(ptt_max_talk_s=2.0)
    scope, sockets, ear = await on_channel(hub)
    await sockets["v01.lead"].ok("ptt.request", scope)
    await floor(sockets["w02"], "granted")
    await only(ear, "v01.lead")  # 0.3 s + 0.8 s of the 2 s
    revoked = await floor(sockets["w02"], "timeout")
    assert revoked["holder"] is None
    await only(ear, None)
    again = await sockets["w01"].ok("ptt.request", scope)
    assert again["floor"]["person_id"] == await hub.person_id("w01")


async def test_holder_leaving_frees_the_floor(media_hub: MediaHub) -> None:
    scope, sockets, _ear = await on_channel(media_hub)
    await sockets["w01"].ok("ptt.request", scope)
    await floor(sockets["w02"], "granted")
    await sockets["w01"].ok("ptt.leave", scope)
    assert (await floor(sockets["w02"], "left"))["holder"] is None


async def test_racing_requests_through_the_hub_have_one_winner(start_media: StartMedia) -> None:
    hub = await start_media(embedded_workers=0)  # the floor needs no media worker
    scope = {"channel_id": await hub.village_channel()}
    workers = [await hub.socket(name) for name in ("w01", "w02", "w03", "w04", "w05")]
    replies = await asyncio.gather(*(peer.call("ptt.request", scope) for peer in workers))
    granted = [reply for reply in replies if reply["ok"]]
    assert len(granted) == 1
    holder = granted[0]["floor"]["person_id"]
    busy = [reply["error"] for reply in replies if not reply["ok"]]
    assert {error["code"] for error in busy} == {"ptt.floor_busy"}
    assert {error["details"]["holder"]["person_id"] for error in busy} == {holder}


def holding(words: list[dict[str, Any]]) -> int | None:
    """Who a device shows holding the floor: the newest of replies and `ptt.floor` events."""
    latest = max(words, key=lambda w: int(w["floor_version"]))
    holder = latest["floor"] if "floor" in latest else latest["holder"]
    return None if holder is None else int(holder["person_id"])


def listening(rosters: list[dict[str, Any]]) -> int:
    """How many listen, as a device shows it: the roster with the highest version."""
    return len(max(rosters, key=lambda r: int(r["roster_version"]))["participants"])


async def test_floor_and_roster_events_that_overtake_the_join_reply_win(
    media_hub: MediaHub,
) -> None:
    """w02's join reply is built (w02 alone, the floor free) but not yet sent when v01.lead
    joins and takes the floor, so w02's socket hears both before its own, older reply."""
    scope = {"channel_id": await media_hub.village_channel()}
    listener, talker = await media_hub.socket("w02"), await media_hub.socket("v01.lead")
    built, send = hold_first_reply(media_hub.client.app, "ptt.join")
    joining = asyncio.create_task(media_hub.join(listener, "ptt.join", scope, 0.0))
    await asyncio.wait_for(built.wait(), BUILT_S)
    await media_hub.join(talker, "ptt.join", scope, 800.0)
    granted = await talker.ok("ptt.request", scope)
    roster = await listener.next("ptt.participants", lambda d: len(d["participants"]) == 2)
    floor_event = await floor(listener, "granted")
    send.set()
    _ear, reply = await joining
    assert (reply["floor"], len(reply["participants"])) == (None, 1)  # older, received last
    assert floor_event["floor_version"] == granted["floor_version"] > reply["floor_version"]
    assert roster["roster_version"] > reply["roster_version"]

    lead = await media_hub.person_id("v01.lead")
    assert holding([reply, floor_event, *listener.drain("ptt.floor")]) == lead
    assert listening([reply, roster, *listener.drain("ptt.participants")]) == 2
