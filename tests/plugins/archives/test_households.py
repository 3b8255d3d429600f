"""Households through the API: an officer creates one on a house, adds people and moves them
between households (each move a versioned, audited write of the person), the head follows the
members; duplicates, other grids, stale versions and unknown houses are refused and change
nothing."""

from __future__ import annotations

from typing import Any

from hub.testing import HubClient
from tests.plugins.archives.conftest import (
    API,
    BASIC,
    ID_MAN,
    ID_WOMAN,
    OTHER_BASIC,
    StartGridHub,
    add_resident,
    archives_hub,
    id_number,
)
from tests.plugins.archives.test_layers import add_house

HOUSEHOLDS = f"{API}/households"


async def member(client: HubClient, household_id: int, resident_id: int,
                 **body: Any) -> dict[str, Any]:  # fmt: skip
    path = f"{HOUSEHOLDS}/{household_id}/members/{resident_id}"
    moved: dict[str, Any] = await client.json("PUT", path, json=body)
    return moved


async def test_create_add_and_move_members(start_gridhub: StartGridHub) -> None:
    hub = await archives_hub(start_gridhub)
    officer, leader = await hub.sign_in("arch.officer"), await hub.sign_in("v01.lead")
    basic = await hub.grid_id(BASIC)
    east = await add_house(officer, basic, "DZ-H1", 118.5, 36.9)
    west = await add_house(officer, basic, "DZ-H2", 118.501, 36.9)
    made = await leader.json("POST", HOUSEHOLDS, json={
        "grid_id": basic, "number": "3707830001", "house_id": east["id"]})  # fmt: skip
    assert (made["number"], made["house_id"], made["head_resident_id"]) == (
        "3707830001", east["id"], None)  # fmt: skip
    man = await add_resident(officer, basic, ID_MAN, name="张建国")
    woman = await add_resident(officer, basic, ID_WOMAN, name="李桂芝")

    joined = await member(leader, made["id"], man["id"], relation="head", version=1)
    assert (joined["household_id"], joined["relation"], joined["house_id"], joined["version"]) == (
        made["id"], "head", east["id"], 2)  # fmt: skip
    assert (await leader.refused("PUT", f"{HOUSEHOLDS}/{made['id']}/members/{woman['id']}",
                                 json={"relation": "head"})) == (
        409, "archives.household_head")  # fmt: skip
    await member(leader, made["id"], woman["id"], relation="spouse")
    card = await leader.json("GET", f"{HOUSEHOLDS}/{made['id']}")
    assert card["head_resident_id"] == man["id"]
    assert [(m["name"], m["relation"], m["phone"]) for m in card["members"]] == [
        ("张建国", "head", "138****1234"), ("李桂芝", "spouse", "138****1234")]  # fmt: skip

    # The head moves to a new household in the other house: the old one is left without a head.
    second = await officer.json("POST", HOUSEHOLDS, json={
        "grid_id": basic, "number": "3707830002", "house_id": west["id"]})  # fmt: skip
    moved = await member(officer, second["id"], man["id"], relation="head", version=2)
    assert (moved["household_id"], moved["house_id"], moved["version"]) == (
        second["id"], west["id"], 3)  # fmt: skip
    first = await leader.json("GET", f"{HOUSEHOLDS}/{made['id']}")
    assert (first["head_resident_id"], [m["name"] for m in first["members"]]) == (None, ["李桂芝"])
    await member(leader, made["id"], woman["id"], relation="head")
    assert (await leader.json("GET", f"{HOUSEHOLDS}/{made['id']}"))["head_resident_id"] == (
        woman["id"])  # fmt: skip
    listed = await leader.json("GET", HOUSEHOLDS, params={"q": "370783000"})
    assert [h["number"] for h in listed["items"]] == ["3707830001", "3707830002"]

    await hub.settle()  # every move is a version of the person, like any other write
    versions = (await leader.json("GET", f"{API}/records/person/{man['id']}/versions"))["items"]
    assert [(v["version"], v["data"]["household_id"]) for v in versions] == [
        (1, None), (2, made["id"]), (3, second["id"])]  # fmt: skip
    admin = await hub.admin()
    audit = await admin.json("GET", "/api/v1/audit", params={"action": "archives.household.member"})
    assert sorted((e["actor"], e["target_id"]) for e in audit) == sorted([
        ("v01.lead", str(made["id"])), ("v01.lead", str(made["id"])),
        ("arch.officer", str(second["id"])), ("v01.lead", str(made["id"]))])  # fmt: skip


