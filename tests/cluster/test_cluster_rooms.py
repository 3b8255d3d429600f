"""A role change made on one node moves the person's sockets on another node."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import socketio

from tests.cluster.nodes import Cluster, Node
from tests.cluster.test_cluster import token

WAIT = 15.0
VILLAGE = "370783-001-001"


class Socket:
    """A socket.io client on one node that queues the events this test looks at."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, asyncio.Queue[Any]] = {}
        for event in ("location.changed", "auth.grants_changed"):
            self.sio.on(event, self.queue(event).put_nowait)

    def queue(self, event: str) -> asyncio.Queue[Any]:
        return self.events.setdefault(event, asyncio.Queue())

    async def ok(self, event: str, data: Any) -> dict[str, Any]:
        reply: dict[str, Any] = await self.sio.call(event, data, timeout=WAIT)
        assert reply["ok"] is True, reply
        return reply


async def socket_on(node: Node, username: str) -> Socket:
    peer = Socket()
    auth = {"token": await token(node, username)}
    await peer.sio.connect(node.url, auth=auth, transports=["websocket"], wait_timeout=WAIT)
    return peer


async def fed(listener: Socket, worker: Socket) -> bool:
    """Does `listener` get the command feed of `worker`'s next report? (A later ack on the
    listener's own socket comes after anything emitted to it before.)"""
    while not listener.queue("location.changed").empty():
        listener.queue("location.changed").get_nowait()
    await worker.ok("location.report", {"lat": 36.9, "lon": 118.7})
    await listener.ok("presence.activity", {})
    return not listener.queue("location.changed").empty()


async def test_a_commander_demoted_on_one_node_leaves_the_feed_on_another(
    cluster: Cluster,
) -> None:
    first, second = await cluster.start("a"), await cluster.start("b")
    commander = await socket_on(second, "v01.cmd")
    worker = await socket_on(second, "w01")
    try:
        assert await fed(commander, worker)
        admin = {"Authorization": f"Bearer {await token(first, 'admin')}"}
        async with aiohttp.ClientSession(headers=admin) as http:
            async with http.get(first.url + "/api/v1/people") as response:
                people = {p["username"]: p["id"] for p in await response.json()}
            roles = {"roles": [{"role": "grid_leader", "grid": VILLAGE}]}
            url = f"{first.url}/api/v1/people/{people['v01.cmd']}"
            async with http.patch(url, json=roles) as response:
                assert response.status == 200, await response.text()
        changed = await asyncio.wait_for(commander.queue("auth.grants_changed").get(), WAIT)
        assert [g["role"] for g in changed["grants"]] == ["grid_leader"]
        assert not await fed(commander, worker)
    finally:
        await commander.sio.disconnect()
        await worker.sio.disconnect()
