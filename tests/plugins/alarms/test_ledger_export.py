"""The alarm ledger export: CSV and XLSX read back, pages, scope, roles, bad filters, audit."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select, text

from hub.keys import GRIDS, SESSIONS
from plugins.alarms import ledger_export
from plugins.alarms.models import Alarm
from storage.models import AuditEntry
from tests.hub.conftest import bearer, login
from tests.plugins.alarms.conftest import AlarmHub

BASIC = "370783-001-001-01"  # a grid of 东庄村 (v01.cmd's village)


async def alarms_in_village_1(hub: AlarmHub, n: int) -> None:
    grid_id = hub.app[GRIDS].index.by_code(BASIC).id
    async with hub.app[SESSIONS].begin() as session:
        device_id, code = (await session.execute(text("SELECT id, code FROM devices"))).first()
        session.add_all(
            Alarm(
                device_id=device_id,
                device_code=code,
                grid_id=grid_id,
                type="smoke",
                severity="MAJOR",
                active=False,
                message=f"=cmd|{i}",
            )
            for i in range(n)
        )


async def export(hub: AlarmHub, username: str, status: int = 200, **body: Any) -> Any:
    headers = bearer(await login(hub.client, username))
    response = await hub.client.post("/api/v1/alarms/export", json=body, headers=headers)
    data = await response.read()
    assert response.status == status, data[:300]
    return data if status == 200 else (await response.json())["error"]


async def test_csv_and_xlsx_hold_every_alarm_in_scope_across_pages(
    hub: AlarmHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    await alarms_in_village_1(hub, 5)
    monkeypatch.setattr(ledger_export, "PAGE", 2)
    body = await export(hub, "v01.cmd", format="csv", type="smoke")
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header == list(ledger_export.HEADER)
    assert len(rows) == 5
    assert [int(r[0]) for r in rows] == sorted((int(r[0]) for r in rows), reverse=True)
    assert {r[2] for r in rows} == {hub.app[GRIDS].index.by_code(BASIC).name}
    assert {r[8] for r in rows} == {f"'=cmd|{i}" for i in range(5)}  # formulas made text

    book = openpyxl.load_workbook(io.BytesIO(await export(hub, "v01.cmd", type="smoke")))
    cells = list(book.worksheets[0].iter_rows(values_only=True))
    assert [str(c[0]) for c in cells[1:]] == [r[0] for r in rows]
    assert _exported(await export(hub, "v02.cmd", format="csv")) == []  # another village


async def test_roles_bad_filters_and_audit(hub: AlarmHub) -> None:
    assert (await export(hub, "w01", 403))["code"] == "auth.role_required"
    for bad in ({"format": "pdf"}, {"severity": "HUGE"}, {"active": "maybe"}):
        assert (await export(hub, "v01.cmd", 422, **bad))["code"] == "request.invalid"
    await export(hub, "v01.cmd", format="csv", severity="MAJOR")
    async with hub.app[SESSIONS]() as session:
        found = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "alarms.exported"))
        )
    assert [entry.details for entry in found] == [{"format": "csv", "severity": "MAJOR"}]


def _exported(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]
