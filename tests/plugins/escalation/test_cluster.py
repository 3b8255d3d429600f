"""Cluster mode: an SOS chain climbs on time after the node that ran its step is SIGKILLed.

Three real `gridhub serve` nodes on PostgreSQL and Redis; the escalation plugin is loaded
through its real entry point (pyproject), configured through the environment. Any node may
claim a step's timer (the one that scheduled it, or another whose poll came first), so the
test kills whichever node ran the first step, as the audit says, and expects the rest of the
chain on the survivors.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from tests.cluster.nodes import Cluster, Node, deployment
from tests.cluster.test_cluster import token

WAIT = 20.0
STEPS = (0.0, 4.0, 5.0)  # village, town, county; b dies right after the first
POLICY = {
    "name": "sos-fast",
    "trigger": "sos",
    "steps": [
        {"level": level, "after_s": after}
        for level, after in zip(("village", "town", "county"), STEPS, strict=True)
    ],
}

pytestmark = pytest.mark.postgres


@pytest.fixture
async def cluster(postgres_server: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    env = {
        "GRIDHUB_AUTH__ACCESS_TTL_S": "3600",
        "GRIDHUB_TIMERS__LEASE_S": "2",
        "GRIDHUB_PLUGINS__CONFIG": json.dumps({"escalation": {"policies": [POLICY]}}),
    }
    with deployment(postgres_server, tmp_path, "gridhub_esc_", env) as nodes:
        yield nodes


async def socket_on(node: Node, username: str) -> tuple[socketio.AsyncClient, asyncio.Queue[Any]]:
    sio, alerts = socketio.AsyncClient(reconnection=False), asyncio.Queue[Any]()
    sio.on("escalation.alert", alerts.put_nowait)
    auth = {"token": await token(node, username)}
    await sio.connect(node.url, auth=auth, transports=["websocket"], wait_timeout=WAIT)
    return sio, alerts


async def steps(node: Node, token: str) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            node.url + "/api/v1/audit",
            params={"action": "escalation.chain.step"},
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        assert response.status == 200
        found: list[dict[str, Any]] = await response.json()
    return sorted((e["details"] for e in found), key=lambda d: d["step"])


async def test_a_chain_continues_on_time_after_its_node_is_killed(cluster: Cluster) -> None:
    nodes = {name: await cluster.start(name) for name in ("a", "b", "c")}
    admin = await token(nodes["a"], "admin")
    # Town and county commanders listen on every node: whichever node dies, each still has
    # a socket on a survivor.
    town = {name: await socket_on(node, "town1.cmd") for name, node in nodes.items()}
    county = {name: await socket_on(node, "county.cmd") for name, node in nodes.items()}
    worker, _ = await socket_on(nodes["b"], "w01")
    reply = await worker.call("escalation.sos.raise", {"lat": 36.9, "lon": 118.6}, timeout=WAIT)
    assert reply["ok"] is True, reply
    first = await first_step(nodes["a"], admin)
    ran_it = str(first["node"])
    nodes[ran_it].kill()  # the node that ran step 0 and scheduled step 1
    survivors = [name for name in nodes if name != ran_it]

    for (_sio, alerts), step in ((town[survivors[0]], 1), (county[survivors[-1]], 2)):
        alert = await asyncio.wait_for(alerts.get(), WAIT)
        assert alert["step"] == step
        assert time.time() - (alert["started_at"] + STEPS[step]) < 1.0
    await asyncio.sleep(1.0)  # an absence: a duplicate step would show up within this window
    done = await steps(nodes[survivors[0]], admin)
    assert [d["step"] for d in done] == [0, 1, 2]  # each step once
    assert {d["node"] for d in done[1:]} <= set(survivors)
    assert max(d["fired_at"] - d["due_at"] for d in done) < 1.0
    for name in survivors:
        for sio, _alerts in (town[name], county[name]):
            await sio.disconnect()


async def first_step(node: Node, admin: str) -> dict[str, Any]:
    """Step 0's audit entry, once some node has run it (it is due at once)."""
    deadline = time.monotonic() + WAIT
    while not (done := await steps(node, admin)):
        assert time.monotonic() < deadline, "the first step never ran"
        await asyncio.sleep(0.1)
    assert done[0]["step"] == 0
    return done[0]
