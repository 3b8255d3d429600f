"""志愿者队伍: residents register as volunteers, the village decides once; teams of approved
volunteers with a leader; an activity organised by a team counts towards the team's hours and
each volunteer's ledger; scope, roles, and bad input refused with nothing changed."""

from __future__ import annotations

from typing import Any

from hub.testing import HubClient
from hub.testing.fixtures import StartGridHub
from tests.plugins.participation.conftest import (
    API,
    OTHER_GRID,
    OTHER_VILLAGE,
    VILLAGE,
    add_resident,
    add_volunteer,
    participation_hub,
)
from tests.plugins.participation.test_volunteers import activity


def registration(grid_id: int, **fields: Any) -> dict[str, Any]:
    return {"grid_id": grid_id, "skills": ["理发", "陪护"], "availability": "周六上午", **fields}


async def register(hub: Any, username: str, grid_id: int) -> tuple[HubClient, dict[str, Any]]:
    await add_resident(hub, username)
    client = await hub.sign_in(username)
    return client, await client.json("POST", f"{API}/volunteers", json=registration(grid_id))


async def test_registry_teams_and_hours(start_gridhub: StartGridHub) -> None:
    hub = await participation_hub(start_gridhub)
    officer = await hub.sign_in("v01.cmd")
    village = await hub.grid_id(VILLAGE)
    lead, lead_row = await register(hub, "reg.lead", village)
    member, member_row = await register(hub, "reg.member", village)
    _, refused_row = await register(hub, "reg.refused", village)
    assert lead_row["state"] == "pending"
    again = await lead.refused("POST", f"{API}/volunteers", json=registration(village))
    assert again == (409, "participation.volunteer_exists")
    pending = await officer.json("GET", f"{API}/volunteers", params={"state": "pending"})
    assert [v["name"] for v in pending["volunteers"]] == ["居民reg.lead", "居民reg.member",
                                                          "居民reg.refused"]  # fmt: skip
    team = {"grid_id": village, "name": "东庄理发服务队", "category": "elderly"}
    unfit = await officer.refused(
        "POST", f"{API}/teams", json={**team, "leader_id": lead_row["id"]}
    )
    assert unfit == (422, "participation.volunteer_unfit")  # not approved yet
    for row, approve in ((lead_row, True), (member_row, True), (refused_row, False)):
        path = f"{API}/volunteers/{row['id']}/decision"
        decided = await officer.json("POST", path, json={"approve": approve, "note": "核实"})
        assert decided["state"] == ("approved" if approve else "rejected")
    twice = await officer.refused("POST", path, json={"approve": True})
    assert twice == (409, "participation.volunteer_decided")

    made = await officer.json("POST", f"{API}/teams", json={**team, "leader_id": lead_row["id"]})
    assert (made["leader"], [m["volunteer_id"] for m in made["members"]]) == (
        "居民reg.lead",
        [lead_row["id"]],
    )
    members = f"{API}/teams/{made['id']}/members"
    joined = await officer.json("PUT", f"{members}/{member_row['id']}")
    assert len(joined["members"]) == 2
    assert len((await officer.json("PUT", f"{members}/{member_row['id']}"))["members"]) == 2
    rejected = await officer.refused("PUT", f"{members}/{refused_row['id']}")
    assert rejected == (422, "participation.volunteer_unfit")
    assert await officer.refused("DELETE", f"{members}/{lead_row['id']}") == (
        409,
        "participation.team_leader",
    )

    spec = activity(village, team_id=made["id"], hours=3)
    published = await officer.json("POST", f"{API}/activities", json=spec)
    path = f"{API}/activities/{published['id']}"
    for client in (lead, member):
        await client.json("POST", f"{path}/signups")
        await client.json("POST", f"{path}/check-in", json={"code": published["check_code"]})
    await officer.json("POST", f"{path}/complete")
    teams = await officer.json("GET", f"{API}/teams", params={"grid_id": village})
    assert [(t["name"], t["hours"]) for t in teams["teams"]] == [("东庄理发服务队", 6)]
    ledger = await officer.json("GET", f"{API}/volunteers/{member_row['id']}/hours")
    assert (ledger["volunteer"]["hours"], [h["activity_id"] for h in ledger["hours"]]) == (
        3,
        [published["id"]],
    )
    mine = await member.json("GET", f"{API}/volunteers/mine")
    assert mine["total_hours"] == 3
    assert [t["name"] for t in mine["registrations"][0]["teams"]] == ["东庄理发服务队"]
    await officer.json("DELETE", f"{members}/{member_row['id']}")
    mine = await member.json("GET", f"{API}/volunteers/mine")
    assert mine["registrations"][0]["teams"] == []
    listed = await officer.json("GET", f"{API}/volunteers", params={"state": "approved"})
    assert {v["name"]: v["hours"] for v in listed["volunteers"]} == {
        "居民reg.lead": 3,
        "居民reg.member": 3,
    }


