"""Volunteer activities: capacity under concurrent sign-ups, check-in by location or code,
service hours and points credited exactly once, statistics by category, scope, bad input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.testing import HubClient
from hub.testing.fixtures import StartGridHub
from tests.plugins.participation.conftest import (
    API,
    OTHER_GRID,
    VILLAGE,
    add_resident,
    add_rule,
    participation_hub,
)

PLACE = (118.7, 36.9)  # lon, lat of the activity's place
NEAR = (118.7, 36.9009)  # ~100 m north
FAR = (118.7, 36.91)  # ~1.1 km north


def activity(grid_id: int, **fields: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "grid_id": grid_id,
        "title": "清理河道垃圾",
        "category": "environment",
        "place": "弥河东庄段",
        "lon": PLACE[0],
        "lat": PLACE[1],
        "radius_m": 200,
        "starts_at": (now - timedelta(minutes=10)).isoformat(),
        "ends_at": (now + timedelta(hours=2)).isoformat(),
        "hours": 2,
        "capacity": 3,
        **fields,
    }


async def sign_up(client: HubClient, activity_id: int) -> tuple[int, Any]:
    response = await client.post(f"{API}/activities/{activity_id}/signups")
    return response.status, await response.json()


async def test_concurrent_sign_ups_never_exceed_capacity(
    start_gridhub: StartGridHub, database_url: str
) -> None:
    hub = await participation_hub(start_gridhub, database_url=database_url)
    officer = await hub.sign_in("v01.cmd")
    published = await officer.json(
        "POST", f"{API}/activities", json=activity(await hub.grid_id(VILLAGE))
    )
    names = [f"vol.{k}" for k in range(8)]
    for name in names:
        await add_resident(hub, name)
    residents = [await hub.sign_in(name) for name in names]
    answers = await asyncio.gather(*(sign_up(r, published["id"]) for r in residents))
    assert sorted(s for s, _ in answers) == [201] * 3 + [409] * 5
    assert {a["error"]["code"] for s, a in answers if s == 409} == {"participation.activity_full"}
    signups = await officer.json("GET", f"{API}/activities/{published['id']}/signups")
    won = sorted(a["person_id"] for s, a in answers if s == 201)
    assert sorted(s["person_id"] for s in signups["signups"]) == won
    listed = await officer.json("GET", f"{API}/activities")
    assert [(a["id"], a["taken"]) for a in listed["activities"]] == [(published["id"], 3)]


async def test_check_in_by_location_or_code_and_hours_credited_once(
    start_gridhub: StartGridHub,
) -> None:
    hub = await participation_hub(start_gridhub)
    officer = await hub.sign_in("v01.cmd")
    village = await hub.grid_id(VILLAGE)
    rule = await add_rule(officer, village, points=10, kind="volunteer_hour", title="每小时")
    spec = activity(village, rule_id=rule["id"])
    published = await officer.json("POST", f"{API}/activities", json=spec)
    path = f"{API}/activities/{published['id']}"
    people = {}
    for name in ("vol.near", "vol.code", "vol.absent"):
        people[name] = await add_resident(hub, name)
    near, by_code, absent = [await hub.sign_in(n) for n in people]
    for resident in (near, by_code, absent):
        assert (await sign_up(resident, published["id"]))[0] == 201

    far = {"lon": FAR[0], "lat": FAR[1]}
    status, code = await near.refused("POST", f"{path}/check-in", json=far)
    assert (status, code) == (403, "participation.too_far")
    answer = await near.json("POST", f"{path}/check-in", json={"lon": NEAR[0], "lat": NEAR[1]})
    assert answer["check_in_by"] == "location"
    assert 90 < answer["distance_m"] < 110
    assert await near.refused(
        "POST", f"{path}/check-in", json={"lon": NEAR[0], "lat": NEAR[1]}
    ) == (409, "participation.already_checked_in")
    wrong = "0000" if published["check_code"] != "0000" else "1111"
    assert await by_code.refused("POST", f"{path}/check-in", json={"code": wrong}) == (
        403,
        "participation.check_code_wrong",
    )
    await by_code.json("POST", f"{path}/check-in", json={"code": published["check_code"]})
    outsider = await hub.sign_in("r01")
    assert await outsider.refused(
        "POST", f"{path}/check-in", json={"code": published["check_code"]}
    ) == (
        409,
        "participation.not_signed_up",
    )

    done = await officer.json("POST", f"{path}/complete")
    assert done == {"volunteers": 2, "hours_recorded": 2, "credited": 2}
    assert await officer.json("POST", f"{path}/complete") == {
        "volunteers": 2,
        "hours_recorded": 0,
        "credited": 0,
    }
    for client, balance in ((near, 20), (by_code, 20), (absent, 0)):
        mine = await client.json("GET", f"{API}/points/mine")
        assert [a["balance"] for a in mine["accounts"]] == [balance]
    stats = await officer.json("GET", f"{API}/volunteers/stats", params={"grid_id": village})
    assert stats["categories"] == [
        {"category": "environment", "activities": 1, "needs": 0, "volunteers": 2, "hours": 4}
    ]
    assert await absent.refused("POST", f"{path}/signups") == (409, "participation.activity_over")


async def test_scope_roles_and_bad_input(start_gridhub: StartGridHub) -> None:
    hub = await participation_hub(start_gridhub)
    officer = await hub.sign_in("v01.cmd")
    village = await hub.grid_id(VILLAGE)
    later = datetime.now(UTC) + timedelta(days=2)
    future = activity(
        village, starts_at=later.isoformat(), ends_at=(later + timedelta(hours=1)).isoformat()
    )
    published = await officer.json("POST", f"{API}/activities", json=future)
    path = f"{API}/activities/{published['id']}"
    await add_resident(hub, "vol.other", OTHER_GRID)
    await add_resident(hub, "vol.early")
    neighbour, early = await hub.sign_in("vol.other"), await hub.sign_in("vol.early")
    assert await neighbour.refused("POST", f"{path}/signups") == (403, "scope.forbidden")
    assert await officer.refused("POST", f"{path}/signups") == (403, "auth.role_required")
    assert await neighbour.json("GET", f"{API}/activities") == {"activities": []}
    assert await (await hub.sign_in("v02.cmd")).refused("GET", f"{path}/signups") == (
        403,
        "scope.forbidden",
    )
    assert (await sign_up(early, published["id"]))[0] == 201
    assert await early.refused("POST", f"{path}/check-in", json={"code": "abcd"}) == (
        409,
        "participation.check_in_closed",
    )
    conduct = await add_rule(officer, village)
    bad = [
        activity(village, ends_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat()),
        activity(village, radius_m=50_000),
        activity(village, capacity=0),
        activity(village, category="Bad Category"),
        activity(village, starts_at="2026-12-06T08:00:00"),  # no zone
        activity(village, lat=91),
    ]
    for body in bad:
        assert await officer.refused("POST", f"{API}/activities", json=body) == (
            422,
            "request.invalid",
        ), body
    assert await officer.refused(
        "POST", f"{API}/activities", json=activity(village, rule_id=conduct["id"])
    ) == (422, "participation.rule_unfit")
    for body in ({"lon": 1.0}, {"lon": 1.0, "lat": 2.0, "code": "abcd"}, {}, {"code": "a b"}):
        assert await early.refused("POST", f"{path}/check-in", json=body) == (
            422,
            "request.invalid",
        ), body
    listed = await officer.json("GET", f"{API}/activities")
    assert [(a["id"], a["taken"]) for a in listed["activities"]] == [(published["id"], 1)]
    assert "check_code" not in (await early.json("GET", f"{API}/activities"))["activities"][0]
    await early.json("DELETE", f"{path}/signups/mine")
    listed = await officer.json("GET", f"{API}/activities")
    assert listed["activities"][0]["taken"] == 0
