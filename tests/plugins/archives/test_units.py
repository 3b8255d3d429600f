"""Places (实有单位/场所) and organisations as the console's forms and the import write them: a
place's standard address (its own grids only), credit code and version through PATCH; the import
of places and organisations (CSV and XLSX) reports every bad row by number and field, writes
nothing until the file is clean, then writes all with phones sealed and masked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests import services
from tests.plugins.archives.conftest import API, BASIC, OTHER_BASIC, StartGridHub, archives_hub
from tests.plugins.archives.test_import_export import csv_bytes, upload, xlsx_bytes

PLACE_HEADER = ["名称", "网格编码", "类型", "风险等级", "巡查周期(天)", "联系人", "联系电话",
                "统一社会信用代码", "从业人数", "地址", "经度", "纬度"]  # fmt: skip
CREDIT = "91370783MA3C1234XY"


def problems(report: dict[str, Any]) -> dict[int, set[tuple[str, str]]]:
    by_row: dict[int, set[tuple[str, str]]] = {}
    for error in report["errors"]:
        by_row.setdefault(error["row"], set()).add((error["field"], error["code"]))
    return by_row


async def test_a_place_takes_a_standard_address_of_its_own_grids(
    start_gridhub: StartGridHub,
) -> None:
    hub = await archives_hub(start_gridhub)
    officer, village = await hub.sign_in("arch.officer"), await hub.sign_in("v01.cmd")
    basic, other = await hub.grid_id(BASIC), await hub.grid_id(OTHER_BASIC)
    road = await officer.json("POST", f"{API}/addresses", json={
        "grid_id": basic, "level": "road", "name": "幸福路", "lng": 118.6,
        "lat": 36.93})  # fmt: skip
    far = await officer.json("POST", f"{API}/addresses", json={
        "grid_id": other, "level": "road", "name": "王家街"})  # fmt: skip
    place = await village.json("POST", f"{API}/places", json={
        "grid_id": basic, "name": "东庄村超市", "kind": "shop"})  # fmt: skip
    path = f"{API}/places/{place['id']}"
    assert await village.refused("PATCH", path, json={"version": 1, "address_id": far["id"]}) == (
        422, "archives.address_unknown")  # fmt: skip
    assert await village.refused("PATCH", path, json={"version": 1, "credit_code": "abc"}) == (
        422, "request.invalid")  # fmt: skip
    changed = await village.json("PATCH", path, json={
        "version": 1, "address_id": road["id"], "address_text": "东庄村幸福路",
        "credit_code": CREDIT, "risk_level": "medium", "inspection_interval_days": 14})  # fmt: skip
    assert (changed["address_id"], changed["credit_code"], changed["risk_level"],
            changed["inspection_interval_days"], changed["version"]) == (
        road["id"], CREDIT, "medium", 14, 2)  # fmt: skip
    assert await village.refused("PATCH", path, json={"version": 1, "note": "x"}) == (
        409, "archives.version_conflict")  # fmt: skip
    org = await village.json("POST", f"{API}/orgs", json={
        "grid_id": basic, "name": "东庄村老年协会", "kind": "social"})  # fmt: skip
    moved = await village.json("PATCH", f"{API}/orgs/{org['id']}", json={
        "version": 1, "address_id": road["id"], "members": 40})  # fmt: skip
    assert (moved["address_id"], moved["members"], moved["version"]) == (road["id"], 40, 2)
    admin = await hub.admin()
    [entry] = await admin.json("GET", "/api/v1/audit", params={"action": "archives.place.update"})
    assert (entry["actor"], entry["details"]["changed"]) == (
        "v01.cmd",
        ["address_id", "address_text", "credit_code", "inspection_interval_days", "risk_level"],
    )


async def test_import_of_places_reports_every_bad_row_then_writes_all(
    start_gridhub: StartGridHub,
) -> None:
    hub = await archives_hub(start_gridhub)
    officer = await hub.sign_in("arch.officer")
    basic = await hub.grid_id(BASIC)
    await officer.json("POST", f"{API}/places", json={
        "grid_id": basic, "name": "东庄村加油站", "kind": "hazardous"})  # fmt: skip
    # fmt: off
    rows = [
        ["东庄村超市", BASIC, "商铺", "低", "30", "刘强", "13800001234", CREDIT, "5", "东街1号",
         "118.6", "36.93"],  # 2 ok
        ["东庄村加油站", BASIC, "危化品场所", "高", "7", "", "", "", "", "", "", ""],  # 3 taken
        ["东庄村超市", BASIC, "商铺", "", "", "", "", "", "", "", "", ""],  # 4 twice in the file
        ["王家村诊所", "nowhere", "诊所", "极高", "0", "", "12", "", "-1", "", "118.6", ""],  # 5
        ["", OTHER_BASIC, "飞船", "", "", "", "", "", "", "", "", ""],  # 6
        ["王家村小学", OTHER_BASIC, "学校", "中", "", "", "0536-5123456", "", "", "", "", ""],  # 7
    ]
    # fmt: on
    status, report = await upload(officer, csv_bytes(rows, PLACE_HEADER), kind="places")
    assert status == 200
    assert (report["rows"], report["clean"], report["imported"]) == (6, False, 0)
    found = problems(report)
    assert found[3] == {("name", "archives.place_duplicate")}
    assert found[4] == {("name", "archives.place_duplicate_in_file")}
    assert {("risk_level", "archives.field_invalid"),
            ("inspection_interval_days", "archives.field_invalid"),
            ("employees", "archives.field_invalid")} <= found[5]  # fmt: skip
    assert {("name", "archives.field_required"), ("kind", "archives.field_invalid")} <= found[6]
    assert set(found) == {3, 4, 5, 6}
    status, refused = await upload(officer, csv_bytes(rows, PLACE_HEADER), kind="places",
                                   dry_run=False)  # fmt: skip
    assert (status, refused["error"]["code"]) == (422, "archives.import_invalid")
    assert len((await officer.json("GET", f"{API}/places"))["items"]) == 1

    clean = [rows[0], rows[5]]
    status, done = await upload(officer, csv_bytes(clean, PLACE_HEADER), kind="places",
                                dry_run=False)  # fmt: skip
    assert (status, done["imported"]) == (200, 2)
    listed = {p["name"]: p for p in (await officer.json("GET", f"{API}/places"))["items"]}
    shop = listed["东庄村超市"]
    assert (shop["kind"], shop["risk_level"], shop["inspection_interval_days"], shop["employees"],
            shop["credit_code"], shop["phone"], shop["masked"]) == (
        "shop", "low", 30, 5, CREDIT, "138****1234", True)  # fmt: skip
    school = listed["王家村小学"]
    assert (school["risk_level"], school["inspection_interval_days"]) == ("medium", 30)
    shown = await officer.json("POST", f"{API}/places/{shop['id']}/reveal")
    assert shown["phone"] == "13800001234"
    by_name = await officer.json("GET", f"{API}/places", params={"q": "东庄村超"})
    assert [p["id"] for p in by_name["items"]] == [shop["id"]]
    w01 = await hub.sign_in("w01")  # the first grid of 东庄村 only
    assert {p["name"] for p in (await w01.json("GET", f"{API}/places"))["items"]} == {
        "东庄村加油站", "东庄村超市"}  # fmt: skip
    admin = await hub.admin()
    [entry] = await admin.json("GET", "/api/v1/audit", params={"action": "archives.import"})
    assert (entry["target_id"], entry["details"]) == ("places", {"rows": 2})


async def test_import_of_organisations_from_xlsx_within_the_scope(
    start_gridhub: StartGridHub,
) -> None:
    hub = await archives_hub(start_gridhub)
    village = await hub.sign_in("v01.cmd")  # a commander of 东庄村 only
    header = ["名称", "网格编码", "类型", "负责人", "联系电话", "成员数", "地址"]
    rows = [header, ["东庄村村委会", BASIC, "村委会", "张建国", "13800001234", 7, "东庄村"],
            ["王家村物业", OTHER_BASIC, "物业公司", "", "", "", ""]]  # fmt: skip
    status, report = await upload(village, xlsx_bytes(rows), kind="orgs", fmt="xlsx")
    assert (status, problems(report)) == (200, {3: {("grid", "archives.grid_unknown")}})
    status, done = await upload(village, xlsx_bytes(rows[:2]), kind="orgs", fmt="xlsx",
                                dry_run=False)  # fmt: skip
    assert (status, done["imported"]) == (200, 1)
    [org] = (await village.json("GET", f"{API}/orgs"))["items"]
    assert (org["name"], org["kind"], org["leader_name"], org["members"], org["phone"]) == (
        "东庄村村委会", "village_committee", "张建国", 7, "138****1234")  # fmt: skip
    status, again = await upload(village, xlsx_bytes(rows[:2]), kind="orgs", fmt="xlsx")
    assert problems(again) == {2: {("name", "archives.org_duplicate")}}
    w01 = await hub.sign_in("w01")
    assert await w01.refused("POST", f"{API}/import", params={"kind": "orgs"}, data=b"x") == (
        403, "auth.role_required")  # fmt: skip


@pytest.fixture
def own_postgres(postgres_server: str) -> Iterator[str]:
    """A database of this test's own (the run's shared one holds another test's demo county),
    dropped after the hub that uses it has stopped (fixtures end in reverse order)."""
    with services.fresh_database(postgres_server, "gridhub_units_") as url:
        yield url


@pytest.mark.postgres
async def test_import_of_places_and_organisations_on_postgres(
    own_postgres: str, start_gridhub: StartGridHub
) -> None:
    """PostgreSQL writes the rows by COPY, and looks the (grid, name) pairs up as row values."""
    hub = await archives_hub(start_gridhub, database_url=own_postgres)
    officer = await hub.sign_in("arch.officer")
    rows = [["东庄村超市", BASIC, "商铺", "中", "14", "刘强", "13800001234", CREDIT, "5", "东街1号",
             "118.6", "36.93"]]  # fmt: skip
    status, done = await upload(officer, csv_bytes(rows, PLACE_HEADER), kind="places",
                                dry_run=False)  # fmt: skip
    assert (status, done["imported"]) == (200, 1)
    [shop] = (await officer.json("GET", f"{API}/places"))["items"]
    assert (shop["risk_level"], shop["inspection_interval_days"], shop["phone"], shop["lat"]) == (
        "medium", 14, "138****1234", 36.93)  # fmt: skip
    status, again = await upload(officer, csv_bytes(rows, PLACE_HEADER), kind="places")
    assert problems(again) == {2: {("name", "archives.place_duplicate")}}
    orgs = [["名称", "网格编码", "类型", "成员数"], ["东庄村村委会", BASIC, "村委会", 7]]
    status, done = await upload(officer, xlsx_bytes(orgs), kind="orgs", fmt="xlsx", dry_run=False)
    assert (status, done["imported"]) == (200, 1)
    [org] = (await officer.json("GET", f"{API}/orgs"))["items"]
    assert (org["kind"], org["members"], org["phone"]) == ("village_committee", 7, "")
