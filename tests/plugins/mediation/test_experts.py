"""The expert pool (专家库): kept by town and county staff, seen from the villages below, called
into a case (audited, in its timeline); bad input, other scopes and other roles are refused
with nothing changed."""

from __future__ import annotations

from typing import Any

from hub.testing import HubClient, RunningHub
from tests.plugins.mediation.conftest import (
    API,
    COUNTY,
    OTHER_TOWN_VILLAGE,
    TOWN,
    VILLAGE,
    new_case,
)

LAWYER = {"name": "周律师", "title": "寿光某律师事务所律师", "specialties": ["law", "labour_wages"]}


async def pool(hub: RunningHub, town: HubClient, **fields: Any) -> dict[str, Any]:
    body = {"grid_id": await hub.grid_id(TOWN), **LAWYER, "phone": "13905360001", **fields}
    made: dict[str, Any] = await town.json("POST", f"{API}/experts", json=body)
    return made


async def test_town_keeps_its_pool_and_a_village_case_calls_an_expert(hub: RunningHub) -> None:
    town = await hub.sign_in("med.town1")
    expert = await pool(hub, town)
    assert (expert["name"], expert["grid_name"], expert["phone"]) == (
        "周律师",
        "洛城街道",
        "139****0001",
    )
    changed = await town.json(
        "POST",
        f"{API}/experts/{expert['id']}",
        json={"version": 1, "specialties": ["law", "land_contract"], "title": "退休法官"},
    )
    assert (changed["version"], changed["specialties"], changed["title"]) == (
        2,
        ["law", "land_contract"],
        "退休法官",
    )
    # the village mediator sees the town's pool (filtered by specialty) and calls the expert in
    mediator = await hub.sign_in("med.v01")
    seen = await mediator.json("GET", f"{API}/experts", params={"specialty": "land_contract"})
    assert [e["id"] for e in seen["experts"]] == [expert["id"]]
    assert (await mediator.json("GET", f"{API}/experts", params={"specialty": "medical"}))[
        "experts"
    ] == []
    far = await hub.sign_in("med.far")  # another town's village: not this pool
    assert (await far.json("GET", f"{API}/experts"))["experts"] == []

    case = await mediator.json("POST", f"{API}/cases", json=new_case(await hub.grid_id(VILLAGE)))
    called = await mediator.json(
        "POST",
        f"{API}/cases/{case['id']}/experts",
        json={"version": case["version"], "expert_id": expert["id"]},
    )
    assert (called["expert_ids"], called["version"]) == ([expert["id"]], case["version"] + 1)
    detail = await mediator.json("GET", f"{API}/cases/{case['id']}")
    assert [e["name"] for e in detail["experts"]] == ["周律师"]
    assert detail["timeline"][-1]["action"] == "expert_assigned"
    assert detail["timeline"][-1]["details"]["name"] == "周律师"
    again = await mediator.refused(
        "POST",
        f"{API}/cases/{case['id']}/experts",
        json={"version": called["version"], "expert_id": expert["id"]},
    )
    assert again == (409, "mediation.expert_assigned")
    # called into a case: it stays (deactivated), never deleted
    gone = await town.refused("POST", f"{API}/experts/{expert['id']}/delete", json={"version": 2})
    assert gone == (409, "mediation.expert_in_use")
    audit = await (await hub.admin()).json(
        "GET", "/api/v1/audit", params={"target_type": "mediation_expert"}
    )
    assert {"mediation.expert.create", "mediation.expert.update"} <= {e["action"] for e in audit}


