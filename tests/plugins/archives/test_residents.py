"""People in the archive: sealed at rest, masked by default, revealed to some roles (audited),
ID numbers checked (GB 11643) and unique, scope (a worker sees only their grids), key-group
tags shown by role."""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.testing import HubClient, RunningHub
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
    person,
)

PHONE = "13800001234"


def stored(hub: RunningHub, resident_id: int) -> tuple[str, str, str]:
    """The row's ID number and phone columns as the database holds them."""
    with sqlite3.connect(hub.data_dir / "gridhub.db") as db:
        row = db.execute("SELECT id_sealed, phone_sealed, id_masked FROM archives_residents "
                         "WHERE id = ?", (resident_id,)).fetchone()  # fmt: skip
    return row[0], row[1], row[2]


async def reveals(hub: RunningHub, resident_id: int) -> list[dict[str, Any]]:
    admin = await hub.admin()
    found: list[dict[str, Any]] = await admin.json(
        "GET", "/api/v1/audit",
        params={"action": "archives.resident.reveal", "target_id": str(resident_id)},
    )  # fmt: skip
    return found


async def count(client: HubClient) -> int:
    found = await client.json("GET", f"{API}/residents", params={"limit": 200})
    return len(found["items"])


async def test_sealed_at_rest_masked_for_all_revealed_with_audit(
    start_gridhub: StartGridHub,
) -> None:
    hub = await archives_hub(start_gridhub)
    officer, worker = await hub.sign_in("arch.officer"), await hub.sign_in("w01")
    made = await add_resident(officer, await hub.grid_id(BASIC), ID_MAN, phone=PHONE, name="张建国")
    assert made["id_number"] == "370783********1233"
    assert made["phone"] == "138****1234"
    assert made["sex"] == "m"
    assert made["birth_date"] == "1950-03-02"
    id_sealed, phone_sealed, id_masked = stored(hub, made["id"])
    assert id_sealed.startswith("pd1:")
    assert phone_sealed.startswith("pd1:")
    assert ID_MAN not in id_sealed + phone_sealed
    assert PHONE not in id_sealed + phone_sealed
    assert id_masked == "370783********1233"

    card = await worker.json("GET", f"{API}/residents/{made['id']}")
    assert card["masked"]
    assert ID_MAN not in str(card)
    assert PHONE not in str(card)
    assert await worker.refused("POST", f"{API}/residents/{made['id']}/reveal") == (
        403, "auth.role_required")  # fmt: skip
    assert await reveals(hub, made["id"]) == []

    shown = await officer.json("POST", f"{API}/residents/{made['id']}/reveal")
    assert (shown["id_number"], shown["phone"], shown["masked"]) == (ID_MAN, PHONE, False)
    [entry] = await reveals(hub, made["id"])
    assert entry["actor"] == "arch.officer"
    assert entry["target_type"] == "archives_resident"
    assert ID_MAN not in str(entry)
    assert PHONE not in str(entry)


async def test_a_leader_reveals_in_their_village_only(start_gridhub: StartGridHub) -> None:
    hub = await archives_hub(start_gridhub)
    officer = await hub.sign_in("arch.officer")
    mine = await add_resident(officer, await hub.grid_id(BASIC), ID_MAN)
    other = await add_resident(officer, await hub.grid_id(OTHER_BASIC), ID_WOMAN)
    leader = await hub.sign_in("v01.lead")
    assert (await leader.json("POST", f"{API}/residents/{mine['id']}/reveal"))["masked"] is False
    assert await leader.refused("POST", f"{API}/residents/{other['id']}/reveal") == (
        403, "archives.out_of_scope")  # fmt: skip
    assert await reveals(hub, other["id"]) == []


async def test_id_numbers_checked_unique_and_bad_input_changes_nothing(
    start_gridhub: StartGridHub,
) -> None:
    hub = await archives_hub(start_gridhub)
    officer = await hub.sign_in("arch.officer")
    grid = await hub.grid_id(BASIC)
    await add_resident(officer, grid, ID_MAN)
    wrong_check = ID_WOMAN[:17] + ("0" if ID_WOMAN[17] != "0" else "1")
    cases = [
        (person(grid, wrong_check), 422, "archives.id_checksum"),
        (person(grid, "37078319500302123"), 422, "archives.id_invalid"),
        (person(grid, id_number("37078330000101123")), 422, "archives.id_birth_date"),
        (person(grid, ID_WOMAN, phone="12345"), 422, "archives.phone_invalid"),
        (person(grid, ID_WOMAN, sex="m"), 422, "archives.sex_mismatch"),
        (person(grid, ID_MAN.lower()), 409, "archives.id_duplicate"),
        (person(grid, ID_WOMAN, tags=["no_such_tag"]), 422, "archives.tag_unknown"),
        (person(grid, ID_WOMAN, house_id=999), 422, "archives.house_unknown"),
        (person(999_999, ID_WOMAN), 422, "archives.grid_unknown"),
        (person(grid, ID_WOMAN, name="x" * 51), 422, "request.invalid"),
        (person(grid, ID_WOMAN, category="tourist"), 422, "request.invalid"),
    ]
    for body, status, code in cases:
        assert await officer.refused("POST", f"{API}/residents", json=body) == (status, code)
    assert await count(officer) == 1


