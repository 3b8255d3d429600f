"""Video pull (视频调度): a commander sees a worker's camera, with consent or auto-accepted."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiortc import VideoStreamTrack

from hub.audit import AuditQuery, query
from hub.keys import SESSIONS
from tests.hub.conftest import bearer
from tests.hub.sockets import Peer
from tests.signaling.conftest import CallHub, Person, StartCalls
from tests.signaling.rtc import Side, frames

DEADLINE_S = 20.0
COMMANDER, WORKER, LEAD = "v01.cmd", "w01", "v01.lead"


async def audit_trail(hub: CallHub, call_id: int) -> list[tuple[str, str]]:
    """(action, actor) of a call's audit entries, oldest first."""
    entries = await query(
        hub.client.app[SESSIONS], AuditQuery(target_type="call", target_id=str(call_id))
    )
    return [(e.action, e.actor) for e in reversed(entries)]


async def request(hub: CallHub, worker: Person, devices: int = 2) -> tuple[Peer, list[Peer], Any]:
    """v01.cmd asks for the worker's camera; every device of the worker gets the request."""
    commander = await hub.device(await hub.person(COMMANDER))
    phones = [await hub.device(worker) for _ in range(devices)]
    body = {"worker_id": worker.person_id, "client_call_id": "pull-1"}
    ack = await commander.ok("call.pull", body)
    assert (ack["kind"], ack["media"], ack["state"]) == ("pull", "video", "ringing")
    asks = [await phone.next("call.pull_request") for phone in phones]
    for ask in asks:
        assert ask["call_id"] == ack["call_id"]
        assert ask["caller"]["username"] == COMMANDER
    return commander, phones, asks[0]


async def watch(commander: Peer, phone: Peer, call_id: int) -> None:
    """The commander offers to receive video only; the phone answers with its camera."""
    viewer = Side(commander, call_id, [], receive=("video",))
    camera = Side(phone, call_id, [VideoStreamTrack()])
    try:
        camera.start()
        viewer.start()
        await viewer.offer()
        video = await asyncio.wait_for(viewer.tracks["video"], DEADLINE_S)
        got = await asyncio.wait_for(frames(video, 10), DEADLINE_S)
        assert all((f.width, f.height) == (640, 480) for f in got)
        # One way: the phone receives no media from the commander.
        assert not camera.tracks["video"].done()
        assert not camera.tracks["audio"].done()
        viewer.assert_loopback()
    finally:
        await viewer.close()
        await camera.close()


def sdp(*sections: str) -> str:
    return "v=0\r\ns=-\r\n" + "".join(f"m={m}\r\n" for m in sections)


async def refuses_two_way(commander: Peer, phone: Peer, call_id: int) -> None:
    """A pull stays one way: media the commander would send, or the worker would receive,
    is refused (`call.pull_one_way`) and relayed nowhere."""
    cases = [
        (commander, sdp("video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv")),
        (commander, sdp("video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly", "audio 9 RTP 111")),
        (phone, sdp("video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly")),
    ]
    for who, body in cases:
        reply = await who.call("call.signal", {"call_id": call_id, "kind": "offer", "sdp": body})
        assert reply["ok"] is False, body
        assert reply["error"]["code"] == "call.pull_one_way"
    assert commander.drain("call.signal") == []
    assert phone.drain("call.signal") == []


async def test_commander_sees_the_camera_after_the_worker_consents(hub: CallHub) -> None:
    commander, (a, b), ask = await request(hub, await hub.person(WORKER))
    assert ask["consent"] == "ask"
    call_id = ask["call_id"]
    await b.ok("call.accept", {"call_id": call_id})
    assert (await a.next("call.answered_elsewhere"))["call_id"] == call_id
    await commander.next("call.state", lambda d: d["state"] == "active")
    await refuses_two_way(commander, b, call_id)
    await watch(commander, b, call_id)
    ended = await commander.ok("call.hangup", {"call_id": call_id})
    assert (ended["outcome"], ended["reason"]) == ("answered", "caller_hangup")
    assert await audit_trail(hub, call_id) == [
        ("call.pull_requested", COMMANDER),
        ("call.pull_accepted", WORKER),
        ("call.pull_ended", COMMANDER),
    ]
    token = (await hub.person(COMMANDER)).token
    rows = await (await hub.client.get("/api/v1/calls", headers=bearer(token))).json()
    assert [(r["call_id"], r["kind"], r["outcome"]) for r in rows] == [
        (call_id, "pull", "answered")
    ]


async def test_auto_accept_policy_by_role(start_calls: StartCalls) -> None:
    hub = await start_calls(pull_auto_roles=["grid_worker"])
    commander, (phone,), ask = await request(hub, await hub.person(WORKER), devices=1)
    assert ask["consent"] == "auto"
    await phone.ok("call.accept", {"call_id": ask["call_id"]})  # the app, by itself
    await watch(commander, phone, ask["call_id"])
    # A grid leader has no auto role: their app asks.
    lead = await hub.person(LEAD)
    lead_phone = await hub.device(lead)
    body = {"worker_id": lead.person_id, "client_call_id": "pull-lead"}
    await commander.ok("call.pull", body)
    assert (await lead_phone.next("call.pull_request"))["consent"] == "ask"


async def test_refused_pull_ends_declined_and_is_audited(hub: CallHub) -> None:
    commander, (a, _b), ask = await request(hub, await hub.person(WORKER))
    await a.ok("call.decline", {"call_id": ask["call_id"]})
    ended = await commander.next("call.state", lambda d: d["state"] == "ended")
    assert (ended["outcome"], ended["reason"]) == ("declined", "declined")
    refused = await commander.call(
        "call.signal", {"call_id": ask["call_id"], "kind": "offer", "sdp": "x"}
    )
    assert refused["error"]["code"] == "call.not_active"
    assert [a for a, _ in await audit_trail(hub, ask["call_id"])] == [
        "call.pull_requested",
        "call.pull_ended",
    ]
    assert (await audit_trail(hub, ask["call_id"]))[-1][1] == WORKER


async def test_unanswered_pull_times_out(start_calls: StartCalls) -> None:
    hub = await start_calls(pull_timeout_s=0.3)
    commander, phones, ask = await request(hub, await hub.person(WORKER))
    assert ask["ring_timeout_s"] == 0.3
    ended = await commander.next("call.state", lambda d: d["state"] == "ended")
    assert (ended["outcome"], ended["reason"]) == ("missed", "no_answer")
    late = await phones[0].call("call.accept", {"call_id": ask["call_id"]})
    assert late["error"]["code"] == "call.ended"
    assert (await audit_trail(hub, ask["call_id"]))[-1] == ("call.pull_ended", "system")


@pytest.mark.parametrize(
    ("asker", "code"),
    [
        ("v02.cmd", "call.out_of_scope"),
        (LEAD, "auth.role_required"),  # the event's rule: commanders and dispatchers
        ("w08", "auth.role_required"),
    ],
)
async def test_pull_outside_command_scope_is_refused(hub: CallHub, asker: str, code: str) -> None:
    worker = await hub.person(WORKER)
    phone = await hub.device(worker)
    who = await hub.device(await hub.person(asker))
    reply = await who.call("call.pull", {"worker_id": worker.person_id, "client_call_id": "p"})
    assert reply["ok"] is False
    assert reply["error"]["code"] == code
    # Nothing rang, nothing stored.
    own = await hub.device(worker)
    check = await own.call("call.accept", {"call_id": 1})
    assert check["error"]["code"] == "call.not_found"
    assert phone.drain("call.pull_request") == []
