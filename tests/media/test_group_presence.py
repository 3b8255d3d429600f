"""Presence follows group calls: a worker in a group call shows "on_call" to commanders, and
the state chosen on the device again when leaving it or when the call is ended."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.media.conftest import MediaHub


def w01_in(state: str) -> Callable[[dict[str, Any]], bool]:
    return lambda d: d["username"] == "w01" and d["state"] == state


async def test_a_worker_in_a_group_call_is_on_call_until_leaving(media_hub: MediaHub) -> None:
    channel = {"channel_id": await media_hub.village_channel()}
    watcher = await media_hub.socket("v01.cmd")  # a commander's console, not in the call
    phone = await media_hub.socket("w01")
    await phone.ok("presence.set", {"state": "busy"})
    await watcher.next("presence.changed", w01_in("busy"))
    _ear, reply = await media_hub.join(phone, "group.join", channel, 600.0)
    await watcher.next("presence.changed", w01_in("on_call"))
    await phone.ok("group.leave", {"room_id": reply["room_id"]})
    await watcher.next("presence.changed", w01_in("busy"))


async def test_a_group_call_ended_by_its_moderator_ends_on_call(media_hub: MediaHub) -> None:
    channel = {"channel_id": await media_hub.village_channel()}
    moderator, phone = await media_hub.socket("v01.cmd"), await media_hub.socket("w01")
    _ear, reply = await media_hub.join(moderator, "group.join", channel, 500.0)
    await media_hub.join(phone, "group.join", channel, 700.0)
    await moderator.next("presence.changed", w01_in("on_call"))
    await moderator.ok("group.end", {"room_id": reply["room_id"]})
    await phone.next("group.ended")
    watcher = await media_hub.socket("v01.lead")
    who = await watcher.ok("presence.who", {})
    states = {p["username"]: p["state"] for p in who["people"]}
    assert (states["w01"], states["v01.cmd"]) == ("online", "online")
