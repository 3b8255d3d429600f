"""Fixtures: demo-county hubs running the participation plugin (by its entry point), helpers."""

from __future__ import annotations

from typing import Any

from hub.testing import HubClient, RunningHub
from hub.testing.fixtures import (  # noqa: F401  (fixtures)
    StartGridHub,
    gridhub_demo_template,
    start_gridhub,
)

VILLAGE = "370783-001-001"  # 东庄村: v01.cmd commands it
VILLAGE_GRID = "370783-001-001-01"  # 东庄村第一网格: r01 is a resident there
OTHER_VILLAGE = "370783-001-002"  # 王家村: v02.cmd
OTHER_GRID = "370783-001-002-03"
API = "/api/v1/participation"


async def participation_hub(start: StartGridHub, **options: Any) -> RunningHub:
    return await start(["participation"], demo=options.pop("demo", True), **options)


async def add_resident(hub: RunningHub, username: str, grid: str = VILLAGE_GRID) -> int:
    return await hub.add_person(username, [("resident", grid)], display_name=f"居民{username}")


async def add_rule(officer: HubClient, grid_id: int, points: int = 10, **fields: Any) -> Any:
    spec = {
        "grid_id": grid_id,
        "kind": "conduct",
        "title": "测试好人好事",
        "points": points,
        **fields,
    }
    return await officer.json("POST", f"{API}/points/rules", json=spec)


async def add_item(officer: HubClient, grid_id: int, cost: int, stock: int) -> Any:
    spec = {"grid_id": grid_id, "name": "洗衣粉", "cost": cost, "stock": stock}
    return await officer.json("POST", f"{API}/shop/items", json=spec)


async def award(
    officer: HubClient, person_id: int, rule_id: int, quantity: int, **more: Any
) -> Any:
    spec = {"person_id": person_id, "rule_id": rule_id, "quantity": quantity, **more}
    return await officer.json("POST", f"{API}/points/awards", json=spec)


async def state_of(officer: HubClient, grid_id: int) -> tuple[dict[int, int], dict[int, int]]:
    """(balance by person, stock by item) in a village, as officers see them."""
    accounts = await officer.json("GET", f"{API}/points/accounts", params={"grid_id": grid_id})
    items = await officer.json("GET", f"{API}/shop/items", params={"grid_id": grid_id})
    return (
        {a["person_id"]: a["balance"] for a in accounts["accounts"]},
        {i["id"]: i["stock"] for i in items["items"]},
    )


async def add_volunteer(
    hub: RunningHub, officer: HubClient, username: str, grid: str = VILLAGE_GRID
) -> tuple[HubClient, dict[str, Any]]:
    """A new resident of `grid`'s village registered as a volunteer and approved."""
    await add_resident(hub, username, grid)
    client = await hub.sign_in(username)
    village = await hub.grid_id(grid.rsplit("-", 1)[0])
    spec = {"grid_id": village, "skills": ["跑腿"], "availability": "周末"}
    row = await client.json("POST", f"{API}/volunteers", json=spec)
    decided = await officer.json(
        "POST", f"{API}/volunteers/{row['id']}/decision", json={"approve": True}
    )
    return client, decided
