"""Calls across two real hub nodes sharing PostgreSQL and Redis (`gridhub serve` processes)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.cluster.nodes import Cluster, Node, deployment
from tests.cluster.test_cluster import token
from tests.cluster.test_dispatch_cluster import peer_on
from tests.hub.sockets import Peer

LEASE_S = 3.0  # short for the test, long enough for a loaded 2-core machine


@pytest.fixture
async def cluster(postgres_server: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    env = {
        "GRIDHUB_AUTH__ACCESS_TTL_S": "3600",
        "GRIDHUB_CALLS__LEASE_S": str(LEASE_S),
        "GRIDHUB_TIMERS__LEASE_S": "2",
    }
    with deployment(postgres_server, tmp_path, "gridhub_calls_", env) as nodes:
        yield nodes


def invite(callee_id: int, key: str) -> dict[str, Any]:
    return {"callee_id": callee_id, "media": "audio", "client_call_id": key}


async def test_races_are_decided_once_across_nodes_and_a_dead_nodes_call_ends(
    cluster: Cluster,
) -> None:
    """One deployment for both (seeding one costs tens of seconds on this machine)."""
    a, b = await cluster.start("a"), await cluster.start("b")
    phones = [await peer_on(a, "w01"), await peer_on(b, "w01")]
    callers = [await peer_on(a, "v01.lead"), await peer_on(b, "v01.cmd")]
    try:
        worker_id = await _id_of(a, "w01")
        await _races(phones, callers, worker_id)
        await _on_call_across_nodes(a, phones[1], callers[0], worker_id)
        await _node_dies(b, phones[0], callers, worker_id)
    finally:
        for peer in [*phones, *callers]:
            if peer.sio.connected:
                await peer.sio.disconnect()


async def _races(phones: list[Peer], callers: list[Peer], worker_id: int) -> None:
    """Invites from both nodes ring once, on both nodes' devices; one accept wins."""
    acks = await asyncio.gather(
        *(c.ok("call.invite", invite(worker_id, f"x-{i}")) for i, c in enumerate(callers))
    )
    assert sorted(ack["state"] for ack in acks) == ["ended", "ringing"]
    [rung] = [ack for ack in acks if ack["state"] == "ringing"]
    for phone in phones:
        assert (await phone.next("call.ringing"))["call_id"] == rung["call_id"]
    replies = await asyncio.gather(
        *(phone.call("call.accept", {"call_id": rung["call_id"]}) for phone in phones)
    )
    assert sorted(r["ok"] for r in replies) == [False, True]
    loser = phones[[r["ok"] for r in replies].index(False)]
    assert (await loser.next("call.answered_elsewhere"))["call_id"] == rung["call_id"]
    winner = callers[[ack["state"] for ack in acks].index("ringing")]
    await winner.ok("call.hangup", {"call_id": rung["call_id"]})
    for phone in phones:
        await phone.next(
            "call.state", lambda d: d["call_id"] == rung["call_id"] and d["state"] == "ended"
        )


async def _on_call_across_nodes(a: Node, phone_b: Peer, caller_a: Peer, worker_id: int) -> None:
    """Placed and hung up on a, answered on b: a commander sees both ends "on_call", then back
    (each node marks the other node's device through the shared presence book)."""
    commander = await peer_on(a, "v01.cmd")
    try:
        call_id = (await caller_a.ok("call.invite", invite(worker_id, "p-1")))["call_id"]
        await phone_b.next("call.ringing", lambda d: d["call_id"] == call_id)
        await phone_b.ok("call.accept", {"call_id": call_id})  # decided on b: a's caller too
        await _shown(commander, {"w01": "on_call", "v01.lead": "on_call"})
        who = await commander.ok("presence.who", {})
        states = {p["username"]: p["state"] for p in who["people"]}
        assert (states["w01"], states["v01.lead"]) == ("on_call", "on_call")
        await caller_a.ok("call.hangup", {"call_id": call_id})  # decided on a: b's phone too
        await _shown(commander, {"w01": "online", "v01.lead": "online"})
    finally:
        await commander.sio.disconnect()


async def _shown(commander: Peer, wanted: dict[str, str]) -> None:
    """Wait until the commander was told each person's wanted state (in any order)."""
    latest: dict[str, str] = {}
    while any(latest.get(name) != state for name, state in wanted.items()):
        change = await commander.next("presence.changed", lambda d: d["username"] in wanted)
        latest[change["username"]] = change["state"]


async def _node_dies(b: Node, phone: Peer, callers: list[Peer], worker_id: int) -> None:
    """Node b holds the caller's device and is killed: the call ends `node_lost` on a."""
    on_a, on_b = callers
    call_id = (await on_b.ok("call.invite", invite(worker_id, "k-1")))["call_id"]
    await phone.next("call.ringing", lambda d: d["call_id"] == call_id)
    await phone.ok("call.accept", {"call_id": call_id})
    # Signals cross nodes to the one device that holds each side of the call.
    offer = {"call_id": call_id, "kind": "offer", "sdp": "v=0 from b"}
    await on_b.ok("call.signal", offer)
    assert (await phone.next("call.signal"))["sdp"] == "v=0 from b"
    await phone.ok("call.signal", {**offer, "kind": "answer", "sdp": "v=0 from a"})
    assert (await on_b.next("call.signal"))["sdp"] == "v=0 from a"
    b.kill()  # no disconnect ever reaches the hub for the caller's device
    ended = await _ended(phone, call_id)
    assert (ended["outcome"], ended["reason"]) == ("answered", "node_lost")
    # The worker's line is free again: a caller on the surviving node rings them.
    again = await on_a.ok("call.invite", invite(worker_id, "k-2"))
    assert again["state"] == "ringing"


async def _ended(peer: Peer, call_id: int) -> dict[str, Any]:
    """The call's end, which may take a lease and a heartbeat (bounded by the waits)."""
    for _ in range(4):
        try:
            state: dict[str, Any] = await peer.next(
                "call.state", lambda d: d["call_id"] == call_id and d["state"] == "ended"
            )
            return state
        except TimeoutError:
            continue
    raise AssertionError(f"call {call_id} never ended")


async def _id_of(node: Node, username: str) -> int:
    bearer = {"Authorization": f"Bearer {await token(node, username)}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(node.url + "/api/v1/auth/me", headers=bearer) as me,
    ):
        return int((await me.json())["person_id"])
