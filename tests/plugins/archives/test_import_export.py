"""Import of residents and houses (CSV and XLSX): a dry run reports every bad row by number and
field and imports nothing; a real run with a bad row imports nothing; a clean one writes all.
Export by grid, masked (CSV and XLSX)."""

from __future__ import annotations

import base64
import csv
import io
from typing import Any

import aiohttp
import openpyxl

from hub.testing import HubClient
from tests.plugins.archives.conftest import (
    API,
    BASIC,
    ID_MAN,
    ID_WOMAN,
    OTHER_BASIC,
    VILLAGE,
    StartGridHub,
    archives_hub,
    id_number,
)

HEADER = ["网格编码", "姓名", "身份证号", "人口类型", "联系电话", "户号", "与户主关系", "房屋编码",
          "重点人群"]  # fmt: skip
ID_CHILD = id_number("37078320150601002")


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return ("\ufeff" + out.getvalue()).encode()


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def upload(client: HubClient, data: bytes, kind: str = "residents", fmt: str = "csv",
                 dry_run: bool = True) -> Any:  # fmt: skip
    params = {"kind": kind, "format": fmt, "dry_run": "true" if dry_run else "false"}
    response = await client.request("POST", f"{API}/import", data=data, params=params)
    return response.status, await response.json()


async def download(client: HubClient, **params: Any) -> tuple[int, bytes]:
    """(status, body) of an export (HubClient keeps only what it decodes)."""
    headers = {"Authorization": f"Bearer {client.token}"}
    async with (
        aiohttp.ClientSession(base_url=client.url) as http,
        http.get(f"{API}/export", headers=headers, params=params) as response,
    ):
        return response.status, await response.read()


async def residents(client: HubClient, **query: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await client.json(
        "GET", f"{API}/residents", params={"limit": 200, **query}))["items"]  # fmt: skip
    return found


async def test_dry_run_reports_every_bad_row_and_nothing_is_imported(
    start_gridhub: StartGridHub,
) -> None:
    hub = await archives_hub(start_gridhub)
    officer = await hub.sign_in("arch.officer")
    bad_check = ID_WOMAN[:17] + ("0" if ID_WOMAN[17] != "0" else "1")
    rows = [
        [BASIC, "张建国", ID_MAN, "户籍", "13800001234", "H001", "户主", "", "独居老人"],  # 2 ok
        [BASIC, "李娟", bad_check, "户籍", "12345", "H001", "配偶", "", ""],  # 3: id, phone
        ["nowhere", "", ID_MAN, "外星", "", "", "", "F-9", "no_tag"],  # 4: many
        [BASIC, "王小明", ID_CHILD, "常住", "", "H001", "子", "", ""],  # 5 ok
    ]
    status, report = await upload(officer, csv_bytes(rows))
    assert status == 200
    assert (report["rows"], report["clean"], report["imported"]) == (4, False, 0)
    by_row: dict[int, set[tuple[str, str]]] = {}
    for error in report["errors"]:
        by_row.setdefault(error["row"], set()).add((error["field"], error["code"]))
    assert by_row[3] == {("id_number", "archives.id_checksum"), ("phone", "archives.phone_invalid")}
    assert ("name", "archives.field_required") in by_row[4]
    assert ("category", "archives.field_invalid") in by_row[4]
    assert set(by_row) == {3, 4}
    status, refused = await upload(officer, csv_bytes(rows), dry_run=False)
    assert (status, refused["error"]["code"]) == (422, "archives.import_invalid")
    assert refused["error"]["details"]["errors_total"] == report["errors_total"]
    assert await residents(officer) == []


async def test_clean_import_writes_people_households_and_tags(
    start_gridhub: StartGridHub,
) -> None:
    hub = await archives_hub(start_gridhub)
    officer = await hub.sign_in("arch.officer")
    houses = [["房屋编码", "网格编码", "地址", "房屋类型", "房屋用途", "房主", "经度", "纬度"],
              ["DZ-001", BASIC, "东庄村东街12号", "平房", "自住", "张建国", 118.61, 36.93],
              ["WJ-003", OTHER_BASIC, "王家村3号", "楼房", "出租", "王强", 118.66,
               36.93]]  # fmt: skip
    status, report = await upload(officer, xlsx_bytes(houses), kind="houses", fmt="xlsx",
                                  dry_run=False)  # fmt: skip
    assert status == 200, report
    assert report["imported"] == 2
    rows = [[BASIC, "张建国", ID_MAN, "户籍人口", "13800001234", "H001", "户主", "DZ-001",
             "独居老人；low_income"],
            [BASIC, "王小明", ID_CHILD, "常住", "", "H001", "子", "DZ-001", ""],
            [OTHER_BASIC, "李娟", ID_WOMAN, "流动", "", "", "租户", "WJ-003", ""]]  # fmt: skip
    status, dry = await upload(officer, csv_bytes(rows))
    assert (status, dry["clean"], dry["imported"]) == (200, True, 0)
    assert await residents(officer) == []
    status, done = await upload(officer, csv_bytes(rows), dry_run=False)
    assert (status, done["imported"]) == (200, 3)
    [head] = await residents(officer, id_number=ID_MAN)
    assert (head["name"], head["category"], head["id_number"]) == (
        "张建国", "registered", "370783********1233")  # fmt: skip
    assert {t["code"] for t in head["tags"]} == {"elderly_alone", "low_income"}
    card = await officer.json("GET", f"{API}/residents/{head['id']}")
    assert card["house"]["code"] == "DZ-001"
    assert [m["name"] for m in card["household"]["members"]] == ["张建国", "王小明"]
    # the same file again: every row is a duplicate now, nothing more is written
    status, again = await upload(officer, csv_bytes(rows), dry_run=False)
    assert (status, again["error"]["code"]) == (422, "archives.import_invalid")
    assert len(await residents(officer)) == 3
    w01 = await hub.sign_in("w01")
    assert [r["name"] for r in await residents(w01)] == ["张建国", "王小明"]


