"""Fixtures: demo-county hubs running the party plugin (with dispatch, whose incidents earn
points), and the calls the tests share."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from hub.testing import HubClient, RunningHub
from hub.testing.fixtures import (  # noqa: F401  (fixtures)
    StartGridHub,
    gridhub_demo_template,
    start_gridhub,
)

VILLAGE = "370783-001-001"  # 东庄村; v01.cmd commands it, town1.cmd its town 洛城街道
OTHER_TOWN_VILLAGE = "370783-002-001"  # v05.cmd; outside town1.cmd's scope
API = "/api/v1/party"


@pytest.fixture
async def hub(start_gridhub: StartGridHub) -> RunningHub:  # noqa: F811
    return await start_gridhub(["party", "dispatch"], demo=True)


def xlsx(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def draft(
    client: HubClient,
    grid_id: int,
    period: str = "2026-10",
    category: str = "finance",
    title: str = "十月财务收支",
) -> int:
    body = {
        "grid_id": grid_id,
        "category": category,
        "period": period,
        "title": title,
        "body": "收入 12000 元，支出 8000 元。",
    }
    created = await client.json("POST", f"{API}/disclosures", json=body)
    return int(created["id"])


async def publish(hub: RunningHub, item_id: int) -> None:
    village = await hub.sign_in("v01.cmd")
    town = await hub.sign_in("town1.cmd")
    await village.json("POST", f"{API}/disclosures/{item_id}/submit")
    answer = await town.json(
        "POST", f"{API}/disclosures/{item_id}/review", json={"decision": "approve"}
    )
    assert answer["state"] == "published"


async def audit_actions(hub: RunningHub, target_id: int) -> list[str]:
    admin = await hub.admin()
    rows = await admin.json(
        "GET", "/api/v1/audit", params={"target_type": "party_disclosure", "target_id": target_id}
    )
    return [row["action"] for row in reversed(rows)]
