"""A mediation session held online: the session's channel "med_session:<id>", recorded. The
case's two mediators hold the call from real socket.io clients with aiortc peers (the embedded
media worker mixes and records it, though the deployment records no group calls); the case's
timeline gets the session going online and the recording (started, then done, with its id),
which the town's commander plays back. Outsiders can neither join nor make it online; a stale
version or another case's session is refused with nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aioice.ice
import pytest

from hub.testing import HubClient, RunningHub, SocketClient
from hub.testing.fixtures import StartGridHub
from media.ice import only_addresses
from tests.media.rtc import Listener
from tests.plugins.mediation.conftest import API, MEDIATOR, VILLAGE, add_people, new_case, step

MEDIA = {"embedded_workers": 1, "restart_backoff_s": 0.2}
TONES = {"med.v01": 500.0, "med.v01b": 1300.0}


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", only_addresses(["127.0.0.1"]))


async def media_hub(start: StartGridHub) -> RunningHub:
    hub = await start(["mediation"], demo=True, media=MEDIA)
    await add_people(hub)
    await hub.add_person("med.v01b", [(MEDIATOR, VILLAGE)], display_name="孙调解")
    return hub


async def scheduled_case(hub: RunningHub, mediator: HubClient) -> tuple[dict[str, Any], int]:
    """A case with both village mediators assigned and a session scheduled: (case, session)."""
    case = await mediator.json("POST", f"{API}/cases", json=new_case(await hub.grid_id(VILLAGE)))
    case = await step(mediator, case, "accept")
    people = [await hub.person_id(name) for name in TONES]
    case = await step(mediator, case, "assign", mediator_ids=people)
    at = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    spec = {"version": case["version"], "scheduled_at": at, "place": "线上", "attendees": []}
    scheduled = await mediator.json("POST", f"{API}/cases/{case['id']}/sessions", json=spec)
    return scheduled, int(scheduled["session"]["id"])


async def join(socket: SocketClient, ref: str, hz: float, ears: list[Listener]) -> dict[str, Any]:
    ear = Listener(hz)
    ears.append(ear)
    reply = await socket.call("group.join", {"channel_ref": ref, "sdp": await ear.offer()})
    if reply.get("ok"):
        await ear.answer(reply["sdp"])
    return reply


async def hold_call(hub: RunningHub, ref: str) -> None:
    ears: list[Listener] = []
    sockets = {name: await hub.socket(name) for name in TONES}
    try:
        refused = await join(await hub.socket("med.far"), ref, 440.0, ears)  # not a member
        assert refused["error"]["code"] == "media.not_member"
        for name, hz in TONES.items():
            reply = await join(sockets[name], ref, hz, ears)
            assert reply["ok"], reply
        await ears[-1].listen(1.0)
        for name in TONES:  # the last to leave closes the room: the file is finished
            await sockets[name].ok("group.leave", {"room_id": reply["room_id"]})
    finally:
        for ear in ears:
            await ear.close()
    await hub.settle()  # the plugin has handled ChannelRecording (started, done)


async def test_a_session_held_online_is_recorded_on_the_case_timeline(
    start_gridhub: StartGridHub,
) -> None:
    hub = await media_hub(start_gridhub)
    mediator = await hub.sign_in("med.v01")
    case, session_id = await scheduled_case(hub, mediator)
    online_path = f"{API}/cases/{case['id']}/sessions/{session_id}/online"
    far = await hub.sign_in("med.far")
    assert (await far.refused("POST", online_path, json={"version": case["version"]}))[0] in (
        403,
        404,
    )
    online = await mediator.json("POST", online_path, json={"version": case["version"]})
    ref = f"med_session:{session_id}"
    assert (online["channel_ref"], online["version"]) == (ref, case["version"] + 1)

    await hold_call(hub, ref)
    detail = await mediator.json("GET", f"{API}/cases/{case['id']}")
    steps = detail["timeline"][-3:]
    assert [s["action"] for s in steps] == [
        "session_online",
        "session_call_started",
        "session_call_recorded",
    ]
    assert [s["version"] for s in steps] == list(range(online["version"], online["version"] + 3))
    started, ended = steps[1]["details"], steps[2]["details"]
    assert ended == {**started, "state": "done"}
    assert ended["session_id"] == session_id

    town = await hub.sign_in("town1.cmd")  # commands the village's town; was not in the call
    row = await town.json("GET", f"/api/v1/recordings/{ended['recording_id']}")
    assert (row["subject"], row["state"]) == (ref, "done")
    media = await town.get(f"/api/v1/recordings/{ended['recording_id']}/media")
    assert media.status == 200
    assert (await media.read())[:4] == b"OggS"


async def test_bad_online_requests_change_nothing(start_gridhub: StartGridHub) -> None:
    hub = await start_gridhub(["mediation"], demo=True)
    await add_people(hub)
    mediator = await hub.sign_in("med.v01")
    case, session_id = await scheduled_case_one(hub, mediator)
    other, other_session = await scheduled_case_one(hub, mediator)
    path = f"{API}/cases/{case['id']}/sessions"
    stale = {"version": case["version"] - 1}
    assert await mediator.refused("POST", f"{path}/{session_id}/online", json=stale) == (
        409,
        "mediation.version_conflict",
    )
    fresh = {"version": case["version"]}
    assert await mediator.refused("POST", f"{path}/{other_session}/online", json=fresh) == (
        404,
        "mediation.session_not_found",
    )
    bad = {"version": "many"}
    assert (await mediator.refused("POST", f"{path}/{session_id}/online", json=bad))[0] == 422
    resident = await hub.sign_in("r01")
    assert (await resident.refused("POST", f"{path}/{session_id}/online", json=fresh))[0] == 403
    detail = await mediator.json("GET", f"{API}/cases/{case['id']}")
    assert detail["version"] == case["version"]  # nothing changed
    assert other["version"] == (await mediator.json("GET", f"{API}/cases/{other['id']}"))["version"]


async def scheduled_case_one(hub: RunningHub, mediator: HubClient) -> tuple[dict[str, Any], int]:
    """As scheduled_case, with the one village mediator."""
    case = await mediator.json("POST", f"{API}/cases", json=new_case(await hub.grid_id(VILLAGE)))
    case = await step(mediator, case, "accept")
    at = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    spec = {"version": case["version"], "scheduled_at": at, "place": "村委会", "attendees": []}
    scheduled = await mediator.json("POST", f"{API}/cases/{case['id']}/sessions", json=spec)
    return scheduled, int(scheduled["session"]["id"])
