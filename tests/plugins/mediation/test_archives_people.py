"""Parties linked to the archives plugin's people, with real clients: with archives running a
party names an archived person (checked over the bus, shown masked), an unknown person or one
outside the caller's grids is refused with nothing changed, and cases between the same linked
people are flagged as repeats whatever the names were written as; without archives a
`person_id` is refused."""

from __future__ import annotations

from typing import Any

from hub.testing import HubClient, RunningHub
from hub.testing.fixtures import (  # noqa: F401  (fixtures)
    StartGridHub,
    gridhub_demo_template,
    start_gridhub,
)
from tests.plugins.archives.conftest import add_resident, id_number
from tests.plugins.mediation.conftest import (
    API,
    BASIC,
    OTHER_TOWN_VILLAGE,
    VILLAGE,
    add_people,
    new_case,
    step,
)


async def cases_count(client: HubClient) -> int:
    return len((await client.json("GET", f"{API}/cases"))["cases"])


async def residents(hub: RunningHub) -> tuple[int, int, int]:
    """Two people of 东庄村 and one of another town's village (ids)."""
    await hub.add_person("arch.officer", [("archives_officer", "370783")], display_name="档案员")
    officer = await hub.sign_in("arch.officer")
    basic, far = await hub.grid_id(BASIC), await hub.grid_id(OTHER_TOWN_VILLAGE)
    one = await add_resident(officer, basic, id_number("37078319700101123"), name="张建国")
    two = await add_resident(officer, basic, id_number("37078319720202234"), name="李秀兰",
                             phone="13800002222")  # fmt: skip
    three = await add_resident(officer, far, id_number("37078319800303345"), name="赵远方",
                               phone="13800003333")  # fmt: skip
    return one["id"], two["id"], three["id"]


def linked(case: dict[str, Any], first: int, second: int, names: tuple[str, str]) -> dict[str, Any]:
    parties = [{"name": names[0], "side": "applicant", "person_id": first},
               {"name": names[1], "side": "respondent", "person_id": second}]  # fmt: skip
    return {**case, "parties": parties, "place": ""}


async def test_parties_link_archived_people(start_gridhub: StartGridHub) -> None:  # noqa: F811
    hub = await start_gridhub(["archives", "mediation"], demo=True)
    await add_people(hub)
    one, two, far = await residents(hub)
    mediator = await hub.sign_in("med.v01")
    village = await hub.grid_id(VILLAGE)
    first = await mediator.json(
        "POST", f"{API}/cases", json=linked(new_case(village), one, two, ("张建国", "李秀兰"))
    )
    detail = await mediator.json("GET", f"{API}/cases/{first['id']}")
    people = [p["person"] for p in detail["parties"]]
    assert people == [
        {"id": one, "grid_id": await hub.grid_id(BASIC), "name_masked": "张**"},
        {"id": two, "grid_id": await hub.grid_id(BASIC), "name_masked": "李**"},
    ]
    # the same two people, their names written otherwise: a repeat by the archive's ids
    again = linked(
        new_case(village, summary="两家又因院墙争吵"), two, one, ("李秀兰(妻)", "张建国(户主)")
    )
    second = await mediator.json("POST", f"{API}/cases", json=again)
    assert second["repeat"] is True
    later = await mediator.json("GET", f"{API}/cases/{second['id']}")
    assert later["links"] == [
        {"case_id": first["id"], "number": first["number"], "reason": "people"}
    ]

    before = await cases_count(mediator)
    for person_id in (999_999, far):  # unknown; outside the mediator's grids
        bad = linked(new_case(village), one, person_id, ("张建国", "某人"))
        refused = await mediator.refused("POST", f"{API}/cases", json=bad)
        assert refused == (422, "mediation.person_unknown")
    assert await cases_count(mediator) == before

    party = {"name": "李秀兰", "side": "other", "person_id": two}
    plain = {**new_case(village, place=""), "parties": [{"name": "王某", "side": "applicant"}]}
    case = await mediator.json("POST", f"{API}/cases", json=plain)
    added = await step(mediator, case, "parties", party=party)
    assert added["version"] == case["version"] + 1
    shown = await mediator.json("GET", f"{API}/cases/{case['id']}")
    assert [(p["person"] or {}).get("id") for p in shown["parties"]] == [None, two]
    stale = {"version": added["version"], "party": {**party, "person_id": far}}
    path = f"{API}/cases/{case['id']}/parties"
    assert await mediator.refused("POST", path, json=stale) == (422, "mediation.person_unknown")
    county = await hub.sign_in("county.cmd")  # the county sees every village's people
    wide = linked(new_case(await hub.grid_id(OTHER_TOWN_VILLAGE)), far, one, ("赵远方", "张建国"))
    assert (await county.json("POST", f"{API}/cases", json=wide))["id"] > case["id"]