async def test_import_refused_to_workers_and_outside_the_scope(
    start_gridhub: StartGridHub,
) -> None:
    hub = await archives_hub(start_gridhub)
    rows = [[OTHER_BASIC, "李娟", ID_WOMAN, "流动", "", "", "", "", ""]]
    w01 = await hub.sign_in("w01")
    response = await w01.request("POST", f"{API}/import", data=csv_bytes(rows),
                                 params={"kind": "residents"})  # fmt: skip
    assert response.status == 403
    village = await hub.sign_in("v01.cmd")  # a commander of 东庄村 only
    status, report = await upload(village, csv_bytes(rows), dry_run=False)
    assert (status, report["error"]["details"]["errors"][0]["code"]) == (
        422, "archives.grid_unknown")  # fmt: skip
    for data, code in ((b"\xff\xfe\x00garbage", "archives.import_unreadable"),
                       (b"", "archives.import_empty"),
                       (csv_bytes([], ["姓名", "口令"]), "archives.import_header")):  # fmt: skip
        status, report = await upload(village, data)
        assert report["errors"][0]["code"] == code, report
    status, report = await upload(village, b"not a zip", fmt="xlsx")
    assert report["errors"][0]["code"] == "archives.import_unreadable"


async def test_export_by_grid_is_masked(start_gridhub: StartGridHub) -> None:
    hub = await archives_hub(start_gridhub)
    officer = await hub.sign_in("arch.officer")
    rows = [[BASIC, "张建国", ID_MAN, "户籍", "13800001234", "H001", "户主", "", "社区矫正人员"],
            [OTHER_BASIC, "李娟", ID_WOMAN, "流动", "", "", "", "", ""]]  # fmt: skip
    assert (await upload(officer, csv_bytes(rows), dry_run=False))[0] == 200
    village = await hub.grid_id(VILLAGE)
    status, body = await download(officer, kind="residents", grid_id=village)
    assert status == 200
    text = body.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["网格编码", "姓名", "身份证号", "性别", "出生日期", "人口类型", "联系电话",
                        "职业", "户号", "与户主关系", "房屋编码", "重点人群"]  # fmt: skip
    assert [row[1] for row in table[1:]] == ["张建国"]  # 东庄村 only
    assert table[1][2] == "370783********1233"
    assert table[1][6] == "138****1234"
    assert table[1][11] == "社区矫正人员"
    assert ID_MAN not in text
    assert "13800001234" not in text
    leader = await hub.sign_in("v01.cmd")  # a village commander: their village only
    status, body = await download(leader, kind="residents", grid_id=village, format="xlsx")
    assert status == 200
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    cells = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert cells[1][1] == "张建国"
    assert cells[1][11] == "社区矫正人员"
    other = await hub.grid_id(OTHER_BASIC)
    assert await leader.refused("GET", f"{API}/export",
                                params={"kind": "residents", "grid_id": other}) == (
        403, "archives.out_of_scope")  # fmt: skip


async def test_the_consoles_json_upload_is_the_same_import(start_gridhub: StartGridHub) -> None:
    hub = await archives_hub(start_gridhub)
    officer = await hub.sign_in("arch.officer")
    rows = [[BASIC, "张建国", ID_MAN, "户籍", "", "", "", "", ""],
            [BASIC, "李娟", ID_MAN, "户籍", "", "", "", "", ""]]  # fmt: skip
    body = {"kind": "residents", "data": base64.b64encode(csv_bytes(rows)).decode()}
    report = await officer.json("POST", f"{API}/import/upload", json=body)
    assert [(e["row"], e["code"]) for e in report["errors"]] == [
        (3, "archives.id_duplicate_in_file")]  # fmt: skip
    assert await officer.refused("POST", f"{API}/import/upload",
                                 json={**body, "data": "@@@"}) == (
        422, "archives.import_unreadable")  # fmt: skip
    clean = {**body, "data": base64.b64encode(csv_bytes(rows[:1])).decode(), "dry_run": False}
    assert (await officer.json("POST", f"{API}/import/upload", json=clean))["imported"] == 1
    assert [r["name"] for r in await residents(officer)] == ["张建国"]
