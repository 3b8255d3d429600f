"""Fixtures: demo-county hubs with dispatch and mediation (by entry point, as deployed), a
village mediator and helpers to drive cases over HTTP."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from hub.testing import HubClient, RunningHub
from hub.testing.fixtures import (  # noqa: F401  (fixtures)
    StartGridHub,
    gridhub_demo_template,
    start_gridhub,
)

API = "/api/v1/mediation"
COUNTY, TOWN, VILLAGE = "370783", "370783-001", "370783-001-001"  # 寿光市, 洛城街道, 东庄村
OTHER_TOWN_VILLAGE = "370783-002-001"
BASIC = "370783-001-001-01"
MEDIATOR = "mediation_mediator"
ADVISER = "mediation_legal_adviser"


async def add_people(hub: RunningHub) -> None:
    await hub.add_person("med.v01", [(MEDIATOR, VILLAGE)], display_name="王调解")
    await hub.add_person("med.town1", [(MEDIATOR, TOWN)], display_name="李调解")
    await hub.add_person("med.far", [(MEDIATOR, OTHER_TOWN_VILLAGE)], display_name="远调解")
    await hub.add_person("law.v01", [(ADVISER, VILLAGE)], display_name="赵律师")


@pytest.fixture
async def hub(start_gridhub: StartGridHub) -> RunningHub:  # noqa: F811
    started = await start_gridhub(
        ["dispatch", "mediation"],
        demo=True,
        config={"mediation": {"risk_unanswered_s": 0.3}},
        timers={"poll_s": 0.05},
    )
    await add_people(started)
    return started


def new_case(grid_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "grid_id": grid_id,
        "type": "neighbours",
        "summary": "宅基地滴水檐纠纷，双方多次争吵",
        "place": "东庄村三组",
        "amount_yuan": 1200.5,
        "risk": "low",
        "parties": [
            {"name": "张建国", "side": "applicant", "phone": "13800001234"},
            {"name": "李秀兰", "side": "respondent"},
        ],
        **fields,
    }


async def step(client: HubClient, case: dict[str, Any], action: str, **body: Any) -> dict[str, Any]:
    payload = {"version": case["version"], **body}
    result: dict[str, Any] = await client.json(
        "POST", f"{API}/cases/{case['id']}/{action}", json=payload
    )
    return result


async def download(client: HubClient, path: str) -> tuple[int, str, bytes]:
    """(status, content type, body) of a binary answer (HubClient keeps only what it decodes)."""
    headers = {"Authorization": f"Bearer {client.token}"}
    async with (
        aiohttp.ClientSession(base_url=client.url) as http,
        http.get(path, headers=headers) as response,
    ):
        return response.status, response.content_type, await response.read()
