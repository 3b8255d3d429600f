"""Fixtures: demo-county hubs running the archives plugin (by its entry point), and helpers.

Shared with the visits/changes/campaigns tests: add fixtures of your own below, keep these."""

from __future__ import annotations

from typing import Any

from hub.testing import HubClient, RunningHub
from hub.testing.fixtures import (  # noqa: F401  (fixtures)
    StartGridHub,
    gridhub_demo_template,
    start_gridhub,
)

API = "/api/v1/archives"
VILLAGE = "370783-001-001"  # 东庄村: v01.lead leads it, w01 works its first grid
BASIC = "370783-001-001-01"  # 东庄村第一网格 (w01)
OTHER_BASIC = "370783-001-002-03"  # 王家村第三网格 (w08)
OFFICER = "archives_officer"

# Valid GB 11643 numbers (check digits computed): men end odd in digit 17, women even.
ID_MAN = "370783195003021233"
ID_WOMAN = "370783198811230029"


def id_number(first17: str) -> str:
    """A valid ID number from its first 17 digits (the check character appended)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


async def archives_hub(start: StartGridHub, **options: Any) -> RunningHub:
    """A demo-county hub with the archives plugin and an officer `arch.officer` over the
    county (besides the demo's county.cmd, v01.lead, w01, w08)."""
    hub = await start(["archives"], demo=True, **options)
    await hub.add_person("arch.officer", [(OFFICER, "370783")], display_name="档案员")
    return hub


def person(grid_id: int, number: str, **fields: Any) -> dict[str, Any]:
    return {"grid_id": grid_id, "name": "王秀兰", "id_number": number, "category": "registered",
            "phone": "13800001234", **fields}  # fmt: skip


async def add_resident(client: HubClient, grid_id: int, number: str, **fields: Any
                       ) -> dict[str, Any]:  # fmt: skip
    made: dict[str, Any] = await client.json(
        "POST", f"{API}/residents", json=person(grid_id, number, **fields)
    )
    return made
