"""Change proposals over real HTTP and sockets: a worker proposes, a village reviewer approves
(applied, a new version, the history kept), a town reviewer rejects with a reason (nothing
applied); scope and bad input are refused with nothing changed."""

from __future__ import annotations

from typing import Any

from hub.testing import HubClient
from hub.testing.fixtures import StartGridHub
from tests.plugins.archives.conftest import (
    API,
    BASIC,
    ID_MAN,
    add_resident,
    archives_hub,
)

CHANGES = f"{API}/changes"


async def changes(client: HubClient, state: str = "pending") -> list[dict[str, Any]]:
    found: dict[str, Any] = await client.json("GET", CHANGES, params={"state": state})
    return list(found["items"])


async def test_a_proposal_approved_by_the_village_is_applied_and_versioned(
    start_gridhub: StartGridHub,
) -> None:
    hub = await archives_hub(start_gridhub)
    officer, worker = await hub.sign_in("arch.officer"), await hub.sign_in("w01")
    leader = await hub.sign_in("v01.lead")
    man = await add_resident(officer, await hub.grid_id(BASIC), ID_MAN, name="张建国")
    rid = man["id"]
    proposal = {
        "target_type": "person",
        "target_id": rid,
        "base_version": 1,
        "fields": {"phone": "13911112222", "occupation": "蔬菜大棚种植"},
        "note": "本人新换手机号",
    }
    made = await worker.json("POST", CHANGES, json=proposal)
    assert made["state"] == "pending"
    assert made["fields"] == {"phone": "139****2222", "occupation": "蔬菜大棚种植"}
    # Nothing is applied while it waits, and the worker cannot decide it.
    card = await officer.json("GET", f"{API}/residents/{rid}")
    assert (card["occupation"], card["phone"], card["version"]) == ("", "138****1234", 1)
    assert await worker.refused("POST", f"{CHANGES}/{made['id']}/approve") == (
        403,
        "auth.role_required",
    )
    assert [c["id"] for c in await changes(leader)] == [made["id"]]

    w01 = await hub.socket("w01")
    approved = await leader.json("POST", f"{CHANGES}/{made['id']}/approve")
    assert (approved["state"], approved["version"]) == ("approved", 2)
    heard = await w01.next("archives.change_decided", lambda d: d["change_id"] == made["id"])
    assert heard["state"] == "approved"
    card = await officer.json("GET", f"{API}/residents/{rid}")
    assert (card["occupation"], card["phone"], card["version"]) == (
        "蔬菜大棚种植",
        "139****2222",
        2,
    )
    found = await officer.json("GET", f"{API}/residents", params={"phone": "13911112222"})
    assert [r["id"] for r in found["items"]] == [rid]  # the look-up hash follows the new phone
    versions = (await leader.json("GET", f"{API}/records/person/{rid}/versions"))["items"]
    assert [(v["version"], v["data"]["phone"], v["data"]["occupation"]) for v in versions] == [
        (1, "138****1234", ""),
        (2, "139****2222", "蔬菜大棚种植"),
    ]
    assert versions[1]["change_id"] == made["id"]
    assert await leader.refused("POST", f"{CHANGES}/{made['id']}/approve") == (
        409,
        "archives.change_decided",
    )
    # A proposal made on the old version is stale now.
    assert await worker.refused("POST", CHANGES, json={**proposal, "base_version": 1}) == (
        409,
        "archives.change_stale",
    )
    # The officer's direct edit is kept in the history too (a version per write).
    await officer.json("PATCH", f"{API}/residents/{rid}", json={"version": 2, "note": "已核实"})
    await hub.settle()
    versions = (await leader.json("GET", f"{API}/records/person/{rid}/versions"))["items"]
    assert [(v["version"], v["change_id"], v["data"]["note"]) for v in versions] == [
        (1, None, ""),
        (2, made["id"], ""),
        (3, None, "已核实"),
    ]


