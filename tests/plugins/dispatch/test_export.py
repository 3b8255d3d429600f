"""The incident ledger export: CSV and XLSX read back, masking, scope, pages, bad filters,
audit."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from hub.keys import SESSIONS
from plugins.dispatch import export
from storage.models import AuditEntry
from tests.hub.conftest import Client, Hub, bearer, login
from tests.plugins.dispatch.conftest import api_as, centre

PHONE = "13800001234"
MARK = "导出核对"  # in the titles of this test's incidents only


async def reported(client: Client, n: int) -> list[dict[str, Any]]:
    cmd = await api_as(client, "v01.cmd")
    return [
        await cmd.report(
            title=f"{MARK}{i}",
            reporter_name="王大妈",
            reporter_contact=PHONE,
            location=centre(client),
        )
        for i in range(n)
    ]


async def download(client: Client, username: str, status: int = 200, **query: str) -> Any:
    response = await client.post(
        "/api/v1/dispatch/incidents/export",
        json=query,
        headers=bearer(await login(client, username)),
    )
    body = await response.read()
    assert response.status == status, body[:300]
    return body if status == 200 else (await response.json())["error"]


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese as UTF-8
    return list(csv.reader(io.StringIO(body[3:].decode())))


async def test_csv_and_xlsx_hold_the_filtered_rows_masked(hub: Hub) -> None:
    made = await reported(hub.client, 3)
    body = await download(hub.client, "v01.cmd", format="csv", q=MARK)
    header, *rows = csv_rows(body)
    assert header == list(export.HEADER)
    assert sorted(r[0] for r in rows) == sorted(i["number"] for i in made)
    assert {(r[8], r[9]) for r in rows} == {("王***", "138****1234")}
    assert PHONE.encode() not in body

    book = openpyxl.load_workbook(io.BytesIO(await download(hub.client, "v01.cmd", q=MARK)))
    sheet = book.worksheets[0]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[0] == list(export.HEADER)
    assert [r[0] for r in cells[1:]] == [r[0] for r in rows]  # newest first, as the board
    assert {r[9] for r in cells[1:]} == {"138****1234"}


async def test_rows_come_in_pages_and_none_is_lost(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await reported(hub.client, 5)
    monkeypatch.setattr(export, "PAGE", 2)
    pages: list[int] = []
    real = export.Ledger.pages

    async def counted(self: export.Ledger) -> Any:
        async for page in real(self):
            pages.append(len(page))
            yield page

    monkeypatch.setattr(export.Ledger, "pages", counted)
    _header, *rows = csv_rows(await download(hub.client, "v01.cmd", format="csv", q=MARK))
    assert sorted(r[0] for r in rows) == sorted(i["number"] for i in made)
    assert pages == [2, 2, 1]  # never more than a page of rows at a time


async def test_scope_roles_and_bad_filters(hub: Hub) -> None:
    await reported(hub.client, 1)
    _header, *other = csv_rows(await download(hub.client, "v02.cmd", format="csv", q=MARK))
    assert other == []  # another village's commander: none of these
    refused = await download(hub.client, "w01", 403, format="csv")
    assert refused["code"] == "auth.role_required"
    commander = bearer(await login(hub.client, "v01.cmd"))
    for bad, code in (
        ({"state": "nonsense"}, "incident.bad_state"),
        ({"grid": "999-nowhere"}, "incident.unknown_grid"),
        ({"format": "pdf"}, "request.invalid"),
        ({"since": "yesterday"}, "request.invalid"),
    ):
        response = await hub.client.post(
            "/api/v1/dispatch/incidents/export", json=bad, headers=commander
        )
        assert response.status in (400, 422)
        assert (await response.json())["error"]["code"] == code
    async with hub.client.app[SESSIONS]() as session:
        audited = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "dispatch.incidents.exported")
        )
        assert len(list(audited)) == 1  # v02.cmd's, not the refused ones


async def test_each_export_is_audited_with_its_filters(hub: Hub) -> None:
    await download(hub.client, "v01.cmd", format="csv", state="reported", q=MARK)
    async with hub.client.app[SESSIONS]() as session:
        found = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "dispatch.incidents.exported")
            )
        )
    assert len(found) == 1
    assert found[0].details == {"format": "csv", "state": "reported", "q": MARK}
