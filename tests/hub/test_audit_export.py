"""The audit log export (admins): CSV and XLSX read back, pages, filters, masking, audit."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest

from hub.api import audit_export
from tests.hub.conftest import Client, bearer, login


async def people_created(client: Client, token: str, n: int) -> None:
    for i in range(n):
        spec = {"username": f"exported{i}", "display_name": f"导出{i}", "roles": []}
        response = await client.post("/api/v1/people", json=spec, headers=bearer(token))
        assert response.status == 201


async def export(client: Client, token: str, status: int = 200, **body: Any) -> Any:
    response = await client.post("/api/v1/audit/export", json=body, headers=bearer(token))
    data = await response.read()
    assert response.status == status, data[:300]
    return data if status == 200 else (await response.json())["error"]


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


async def test_csv_and_xlsx_hold_the_filtered_entries_across_pages(
    client: Client, admin_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await people_created(client, admin_token, 5)
    monkeypatch.setattr(audit_export, "PAGE", 2)
    header, *rows = csv_rows(
        await export(client, admin_token, format="csv", action="person.create")
    )
    assert header == list(audit_export.HEADER)
    assert len(rows) == 5
    assert {r[4] for r in rows} == {"person.create"}
    assert all(r[7].endswith(".*") or r[7].endswith(":*") for r in rows)  # address masked
    assert any("exported3" in r[9] for r in rows)

    book = openpyxl.load_workbook(
        io.BytesIO(await export(client, admin_token, action="person.create"))
    )
    cells = list(book.worksheets[0].iter_rows(values_only=True))
    assert [str(c[0]) for c in cells[1:]] == [r[0] for r in rows]

    header, *mine = csv_rows(
        await export(client, admin_token, format="csv", action="system.audit.exported")
    )
    assert len(mine) == 3  # every export is itself audited, with its filters
    assert '"action": "person.create"' in mine[-1][9]


async def test_only_admins_and_bad_filters_are_refused(client: Client, admin_token: str) -> None:
    commander = await login(client, "v01.cmd")
    assert (await export(client, commander, 403))["code"] == "auth.admin_required"
    for bad in ({"format": "pdf"}, {"since": "last year"}, {"actor_id": 0}):
        assert (await export(client, admin_token, 422, **bad))["code"] == "request.invalid"
