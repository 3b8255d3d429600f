"""Houses, places and organisations through the API (writes by role, duplicates, versions,
coordinates, a place's phone masked and revealed with audit), and the key-group catalogue
(officers change which roles see a tag, and the grid worker's sight follows)."""

from __future__ import annotations

from typing import Any

from tests.plugins.archives.conftest import (
    API,
    BASIC,
    ID_MAN,
    OTHER_BASIC,
    StartGridHub,
    add_resident,
    archives_hub,
)

PHONE = "0536-5123456"


async def test_houses_places_and_orgs(start_gridhub: StartGridHub) -> None:
    hub = await archives_hub(start_gridhub)
    officer, worker = await hub.sign_in("arch.officer"), await hub.sign_in("w01")
    basic = await hub.grid_id(BASIC)
    house = {"grid_id": basic, "code": "DZ-1", "address_text": "东庄村东街1号", "use": "rented"}
    made = await officer.json("POST", f"{API}/houses", json=house)
    assert (made["use"], made["version"], made["grid_name"]) == ("rented", 1, "东庄村第一网格")
    assert await officer.refused("POST", f"{API}/houses", json=house) == (
        409, "archives.house_duplicate")  # fmt: skip
    assert await officer.refused("POST", f"{API}/houses", json={**house, "code": "DZ-2",
                                                                "lng": 118.6}) == (
        422, "archives.coordinates_partial")  # fmt: skip
    assert await worker.refused("POST", f"{API}/houses", json={**house, "code": "DZ-3"}) == (
        403, "auth.role_required")  # fmt: skip
    path = f"{API}/houses/{made['id']}"
    changed = await officer.json("PATCH", path, json={"version": 1, "use": "vacant"})
    assert (changed["use"], changed["version"]) == ("vacant", 2)
    assert await officer.refused("PATCH", path, json={"version": 1, "use": "self"}) == (
        409, "archives.version_conflict")  # fmt: skip
    assert (await worker.json("GET", path))["use"] == "vacant"
    assert await (await hub.sign_in("w08")).refused("GET", path) == (
        403, "archives.out_of_scope")  # fmt: skip
    found = await worker.json("GET", f"{API}/houses", params={"q": "DZ"})
    assert [h["code"] for h in found["items"]] == ["DZ-1"]

    place = await officer.json("POST", f"{API}/places", json={
        "grid_id": basic, "name": "东庄村加油站", "kind": "hazardous", "risk_level": "high",
        "inspection_interval_days": 7, "phone": PHONE, "contact_name": "刘强"})  # fmt: skip
    assert place["phone"] == "053****3456"
    assert PHONE not in str(await worker.json("GET", f"{API}/places/{place['id']}"))
    assert await worker.refused("POST", f"{API}/places/{place['id']}/reveal") == (
        403, "auth.role_required")  # fmt: skip
    shown = await officer.json("POST", f"{API}/places/{place['id']}/reveal")
    assert shown["phone"] == PHONE
    admin = await hub.admin()
    audit = await admin.json("GET", "/api/v1/audit", params={"action": "archives.place.reveal"})
    assert [e["actor"] for e in audit] == ["arch.officer"]
    assert await officer.refused("POST", f"{API}/places", json={
        "grid_id": basic, "name": "x", "kind": "hazardous", "phone": "12"}) == (
        422, "archives.phone_invalid")  # fmt: skip

    other = await hub.grid_id(OTHER_BASIC)
    org = await officer.json("POST", f"{API}/orgs", json={
        "grid_id": other, "name": "王家村老年协会", "kind": "social"})  # fmt: skip
    assert (await worker.json("GET", f"{API}/orgs"))["items"] == []
    assert (await officer.json("GET", f"{API}/orgs"))["items"][0]["id"] == org["id"]


async def test_officers_choose_who_sees_a_key_group(start_gridhub: StartGridHub) -> None:
    hub = await archives_hub(start_gridhub)
    officer, worker = await hub.sign_in("arch.officer"), await hub.sign_in("w01")
    person = await add_resident(officer, await hub.grid_id(BASIC), ID_MAN,
                                tags=["severe_mental"])  # fmt: skip
    seen = await worker.json("GET", f"{API}/residents/{person['id']}")
    assert seen["tags"] == []
    tags = {t["code"]: t for t in (await worker.json("GET", f"{API}/tags"))["items"]}
    assert tags["severe_mental"]["visible"] is False
    assert tags["elderly_alone"]["visible"] is True
    tag: dict[str, Any] = {k: v for k, v in tags["severe_mental"].items() if k != "visible"}
    assert await officer.refused("PUT", f"{API}/tags", json={
        **tag, "visible_roles": ["nobody"]}) == (422, "archives.role_unknown")  # fmt: skip
    assert await worker.refused("PUT", f"{API}/tags", json=tag) == (403, "auth.role_required")
    await officer.json("PUT", f"{API}/tags", json={
        **tag, "visible_roles": [*tag["visible_roles"], "grid_worker"]})  # fmt: skip
    seen = await worker.json("GET", f"{API}/residents/{person['id']}")
    assert [t["code"] for t in seen["tags"]] == ["severe_mental"]


async def test_standard_addresses_form_a_tree(start_gridhub: StartGridHub) -> None:
    hub = await archives_hub(start_gridhub)
    officer, worker = await hub.sign_in("arch.officer"), await hub.sign_in("w01")
    basic = await hub.grid_id(BASIC)
    path = f"{API}/addresses"
    road = await officer.json("POST", path, json={"grid_id": basic, "level": "road",
                                                  "name": "东庄村东街"})  # fmt: skip
    number = await officer.json("POST", path, json={
        "grid_id": basic, "parent_id": road["id"], "level": "number", "name": "12号",
        "lng": 118.58, "lat": 36.9})  # fmt: skip
    assert number["full_name"] == "东庄村东街12号"
    for body, code in (
        ({"grid_id": basic, "level": "number", "name": "1号"}, "archives.address_level"),
        ({"grid_id": basic, "parent_id": number["id"], "level": "road", "name": "x"},
         "archives.address_level"),
        ({"grid_id": await hub.grid_id(OTHER_BASIC), "parent_id": road["id"], "level": "number",
          "name": "9号"}, "archives.address_grid"),
    ):  # fmt: skip
        assert await officer.refused("POST", path, json=body) == (422, code)
    assert await worker.refused("POST", path, json={"grid_id": basic, "level": "road",
                                                    "name": "西街"}) == (
        403, "auth.role_required")  # fmt: skip
    roads = await worker.json("GET", path)
    assert [a["full_name"] for a in roads["items"]] == ["东庄村东街"]
    children = await worker.json("GET", path, params={"parent_id": road["id"]})
    assert [a["id"] for a in children["items"]] == [number["id"]]
    house = await officer.json("POST", f"{API}/houses", json={
        "grid_id": basic, "code": "DZ-12", "address_text": number["full_name"],
        "address_id": number["id"]})  # fmt: skip
    assert house["address_id"] == number["id"]
    assert (await (await hub.sign_in("w08")).json("GET", path))["items"] == []