async def test_registry_scope_roles_and_bad_input(start_gridhub: StartGridHub) -> None:
    hub = await participation_hub(start_gridhub)
    officer, neighbour_officer = await hub.sign_in("v01.cmd"), await hub.sign_in("v02.cmd")
    village, other = await hub.grid_id(VILLAGE), await hub.grid_id(OTHER_VILLAGE)
    resident, row = await register(hub, "reg.one", village)
    await add_resident(hub, "reg.far", OTHER_GRID)
    far = await hub.sign_in("reg.far")
    assert await far.refused("POST", f"{API}/volunteers", json=registration(village)) == (
        403,
        "scope.forbidden",
    )
    assert await officer.refused("POST", f"{API}/volunteers", json=registration(village)) == (
        403,
        "auth.role_required",
    )
    assert await resident.refused("GET", f"{API}/volunteers") == (403, "auth.role_required")
    assert await resident.refused("GET", f"{API}/teams") == (403, "auth.role_required")
    decision = f"{API}/volunteers/{row['id']}/decision"
    assert await neighbour_officer.refused("POST", decision, json={"approve": True}) == (
        403,
        "scope.forbidden",
    )
    assert (await neighbour_officer.json("GET", f"{API}/volunteers"))["volunteers"] == []
    for body in (
        registration(village, skills=[]),
        registration(village, skills=[f"技能{k}" for k in range(9)]),
        registration(village, skills=["x" * 21]),
        registration(village, availability=""),
        registration(village, availability="周末\x07"),
    ):
        assert await far.refused("POST", f"{API}/volunteers", json=body) == (
            422,
            "request.invalid",
        ), body
    assert await officer.refused("POST", decision, json={"approve": "maybe"}) == (
        422,
        "request.invalid",
    )
    before = await officer.json("GET", f"{API}/volunteers")
    assert [v["state"] for v in before["volunteers"]] == ["pending"]

    await officer.json("POST", decision, json={"approve": True})
    _, far_row = await add_volunteer(hub, neighbour_officer, "reg.far2", OTHER_GRID)
    team = {"grid_id": village, "name": "东庄队", "category": "elderly", "leader_id": row["id"]}
    for body in ({**team, "category": "Elderly"}, {**team, "name": ""}, {**team, "name": "x" * 41}):
        assert await officer.refused("POST", f"{API}/teams", json=body) == (
            422,
            "request.invalid",
        ), body
    assert await officer.refused(
        "POST", f"{API}/teams", json={**team, "leader_id": far_row["id"]}
    ) == (
        422,
        "participation.volunteer_unfit",
    )
    assert await neighbour_officer.refused("POST", f"{API}/teams", json=team) == (
        403,
        "scope.forbidden",
    )
    made = await officer.json("POST", f"{API}/teams", json=team)
    assert await officer.refused("POST", f"{API}/teams", json=team) == (
        409,
        "participation.team_exists",
    )
    moved = {**team, "grid_id": other, "leader_id": far_row["id"]}
    assert await neighbour_officer.refused("PUT", f"{API}/teams/{made['id']}", json=moved) == (
        403,
        "scope.forbidden",
    )
    assert await neighbour_officer.refused(
        "PUT", f"{API}/teams/{made['id']}/members/{far_row['id']}"
    ) == (403, "scope.forbidden")
    foreign = activity(village, team_id=(await neighbour_officer.json(
        "POST", f"{API}/teams", json={**moved, "name": "王家队"}))["id"])  # fmt: skip
    published = await officer.json("GET", f"{API}/activities")
    assert await officer.refused("POST", f"{API}/activities", json=foreign) == (
        422,
        "participation.team_unfit",
    )
    after = await officer.json("GET", f"{API}/teams")
    assert [(t["name"], len(t["members"])) for t in after["teams"]] == [("东庄队", 1)]
    assert await officer.json("GET", f"{API}/activities") == published
