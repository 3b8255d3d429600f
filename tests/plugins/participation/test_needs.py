"""群众点单: a resident publishes a need; of residents racing to take it up exactly one wins;
the taker marks it done; scope, roles and bad input."""

from __future__ import annotations

import asyncio

from hub.testing.fixtures import StartGridHub
from tests.plugins.participation.conftest import (
    API,
    OTHER_GRID,
    VILLAGE,
    add_resident,
    participation_hub,
)


async def test_one_volunteer_takes_a_need_up(start_gridhub: StartGridHub) -> None:
    hub = await participation_hub(start_gridhub)
    village = await hub.grid_id(VILLAGE)
    names = ["need.author", "need.v1", "need.v2", "need.v3", "need.v4"]
    for name in names:
        await add_resident(hub, name)
    author, *volunteers = [await hub.sign_in(n) for n in names]
    spec = {"grid_id": village, "category": "elderly", "text": "帮忙给独居老人买药"}
    need = await author.json("POST", f"{API}/needs", json=spec)
    path = f"{API}/needs/{need['id']}"
    assert await author.refused("POST", f"{path}/take") == (409, "participation.own_need")
    answers = await asyncio.gather(*(v.post(f"{path}/take") for v in volunteers))
    assert sorted(a.status for a in answers) == [200, 409, 409, 409]
    winner = volunteers[[a.status for a in answers].index(200)]
    loser = volunteers[[a.status for a in answers].index(409)]
    assert await loser.refused("POST", f"{path}/done") == (403, "scope.forbidden")
    assert (await winner.json("POST", f"{path}/done"))["state"] == "done"
    listed = await (await hub.sign_in("v01.cmd")).json("GET", f"{API}/needs")
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
    assert await stranger.refused("POST", f"{API}/needs/{need['id']}/take") == (
        403,
        "scope.forbidden",
    )
    assert await officer.refused("POST", f"{API}/needs/{need['id']}/done") == (
        409,
        "participation.need_not_taken",
    )
