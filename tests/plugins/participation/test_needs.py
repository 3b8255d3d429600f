"""群众点单: a resident publishes a need; only approved volunteers take it up and of those
racing exactly one wins; the resident confirms it done, which records the taker's hours and
credits points by the village's rule once; scope, roles and bad input."""

from __future__ import annotations

import asyncio

from hub.testing.fixtures import StartGridHub
from tests.plugins.participation.conftest import (
    API,
    OTHER_GRID,
    VILLAGE,
    add_resident,
    add_rule,
    add_volunteer,
    participation_hub,
)


async def test_one_volunteer_takes_a_need_up(start_gridhub: StartGridHub) -> None:
    hub = await participation_hub(start_gridhub)
    village = await hub.grid_id(VILLAGE)
    officer = await hub.sign_in("v01.cmd")
    await add_rule(officer, village, points=7, kind="need", title="群众点单每单")
    await add_resident(hub, "need.author")
    await add_resident(hub, "need.plain")
    author, plain = await hub.sign_in("need.author"), await hub.sign_in("need.plain")
    volunteers = [(await add_volunteer(hub, officer, f"need.v{k}"))[0] for k in range(4)]
    spec = {"grid_id": village, "category": "elderly", "text": "帮忙给独居老人买药"}
    need = await author.json("POST", f"{API}/needs", json=spec)
    path = f"{API}/needs/{need['id']}"
    assert await author.refused("POST", f"{path}/take") == (409, "participation.own_need")
    assert await plain.refused("POST", f"{path}/take") == (403, "participation.not_volunteer")
    answers = await asyncio.gather(*(v.post(f"{path}/take") for v in volunteers))
    assert sorted(a.status for a in answers) == [200, 409, 409, 409]
    winner = volunteers[[a.status for a in answers].index(200)]
    loser = volunteers[[a.status for a in answers].index(409)]
    for client in (loser, winner):  # the taker does not confirm their own work
        assert await client.refused("POST", f"{path}/done", json={}) == (403, "scope.forbidden")
    done = await author.json("POST", f"{path}/done", json={"hours": 2})
    assert done == {"id": need["id"], "state": "done", "hours": 2, "points": 7}
    assert await author.refused("POST", f"{path}/done", json={}) == (
        409,
        "participation.need_not_taken",
    )
    mine = await winner.json("GET", f"{API}/volunteers/mine")
    assert [(h["need_id"], h["hours"]) for h in mine["hours"]] == [(need["id"], 2)]
    balance = await winner.json("GET", f"{API}/points/mine")
    assert [a["balance"] for a in balance["accounts"]] == [7]
    stats = await officer.json("GET", f"{API}/volunteers/stats", params={"grid_id": village})
    assert stats["categories"] == [
        {"category": "elderly", "activities": 0, "needs": 1, "volunteers": 1, "hours": 2}
    ]
    listed = await officer.json("GET", f"{API}/needs")
    assert [(n["id"], n["state"]) for n in listed["needs"]] == [(need["id"], "done")]


async def test_needs_scope_and_bad_input(start_gridhub: StartGridHub) -> None:
    hub = await participation_hub(start_gridhub)
    village = await hub.grid_id(VILLAGE)
    await add_resident(hub, "need.far", OTHER_GRID)
    stranger, resident = await hub.sign_in("need.far"), await hub.sign_in("r01")
    officer = await hub.sign_in("v01.cmd")
    for body in (
        {"grid_id": village, "category": "elderly", "text": ""},
        {"grid_id": village, "category": "Elderly!", "text": "x"},
        {"grid_id": village, "category": "elderly", "text": "x" * 501},
    ):
        assert await resident.refused("POST", f"{API}/needs", json=body) == (422, "request.invalid")
    spec = {"grid_id": village, "category": "elderly", "text": "x"}
    assert await stranger.refused("POST", f"{API}/needs", json=spec) == (403, "scope.forbidden")
    assert await officer.refused("POST", f"{API}/needs", json=spec) == (403, "auth.role_required")
    assert (await officer.json("GET", f"{API}/needs"))["needs"] == []
    need = await resident.json("POST", f"{API}/needs", json=spec)
    path = f"{API}/needs/{need['id']}"
    assert await stranger.refused("POST", f"{path}/take") == (403, "scope.forbidden")
    assert await officer.refused("POST", f"{path}/done", json={}) == (
        409,
        "participation.need_not_taken",
    )
    taker, _ = await add_volunteer(hub, officer, "need.taker")
    await taker.json("POST", f"{path}/take")
    for hours in (0, 9, "two"):
        assert await resident.refused("POST", f"{path}/done", json={"hours": hours}) == (
            422,
            "request.invalid",
        )
    listed = await officer.json("GET", f"{API}/needs")
    assert [n["state"] for n in listed["needs"]] == ["taken"]
    assert (await taker.json("GET", f"{API}/volunteers/mine"))["hours"] == []
    # The village confirms it too (one hour unless told); no `need` rule: no points.
    assert await officer.json("POST", f"{path}/done", json={}) == {
        "id": need["id"],
        "state": "done",
        "hours": 1,
        "points": 0,
    }
