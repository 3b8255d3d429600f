"""Who is in a group call and who speaks, as each device sees it: the join reply and events.

Rosters carry `roster_version`, who speaks `speaker_version`; a device keeps the word with the
highest version, whichever way and in whichever order it came (docs/protocol.md, group calls).
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.media.conftest import MediaHub, hold_first_reply

VILLAGE_CMD, VILLAGE_LEAD = "v01.cmd", "v01.lead"  # both in 东庄村's channel
BUILT_S = 20.0


def shown(rosters: list[dict[str, Any]]) -> set[int]:
    """Who a device shows: the roster with the highest version among all it received."""
    latest = max(rosters, key=lambda r: int(r["roster_version"]))
    return {int(p["person_id"]) for p in latest["participants"]}


def speaking(words: list[dict[str, Any]]) -> int | None:
    """Who a device shows speaking: the newest of join replies and `group.active_speaker`."""
    latest = max(words, key=lambda w: int(w["speaker_version"]))
    person = latest["active_speaker"] if "active_speaker" in latest else latest["person_id"]
    return None if person is None else int(person)


async def test_two_joining_at_the_same_moment_each_see_both(media_hub: MediaHub) -> None:
    """The race: A's join reply is built (A alone) but not yet sent when B joins, so A's
    socket gets B's roster event before its own, older reply."""
    channel = {"channel_id": await media_hub.village_channel()}
    a, b = await media_hub.socket(VILLAGE_CMD), await media_hub.socket(VILLAGE_LEAD)
    built, send = hold_first_reply(media_hub.client.app, "group.join")
    a_joins = asyncio.create_task(media_hub.join(a, "group.join", channel, 500.0))
    await asyncio.wait_for(built.wait(), BUILT_S)
    _b_ear, b_reply = await media_hub.join(b, "group.join", channel, 800.0)
    overtaking = await a.next("group.participants", lambda d: len(d["participants"]) == 2)
    send.set()
    _a_ear, a_reply = await a_joins
    assert len(a_reply["participants"]) == 1  # what A received last is the older roster
    assert overtaking["roster_version"] > a_reply["roster_version"]

    both = {await media_hub.person_id(VILLAGE_CMD), await media_hub.person_id(VILLAGE_LEAD)}
    assert shown([a_reply, overtaking, *a.drain("group.participants")]) == both
    assert shown([b_reply, *b.drain("group.participants")]) == both


async def test_a_mute_is_a_new_roster(media_hub: MediaHub) -> None:
    """The roster carries each one's muted flag, so a mute sends it again, newer."""
    channel = {"channel_id": await media_hub.village_channel()}
    moderator, lead = await media_hub.socket(VILLAGE_CMD), await media_hub.socket(VILLAGE_LEAD)
    _ear, reply = await media_hub.join(moderator, "group.join", channel, 500.0)
    _ear, lead_reply = await media_hub.join(lead, "group.join", channel, 800.0)
    target = await media_hub.person_id(VILLAGE_LEAD)
    room = {"room_id": reply["room_id"]}
    await moderator.ok("group.mute", {**room, "person_id": target})
    roster = await lead.next(
        "group.participants", lambda d: any(p["muted"] for p in d["participants"])
    )
    assert {p["person_id"] for p in roster["participants"] if p["muted"]} == {target}
    assert roster["roster_version"] > lead_reply["roster_version"]


async def test_who_speaks_when_the_event_overtakes_the_join_reply(media_hub: MediaHub) -> None:
    """A's join reply is built (nobody speaks) but not yet sent when B joins and talks, so A's
    socket hears that B speaks before its own, older reply says nobody does."""
    channel = {"channel_id": await media_hub.village_channel()}
    a, b = await media_hub.socket(VILLAGE_CMD), await media_hub.socket(VILLAGE_LEAD)
    built, send = hold_first_reply(media_hub.client.app, "group.join")
    a_joins = asyncio.create_task(media_hub.join(a, "group.join", channel, 0.0))  # silent
    await asyncio.wait_for(built.wait(), BUILT_S)
    await media_hub.join(b, "group.join", channel, 800.0)
    lead = await media_hub.person_id(VILLAGE_LEAD)
    overtaking = await a.next("group.active_speaker", lambda d: d["person_id"] == lead)
    send.set()
    _a_ear, a_reply = await a_joins
    assert a_reply["active_speaker"] is None  # what A received last is the older word
    assert overtaking["speaker_version"] > a_reply["speaker_version"]
    assert speaking([a_reply, overtaking, *a.drain("group.active_speaker")]) == lead
