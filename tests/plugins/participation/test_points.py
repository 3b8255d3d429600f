"""Points and the points shop: concurrent exchanges never overspend a balance or the stock,
retries with one key spend once, and awards by rule are credited exactly once."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.keys import PLUGINS
from hub.testing import HubClient, RunningHub
from hub.testing.fixtures import StartGridHub
from tests.plugins.participation.conftest import (
    API,
    VILLAGE,
    add_item,
    add_resident,
    add_rule,
    award,
    participation_hub,
    state_of,
)

CLIENTS_PER_RESIDENT = 3
TRIES_PER_CLIENT = 4


async def exchange(client: HubClient, item_id: int, key: str | None = None) -> tuple[int, Any]:
    body = {"item_id": item_id, **({"key": key} if key else {})}
    response = await client.post(f"{API}/shop/exchanges", json=body)
    return response.status, await response.json()


async def clients_of(hub: RunningHub, username: str) -> list[HubClient]:
    """Several HTTP clients signed in as one resident (sessions of their own)."""
    return [await hub.sign_in(username) for _ in range(CLIENTS_PER_RESIDENT)]


async def test_concurrent_exchanges_never_overspend_points_or_stock(
    start_gridhub: StartGridHub, database_url: str
) -> None:
    hub = await participation_hub(start_gridhub, database_url=database_url)
    officer = await hub.sign_in("v01.cmd")
    village = await hub.grid_id(VILLAGE)
    rule = await add_rule(officer, village, points=10)
    # Points run short: 100 points, cost 30, ample stock -> exactly three exchanges.
    rich = await add_resident(hub, "res.a")
    await award(officer, rich, rule["id"], 10)
    cheap = await add_item(officer, village, cost=30, stock=100)
    # Stock runs short: two residents with 100 points each, cost 10, stock 5 -> five exchanges.
    others = [await add_resident(hub, name) for name in ("res.b", "res.c")]
    for person in others:
        await award(officer, person, rule["id"], 10)
    scarce = await add_item(officer, village, cost=10, stock=5)

    tries = [
        exchange(c, cheap["id"])
        for c in await clients_of(hub, "res.a")
        for _ in range(TRIES_PER_CLIENT)
    ]
    for name in ("res.b", "res.c"):
        tries += [
            exchange(c, scarce["id"])
            for c in await clients_of(hub, name)
            for _ in range(TRIES_PER_CLIENT)
        ]
    answers = await asyncio.gather(*tries)

    per_resident = CLIENTS_PER_RESIDENT * TRIES_PER_CLIENT
    rich_answers, scarce_answers = answers[:per_resident], answers[per_resident:]
    assert sorted(s for s, _ in rich_answers) == [201] * 3 + [409] * (per_resident - 3)
    assert {a["error"]["code"] for s, a in rich_answers if s == 409} == {
        "participation.points_insufficient"
    }
    assert sorted(s for s, _ in scarce_answers) == [201] * 5 + [409] * (2 * per_resident - 5)
    assert {a["error"]["code"] for s, a in scarce_answers if s == 409} == {
        "participation.out_of_stock"
    }
    balances, stock = await state_of(officer, village)
    assert balances[rich] == 10
    assert stock[cheap["id"]] == 97
    assert stock[scarce["id"]] == 0
    won_by = [a["person_id"] for s, a in scarce_answers if s == 201]
    assert sum(balances[p] for p in others) == 200 - 5 * 10
    assert all(balances[p] == 100 - 10 * won_by.count(p) for p in others)
    exchanges = await officer.json("GET", f"{API}/shop/exchanges", params={"grid_id": village})
    assert len(exchanges["exchanges"]) == 8
    mine = await (await hub.sign_in("res.a")).json("GET", f"{API}/points/mine")
    assert sum(e["delta"] for e in mine["ledger"]) == 10  # the ledger adds up to the balance
    assert [a["balance"] for a in mine["accounts"]] == [10]


async def test_a_retried_exchange_or_award_counts_once(start_gridhub: StartGridHub) -> None:
    hub = await participation_hub(start_gridhub)
    officer = await hub.sign_in("v01.cmd")
    village = await hub.grid_id(VILLAGE)
    rule = await add_rule(officer, village, points=5)
    person = await add_resident(hub, "res.retry")
    first = await award(officer, person, rule["id"], 4, key="award-key-0001")
    again = await award(officer, person, rule["id"], 4, key="award-key-0001")
    assert (first["duplicate"], first["delta"], first["balance"]) == (False, 20, 20)
    assert (again["duplicate"], again["delta"], again["balance"]) == (True, 0, 20)

    item = await add_item(officer, village, cost=7, stock=10)
    clients = await clients_of(hub, "res.retry")
    answers = await asyncio.gather(*(exchange(c, item["id"], "exchange-key-01") for c in clients))
    assert {s for s, _ in answers} == {201}
    assert len({a["id"] for _, a in answers}) == 1  # one exchange, answered to every retry
    assert sorted(a["duplicate"] for _, a in answers) == [False] + [True] * (len(answers) - 1)
    balances, stock = await state_of(officer, village)
    assert balances[person] == 13
    assert stock[item["id"]] == 9


async def test_demo_shop_exchange_handed_over_once(start_gridhub: StartGridHub) -> None:
    hub = await participation_hub(start_gridhub)
    assert "participation" in await hub.app[PLUGINS].seed_demo_all()
    await hub.app[PLUGINS].seed_demo_all()  # every start of gridhub demo: no doubles
    officer = await hub.sign_in("v01.cmd")
    village = await hub.grid_id(VILLAGE)
    resident = await hub.sign_in("r01")  # the demo's resident of 东庄村, with seeded points
    shop = await resident.json("GET", f"{API}/shop/items")
    assert shop["items"]
    assert {i["grid_id"] for i in shop["items"]} == {village}
    assert len(shop["items"]) == 4
    upcoming = (await resident.json("GET", f"{API}/activities"))["activities"]
    assert [(a["grid_id"], a["state"], a["taken"]) for a in upcoming] == [(village, "open", 0)]
    before = (await resident.json("GET", f"{API}/points/mine"))["accounts"]
    assert [(a["grid_id"], a["balance"]) for a in before] == [(village, 90)]
    towel = next(i for i in shop["items"] if i["name"] == "毛巾")
    placed = await resident.json("POST", f"{API}/shop/exchanges", json={"item_id": towel["id"]})
    path = f"{API}/shop/exchanges/{placed['id']}/hand-over"
    handed = await officer.json("POST", path)
    assert handed["state"] == "handed_over"
    assert handed["handed_at"]
    assert await officer.refused("POST", path) == (409, "participation.already_handed_over")
    mine = await resident.json("GET", f"{API}/points/mine")
    assert [(x["id"], x["state"]) for x in mine["exchanges"]] == [(placed["id"], "handed_over")]
    assert [a["balance"] for a in mine["accounts"]] == [90 - towel["cost"]]
