"""Deliberation: registration, votes with a quorum and one ballot each (also under concurrent
ballots), a meeting's minutes, and a conclusion that becomes a dispatch task."""

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
    participation_hub,
)


async def cast(client: HubClient, vote_id: int, choice: int) -> int:
    response = await client.post(f"{API}/votes/{vote_id}/ballots", json={"choice": choice})
    return response.status


async def topic_of(client: HubClient, topic_id: int) -> dict[str, Any]:
    topics = (await client.json("GET", f"{API}/topics"))["topics"]
    found: dict[str, Any] = next(t for t in topics if t["id"] == topic_id)
    return found


async def test_vote_with_quorum_one_ballot_each(
    start_gridhub: StartGridHub, database_url: str
) -> None:
    hub = await participation_hub(start_gridhub, database_url=database_url)
    officer = await hub.sign_in("v01.cmd")
    village = await hub.grid_id(VILLAGE)
    names = ["talk.a", "talk.b", "talk.c", "talk.d"]
    for name in names:
        await add_resident(hub, name)
    a, b, c, d = [await hub.sign_in(n) for n in names]
    spec = {"grid_id": village, "title": "修建村口停车场", "body": "村口车辆乱停，提议修建停车场"}
    topic = await a.json("POST", f"{API}/topics", json=spec)
    assert topic["proposer_kind"] == "resident"
    for resident in (a, b, c):
        await resident.json("POST", f"{API}/topics/{topic['id']}/participants")
    assert await a.refused("POST", f"{API}/topics/{topic['id']}/participants") == (
        409,
        "participation.already_registered",
    )
    question = {"question": "是否修建？", "options": ["同意", "反对"], "quorum": 3}
    vote = await officer.json("POST", f"{API}/topics/{topic['id']}/votes", json=question)

    assert await d.refused("POST", f"{API}/votes/{vote['id']}/ballots", json={"choice": 0}) == (
        403,
        "participation.not_eligible",
    )
    again = [await hub.sign_in("talk.a") for _ in range(4)]
    statuses = await asyncio.gather(*(cast(client, vote["id"], 0) for client in again))
    assert sorted(statuses) == [201, 409, 409, 409]  # one ballot each, however sent
    assert await cast(b, vote["id"], 0) == 201
    assert await cast(c, vote["id"], 1) == 201
    closed = await officer.json("POST", f"{API}/votes/{vote['id']}/close")
    assert closed["result"] == {
        "counts": [2, 1],
        "turnout": 3,
        "quorum_met": True,
        "outcome": 0,
        "outcome_text": "同意",
    }
    assert await d.refused("POST", f"{API}/votes/{vote['id']}/ballots", json={"choice": 0}) == (
        403,
        "participation.not_eligible",
    )
    assert await cast(b, vote["id"], 1) == 409

    # Every resident may vote on this one, but too few do: no outcome.
    question = {
        "question": "费用是否由村集体承担？",
        "options": ["是", "否"],
        "quorum": 3,
        "eligible": "residents",
    }
    second = await officer.json("POST", f"{API}/topics/{topic['id']}/votes", json=question)
    assert await cast(d, second["id"], 1) == 201
    assert await cast(a, second["id"], 1) == 201
    result = (await officer.json("POST", f"{API}/votes/{second['id']}/close"))["result"]
    assert (result["turnout"], result["quorum_met"], result["outcome"]) == (2, False, None)
    assert await officer.refused("POST", f"{API}/votes/{second['id']}/close") == (
        409,
        "participation.vote_closed",
    )
    seen = await topic_of(d, topic["id"])
    assert [(v["ballots"], v["state"]) for v in seen["votes"]] == [(3, "closed"), (2, "closed")]