async def test_bad_input_scope_and_roles_change_nothing(hub: RunningHub) -> None:
    town = await hub.sign_in("med.town1")
    expert = await pool(hub, town)
    town_id, village_id = await hub.grid_id(TOWN), await hub.grid_id(VILLAGE)
    bad_bodies = [
        ({**LAWYER, "grid_id": town_id, "specialties": []}, "request.invalid"),
        ({**LAWYER, "grid_id": town_id, "specialties": ["astrology"]}, "request.invalid"),
        ({**LAWYER, "grid_id": town_id, "name": ""}, "request.invalid"),
        ({**LAWYER, "grid_id": town_id, "phone": "<b>1</b>"}, "request.invalid"),
        ({**LAWYER, "grid_id": town_id, "extra": 1}, "request.invalid"),
        ({**LAWYER, "grid_id": village_id}, "mediation.expert_level"),
    ]
    for body, code in bad_bodies:
        status, got = await town.refused("POST", f"{API}/experts", json=body)
        assert (status, got) == (422, code), body
    # a village mediator may not keep the town's pool; another town's mediator sees no expert
    mediator = await hub.sign_in("med.v01")
    refused = await mediator.refused("POST", f"{API}/experts", json={**LAWYER, "grid_id": town_id})
    assert refused == (403, "scope.forbidden")
    patch = {"version": 1, "name": "改名"}
    assert await mediator.refused("POST", f"{API}/experts/{expert['id']}", json=patch) == (
        403,
        "scope.forbidden",
    )
    far = await hub.sign_in("med.far")
    assert await far.refused("POST", f"{API}/experts/{expert['id']}", json=patch) == (
        404,
        "mediation.expert_not_found",
    )
    adviser = await hub.sign_in("law.v01")  # reads the pool, keeps nothing
    assert await adviser.refused("POST", f"{API}/experts", json={**LAWYER, "grid_id": town_id}) == (
        403,
        "auth.role_required",
    )
    stale = await town.refused(
        "POST", f"{API}/experts/{expert['id']}", json={**patch, "version": 9}
    )
    assert stale == (409, "mediation.version_conflict")
    # the other town's expert cannot be called into this town's case
    other = await hub.sign_in("med.far")
    other_town = OTHER_TOWN_VILLAGE.rsplit("-", 1)[0]
    await hub.add_person("med.town2", [("mediation_mediator", other_town)], display_name="孙调解")
    town2 = await hub.sign_in("med.town2")
    foreign = await pool(hub, town2, grid_id=await hub.grid_id(other_town), name="孙律师")
    case = await mediator.json("POST", f"{API}/cases", json=new_case(village_id))
    wrong = await mediator.refused(
        "POST",
        f"{API}/cases/{case['id']}/experts",
        json={"version": case["version"], "expert_id": foreign["id"]},
    )
    assert wrong == (409, "mediation.expert_invalid")
    inactive = await town.json(
        "POST", f"{API}/experts/{expert['id']}", json={"version": 1, "active": False}
    )
    assert inactive["active"] is False
    refused_inactive = await mediator.refused(
        "POST",
        f"{API}/cases/{case['id']}/experts",
        json={"version": case["version"], "expert_id": expert["id"]},
    )
    assert refused_inactive == (409, "mediation.expert_invalid")
    assert await other.refused(
        "POST",
        f"{API}/cases/{case['id']}/experts",
        json={"version": case["version"], "expert_id": foreign["id"]},
    ) == (404, "mediation.case_not_found")
    detail = await mediator.json("GET", f"{API}/cases/{case['id']}")
    assert (detail["version"], detail["expert_ids"]) == (case["version"], [])
    listed = (await town.json("GET", f"{API}/experts"))["experts"]
    assert [(e["name"], e["version"]) for e in listed] == [("周律师", 2)]
    # county staff keep the county's pool; an unused expert is deleted
    county = await hub.sign_in("county.cmd")
    county_expert = await pool(hub, county, grid_id=await hub.grid_id(COUNTY), name="吴医生")
    await county.json("POST", f"{API}/experts/{county_expert['id']}/delete", json={"version": 1})
    names = {e["name"] for e in (await county.json("GET", f"{API}/experts"))["experts"]}
    assert names == {"周律师", "孙律师"}
