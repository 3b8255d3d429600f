"""Offer/answer arbitration by the hub (glare), ICE-restart offers, and bad input everywhere."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.hub.conftest import bearer
from tests.signaling.conftest import CallHub, connected


def offer(call_id: int, kind: str = "offer", sdp: str = "v=0 sdp") -> dict[str, Any]:
    return {"call_id": call_id, "kind": kind, "sdp": sdp}


async def test_glare_exactly_one_offer_wins_and_only_it_is_relayed(hub: CallHub) -> None:
    call = await connected(hub, "v01.lead", "w01")
    a, b = call.caller, call.callee
    replies = await asyncio.gather(
        a.call("call.signal", offer(call.call_id, sdp="from caller")),
        b.call("call.signal", offer(call.call_id, sdp="from callee")),
    )
    assert sorted(r["ok"] for r in replies) == [False, True]
    [lost] = [r for r in replies if not r["ok"]]
    assert lost["error"]["code"] == "call.glare"
    winner, loser = (a, b) if replies[0]["ok"] else (b, a)
    won = await loser.next("call.signal")
    assert won["kind"] == "offer"
    # The loser rolls back and answers; only then may it offer its own.
    await loser.ok("call.signal", {**offer(call.call_id, "answer"), "sdp": "answer"})
    assert (await winner.next("call.signal"))["kind"] == "answer"
    assert winner.drain("call.signal") == []  # the losing offer never reached the winner
    await loser.ok("call.signal", offer(call.call_id, sdp="second"))
    assert (await winner.next("call.signal"))["sdp"] == "second"
    await winner.ok("call.signal", offer(call.call_id, "answer"))
    # An answer with no offer outstanding is refused and relayed nowhere.
    extra = await winner.call("call.signal", offer(call.call_id, "answer"))
    assert extra["error"]["code"] == "call.no_offer"
    assert (await loser.next("call.signal"))["kind"] == "answer"
    assert loser.drain("call.signal") == []


async def test_an_offerer_may_offer_again_before_the_answer(hub: CallHub) -> None:
    call = await connected(hub, "v01.lead", "w01")
    await call.caller.ok("call.signal", offer(call.call_id, sdp="first"))
    await call.caller.ok("call.signal", offer(call.call_id, "restart", sdp="restart"))
    got = [await call.callee.next("call.signal") for _ in range(2)]
    assert [(s["kind"], s["sdp"]) for s in got] == [("offer", "first"), ("restart", "restart")]


async def test_an_ice_restart_offer_is_arbitrated_like_an_offer(hub: CallHub) -> None:
    call = await connected(hub, "v01.lead", "w01")
    await call.callee.ok("call.signal", offer(call.call_id, "restart", sdp="new ufrag"))
    restart = await call.caller.next("call.signal")
    assert (restart["kind"], restart["from"], restart["sdp"]) == ("restart", "callee", "new ufrag")
    clash = await call.caller.call("call.signal", offer(call.call_id))
    assert clash["error"]["code"] == "call.glare"
    own_answer = await call.callee.call("call.signal", offer(call.call_id, "answer"))
    assert own_answer["error"]["code"] == "call.no_offer"
    await call.caller.ok("call.signal", offer(call.call_id, "answer"))
    assert (await call.callee.next("call.signal"))["kind"] == "answer"


BAD: dict[str, list[Any]] = {
    "call.invite": [
        None,
        "text",
        [1, 2],
        {"callee_id": 0, "media": "audio", "client_call_id": "x"},
        {"callee_id": 5, "media": "audio", "client_call_id": ""},
        {"callee_id": 5, "media": "audio", "client_call_id": "x" * 65},
        {"callee_id": 5, "media": "smell", "client_call_id": "x"},
        {"callee_id": [5], "media": "audio", "client_call_id": "x"},
    ],
    "call.pull": [
        None,
        {"worker_id": -1, "client_call_id": "x"},
        {"worker_id": 5},
        {"worker_id": "five", "client_call_id": "x"},
    ],
    "call.accept": [None, {}, {"call_id": 0}, {"call_id": "x"}, 7],
    "call.decline": [None, {}, {"call_id": -3}, {"call_id": None}],
    "call.hangup": [None, {}, {"call_id": 1.5}, ["call_id"]],
    "call.signal": [
        None,
        {"call_id": 1, "kind": "offer"},
        {"call_id": 1, "kind": "answer", "sdp": ""},
        {"call_id": 1, "kind": "candidate"},
        {"call_id": 1, "kind": "candidate", "candidate": {"candidate": 5}},
        {"call_id": 1, "kind": "candidate", "candidate": {"candidate": "c", "sdpMLineIndex": -1}},
        {"call_id": 1, "kind": "candidate", "candidate": {"candidate": "c" * 2001}},
        {"call_id": 1, "kind": "bye", "sdp": "x"},
        {"call_id": 1, "kind": "offer", "sdp": "x" * 200_001},
    ],
}


async def test_bad_input_on_every_event_is_refused_and_changes_nothing(hub: CallHub) -> None:
    call = await connected(hub, "v01.lead", "w01")
    # call.pull is for command roles: a grid leader is refused before the payload is read.
    commander = await hub.device(await hub.person("v01.cmd"))
    for event, payloads in BAD.items():
        for payload in payloads:
            if isinstance(payload, dict) and payload.get("call_id") == 1:
                payload = {**payload, "call_id": call.call_id}
            asker = commander if event == "call.pull" else call.caller
            reply = await asker.call(event, payload)
            assert reply["ok"] is False, (event, payload)
            assert reply["error"]["code"] == "request.invalid", (event, payload, reply)
            assert reply["error"]["message"]
    assert call.callee.drain("call.signal") == []
    assert call.callee.drain("call.ringing") == []
    token = (await hub.person("v01.lead")).token
    rows = await (await hub.client.get("/api/v1/calls", headers=bearer(token))).json()
    assert [(r["call_id"], r["state"]) for r in rows] == [(call.call_id, "active")]
    # Still usable afterwards: a good offer goes through.
    await call.caller.ok("call.signal", offer(call.call_id))
    assert (await call.callee.next("call.signal"))["kind"] == "offer"
