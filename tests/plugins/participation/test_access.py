"""Scope and roles of points and the shop, and bad input refused with nothing changed."""

from __future__ import annotations

from hub.testing.fixtures import StartGridHub
from tests.plugins.participation.conftest import (
    API,
    OTHER_GRID,
    OTHER_VILLAGE,
    VILLAGE,
    add_item,
    add_resident,
    add_rule,
    award,
    participation_hub,
    state_of,
)


async def test_scope_and_roles(start_gridhub: StartGridHub) -> None:
    hub = await participation_hub(start_gridhub)
    officer = await hub.sign_in("v01.cmd")
    village, other = await hub.grid_id(VILLAGE), await hub.grid_id(OTHER_VILLAGE)
    rule = await add_rule(officer, village)
    item = await add_item(officer, village, cost=10, stock=3)
    person = await add_resident(hub, "res.scope")
    await award(officer, person, rule["id"], 5)
    stranger = await add_resident(hub, "res.stranger", OTHER_GRID)
    resident, neighbour = await hub.sign_in("res.scope"), await hub.sign_in("res.stranger")
    worker, elsewhere = await hub.sign_in("w01"), await hub.sign_in("v02.cmd")
    awarding = {"person_id": person, "rule_id": rule["id"], "quantity": 1}

    assert await hub.anonymous().refused("GET", f"{API}/points/mine") == (401, "auth.required")
    assert await resident.refused("POST", f"{API}/points/awards", json=awarding) == (
        403,
        "auth.role_required",
    )
    assert await worker.refused("GET", f"{API}/points/accounts") == (403, "auth.role_required")
    assert await elsewhere.refused("POST", f"{API}/points/awards", json=awarding) == (
        403,
        "scope.forbidden",
    )
    assert await elsewhere.refused(
        "POST", f"{API}/shop/items", json={"grid_id": village, "name": "x", "cost": 1, "stock": 1}
    ) == (403, "scope.forbidden")
    # A resident of 王家村 neither receives 东庄村's points nor spends in its shop.
    assert await officer.refused(
        "POST", f"{API}/points/awards", json={**awarding, "person_id": stranger}
    ) == (404, "participation.resident_not_found")
    assert await neighbour.refused(
        "POST", f"{API}/shop/exchanges", json={"item_id": item["id"]}
    ) == (403, "scope.forbidden")
    assert await officer.refused("POST", f"{API}/shop/exchanges", json={"item_id": item["id"]}) == (
        403,
        "auth.role_required",
    )
    # Lists are cut to the caller's villages.
    assert (await neighbour.json("GET", f"{API}/shop/items"))["items"] == []
    assert (await elsewhere.json("GET", f"{API}/points/accounts"))["accounts"] == []
    assert {r["grid_id"] for r in (await resident.json("GET", f"{API}/points/rules"))["rules"]} == {
        village
    }
    listed = await (await hub.sign_in("county.cmd")).json("GET", f"{API}/points/accounts")
    assert {(a["person_id"], a["balance"]) for a in listed["accounts"]} >= {(person, 50)}
    balances, stock = await state_of(officer, village)
    assert balances[person] == 50
    assert stock[item["id"]] == 3
    assert other not in {a["grid_id"] for a in listed["accounts"] if a["person_id"] == person}


async def test_bad_input_is_refused_and_changes_nothing(start_gridhub: StartGridHub) -> None:
    hub = await participation_hub(start_gridhub)
    officer = await hub.sign_in("v01.cmd")
    village = await hub.grid_id(VILLAGE)
    rule = await add_rule(officer, village)
    item = await add_item(officer, village, cost=10, stock=3)
    person = await add_resident(hub, "res.bad")
    await award(officer, person, rule["id"], 2)
    resident = await hub.sign_in("res.bad")
    lead = await hub.person_id("v01.lead")
    before = await state_of(officer, village)
    refusals = [
        ("POST", "/points/rules", {"grid_id": village, "kind": "bribe", "title": "x", "points": 1}),
        (
            "POST",
            "/points/rules",
            {"grid_id": village, "kind": "conduct", "title": "", "points": 5},
        ),
        (
            "POST",
            "/points/rules",
            {"grid_id": village, "kind": "conduct", "title": "x", "points": -5},
        ),
        ("POST", "/points/awards", {"person_id": person, "rule_id": rule["id"], "quantity": 0}),
        ("POST", "/points/awards", {"person_id": person, "rule_id": rule["id"], "quantity": 101}),
        ("POST", "/points/awards", {"person_id": person, "rule_id": rule["id"], "key": "短"}),
        ("POST", "/points/awards", {"person_id": person, "rule_id": rule["id"], "note": "x" * 201}),
        ("POST", "/shop/items", {"grid_id": village, "name": "x", "cost": 0, "stock": 1}),
        ("POST", "/shop/items", {"grid_id": village, "name": "x", "cost": 5, "stock": -1}),
        (
            "PUT",
            f"/shop/items/{item['id']}",
            {"grid_id": village, "name": "x", "cost": 5, "stock": -3},
        ),
    ]
    for method, path, body in refusals:
        assert await officer.refused(method, f"{API}{path}", json=body) == (
            422,
            "request.invalid",
        ), (path, body)
    assert await officer.refused(
        "POST", f"{API}/points/awards", json={"person_id": person, "rule_id": 999999}
    ) == (404, "participation.rule_not_found")
    assert await officer.refused(
        "POST", f"{API}/points/awards", json={"person_id": lead, "rule_id": rule["id"]}
    ) == (404, "participation.resident_not_found")
    assert await officer.refused(
        "POST",
        f"{API}/points/rules",
        json={
            "grid_id": await hub.grid_id("370783-001-001-01"),
            "kind": "conduct",
            "title": "x",
            "points": 1,
        },
    ) == (404, "participation.village_not_found")
    for body in (
        {"item_id": item["id"], "key": "../../etc"},
        {"item_id": 0},
        {"item_id": None},
        {"item_id": item["id"], "extra": [1] * 5} | {"key": "x" * 65},
    ):
        assert await resident.refused("POST", f"{API}/shop/exchanges", json=body) == (
            422,
            "request.invalid",
        ), body
    assert await resident.refused("POST", f"{API}/shop/exchanges", json={"item_id": 999999}) == (
        404,
        "participation.item_not_found",
    )
    assert await state_of(officer, village) == before
    mine = await resident.json("GET", f"{API}/points/mine")
    assert [e["delta"] for e in mine["ledger"]] == [20]
    assert mine["exchanges"] == []
    assert (await officer.json("GET", f"{API}/points/rules", params={"grid_id": village}))[
        "rules"
    ] == [rule]