async def test_a_worker_sees_and_finds_only_their_grids(
    start_gridhub: StartGridHub, database_url: str
) -> None:
    """On SQLite and PostgreSQL (the name prefix is a range there, LIKE here)."""
    hub = await archives_hub(start_gridhub, database_url=database_url)
    officer, w01, w08 = [await hub.sign_in(name) for name in ("arch.officer", "w01", "w08")]
    mine = await add_resident(officer, await hub.grid_id(BASIC), ID_MAN, name="张建国", phone=PHONE)
    theirs = await add_resident(officer, await hub.grid_id(OTHER_BASIC), ID_WOMAN, name="张秀英")
    assert [r["id"] for r in (await w01.json("GET", f"{API}/residents"))["items"]] == [mine["id"]]
    assert [r["id"] for r in (await w08.json("GET", f"{API}/residents"))["items"]] == [
        theirs["id"]]  # fmt: skip
    for query in ({"q": "张"}, {"q": "张建"}, {"id_number": ID_MAN}, {"phone": PHONE}):
        found = (await w01.json("GET", f"{API}/residents", params=query))["items"]
        assert [r["id"] for r in found] == [mine["id"]], query
    assert (await w08.json("GET", f"{API}/residents", params={"id_number": ID_MAN}))["items"] == []
    assert await w08.refused("GET", f"{API}/residents/{mine['id']}") == (
        403, "archives.out_of_scope")  # fmt: skip
    everyone = await officer.json("GET", f"{API}/residents", params={"q": "张"})
    assert {r["id"] for r in everyone["items"]} == {mine["id"], theirs["id"]}
    for literal in ("%", "_", "张%"):  # the prefix is text, not a pattern
        found = await officer.json("GET", f"{API}/residents", params={"q": literal})
        assert found["items"] == [], literal
    assert await (await hub.sign_in("r01")).refused("GET", f"{API}/residents") == (
        403, "auth.role_required")  # fmt: skip


async def test_key_group_tags_shown_by_role(start_gridhub: StartGridHub) -> None:
    hub = await archives_hub(start_gridhub)
    officer = await hub.sign_in("arch.officer")
    made = await add_resident(officer, await hub.grid_id(BASIC), ID_MAN,
                              tags=["elderly_alone", "community_correction"])  # fmt: skip
    assert [t["code"] for t in made["tags"]] == ["community_correction", "elderly_alone"]
    worker, leader = await hub.sign_in("w01"), await hub.sign_in("v01.lead")
    seen_by_worker = await worker.json("GET", f"{API}/residents/{made['id']}")
    assert [t["code"] for t in seen_by_worker["tags"]] == ["elderly_alone"]
    seen_by_leader = await leader.json("GET", f"{API}/residents/{made['id']}")
    assert len(seen_by_leader["tags"]) == 2
    # the leader clears the care tag; the control tag stays, the worker never saw it
    await leader.json("PUT", f"{API}/residents/{made['id']}/tags", json={"codes": []})
    kept = await officer.json("GET", f"{API}/residents/{made['id']}")
    assert [t["code"] for t in kept["tags"]] == []
    await officer.json("PUT", f"{API}/residents/{made['id']}/tags",
                       json={"codes": ["community_correction"]})  # fmt: skip
    assert await worker.refused("PUT", f"{API}/residents/{made['id']}/tags",
                                json={"codes": ["elderly_alone"]}) == (
        403, "auth.role_required")  # fmt: skip


async def test_update_checks_version_and_id(start_gridhub: StartGridHub) -> None:
    hub = await archives_hub(start_gridhub)
    officer = await hub.sign_in("arch.officer")
    made = await add_resident(officer, await hub.grid_id(BASIC), ID_MAN)
    other = await add_resident(officer, await hub.grid_id(BASIC), ID_WOMAN, name="李娟")
    path = f"{API}/residents/{made['id']}"
    changed = await officer.json("PATCH", path, json={"version": 1, "occupation": "农民",
                                                      "phone": "13900001111"})  # fmt: skip
    assert (changed["version"], changed["phone"], changed["occupation"]) == (
        2, "139****1111", "农民")  # fmt: skip
    assert await officer.refused("PATCH", path, json={"version": 1, "name": "x"}) == (
        409, "archives.version_conflict")  # fmt: skip
    assert await officer.refused("PATCH", path, json={"id_number": ID_WOMAN}) == (
        409, "archives.id_duplicate")  # fmt: skip
    assert await officer.refused("PATCH", path, json={"id_number": "1234"}) == (
        422, "archives.id_invalid")  # fmt: skip
    assert (await officer.json("GET", path))["version"] == 2
    assert other["name"] == "李娟"
    found = await officer.json("GET", f"{API}/residents", params={"phone": "13900001111"})
    assert [r["id"] for r in found["items"]] == [made["id"]]
