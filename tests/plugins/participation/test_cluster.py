"""Cluster mode: two real `gridhub serve` nodes on PostgreSQL and Redis share one points ledger.
One resident exchanges points through both nodes at once, from several sessions: exactly as
many exchanges win as the balance pays for, and the balance, the stock and the ledger agree."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.cluster.nodes import Cluster, Node, deployment
from tests.cluster.test_cluster import token

pytestmark = pytest.mark.postgres

API = "/api/v1/participation"
VILLAGE = "370783-001-001"  # r01 is a resident of 东庄村 (its first grid)
TRIES = 16
COST = 30


@pytest.fixture
async def cluster(postgres_server: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    env = {
        "GRIDHUB_AUTH__ACCESS_TTL_S": "3600",
        "GRIDHUB_PLUGINS__ENABLED": json.dumps(["participation"]),
    }
    with deployment(postgres_server, tmp_path, "gridhub_pp_", env) as nodes:
        yield nodes


async def call(
    node: Node, method: str, path: str, bearer: str, body: Any = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {bearer}"}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, node.url + path, json=body, headers=headers) as response,
    ):
        return response.status, await response.json()


async def ok(node: Node, method: str, path: str, bearer: str, body: Any = None) -> Any:
    status, answer = await call(node, method, path, bearer, body)
    assert status < 300, answer
    return answer


async def test_two_nodes_never_overspend_one_balance(cluster: Cluster) -> None:
    a, b = await cluster.start_together("a", "b")
    officer = await token(a, "v01.cmd")
    grids = await ok(a, "GET", "/api/v1/grids", officer)
    village = next(int(g["id"]) for g in grids if g["code"] == VILLAGE)
    rule = await ok(
        a,
        "POST",
        f"{API}/points/rules",
        officer,
        {"grid_id": village, "kind": "conduct", "title": "集群测试", "points": 10},
    )
    resident = [await token((a, b)[k % 2], "r01") for k in range(4)]  # sessions on both nodes
    r01 = (await ok(a, "GET", "/api/v1/auth/me", resident[0]))["person_id"]
    await ok(
        b,
        "POST",
        f"{API}/points/awards",
        officer,
        {"person_id": r01, "rule_id": rule["id"], "quantity": 10},
    )
    item = await ok(
        a,
        "POST",
        f"{API}/shop/items",
        officer,
        {"grid_id": village, "name": "食用油", "cost": COST, "stock": 100},
    )
    before = (await ok(b, "GET", f"{API}/points/mine", resident[1]))["accounts"][0]["balance"]
    assert before >= 100

    answers = await asyncio.gather(
        *(
            call(
                (a, b)[k % 2],
                "POST",
                f"{API}/shop/exchanges",
                resident[k % 4],
                {"item_id": item["id"]},
            )
            for k in range(TRIES)
        )
    )
    wins = min(before // COST, TRIES)
    assert sorted(s for s, _ in answers) == [201] * wins + [409] * (TRIES - wins), answers
    mine = await ok(a, "GET", f"{API}/points/mine", resident[0])
    assert mine["accounts"][0]["balance"] == before - wins * COST
    assert sum(e["delta"] for e in mine["ledger"]) == mine["accounts"][0]["balance"]
    items = await ok(b, "GET", f"{API}/shop/items", officer)
    assert next(i["stock"] for i in items["items"] if i["id"] == item["id"]) == 100 - wins
