"""Cluster mode: the field work on two real `gridhub serve` nodes sharing PostgreSQL and Redis.
A visit recorded on node a falls due; the sweep run on a reminds w01 connected to node b; the
overdue reaches the village console on node a from a sweep on b; a proposal made on a is
approved on b and its proposer hears it on b."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.demo_data import DEMO_PASSWORD
from hub.testing import HubClient, SocketClient, sign_in
from tests.cluster.nodes import Cluster, Node, deployment
from tests.plugins.archives.conftest import API, BASIC, ID_WOMAN, person

pytestmark = pytest.mark.postgres


@pytest.fixture
async def cluster(postgres_server: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    env = {"GRIDHUB_PLUGINS__ENABLED": '["archives", "dispatch"]'}
    with deployment(postgres_server, tmp_path, "gridhub_archives_", env) as nodes:
        yield nodes


async def socket_on(node: Node, username: str) -> SocketClient:
    client = await sign_in(node.url, username, DEMO_PASSWORD)
    socket = SocketClient()
    await socket.connect(node.url, client.token)
    await client.close()
    return socket


async def grid_id(client: HubClient, code: str) -> int:
    found = await client.json("GET", "/api/v1/grids")
    return next(int(g["id"]) for g in found if g["code"] == code)


async def test_visits_and_changes_across_two_nodes(cluster: Cluster) -> None:
    a, b = await cluster.start_together("a", "b")
    clients: list[HubClient] = []
    sockets: list[SocketClient] = []
    try:

        async def signed(node: Node, username: str) -> HubClient:
            clients.append(await sign_in(node.url, username, DEMO_PASSWORD))
            return clients[-1]

        admin_a, admin_b = await signed(a, "admin"), await signed(b, "admin")
        county, worker = await signed(a, "county.cmd"), await signed(a, "w01")
        leader_b = await signed(b, "v01.lead")
        sockets += [await socket_on(b, "w01"), await socket_on(a, "v01.cmd")]
        w01_on_b, console_on_a = sockets
        basic = await grid_id(county, BASIC)
        body = person(basic, ID_WOMAN, name="李桂芝", tags=["elderly_alone"])
        rid = (await county.json("POST", f"{API}/residents", json=body))["id"]
        eight_days = (datetime.now(UTC) - timedelta(days=8)).isoformat()
        await worker.json(
            "POST",
            f"{API}/visits",
            json={
                "subject_type": "person",
                "subject_id": rid,
                "client_id": "cluster-visit-01",
                "visited_at": eight_days,
            },
        )

        await admin_a.json("POST", f"{API}/visits/sweep", json={})
        due = await w01_on_b.next("archives.visit_due", lambda d: d["subject_id"] == rid)
        assert due["name"] == "李桂芝"
        tag: dict[str, Any] = {
            "code": "elderly_alone",
            "name_zh": "独居老人",
            "name_en": "Elderly living alone",
            "care_level": 2,
            "visit_interval_days": 5,
            "visible_roles": ["grid_worker", "grid_leader", "commander"],
        }
        await admin_b.json("PUT", f"{API}/tags", json=tag)
        swept = await admin_b.json("POST", f"{API}/visits/sweep", json={})
        assert swept["reminded"] == 0
        late = await console_on_a.next("archives.visit_overdue", lambda d: d["subject_id"] == rid)
        assert late["grid_id"] == basic

        change = await worker.json(
            "POST",
            f"{API}/changes",
            json={"target_type": "person", "target_id": rid, "fields": {"occupation": "退休"}},
        )
        approved = await leader_b.json("POST", f"{API}/changes/{change['id']}/approve")
        assert approved["version"] == 2
        heard = await w01_on_b.next("archives.change_decided")
        assert (heard["change_id"], heard["state"]) == (change["id"], "approved")
        card = await county.json("GET", f"{API}/residents/{rid}")
        assert (card["occupation"], card["version"]) == ("退休", 2)
    finally:
        for socket in sockets:
            await socket.close()
        for client in clients:
            await client.close()