async def test_meeting_conclusion_becomes_a_dispatch_task(start_gridhub: StartGridHub) -> None:
    hub = await start_gridhub(["participation", "dispatch"], demo=True)
    officer = await hub.sign_in("v01.cmd")
    village = await hub.grid_id(VILLAGE)
    spec = {"grid_id": village, "title": "修缮村西小桥", "body": "桥面破损，雨天危险"}
    topic = await officer.json("POST", f"{API}/topics", json=spec)
    assert topic["proposer_kind"] == "village"
    meeting = {
        "meeting_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        "place": "村委会议室",
        "minutes": "到会 23 人，一致同意修缮",
    }
    await officer.json("PUT", f"{API}/topics/{topic['id']}/meeting", json=meeting)
    conclusion = {
        "conclusion": "村集体出资修缮村西小桥，月底前完工",
        "action_category": "road_facility",
        "priority": "high",
    }
    path = f"{API}/topics/{topic['id']}/conclusion"
    assert (await officer.json("POST", path, json=conclusion))["task"] is True
    await hub.settle()  # dispatch opened the incident and the topic followed it
    resident = await hub.sign_in("r01")
    seen = await topic_of(resident, topic["id"])
    assert (seen["state"], seen["conclusion"]) == ("concluded", conclusion["conclusion"])
    assert seen["minutes"] == meeting["minutes"]
    assert seen["incident_number"]
    incidents = await officer.json("GET", "/api/v1/dispatch/incidents")
    items = incidents["items"] if isinstance(incidents, dict) else incidents
    task = next(i for i in items if i["number"] == seen["incident_number"])
    assert (task["category"], task["source"], task["grid_id"]) == (
        "road_facility",
        "participation.deliberation",
        village,
    )
    assert await officer.refused("POST", path, json=conclusion) == (
        409,
        "participation.topic_concluded",
    )


async def test_scope_roles_and_bad_input(start_gridhub: StartGridHub) -> None:
    hub = await participation_hub(start_gridhub)  # no dispatch here
    officer = await hub.sign_in("v01.cmd")
    village = await hub.grid_id(VILLAGE)
    topic = await officer.json(
        "POST", f"{API}/topics", json={"grid_id": village, "title": "垃圾分类", "body": "如何推行"}
    )
    await add_resident(hub, "talk.other", OTHER_GRID)
    neighbour, elsewhere = await hub.sign_in("talk.other"), await hub.sign_in("v02.cmd")
    resident = await hub.sign_in("r01")
    path = f"{API}/topics/{topic['id']}"
    assert await neighbour.refused("POST", f"{path}/participants") == (403, "scope.forbidden")
    assert await neighbour.refused(
        "POST", f"{API}/topics", json={"grid_id": village, "title": "x", "body": "y"}
    ) == (403, "scope.forbidden")
    assert await elsewhere.refused(
        "POST", f"{path}/votes", json={"question": "q", "options": ["a", "b"], "quorum": 1}
    ) == (403, "scope.forbidden")
    assert await resident.refused("POST", f"{path}/conclusion", json={"conclusion": "x"}) == (
        403,
        "auth.role_required",
    )
    bad_votes = [
        {"question": "q", "options": ["only"], "quorum": 1},
        {"question": "q", "options": ["a", "b"], "quorum": 0},
        {"question": "", "options": ["a", "b"], "quorum": 1},
        {"question": "q", "options": ["a", "b"], "quorum": 1, "eligible": "everyone"},
    ]
    for body in bad_votes:
        assert await officer.refused("POST", f"{path}/votes", json=body) == (
            422,
            "request.invalid",
        ), body
    vote = await officer.json(
        "POST",
        f"{path}/votes",
        json={"question": "q", "options": ["a", "b"], "quorum": 1, "eligible": "residents"},
    )
    assert await resident.refused(
        "POST", f"{API}/votes/{vote['id']}/ballots", json={"choice": 2}
    ) == (422, "participation.choice_unknown")
    assert await officer.refused(
        "POST",
        f"{path}/conclusion",
        json={"conclusion": "推行", "action_category": "env_sanitation"},
    ) == (409, "participation.dispatch_unavailable")
    assert await officer.refused(
        "POST", f"{path}/conclusion", json={"conclusion": "x", "action_category": "Bad Category"}
    ) == (422, "request.invalid")
    seen = await topic_of(resident, topic["id"])
    assert (seen["state"], seen["conclusion"], seen["registered"]) == ("open", "", False)
    assert [v["ballots"] for v in seen["votes"]] == [0]
