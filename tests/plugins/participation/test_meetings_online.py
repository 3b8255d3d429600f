"""An online deliberation meeting: the topic's channel "meeting:<id>", recorded. A registered
resident and the village's officer join it as a group call from real socket.io clients with aiortc
peers (the embedded media worker mixes and records it, though the deployment records no group
calls); the meeting then lists the recording, which a commander over the village plays back and
people outside it may not. A meeting not put online has no call and no recordings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aioice.ice
import pytest

from hub.testing import HubClient, RunningHub, SocketClient
from hub.testing.fixtures import StartGridHub
from media.ice import only_addresses
from tests.media.rtc import Listener
from tests.plugins.participation.conftest import API, VILLAGE, add_resident, participation_hub

MEDIA = {"embedded_workers": 1, "restart_backoff_s": 0.2}
TONES = {"meet.a": 500.0, "v01.cmd": 1300.0}


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", only_addresses(["127.0.0.1"]))


def meeting_spec(**more: Any) -> dict[str, Any]:
    at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    return {"meeting_at": at, "place": "村委会议室", "minutes": "", **more}


async def topic(hub: RunningHub, officer: HubClient, title: str) -> int:
    spec = {"grid_id": await hub.grid_id(VILLAGE), "title": title, "body": "请村民线上参加议事"}
    return int((await officer.json("POST", f"{API}/topics", json=spec))["id"])


async def join(socket: SocketClient, ref: str, hz: float, ears: list[Listener]) -> str:
    ear = Listener(hz)
    ears.append(ear)
    reply = await socket.ok("group.join", {"channel_ref": ref, "sdp": await ear.offer()})
    await ear.answer(reply["sdp"])
    return str(reply["room_id"])


async def test_an_online_meeting_is_recorded_and_listed_in_its_minutes(
    start_gridhub: StartGridHub,
) -> None:
    hub = await participation_hub(start_gridhub, media=MEDIA)
    officer = await hub.sign_in("v01.cmd")
    for name in ("meet.a", "meet.b"):
        await add_resident(hub, name)
    a, b = await hub.sign_in("meet.a"), await hub.sign_in("meet.b")
    topic_id = await topic(hub, officer, "村道路灯安装")
    await b.json("POST", f"{API}/topics/{topic_id}/participants")  # before it goes online
    put = await officer.json(
        "PUT", f"{API}/topics/{topic_id}/meeting", json=meeting_spec(online=True)
    )
    ref = f"meeting:{topic_id}"
    assert (put["online"], put["channel_ref"], put["recordings"]) == (True, ref, [])
    await a.json("POST", f"{API}/topics/{topic_id}/participants")  # after: joins the channel

    ears: list[Listener] = []
    sockets = {name: await hub.socket(name) for name in TONES}
    try:
        outsider, ear = await hub.socket("v02.cmd"), Listener(440.0)  # not a member
        ears.append(ear)
        refused = await outsider.call("group.join", {"channel_ref": ref, "sdp": await ear.offer()})
        assert refused["error"]["code"] == "media.not_member"
        for name, hz in TONES.items():
            room = await join(sockets[name], ref, hz, ears)
        await ears[-1].listen(1.0)  # the officer hears the resident
        for name in TONES:  # the last to leave closes the room: the file is finished
            await sockets[name].ok("group.leave", {"room_id": room})
    finally:
        for ear in ears:
            await ear.close()
    await hub.settle()  # the plugin has handled ChannelRecording (started, done)

    meeting = await officer.json("GET", f"{API}/topics/{topic_id}/meeting")
    [recording] = meeting["recordings"]
    assert recording["state"] == "done"
    assert recording["ended_at"]
    listed = await officer.json("GET", f"{API}/topics")
    assert next(t for t in listed["topics"] if t["id"] == topic_id)["meeting_ref"] == ref
    await played_back_by_staff_only(hub, recording["recording_id"], ref)
    assert await a.refused("GET", f"{API}/topics/{topic_id}/meeting") == (
        403,
        "auth.role_required",
    )


async def played_back_by_staff_only(hub: RunningHub, recording_id: str, ref: str) -> None:
    path = f"/api/v1/recordings/{recording_id}"
    town = await hub.sign_in("town1.cmd")  # commands the village's town; was not in the call
    row = await town.json("GET", path)
    assert (row["kind"], row["subject"], row["state"]) == ("group", ref, "done")
    media = await town.get(f"{path}/media")
    assert media.status == 200
    assert (await media.read())[:4] == b"OggS"
    assert (await (await hub.sign_in("v02.cmd")).refused("GET", path))[0] in (403, 404)
    assert (await (await hub.sign_in("meet.b")).refused("GET", path))[0] in (403, 404)


async def test_a_meeting_not_online_has_no_call_and_no_recordings(
    start_gridhub: StartGridHub,
) -> None:
    hub = await participation_hub(start_gridhub)
    officer = await hub.sign_in("v01.cmd")
    topic_id = await topic(hub, officer, "村规民约修订")
    put = await officer.json("PUT", f"{API}/topics/{topic_id}/meeting", json=meeting_spec())
    assert (put["online"], put["channel_ref"], put["recordings"]) == (False, None, [])
    other = await hub.sign_in("v02.cmd")  # another village's officer
    status, _ = await other.refused("GET", f"{API}/topics/{topic_id}/meeting")
    assert status in (403, 404)
    spec = meeting_spec(online="yes please")
    assert (await officer.refused("PUT", f"{API}/topics/{topic_id}/meeting", json=spec))[0] == 422
    assert not (await officer.json("GET", f"{API}/topics/{topic_id}/meeting"))["online"]
