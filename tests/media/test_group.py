"""Group audio through the media worker: mix-minus by FFT, moderator controls, active speaker."""

from __future__ import annotations

from typing import Any
from unittest.mock import ANY

from hub.keys import CHANNELS, GRIDS
from tests.media.conftest import MediaHub
from tests.media.rtc import Listener, levels

TONES = {"v01.cmd": 500.0, "v01.lead": 800.0, "w01": 1300.0}
HEARD = 1000.0  # amplitude of a tone that is in the mix (sent at 8000)
ABSENT = 300.0  # ...and of one that is not
COUNTY = "370783"


async def three_in_a_call(hub: MediaHub) -> tuple[dict[str, Any], dict[str, Listener], str]:
    channel = await hub.village_channel()
    sockets = {name: await hub.socket(name) for name in TONES}
    listeners, room_id = {}, ""
    for name, hz in TONES.items():
        loud = 16000.0 if name == "v01.cmd" else 4000.0
        listener, reply = await hub.join(
            sockets[name], "group.join", {"channel_id": channel}, hz, amplitude=loud
        )
        listeners[name], room_id = listener, reply["room_id"]
    return sockets, listeners, room_id


def check_mix(heard: dict[str, dict[str, float]], silent: frozenset[str] = frozenset()) -> None:
    for name, tones in heard.items():
        for other, amplitude in tones.items():
            if other == name or other in silent:
                assert amplitude < ABSENT, (name, other, heard)
            else:
                assert amplitude > HEARD, (name, other, heard)


async def hear_all(listeners: dict[str, Listener]) -> dict[str, dict[str, float]]:
    return {name: levels(await ear.listen(1.0), TONES) for name, ear in listeners.items()}


async def test_each_hears_the_others_not_itself(media_hub: MediaHub) -> None:
    sockets, listeners, room_id = await three_in_a_call(media_hub)
    roster = await sockets["v01.cmd"].next(
        "group.participants", lambda d: len(d["participants"]) == 3
    )
    assert roster["room_id"] == room_id
    heard = await hear_all(listeners)
    check_mix(heard)
    loudest = await media_hub.person_id("v01.cmd")
    speaker = await sockets["w01"].next("group.active_speaker", lambda d: d["person_id"])
    assert speaker == {"room_id": room_id, "person_id": loudest, "speaker_version": ANY}
    assert speaker["speaker_version"] > 0


async def test_moderator_mutes_one_then_all_and_ends(media_hub: MediaHub) -> None:
    sockets, listeners, room_id = await three_in_a_call(media_hub)
    worker = await media_hub.person_id("w01")
    denied = await sockets["v01.lead"].call("group.mute", {"room_id": room_id, "person_id": worker})
    assert denied["error"]["code"] == "media.moderator_only"
    await sockets["v01.cmd"].ok("group.mute", {"room_id": room_id, "person_id": worker})
    muted = await sockets["v01.lead"].next("group.muted")
    assert muted["person_ids"] == [worker]
    assert muted["muted"] is True
    check_mix(await hear_all(listeners), silent=frozenset({"w01"}))
    again = await sockets["w01"].call("group.mute", {"room_id": room_id, "muted": False})
    assert again["error"]["code"] == "media.muted_by_moderator"
    channel = {"channel_id": await media_hub.village_channel()}
    _rejoined, reply = await media_hub.join(sockets["w01"], "group.join", channel, 1300.0)
    assert {p["person_id"]: p["muted"] for p in reply["participants"]}[worker] is True

    await sockets["v01.cmd"].ok("group.mute", {"room_id": room_id, "all": True})
    heard = levels(await listeners["v01.cmd"].listen(1.0), TONES)
    assert heard["v01.lead"] < ABSENT, heard
    assert heard["w01"] < ABSENT, heard
    await sockets["v01.cmd"].ok("group.end", {"room_id": room_id})
    ended = await sockets["w01"].next("group.ended")
    assert ended["reason"] == "ended_by_moderator"
    gone = await sockets["w01"].call("group.leave", {"room_id": room_id})
    assert gone["error"]["code"] == "media.room_not_found"


async def test_moderator_removes_a_participant(media_hub: MediaHub) -> None:
    sockets, listeners, room_id = await three_in_a_call(media_hub)
    worker = await media_hub.person_id("w01")
    await sockets["v01.cmd"].ok("group.remove", {"room_id": room_id, "person_id": worker})
    assert (await sockets["w01"].next("group.ended"))["reason"] == "removed"
    roster = await sockets["v01.lead"].next(
        "group.participants", lambda d: len(d["participants"]) == 2
    )
    assert worker not in {p["person_id"] for p in roster["participants"]}
    heard = levels(await listeners["v01.lead"].listen(1.0), TONES)
    assert heard["w01"] < ABSENT, heard
    assert heard["v01.cmd"] > HEARD, heard


async def test_moderating_the_county_call_needs_command_over_the_county(
    media_hub: MediaHub,
) -> None:
    """A village commander is a member of the county's channel, not its moderator; the county
    commander (command over its grid) and the call's starter are."""
    index = media_hub.client.app[GRIDS].index
    county = await media_hub.client.app[CHANNELS].ensure_grid_channel(
        index.by_code(COUNTY).id, "寿光市"
    )
    scope = {"channel_id": county.id}
    names = ("w01", "v01.cmd", "county.cmd")  # w01 starts the call
    sockets = {name: await media_hub.socket(name) for name in names}
    replies = {}
    for hz, name in zip((500.0, 800.0, 1300.0), names, strict=True):
        _listener, replies[name] = await media_hub.join(sockets[name], "group.join", scope, hz)
    assert {n: r["moderator"] for n, r in replies.items()} == {
        "w01": True, "v01.cmd": False, "county.cmd": True,
    }  # fmt: skip
    room = {"room_id": replies["w01"]["room_id"]}
    worker = await media_hub.person_id("w01")
    village = sockets["v01.cmd"]
    for event, body in [("group.end", room), ("group.mute", {**room, "all": True}),
                        ("group.mute", {**room, "person_id": worker}),
                        ("group.remove", {**room, "person_id": worker})]:  # fmt: skip
        refused = await village.call(event, body)
        assert refused["error"]["code"] == "media.moderator_only", (event, body)
    await sockets["w01"].ok(
        "group.mute", {**room, "person_id": await media_hub.person_id("v01.cmd")}
    )
    await sockets["county.cmd"].ok("group.end", room)
    ended = await village.next("group.ended")
    assert ended["reason"] == "ended_by_moderator"
