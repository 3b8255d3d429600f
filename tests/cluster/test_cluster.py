"""Three real nodes on PostgreSQL and Redis; one is killed with SIGKILL mid-traffic."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from tests.cluster.nodes import Cluster, Node
from tests.hub.conftest import DEMO_PASSWORD

WAIT = 15.0
TOTAL = 150
ON_TIME_S = 1.0  # a timer due on a live node fires within this
# Who fired one timer: a survivor, or b before it died; both only if b died before deleting it.
ONCE_OR_BS_AGAIN = (["a"], ["c"], ["b"], ["a", "b"], ["b", "c"])


class Member:
    """A socket.io client on one node that records channel messages by offset."""

    def __init__(self, channel_id: int | None = None) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.channel_id = channel_id
        self.live: list[int] = []
        self.arrived = asyncio.Condition()
        self.presence: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sio.on("channel.message", self._message)
        self.sio.on("presence.changed", self.presence.put_nowait)

    async def _message(self, message: dict[str, Any]) -> None:
        if message["channel_id"] == self.channel_id:
            async with self.arrived:
                self.live.append(message["offset"])
                self.arrived.notify_all()

    async def until(self, count: int, also: set[int] | None = None) -> None:
        """Wait until `count` distinct offsets are known (live, plus `also` if given)."""
        known = also or set()
        async with self.arrived:
            await asyncio.wait_for(
                self.arrived.wait_for(lambda: len(known | set(self.live)) >= count), WAIT
            )

    async def call(self, event: str, data: Any) -> dict[str, Any]:
        reply: dict[str, Any] = await self.sio.call(event, data, timeout=WAIT)
        assert reply["ok"] is True, reply
        return reply


async def token(node: Node, username: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            node.url + "/api/v1/auth/login",
            json={"username": username, "password": DEMO_PASSWORD},
        ) as response,
    ):
        body = await response.json()
        assert response.status == 200, body
        return str(body["access_token"])


async def member_on(node: Node, username: str, channel_id: int | None = None) -> Member:
    member = Member(channel_id)
    await member.sio.connect(
        node.url,
        auth={"token": await token(node, username)},
        transports=["websocket"],
        wait_timeout=WAIT,
    )
    return member


async def village_channel(member: Member) -> int:
    channels = (await member.call("channel.list", {}))["channels"]
    return int(next(c["id"] for c in channels if c["kind"] == "grid" and c["name"] == "东庄村"))


async def send_all(sender: Member, channel_id: int) -> None:
    for i in range(TOTAL):
        await sender.call(
            "channel.send",
            {
                "channel_id": channel_id,
                "client_msg_id": f"m{i}",
                "kind": "text",
                "body": {"text": f"#{i}"},
            },
        )
        await asyncio.sleep(0.005)  # pacing, so the kill lands mid-traffic


async def test_clients_of_a_killed_node_reconnect_and_recover_everything(
    cluster: Cluster,
) -> None:
    a, b, c = [await cluster.start(name) for name in ("a", "b", "c")]
    sender = await member_on(a, "w01")
    channel_id = await village_channel(sender)
    sender.channel_id = channel_id
    on_b = await member_on(b, "w02", channel_id)
    on_c = await member_on(c, "w03", channel_id)
    traffic = asyncio.create_task(send_all(sender, channel_id))
    await on_b.until(30)
    b.kill()
    await asyncio.wait_for(on_b.sio.wait(), WAIT)
    before = sorted(set(on_b.live))
    moved = await member_on(c, "w02", channel_id)
    position = {"channel_id": channel_id, "offset": before[-1], "epoch": None}
    epoch = (await moved.call("channel.history", {"channel_id": channel_id, "limit": 1}))["epoch"]
    position["epoch"] = epoch
    result = (await moved.call("channel.recover", {"channels": [position]}))["results"][0]
    assert result["recovered"] is True
    await traffic
    recovered = [m["offset"] for m in result["messages"]]
    await moved.until(TOTAL, also=set(before) | set(recovered))
    # The client merges recovered and live messages by offset (docs/protocol.md).
    merged = before + recovered + [o for o in moved.live if o > (recovered or before)[-1]]
    assert merged == list(range(1, TOTAL + 1))  # nothing lost, nothing twice, in order
    await on_c.until(TOTAL)
    assert on_c.live == list(range(1, TOTAL + 1))
    assert before == list(range(1, len(before) + 1))
    for member in (sender, on_c, moved):
        await member.sio.disconnect()


async def test_presence_is_shared_and_a_dead_nodes_people_go_offline(cluster: Cluster) -> None:
    a, b = [await cluster.start(name) for name in ("a", "b")]
    commander = await member_on(a, "v01.cmd")
    worker = await member_on(b, "w02")
    online = await asyncio.wait_for(_next_for(commander, "w02"), WAIT)
    assert online["state"] == "online"
    also = await member_on(a, "w02")  # a second device, on the other node
    await also.call("presence.set", {"state": "busy"})
    busy = await asyncio.wait_for(_next_for(commander, "w02"), WAIT)
    assert (busy["state"], busy["devices"]) == ("busy", 2)
    await also.sio.disconnect()
    assert (await asyncio.wait_for(_next_for(commander, "w02"), WAIT))["state"] == "online"
    b.kill()
    gone = await asyncio.wait_for(_next_for(commander, "w02"), WAIT)
    assert (gone["state"], gone["devices"]) == ("offline", 0)
    del worker
    await commander.sio.disconnect()


async def _next_for(member: Member, username: str) -> dict[str, Any]:
    while True:
        event = await member.presence.get()
        if event["username"] == username:
            return event


async def test_timers_scheduled_on_a_killed_node_all_fire_on_time(cluster: Cluster) -> None:
    """b schedules five timers due 3 s later and is killed at once. The timers are durable:
    each fires, never early, and b's death loses none. Normally all fire on a and c; if
    the machine stalled past their time before the kill, b may have fired some itself. A
    timer b fired and died before deleting fires again on a survivor once b's lease runs out
    (delivery is at-least-once, hub/timers.py); every other timer fires exactly once."""
    a, b, c = [await cluster.start(name) for name in ("a", "b", "c")]
    due = time.time() + 3.0
    keys = [f"t{i}" for i in range(5)]
    async with aiohttp.ClientSession() as http:
        for i, key in enumerate(keys):
            async with http.post(
                b.url + "/api/v1/timerprobe/schedule", json={"key": key, "fire_at": due + i * 0.2}
            ) as response:
                assert response.status == 200, await response.text()
    b.kill()
    killed_at = time.time()
    # b's claims (all made before killed_at) are free again by then; the survivors fire them
    leases_out = killed_at + float(cluster.extra_env["GRIDHUB_TIMERS__LEASE_S"])
    fired = await _fired(cluster.workdir.parent / "fired.jsonl", keys, leases_out + ON_TIME_S)
    assert {f["key"] for f in fired} == set(keys)
    for key in keys:
        firings = [f for f in fired if f["key"] == key]
        assert sorted(f["node"] for f in firings) in ONCE_OR_BS_AGAIN, (key, firings)
        for firing in firings:
            _on_time(firing, killed_at, leases_out)
    del a, c


def _on_time(firing: dict[str, Any], killed_at: float, leases_out: float) -> None:
    """Never early; b's before it died; a survivor's when due, or once b's claim ran out."""
    assert firing["fired_at"] >= firing["fire_at"], firing
    if firing["node"] == "b":
        assert firing["fired_at"] < killed_at, firing
    else:
        limit = max(firing["fire_at"], leases_out) + ON_TIME_S
        assert firing["fired_at"] < limit, (firing, killed_at)


async def _fired(path: Path, keys: list[str], quiet_at: float) -> list[dict[str, Any]]:
    """The firings logged once every key fired and, after `quiet_at` (when no lease of b's
    is left to run out), a settle time passed: a duplicate firing would show up by then."""
    deadline = time.monotonic() + WAIT
    fired: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        fired = [json.loads(line) for line in await asyncio.to_thread(_lines, path)]
        if {f["key"] for f in fired} >= set(keys):
            await asyncio.sleep(max(0.0, quiet_at - time.time()) + 1.0)
            return [json.loads(line) for line in await asyncio.to_thread(_lines, path)]
        await asyncio.sleep(0.1)
    raise AssertionError(f"only {sorted({f['key'] for f in fired})} of {keys} fired")


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []
