"""1:1 call lifecycle through a real hub with real socket.io clients."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import update

from hub.keys import SESSIONS
from hub.settings import Settings, masked
from signaling.models import CallRecord
from signaling.store import CallStore
from tests.hub.conftest import bearer
from tests.hub.sockets import Peer
from tests.signaling.conftest import TURN_SECRET, CallHub, Person, StartCalls

# Demo county: v01.lead leads 东庄村, w01 works in one of its grids, v01.cmd commands it;
# w52 works in a village of another town.
LEAD, WORKER, COMMANDER, STRANGER = "v01.lead", "w01", "v01.cmd", "w52"
LEASE_S = 2.0  # short for the lease test, yet above a loaded machine's event-loop stalls


def invite(callee: Person, client_call_id: str = "c-1", media: str = "audio") -> dict[str, Any]:
    return {"callee_id": callee.person_id, "media": media, "client_call_id": client_call_id}


def of(call_id: int) -> Any:
    return lambda data: data["call_id"] == call_id


async def log(hub: CallHub, person: Person) -> list[dict[str, Any]]:
    response = await hub.client.get("/api/v1/calls", headers=bearer(person.token))
    assert response.status == 200
    rows: list[dict[str, Any]] = await response.json()
    return rows


async def ringing_call(hub: CallHub) -> tuple[Person, Person, Peer, list[Peer], int]:
    """v01.lead invites w01, who has two devices; both ring."""
    lead, worker = await hub.person(LEAD), await hub.person(WORKER)
    caller = await hub.device(lead)
    devices = [await hub.device(worker), await hub.device(worker)]
    ack = await caller.ok("call.invite", invite(worker))
    assert ack["state"] == "ringing"
    call_id = ack["call_id"]
    for device in devices:
        ring = await device.next("call.ringing", of(call_id))
        assert ring["caller"]["person_id"] == lead.person_id
        assert ring["media"] == "audio"
    return lead, worker, caller, devices, call_id


async def test_first_accept_wins_and_other_devices_stop_ringing(hub: CallHub) -> None:
    _lead, _worker, caller, (a, b), call_id = await ringing_call(hub)
    replies = await asyncio.gather(
        a.call("call.accept", {"call_id": call_id}), b.call("call.accept", {"call_id": call_id})
    )
    winners = [r for r in replies if r["ok"]]
    losers = [r for r in replies if not r["ok"]]
    assert len(winners) == 1
    assert len(losers) == 1
    assert losers[0]["error"]["code"] == "call.already_answered"
    loser = b if replies[0]["ok"] else a
    assert (await loser.next("call.answered_elsewhere"))["call_id"] == call_id
    state = await caller.next("call.state", lambda d: d["state"] == "active")
    assert state["call_id"] == call_id
    assert state["answered_at"] is not None


async def test_decline_ends_the_call_for_both(hub: CallHub) -> None:
    lead, _worker, caller, (a, b), call_id = await ringing_call(hub)
    ack = await a.ok("call.decline", {"call_id": call_id})
    assert (ack["state"], ack["outcome"]) == ("ended", "declined")
    for peer in (caller, b):
        ended = await peer.next("call.state", lambda d: d["state"] == "ended")
        assert ended["reason"] == "declined"
    again = await b.call("call.accept", {"call_id": call_id})
    assert again["error"]["code"] == "call.ended"
    [row] = await log(hub, lead)
    assert (row["outcome"], row["duration_s"]) == ("declined", 0.0)


async def test_callee_in_a_call_is_busy(hub: CallHub) -> None:
    _lead, worker, caller, (a, _b), call_id = await ringing_call(hub)
    await a.ok("call.accept", {"call_id": call_id})
    commander = await hub.person(COMMANDER)
    other = await hub.device(commander)
    ack = await other.ok("call.invite", invite(worker, "busy-1"))
    assert (ack["state"], ack["outcome"], ack["reason"]) == ("ended", "busy", "busy")
    # The busy call never rang: w01's device sees the first call end, and no second ringing.
    await caller.ok("call.hangup", {"call_id": call_id})
    await a.next("call.state", lambda d: d["call_id"] == call_id and d["state"] == "ended")
    assert [r["call_id"] for r in a.drain("call.ringing")] == []
    mine = [r for r in await log(hub, commander) if r["caller_id"] == commander.person_id]
    assert [(r["call_id"], r["outcome"]) for r in mine] == [(ack["call_id"], "busy")]


async def test_unanswered_call_is_missed_after_the_ring_timeout(start_calls: StartCalls) -> None:
    hub = await start_calls(ring_timeout_s=0.3)
    lead, _worker, caller, (a, b), call_id = await ringing_call(hub)
    ended = await caller.next("call.state", lambda d: d["state"] == "ended")
    assert (ended["call_id"], ended["outcome"], ended["reason"]) == (call_id, "missed", "no_answer")
    for device in (a, b):
        await device.next("call.state", lambda d: d["state"] == "ended")
    late = await a.call("call.accept", {"call_id": call_id})
    assert late["error"]["code"] == "call.ended"
    [row] = await log(hub, lead)
    assert row["outcome"] == "missed"


async def test_hangup_records_outcome_and_duration(hub: CallHub) -> None:
    lead, worker, caller, (a, _b), call_id = await ringing_call(hub)
    await a.ok("call.accept", {"call_id": call_id})
    await caller.next("call.state", lambda d: d["state"] == "active")
    ack = await a.ok("call.hangup", {"call_id": call_id})
    assert (ack["outcome"], ack["reason"]) == ("answered", "callee_hangup")
    ended = await caller.next("call.state", lambda d: d["state"] == "ended")
    assert ended["reason"] == "callee_hangup"
    [row] = await log(hub, lead)
    assert row["outcome"] == "answered"
    assert row["duration_s"] > 0
    assert abs(row["duration_s"] - (row["ended_at"] - row["answered_at"])) < 0.01
    assert row["started_at"] <= row["answered_at"] <= row["ended_at"]
    # Both parties and the village commander see it; a worker of another town does not.
    assert [r["call_id"] for r in await log(hub, worker)] == [call_id]
    assert [r["call_id"] for r in await log(hub, await hub.person(COMMANDER))] == [call_id]
    assert await log(hub, await hub.person(STRANGER)) == []
    again = await caller.call("call.hangup", {"call_id": call_id})
    assert again["error"]["code"] == "call.ended"


async def test_caller_cancels_while_ringing(hub: CallHub) -> None:
    lead, _worker, caller, (a, b), call_id = await ringing_call(hub)
    ack = await caller.ok("call.hangup", {"call_id": call_id})
    assert (ack["outcome"], ack["reason"]) == ("cancelled", "cancelled")
    for device in (a, b):
        ended = await device.next("call.state", lambda d: d["state"] == "ended")
        assert (ended["call_id"], ended["reason"]) == (call_id, "cancelled")
    [row] = await log(hub, lead)
    assert row["outcome"] == "cancelled"


async def test_invite_is_idempotent_per_client_call_id(hub: CallHub) -> None:
    lead, worker, caller, (a, _b), call_id = await ringing_call(hub)
    again = await caller.ok("call.invite", invite(worker))
    assert again["call_id"] == call_id
    await a.ok("call.decline", {"call_id": call_id})
    await a.next("call.state", lambda d: d["state"] == "ended")
    assert a.drain("call.ringing") == []
    assert len(await log(hub, lead)) == 1


async def test_out_of_scope_and_bad_invites_are_refused_and_store_nothing(hub: CallHub) -> None:
    worker, stranger = await hub.person(WORKER), await hub.person(STRANGER)
    peer, other = await hub.device(worker), stranger.person_id
    cases: list[tuple[dict[str, Any], str]] = [
        (invite(stranger), "call.out_of_scope"),
        (invite(worker), "call.self"),
        ({"callee_id": 999_999, "media": "audio", "client_call_id": "x"}, "call.callee_not_found"),
        ({"callee_id": other, "media": "fax", "client_call_id": "x"}, "request.invalid"),
        ({"callee_id": other, "media": "audio"}, "request.invalid"),
        ({"callee_id": "me", "media": "audio", "client_call_id": "x"}, "request.invalid"),
        ({"call_id": 1}, "request.invalid"),
    ]
    for payload, code in cases:
        reply = await peer.call("call.invite", payload)
        assert reply["ok"] is False, payload
        assert reply["error"]["code"] == code, (payload, reply)
        assert reply["error"]["message"]
    assert await log(hub, worker) == []
    assert await log(hub, stranger) == []
    unknown = await peer.call("call.accept", {"call_id": 12345})
    assert unknown["error"]["code"] == "call.not_found"


async def test_signals_flow_only_between_the_connected_devices(hub: CallHub) -> None:
    _lead, _worker, caller, (a, b), call_id = await ringing_call(hub)
    offer = {"call_id": call_id, "kind": "offer", "sdp": "v=0 offer"}
    early = await caller.call("call.signal", offer)
    assert early["error"]["code"] == "call.not_active"
    stranger = await hub.device(await hub.person(STRANGER))
    refused = await stranger.call("call.signal", offer)
    assert refused["error"]["code"] == "call.not_found"
    await a.ok("call.accept", {"call_id": call_id})
    other = await b.call("call.signal", offer)
    assert other["error"]["code"] == "call.other_device"
    bad = await caller.call("call.signal", {"call_id": call_id, "kind": "candidate"})
    assert bad["error"]["code"] == "request.invalid"
    await caller.ok("call.signal", offer)
    got = await a.next("call.signal")
    assert (got["kind"], got["sdp"], got["from"]) == ("offer", "v=0 offer", "caller")
    candidate = {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdpMid": "0"}
    await a.ok("call.signal", {"call_id": call_id, "kind": "candidate", "candidate": candidate})
    relayed = await caller.next("call.signal")
    assert relayed["from"] == "callee"
    assert relayed["candidate"] == {**candidate, "sdpMLineIndex": None}
    # The non-accepting device and the stranger received nothing.
    await a.ok("call.hangup", {"call_id": call_id})
    await b.next("call.state", lambda d: d["state"] == "ended")
    assert b.drain("call.signal") == []
    assert stranger.drain("call.signal") == []


async def test_ice_servers_carry_time_limited_turn_credentials(hub: CallHub) -> None:
    worker = await hub.person(WORKER)
    before = int(time.time())
    response = await hub.client.get("/api/v1/calls/ice-servers", headers=bearer(worker.token))
    assert response.status == 200
    body = await response.json()
    stun, turn = body["ice_servers"]
    assert stun["urls"] == ["stun:127.0.0.1:3478"]
    assert turn["urls"] == ["turn:127.0.0.1:3478?transport=udp"]
    expiry, person = turn["username"].split(":")
    assert int(person) == worker.person_id
    assert before + 600 <= int(expiry) <= int(time.time()) + 600
    digest = hmac.new(TURN_SECRET.encode(), turn["username"].encode(), hashlib.sha1).digest()
    assert turn["credential"] == base64.b64encode(digest).decode()
    anonymous = await hub.client.get("/api/v1/calls/ice-servers")
    assert anonymous.status == 401


def test_turn_secret_is_masked_in_config_show() -> None:
    shown = masked(Settings(calls={"turn_secret": "s3cret", "ice_servers": ["turn:h:3478"]}))
    assert shown["calls"]["turn_secret"] == "********"
    assert shown["calls"]["ice_servers"] == ["turn:h:3478"]


async def test_a_call_ends_when_a_connected_device_goes(hub: CallHub) -> None:
    _lead, worker, caller, (a, b), call_id = await ringing_call(hub)
    await a.ok("call.accept", {"call_id": call_id})
    await a.sio.disconnect()
    ended = await caller.next("call.state", lambda d: d["state"] == "ended")
    assert (ended["call_id"], ended["outcome"], ended["reason"]) == (
        call_id,
        "answered",
        "callee_disconnected",
    )
    await b.next("call.state", lambda d: d["state"] == "ended")
    # Not stuck busy: the worker can be called again, and rings on the device left.
    again = await caller.ok("call.invite", invite(worker, "c-2"))
    assert again["state"] == "ringing"
    await b.next("call.ringing", of(again["call_id"]))
    await caller.sio.disconnect()
    gone = await b.next("call.state", lambda d: d["state"] == "ended")
    assert (gone["call_id"], gone["outcome"], gone["reason"]) == (
        again["call_id"],
        "cancelled",
        "caller_disconnected",
    )


async def test_simultaneous_invites_ring_exactly_once(
    start_calls: StartCalls, database_url: str
) -> None:
    hub = await start_calls(database_url=database_url)
    worker = await hub.person(WORKER)
    devices = [await hub.device(worker), await hub.device(worker)]
    callers = [await hub.device(await hub.person(name)) for name in (LEAD, COMMANDER)]
    acks = await asyncio.gather(
        *(peer.ok("call.invite", invite(worker, f"race-{i}")) for i, peer in enumerate(callers))
    )
    assert sorted(a["state"] for a in acks) == ["ended", "ringing"]
    [rung] = [a for a in acks if a["state"] == "ringing"]
    [busy] = [a for a in acks if a["state"] == "ended"]
    assert (busy["outcome"], busy["reason"]) == ("busy", "busy")
    for device in devices:
        assert (await device.next("call.ringing"))["call_id"] == rung["call_id"]
    # Ending the call that rang frees the line: the loser can call now.
    loser = callers[acks.index(busy)]
    winner = callers[acks.index(rung)]
    await winner.ok("call.hangup", {"call_id": rung["call_id"]})
    again = await loser.ok("call.invite", invite(worker, "race-again"))
    assert again["state"] == "ringing"
    for device in devices:
        assert (await device.next("call.ringing"))["call_id"] == again["call_id"]
        assert device.drain("call.ringing") == []


async def test_a_caller_with_a_call_cannot_start_another(hub: CallHub) -> None:
    lead, _worker, caller, _devices, call_id = await ringing_call(hub)
    commander = await hub.person(COMMANDER)
    other = await hub.device(commander)  # online: the refusal is about the caller
    reply = await caller.call("call.invite", invite(commander, "second"))
    assert reply["error"]["code"] == "call.caller_busy"
    # Nothing stored (the commander sees only the ringing call, in scope), no line taken.
    assert [r["call_id"] for r in await log(hub, commander)] == [call_id]
    assert (await caller.ok("call.hangup", {"call_id": call_id}))["outcome"] == "cancelled"
    again = await other.ok("call.invite", invite(lead, "after"))
    assert again["state"] == "ringing"


async def test_calls_of_a_dead_node_end_when_its_lease_lapses(start_calls: StartCalls) -> None:
    hub = await start_calls(lease_s=LEASE_S)
    app = hub.client.app
    # A call held on this node stays up however long it lasts.
    _lead, _worker, caller, (a, _b), live_id = await ringing_call(hub)
    await a.ok("call.accept", {"call_id": live_id})
    # An active call between two others, held by sockets of a node that died long ago.
    commander, stranger = await hub.person("county.cmd"), await hub.person(STRANGER)
    store = CallStore(app[SESSIONS])
    values = {"caller_id": commander.person_id, "callee_id": stranger.person_id,
              "media": "audio", "client_call_id": "orphan", "caller_sid": "gone-1"}  # fmt: skip
    orphan = await store.create(values)
    assert orphan is not None
    await store.transition(orphan.id, "ringing", {"state": "active", "callee_sid": "gone-2"})
    watcher = await hub.device(commander)
    async with app[SESSIONS].begin() as session:
        stale = datetime.now(UTC) - timedelta(seconds=60)
        await session.execute(
            update(CallRecord)
            .where(CallRecord.id == orphan.id)
            .values(caller_seen_at=stale, callee_seen_at=stale)
        )
    ended = await watcher.next("call.state", lambda d: d["call_id"] == orphan.id)
    assert (ended["state"], ended["outcome"], ended["reason"]) == ("ended", "answered", "node_lost")
    # Its lines are free again: the stranger (back online) can be called.
    await hub.device(stranger)
    fresh = await watcher.ok("call.invite", invite(stranger, "after"))
    assert fresh["state"] == "ringing"
    # The call held here outlives several leases: its lease keeps being renewed (polled).
    answered = (await _row(app, live_id)).answered_at
    assert answered is not None
    for _ in range(150):
        row = await _row(app, live_id)
        assert row.state == "active"
        assert row.caller_seen_at is not None
        assert row.callee_seen_at is not None
        if min(row.caller_seen_at, row.callee_seen_at) - answered > timedelta(seconds=2 * LEASE_S):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the lease of the call held here was not renewed")
    assert caller.drain("call.state")[-1]["state"] == "active"


async def _row(app: web.Application, call_id: int) -> CallRecord:
    async with app[SESSIONS]() as session:
        row = await session.get(CallRecord, call_id)
        assert row is not None
        return row


async def test_calling_a_person_with_no_device_connected_says_they_are_offline(
    hub: CallHub,
) -> None:
    lead, worker = await hub.person(LEAD), await hub.person(WORKER)
    caller = await hub.device(lead)
    reply = await caller.call("call.invite", invite(worker))
    assert reply["ok"] is False
    assert reply["error"]["code"] == "call.callee_offline"
    assert reply["error"]["details"] == {"callee_id": worker.person_id}
    assert await log(hub, lead) == []  # nothing stored, nothing rings
    # Once their phone is connected, the same call rings.
    phone = await hub.device(worker)
    ack = await caller.ok("call.invite", invite(worker))
    assert ack["state"] == "ringing"
    await phone.next("call.ringing", of(ack["call_id"]))
