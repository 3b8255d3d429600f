"""Bad input and people out of scope get structured errors and change nothing."""

from __future__ import annotations

from typing import Any

from hub.keys import CHANNELS
from tests.media.conftest import MediaHub
from tests.media.rtc import Listener

SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


async def code(hub: MediaHub, username: str, event: str, body: Any) -> str:
    reply = await (await hub.socket(username)).call(event, body)
    assert reply["ok"] is False, reply
    return str(reply["error"]["code"])


async def test_bad_input(media_hub: MediaHub) -> None:
    channel = await media_hub.village_channel()
    assert await code(media_hub, "w01", "group.join", {"channel_id": channel}) == "request.invalid"
    both = {"channel_id": channel, "channel_ref": "incident:1", "sdp": SDP}
    assert await code(media_hub, "w01", "group.join", both) == "request.invalid"
    garbage = {"channel_id": channel, "sdp": "not an sdp at all"}
    assert await code(media_hub, "w01", "group.join", garbage) == "media.bad_offer"
    missing = {"channel_id": 999_999, "sdp": SDP}
    assert await code(media_hub, "w01", "group.join", missing) == "media.channel_not_found"
    nobody_owns = {"channel_ref": "incident:999999", "sdp": SDP}
    assert await code(media_hub, "w01", "group.join", nobody_owns) == "media.channel_not_found"
    for ref in ("incident", "incident:", "Incident:1", "incident:1 OR 1=1", "a:" + "9" * 65):
        not_a_ref = {"channel_ref": ref, "sdp": SDP}
        assert await code(media_hub, "w01", "group.join", not_a_ref) == "request.invalid", ref
    bad_room = {"room_id": "call:abc"}
    assert await code(media_hub, "w01", "group.leave", bad_room) == "request.invalid"
    no_room = {"room_id": f"call:{channel}"}
    assert await code(media_hub, "w01", "group.end", no_room) == "media.room_not_found"
    assert media_hub.pool.placement == {}


async def test_people_outside_the_channel_are_refused(media_hub: MediaHub) -> None:
    channel = await media_hub.village_channel()
    body = {"channel_id": channel, "sdp": SDP}
    assert await code(media_hub, "w06", "group.join", body) == "media.not_member"
    assert await code(media_hub, "w06", "ptt.join", body) == "media.not_member"
    request = {"channel_id": channel}
    assert await code(media_hub, "w06", "ptt.request", request) == "media.not_member"
    # Residents are in no grid channel; in an ad-hoc one they listen but never talk.
    assert await code(media_hub, "r01", "ptt.request", request) == "media.not_member"
    resident, worker = await media_hub.person_id("r01"), await media_hub.person_id("w01")
    adhoc = await media_hub.client.app[CHANNELS].create_adhoc("邻里", worker, [resident])
    talk = {"channel_id": adhoc.id}
    assert await code(media_hub, "r01", "ptt.request", talk) == "ptt.no_priority"
    assert media_hub.pool.placement == {}


async def test_a_room_on_a_channel_named_by_its_owner_ref(media_hub: MediaHub) -> None:
    worker = await media_hub.person_id("w01")
    channels = media_hub.client.app[CHANNELS]
    await channels.ensure_owned_channel("incident", 4242, "incident 4242", [worker])
    body = {"channel_ref": "incident:4242", "sdp": SDP}
    assert await code(media_hub, "w02", "group.join", body) == "media.not_member"
    peer = await media_hub.socket("w01")
    listener = Listener(900.0)
    media_hub.listeners.append(listener)
    offer = {"channel_ref": "incident:4242", "sdp": await listener.offer()}
    reply = await peer.ok("group.join", offer)
    assert reply["participants"] == [
        {
            "person_id": worker,
            "display_name": reply["participants"][0]["display_name"],
            "muted": False,
        }
    ]
    assert reply["moderator"] is True  # a grid worker, but the call's starter
