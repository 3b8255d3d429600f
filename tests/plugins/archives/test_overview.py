"""The archive at a glance: the big screen's summary (population by grid and category, key
groups by the caller's sight, visit coverage) and the incident drawer's card (houses with their
people, masked, and places near a point), both cut to the caller's grids."""

from __future__ import annotations

from typing import Any

from tests.plugins.archives.conftest import (
    API,
    BASIC,
    ID_MAN,
    ID_WOMAN,
    OTHER_BASIC,
    StartGridHub,
    add_resident,
    archives_hub,
)
from tests.plugins.archives.test_layers import add_house


def groups(summary: dict[str, Any]) -> dict[str, int]:
    return {g["code"]: g["count"] for g in summary["key_groups"]}


async def test_summary_and_nearby_by_scope_and_sight(start_gridhub: StartGridHub) -> None:
    hub = await archives_hub(start_gridhub)
    officer = await hub.sign_in("arch.officer")
    basic, other = await hub.grid_id(BASIC), await hub.grid_id(OTHER_BASIC)
    near = await add_house(officer, basic, "DZ-1", 118.5801, 36.9001)
    await add_house(officer, basic, "DZ-2", 118.5900, 36.9001)  # ~880 m east: not near
    far = await add_house(officer, other, "WJ-1", 118.5802, 36.9002)  # near, but w08's grid
    man = await add_resident(officer, basic, ID_MAN, house_id=near["id"],
                             tags=["community_correction"])  # fmt: skip
    woman = await add_resident(officer, basic, ID_WOMAN, house_id=near["id"],
                               category="floating", tags=["elderly_alone"])  # fmt: skip
    await officer.json("POST", f"{API}/places", json={
        "grid_id": basic, "name": "东庄村加油站", "kind": "hazardous", "risk_level": "high",
        "inspection_interval_days": 7, "lng": 118.5803, "lat": 36.9001})  # fmt: skip
    w01, leader, w08 = [await hub.sign_in(n) for n in ("w01", "v01.lead", "w08")]
    visit = {"subject_type": "person", "subject_id": woman["id"], "client_id": "overview-1"}
    await w01.json("POST", f"{API}/visits", json=visit)

    mine = await w01.json("GET", f"{API}/summary")
    assert (mine["total"], mine["by_category"]["floating"]) == (2, 1)
    assert [(g["grid_id"], g["total"]) for g in mine["by_grid"]] == [(basic, 2)]
    assert groups(mine) == {"elderly_alone": 1}  # a worker does not see control tags
    assert mine["coverage"] == {"days": 30, "people": 1, "visited": 1}
    led = await leader.json("GET", f"{API}/summary")
    assert groups(led) == {"community_correction": 1, "elderly_alone": 1}
    assert led["coverage"] == {"days": 30, "people": 2, "visited": 1}
    assert (await w08.json("GET", f"{API}/summary"))["total"] == 0

    card = await w01.json("GET", f"{API}/nearby", params={"lng": 118.5802, "lat": 36.9001})
    [house] = card["houses"]
    assert (house["id"], house["distance_m"]) == (near["id"], 9)
    people = {p["id"]: p for p in house["people"]}
    assert set(people) == {man["id"], woman["id"]}
    assert people[man["id"]]["id_number"] != ID_MAN  # masked
    assert people[man["id"]]["tags"] == []  # the control tag hidden from a worker
    assert [p["name"] for p in card["places"]] == ["东庄村加油站"]
    other_side = await w08.json("GET", f"{API}/nearby", params={"lng": 118.5802, "lat": 36.9001})
    assert [h["id"] for h in other_side["houses"]] == [far["id"]]
    assert other_side["places"] == []
    assert await w01.refused("GET", f"{API}/nearby", params={"lng": 118.58, "lat": 91}) == (
        422, "request.query_invalid")  # fmt: skip
