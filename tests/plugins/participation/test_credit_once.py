"""Points for a deed commit with the deed (the crash gap closed): a failure after the points'
ledger row is written but before the transaction commits (as a crash there would) leaves
neither the hours nor the points, and the retry credits them exactly once — for a completed
activity (also under concurrent completions, on SQLite and PostgreSQL) and for a need confirmed
done."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hub.testing import HubClient
from hub.testing.fixtures import StartGridHub
from plugins.participation.points import Points
from tests.plugins.participation.conftest import (
    API,
    VILLAGE,
    add_resident,
    add_rule,
    add_volunteer,
    participation_hub,
)
from tests.plugins.participation.test_volunteers import activity, sign_up


def crash_once(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Points.credit_in writes its ledger row and balance, then fails once (a crash before the
    commit); the list counts the failures."""
    original, failed = Points.credit_in, []

    async def failing(self: Points, *args: Any, **kwargs: Any) -> int | None:
        delta = await original(self, *args, **kwargs)
        if not failed:
            failed.append(1)
            raise RuntimeError("the node died between the deed and its points")
        return delta

    monkeypatch.setattr(Points, "credit_in", failing)
    return failed


async def balances(clients: list[HubClient]) -> list[list[int]]:
    out = []
    for client in clients:
        mine = await client.json("GET", f"{API}/points/mine")
        out.append([a["balance"] for a in mine["accounts"]])
    return out


async def test_an_activitys_hours_and_points_commit_together_once(
    start_gridhub: StartGridHub, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    hub = await participation_hub(start_gridhub, database_url=database_url)
    officer = await hub.sign_in("v01.cmd")
    village = await hub.grid_id(VILLAGE)
    rule = await add_rule(officer, village, points=10, kind="volunteer_hour", title="每小时")
    published = await officer.json(
        "POST", f"{API}/activities", json=activity(village, rule_id=rule["id"])
    )
    path = f"{API}/activities/{published['id']}"
    residents = []
    for name in ("vol.a", "vol.b"):
        await add_resident(hub, name)
        client = await hub.sign_in(name)
        assert (await sign_up(client, published["id"]))[0] == 201
        await client.json("POST", f"{path}/check-in", json={"code": published["check_code"]})
        residents.append(client)
    failed = crash_once(monkeypatch)
    assert (await officer.request("POST", f"{path}/complete")).status == 500
    assert failed == [1]
    assert await balances(residents) == [[0], [0]]  # no points, and no hours either:
    stats = await officer.json("GET", f"{API}/volunteers/stats", params={"grid_id": village})
    assert stats["categories"] == []
    listed = await officer.json("GET", f"{API}/activities")
    assert [a["state"] for a in listed["activities"]] != ["completed"]

    answers = await asyncio.gather(*(officer.json("POST", f"{path}/complete") for _ in range(5)))
    assert sum(a["credited"] for a in answers) == 2  # the retries: each volunteer once
    assert sum(a["hours_recorded"] for a in answers) == 2
    assert await balances(residents) == [[20], [20]]
    for client in residents:
        ledger = (await client.json("GET", f"{API}/points/mine"))["ledger"]
        assert [e["delta"] for e in ledger] == [20]


async def test_a_needs_hours_and_points_commit_together_once(
    start_gridhub: StartGridHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = await participation_hub(start_gridhub)
    village = await hub.grid_id(VILLAGE)
    officer = await hub.sign_in("v01.cmd")
    await add_rule(officer, village, points=7, kind="need", title="群众点单每单")
    await add_resident(hub, "need.author")
    author = await hub.sign_in("need.author")
    volunteer = (await add_volunteer(hub, officer, "need.v0"))[0]
    spec = {"grid_id": village, "category": "elderly", "text": "帮忙给独居老人买药"}
    need = await author.json("POST", f"{API}/needs", json=spec)
    path = f"{API}/needs/{need['id']}"
    await volunteer.json("POST", f"{path}/take")
    crash_once(monkeypatch)
    assert (await author.request("POST", f"{path}/done", json={"hours": 2})).status == 500
    assert await balances([volunteer]) == [[0]]
    assert (await volunteer.json("GET", f"{API}/volunteers/mine"))["hours"] == []
    listed = await officer.json("GET", f"{API}/needs")
    assert [n["state"] for n in listed["needs"]] == ["taken"]  # still to be confirmed

    done = await author.json("POST", f"{path}/done", json={"hours": 2})
    assert (done["state"], done["points"]) == ("done", 7)
    assert await author.refused("POST", f"{path}/done", json={}) == (
        409,
        "participation.need_not_taken",
    )
    assert await balances([volunteer]) == [[7]]
    hours = (await volunteer.json("GET", f"{API}/volunteers/mine"))["hours"]
    assert [(h["need_id"], h["hours"]) for h in hours] == [(need["id"], 2)]
