"""An incident filed by a visit's hazard names the archive's record by id: the person visited
(or place inspected) is on the incident's card, masked, for staff of its grid only; an incident
no visit filed names nothing."""

from __future__ import annotations

from tests.plugins.archives.conftest import API, BASIC, ID_MAN, add_resident
from tests.plugins.archives.test_visits import VISITS, StartGridHub, field_hub, visit


async def test_a_hazard_incident_names_the_person_visited(start_gridhub: StartGridHub) -> None:
    hub = await field_hub(start_gridhub)
    officer, worker = await hub.sign_in("arch.officer"), await hub.sign_in("w01")
    person = await add_resident(officer, await hub.grid_id(BASIC), ID_MAN, name="张建国",
                                tags=["elderly_alone"])  # fmt: skip
    w01 = await hub.socket("w01")
    body = visit(person["id"], "linked-visit-01", note="屋内电线老化",
                 hazard={"title": "独居老人家中电线老化", "priority": "high"})  # fmt: skip
    made = await worker.json("POST", VISITS, json=body)
    opened = await w01.next("archives.visit_incident", lambda d: d["visit_id"] == made["id"])
    incident_id = opened["incident_id"]

    leader = await hub.sign_in("v01.lead")
    linked = await leader.json("GET", f"{API}/linked", params={"incident_id": incident_id})
    [shown] = linked["people"]
    assert (shown["id"], shown["name"], shown["phone"], shown["masked"]) == (
        person["id"], "张建国", "138****1234", True)  # fmt: skip
    assert [t["code"] for t in shown["tags"]] == ["elderly_alone"]
    assert linked["places"] == []
    [trail] = linked["visits"]
    assert (trail["visit_id"], trail["hazard_title"]) == (made["id"], "独居老人家中电线老化")

    other = await hub.sign_in("w08")  # another village's worker: nothing of this grid
    assert await other.json("GET", f"{API}/linked", params={"incident_id": incident_id}) == {
        "people": [], "places": [], "visits": []}  # fmt: skip
    nothing = await leader.json("GET", f"{API}/linked", params={"incident_id": incident_id + 999})
    assert nothing == {"people": [], "places": [], "visits": []}
    assert await leader.refused("GET", f"{API}/linked", params={"incident_id": "x"}) == (
        422, "request.query_invalid")  # fmt: skip