async def test_without_archives_a_person_id_is_refused(hub: RunningHub) -> None:
    mediator = await hub.sign_in("med.v01")
    village = await hub.grid_id(VILLAGE)
    before = await cases_count(mediator)
    bad = linked(new_case(village), 1, 2, ("张建国", "李秀兰"))
    refused = await mediator.refused("POST", f"{API}/cases", json=bad)
    assert refused == (422, "mediation.archives_absent")
    assert await cases_count(mediator) == before
    plain = await mediator.json("POST", f"{API}/cases", json=new_case(village))
    detail = await mediator.json("GET", f"{API}/cases/{plain['id']}")
    assert [p["person"] for p in detail["parties"]] == [None, None]


async def test_a_party_added_later_finds_repeats(start_gridhub: StartGridHub) -> None:  # noqa: F811
    """A case from an office with one linked person gets the second one later: it is then
    linked to the earlier case between the same two people (both flagged), once."""
    hub = await start_gridhub(["archives", "mediation"], demo=True)
    await add_people(hub)
    one, two, _far = await residents(hub)
    mediator = await hub.sign_in("med.v01")
    village = await hub.grid_id(VILLAGE)
    first = await mediator.json(
        "POST", f"{API}/cases", json=linked(new_case(village), one, two, ("张建国", "李秀兰"))
    )
    alone = [{"name": "张某", "side": "applicant", "person_id": one}]
    body = {**new_case(village, summary="另起争执"), "parties": alone, "place": ""}
    case = await mediator.json("POST", f"{API}/cases", json=body)
    assert case["repeat"] is False
    added = await step(mediator, case, "parties", party={"name": "李某", "side": "respondent",
                                                          "person_id": two})  # fmt: skip
    assert added["repeat"] is True
    for mine, other in ((case, first), (first, case)):
        shown = await mediator.json("GET", f"{API}/cases/{mine['id']}")
        assert shown["repeat"] is True
        assert shown["links"] == [
            {"case_id": other["id"], "number": other["number"], "reason": "people"}
        ]
    again = await step(mediator, added, "parties", party={"name": "李秀兰", "side": "other",
                                                          "person_id": two})  # fmt: skip
    shown = await mediator.json("GET", f"{API}/cases/{case['id']}")
    assert again["repeat"] is True
    assert len(shown["links"]) == 1  # linked once
    last = shown["timeline"][-1]
    assert last["action"] == "party_added"
    assert last["details"]["linked"] == []
    assert shown["timeline"][-2]["details"]["linked"] == [first["id"]]


async def test_a_linked_party_follows_the_archive(start_gridhub: StartGridHub) -> None:  # noqa: F811
    """The archive renames a linked person and moves them to another grid: the case's party
    shows the new masked name and grid; a change of something else leaves it as it is."""
    hub = await start_gridhub(["archives", "mediation"], demo=True)
    await add_people(hub)
    one, two, _far = await residents(hub)
    mediator = await hub.sign_in("med.v01")
    village = await hub.grid_id(VILLAGE)
    case = await mediator.json(
        "POST", f"{API}/cases", json=linked(new_case(village), one, two, ("张建国", "李秀兰"))
    )
    officer = await hub.sign_in("arch.officer")
    moved_to = await hub.grid_id(OTHER_TOWN_VILLAGE)
    change = {"name": "王建国", "grid_id": moved_to}
    await officer.json("PATCH", f"/api/v1/archives/residents/{one}", json=change)
    await hub.settle()
    county = await hub.sign_in("county.cmd")
    expected = [
        {"id": one, "grid_id": moved_to, "name_masked": "王**"},
        {"id": two, "grid_id": await hub.grid_id(BASIC), "name_masked": "李**"},
    ]
    shown = await county.json("GET", f"{API}/cases/{case['id']}")
    assert [p["person"] for p in shown["parties"]] == expected
    assert shown["version"] == case["version"]  # the case itself did not change
    await officer.json("PATCH", f"/api/v1/archives/residents/{one}", json={"note": "已核实"})
    await hub.settle()
    again = await county.json("GET", f"{API}/cases/{case['id']}")
    assert [p["person"] for p in again["parties"]] == expected
