"""Fixtures: demo-county hubs running the services plugin (by its entry point), with helpers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.testing import HubClient, RunningHub
from hub.testing.fixtures import (  # noqa: F401  (fixtures)
    StartGridHub,
    gridhub_demo_template,
    start_gridhub,
)

VILLAGE = "370783-001-001"  # 东庄村: v01.cmd commands it, w01 is a grid worker there
OTHER_VILLAGE = "370783-001-002"  # 王家村: v02.cmd
API = "/api/v1/services"
ZONE = ZoneInfo("Asia/Shanghai")
# The public forms allow a burst from one address (the tests' clients share 127.0.0.1).
OPEN_LIMITS = {"public_submit_per_minute": 1000, "public_lookup_per_minute": 1000}


def tomorrow() -> date:
    return datetime.now(ZONE).date() + timedelta(days=1)


async def add_venue(officer: HubClient, grid_id: int, **fields: Any) -> dict[str, Any]:
    spec = {
        "grid_id": grid_id,
        "name": "东庄村文化大院",
        "capacity": 60,
        "opens": "08:00",
        "closes": "21:00",
        "slot_minutes": 60,
        **fields,
    }
    venue: dict[str, Any] = await officer.json("POST", f"{API}/venues", json=spec)
    return venue


def booking(day: date | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "day": (day or tomorrow()).isoformat(),
        "start": "09:00",
        "slots": 1,
        "purpose": "广场舞排练",
        "attendees": 20,
        "name": "王秀兰",
        "phone": "13800001234",
        **fields,
    }


async def services_hub(start: StartGridHub, *plugins: str, **options: Any) -> RunningHub:
    config = {"services": {**OPEN_LIMITS, **options.pop("services", {})}}
    config.update(options.pop("config", {}))
    demo = options.pop("demo", True)
    return await start(["services", *plugins], demo=demo, config=config, **options)