async def test_a_proposal_rejected_by_the_town_keeps_the_record_and_the_reason(
    start_gridhub: StartGridHub,
) -> None:
    hub = await archives_hub(start_gridhub)
    officer, worker = await hub.sign_in("arch.officer"), await hub.sign_in("w01")
    town = await hub.sign_in("town1.cmd")
    house = await officer.json(
        "POST",
        f"{API}/houses",
        json={
            "grid_id": await hub.grid_id(BASIC),
            "code": "H-370783-0001",
            "address_text": "东庄村东庄路12号",
            "use": "self",
            "owner_name": "张建国",
        },
    )
    made = await worker.json(
        "POST",
        CHANGES,
        json={"target_type": "house", "target_id": house["id"], "fields": {"use": "rented"}},
    )
    path = f"{CHANGES}/{made['id']}/reject"
    assert await town.refused("POST", path, json={"reason": "  "}) == (422, "request.invalid")
    rejected = await town.json("POST", path, json={"reason": "现场核实仍为自住"})
    assert (rejected["state"], rejected["reason"]) == ("rejected", "现场核实仍为自住")
    assert rejected["reviewer_name"]
    shown = await officer.json("GET", f"{API}/houses/{house['id']}")
    assert (shown["use"], shown["version"]) == ("self", 1)
    assert [c["id"] for c in await changes(worker, "rejected")] == [made["id"]]
    await hub.settle()
    versions = await town.json("GET", f"{API}/records/house/{house['id']}/versions")
    assert [(v["version"], v["data"]["use"]) for v in versions["items"]] == [(1, "self")]


async def test_out_of_scope_and_bad_proposals_change_nothing(start_gridhub: StartGridHub) -> None:
    hub = await archives_hub(start_gridhub)
    officer, worker = await hub.sign_in("arch.officer"), await hub.sign_in("w01")
    other_worker, other_leader = await hub.sign_in("w08"), await hub.sign_in("v02.lead")
    man = await add_resident(officer, await hub.grid_id(BASIC), ID_MAN, name="张建国")
    rid = man["id"]

    def proposal(**fields: Any) -> dict[str, Any]:
        return {"target_type": "person", "target_id": rid, "fields": fields}

    assert await other_worker.refused("POST", CHANGES, json=proposal(occupation="x")) == (
        403,
        "archives.out_of_scope",
    )
    bad = [
        (proposal(), 422, "request.invalid"),  # nothing to change
        (proposal(id_number="370783195003021233"), 422, "request.invalid"),  # not a worker's
        (proposal(sex="x"), 422, "request.invalid"),
        (proposal(phone="12345"), 422, "request.invalid"),
        (proposal(name="名" * 51), 422, "request.invalid"),
        ({**proposal(occupation="x"), "target_type": "place"}, 422, "request.invalid"),
        ({**proposal(occupation="x"), "target_id": 999999}, 404, "archives.record_not_found"),
    ]
    for body, status, code in bad:
        assert await worker.refused("POST", CHANGES, json=body) == (status, code), body
    assert await changes(officer) == []
    made = await worker.json("POST", CHANGES, json=proposal(occupation="个体"))
    # The leader of another village may not decide it; the proposer's own review is refused.
    assert await other_leader.refused("POST", f"{CHANGES}/{made['id']}/approve") == (
        403,
        "archives.out_of_scope",
    )
    await hub.grant("w01", "archives_reviewer", BASIC)
    reviewer_self = await hub.sign_in("w01")
    assert await reviewer_self.refused("POST", f"{CHANGES}/{made['id']}/approve") == (
        409,
        "archives.change_own",
    )
    assert await other_worker.refused("GET", f"{API}/records/person/{rid}/versions") == (
        403,
        "archives.out_of_scope",
    )
    card = await officer.json("GET", f"{API}/residents/{rid}")
    assert (card["occupation"], card["version"]) == ("", 1)
    assert [c["state"] for c in await changes(officer)] == ["pending"]
