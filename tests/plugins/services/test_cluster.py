"""Cluster mode: two real `gridhub serve` nodes on PostgreSQL and Redis share the venues. Fifty
residents book one slot through both nodes at once and exactly one wins; the booking's live push
reaches an officer connected to the other node, who approves it there."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import socketio

from tests.cluster.nodes import Cluster, Node, deployment
from tests.cluster.test_cluster import token

pytestmark = pytest.mark.postgres

API = "/api/v1/services"
VILLAGE = "370783-001-001"
WAIT = 20.0
BOOKINGS = 50
CONFIG = {"services": {"public_submit_per_minute": 1000, "public_lookup_per_minute": 1000}}


@pytest.fixture
async def cluster(postgres_server: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    env = {
        "GRIDHUB_AUTH__ACCESS_TTL_S": "3600",
        "GRIDHUB_PLUGINS__ENABLED": json.dumps(["services", "dispatch"]),
        "GRIDHUB_PLUGINS__CONFIG": json.dumps(CONFIG),
    }
    with deployment(postgres_server, tmp_path, "gridhub_svc_", env) as nodes:
        yield nodes


async def call(node: Node, method: str, path: str, bearer: str | None = None,
               body: Any = None) -> tuple[int, Any]:  # fmt: skip
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, node.url + path, json=body, headers=headers) as response,
    ):
        return response.status, await response.json()


async def village_id(node: Node, bearer: str) -> int:
    status, grids = await call(node, "GET", "/api/v1/grids", bearer)
    assert status == 200, grids
    return next(int(g["id"]) for g in grids if g["code"] == VILLAGE)


async def test_two_nodes_one_slot_one_winner_approved_across_nodes(cluster: Cluster) -> None:
    a, b = await cluster.start_together("a", "b")
    officer_a, officer_b = await token(a, "v01.cmd"), await token(b, "v01.cmd")
    spec = {"grid_id": await village_id(a, officer_a), "name": "东庄村文化大院", "capacity": 60,
            "opens": "08:00", "closes": "21:00"}  # fmt: skip
    status, venue = await call(a, "POST", f"{API}/venues", officer_a, spec)
    assert status == 201, venue
    sio, pushes = socketio.AsyncClient(reconnection=False), asyncio.Queue[Any]()
    sio.on("services.booking", pushes.put_nowait)
    await sio.connect(b.url, auth={"token": officer_b}, transports=["websocket"],
                      wait_timeout=WAIT)  # fmt: skip
    try:
        day = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date().isoformat()
        body = {"day": day, "start": "19:00", "purpose": "广场舞", "attendees": 30,
                "name": "王秀兰", "phone": "13800001234"}  # fmt: skip
        path = f"{API}/public/venues/{venue['id']}/bookings"
        answers = await asyncio.gather(
            *(call((a, b)[k % 2], "POST", path, None, body) for k in range(BOOKINGS))
        )
        won = [answer for status, answer in answers if status == 201]
        refused = [answer["error"]["code"] for status, answer in answers if status != 201]
        assert len(won) == 1, answers
        assert refused == ["services.slot_taken"] * (BOOKINGS - 1), answers
        pushed = await asyncio.wait_for(pushes.get(), WAIT)  # made on a or b, heard on b
        assert (pushed["id"], pushed["state"]) == (won[0]["id"], "pending")
        decision = {"decision": "approve"}
        status, approved = await call(b, "POST", f"{API}/bookings/{won[0]['id']}/decision",
                                      officer_b, decision)  # fmt: skip
        assert (status, approved["state"]) == (200, "approved")
        status, listed = await call(a, "GET", f"{API}/bookings", officer_a)
        assert [(x["id"], x["state"]) for x in listed["bookings"]] == [(won[0]["id"], "approved")]
    finally:
        await sio.disconnect()
