"""The dispatch lifecycle across two nodes: the commander on one, the worker on the other."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from tests.cluster.nodes import Cluster, Node
from tests.cluster.test_cluster import token
from tests.hub.sockets import Peer

WAIT = 15.0


async def peer_on(node: Node, username: str) -> Peer:
    peer = Peer()
    await peer.sio.connect(
        node.url, auth={"token": await token(node, username)}, transports=["websocket"],
        wait_timeout=WAIT,
    )  # fmt: skip
    return peer


def about(incident_id: int, action: str) -> Any:
    return lambda e: e["incident"]["id"] == incident_id and e["action"] == action


async def act(peer: Peer, incident: dict[str, Any], action: str, **body: Any) -> dict[str, Any]:
    data = {"incident_id": incident["id"], "action": action, "version": incident["version"]}
    reply = await peer.call("dispatch.act", {**data, **body})
    assert reply["ok"] is True, reply
    result: dict[str, Any] = reply["incident"]
    return result


async def test_lifecycle_with_commander_and_worker_on_different_nodes(cluster: Cluster) -> None:
    a, b = await cluster.start("a"), await cluster.start("b")
    commander, worker = await peer_on(a, "v01.cmd"), await peer_on(b, "w01")
    verifier = await peer_on(b, "v01.lead")
    try:
        reply = await worker.call("dispatch.report", {
            "title": "路灯损坏", "category": "road_facility", "grid": "370783-001-001-01",
        })  # fmt: skip
        incident = reply["incident"]
        await commander.next("dispatch.incident", about(incident["id"], "reported"))
        incident = await act(commander, incident, "register")
        w01 = (await worker.call("dispatch.get", {"incident_id": incident["id"]}))["incident"]
        incident = await act(commander, incident, "dispatch", assignees=[
            {"kind": "person", "target": str(w01["reporter_id"])}])  # fmt: skip
        await worker.next("dispatch.incident", about(incident["id"], "dispatch"))
        for action, extra in [("sign", {}), ("en_route", {}), ("on_scene", {}),
                              ("handle", {"note": "已更换灯泡"})]:  # fmt: skip
            incident = await act(worker, incident, action, **extra)
            await commander.next("dispatch.incident", about(incident["id"], action))
        incident = await act(verifier, incident, "verify", passed=True)
        await commander.next("dispatch.incident", about(incident["id"], "verify"))
        incident = await act(commander, incident, "close")
        closed = await worker.next("dispatch.incident", about(incident["id"], "close"))
        assert closed["incident"]["state"] == "closed"
        await _one_wins_across_nodes(a, b)
    finally:
        for peer in (commander, worker, verifier):
            await peer.sio.disconnect()


async def _one_wins_across_nodes(a: Node, b: Node) -> None:
    """Two commanders on two nodes act on the same version at once: one wins."""
    async with aiohttp.ClientSession() as http:
        village = {"Authorization": f"Bearer {await token(a, 'v01.cmd')}"}
        town = {"Authorization": f"Bearer {await token(b, 'town1.cmd')}"}
        body = {"title": "占道经营", "category": "other", "grid": "370783-001-001-02"}
        async with http.post(f"{b.url}/api/v1/dispatch/incidents",
                             json={**body, "source": "field"},
                             headers={"Authorization": f"Bearer {await token(b, 'w02')}"},
                             ) as response:  # fmt: skip
            incident = await response.json()
            assert response.status == 201, incident

        async def post(node: Node, headers: dict[str, str], action: str, note: str) -> int:
            url = f"{node.url}/api/v1/dispatch/incidents/{incident['id']}/actions/{action}"
            payload = {"version": incident["version"], "note": note}
            async with http.post(url, json=payload, headers=headers) as response:
                await response.read()
                return response.status

        statuses = await asyncio.gather(
            post(a, village, "register", ""), post(b, town, "reject", "重复")
        )
    assert sorted(statuses) == [200, 409]