async def test_bad_and_out_of_scope_household_writes_change_nothing(
    start_gridhub: StartGridHub,
) -> None:
    hub = await archives_hub(start_gridhub)
    officer, leader = await hub.sign_in("arch.officer"), await hub.sign_in("v01.lead")
    worker = await hub.sign_in("w01")
    basic, other = await hub.grid_id(BASIC), await hub.grid_id(OTHER_BASIC)
    made = await officer.json("POST", HOUSEHOLDS, json={"grid_id": basic, "number": "A-1"})
    far_house = await add_house(officer, other, "WJ-1", 118.6, 36.8)
    stranger = await add_resident(officer, other, id_number("37078319700101002"), name="王强")
    local = await add_resident(officer, basic, ID_MAN, name="张建国")

    assert await officer.refused("POST", HOUSEHOLDS, json={"grid_id": basic, "number": "A-1"}) == (
        409, "archives.household_duplicate")  # fmt: skip
    assert await worker.refused("POST", HOUSEHOLDS, json={"grid_id": basic, "number": "A-2"}) == (
        403, "auth.role_required")  # fmt: skip
    assert await leader.refused("POST", HOUSEHOLDS, json={"grid_id": other, "number": "A-3"}) == (
        403, "archives.out_of_scope")  # fmt: skip
    assert await leader.refused("POST", HOUSEHOLDS, json={
        "grid_id": basic, "number": "A-4", "house_id": far_house["id"]}) == (
        422, "archives.house_unknown")  # fmt: skip
    assert await officer.refused("POST", HOUSEHOLDS, json={"grid_id": basic, "number": "x" * 33}
                                 ) == (422, "request.invalid")  # fmt: skip
    assert await officer.refused("POST", HOUSEHOLDS, json={"grid_id": 2**31, "number": "A-5"}
                                 ) == (422, "request.invalid")  # fmt: skip

    path = f"{HOUSEHOLDS}/{made['id']}/members"
    assert await leader.refused("PUT", f"{path}/{stranger['id']}", json={"relation": "child"}) == (
        403, "archives.out_of_scope")  # fmt: skip
    assert await worker.refused("PUT", f"{path}/{local['id']}", json={"relation": "child"}) == (
        403, "auth.role_required")  # fmt: skip
    assert await leader.refused("PUT", f"{path}/{local['id']}", json={
        "relation": "child", "version": 7}) == (409, "archives.version_conflict")  # fmt: skip
    assert await leader.refused("PUT", f"{path}/{local['id']}", json={"relation": "boss"}) == (
        422, "request.invalid")  # fmt: skip
    assert await leader.refused("PUT", f"{HOUSEHOLDS}/999999/members/{local['id']}", json={
        "relation": "child"}) == (404, "archives.household_not_found")  # fmt: skip
    assert await leader.refused("GET", f"{HOUSEHOLDS}/999999") == (
        404, "archives.household_not_found")  # fmt: skip
    assert await (await hub.sign_in("w08")).refused("GET", f"{HOUSEHOLDS}/{made['id']}") == (
        403, "archives.out_of_scope")  # fmt: skip

    card = await officer.json("GET", f"{API}/residents/{local['id']}")
    assert (card["household"], card["version"]) == (None, 1)
    listed = await officer.json("GET", HOUSEHOLDS)
    assert [h["number"] for h in listed["items"]] == ["A-1"]
    assert (await leader.json("GET", HOUSEHOLDS, params={"grid_id": other}))["items"] == []
