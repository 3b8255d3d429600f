"""A group call recorded by policy: the `record` tap of its mixed room on the media worker (a real
process) writes the mix of two aiortc participants; the row is completed when the call ends."""

from __future__ import annotations

import time

from hub.keys import SETTINGS
from tests.hub.conftest import bearer
from tests.media.conftest import MediaHub, StartMedia
from tests.media.recording_hub import until
from tests.media.recording_peers import decode_audio, tone_power
from tests.media.rtc import Listener

TONES = {"v01.cmd": 500.0, "w01": 1300.0}


async def recordings_of(hub: MediaHub, username: str) -> list[dict[str, object]]:
    response = await hub.client.get("/api/v1/recordings", headers=bearer(await hub.token(username)))
    assert response.status == 200
    rows: list[dict[str, object]] = await response.json()
    return rows


async def test_a_group_call_is_recorded_by_policy(start_media: StartMedia) -> None:
    hub = await start_media(recording={"group_calls": True})
    channel = await hub.village_channel()
    sockets = {name: await hub.socket(name) for name in TONES}
    started = time.monotonic()
    ears: dict[str, Listener] = {}
    answered: list[float] = []  # the first join's reply: the room (and its tap) exists by then
    for name, hz in TONES.items():
        ears[name], reply = await hub.join(sockets[name], "group.join", {"channel_id": channel}, hz)
        answered.append(time.monotonic())
    await ears["w01"].listen(1.5)  # the call runs; w01 hears the commander
    ending = time.monotonic()
    await sockets["v01.cmd"].ok("group.end", {"room_id": reply["room_id"]})
    ended = time.monotonic()  # the file is finished before group.end replies

    rows = await recordings_of(hub, "v01.cmd")
    assert [r["kind"] for r in rows] == ["group"]
    row = rows[0]
    assert (row["state"], row["channel_id"], row["room"]) == ("done", channel, reply["room_id"])
    assert row["subject"] == f"grid:{row['grid_id']}"  # what it belongs to: its channel's owner
    people = sorted([await hub.person_id(n) for n in TONES])
    assert row["participants"] == people
    assert isinstance(row["duration_s"], float)
    # The file spans the room's life on the wall clock: the room opened while the first join was
    # being answered (after this test had built its offer, which takes long on a busy machine)
    # and closed after group.end was asked and before it replied. 50 ms for the last 20 ms block
    # and the Opus pre-skip.
    window = (ending - answered[0] - 0.05, ended - started + 0.05)
    assert window[0] <= row["duration_s"] <= window[1], (row["duration_s"], window)
    files = list(hub.client.app[SETTINGS].data_dir.rglob(f"{row['recording_id']}.ogg"))
    samples, duration = decode_audio(files[0])
    assert abs(duration - row["duration_s"]) < 0.1
    tail = samples[-48_000:]
    assert tone_power(tail, 500.0) > 0.1
    assert tone_power(tail, 1300.0) > 0.1
    assert await recordings_of(hub, "v02.cmd") == []  # another village's commander


async def test_group_calls_are_not_recorded_by_default(start_media: StartMedia) -> None:
    hub = await start_media()
    channel = await hub.village_channel()
    peer = await hub.socket("w01")
    _, reply = await hub.join(peer, "group.join", {"channel_id": channel}, 440.0)
    await peer.ok("group.leave", {"room_id": reply["room_id"]})
    await until(lambda: hub.pool.room(reply["room_id"]) is None)
    assert await recordings_of(hub, "admin") == []
