"""Fixtures: demo-county hubs running the dispatch plugin, and helpers to drive incidents."""

from __future__ import annotations

from typing import Any, Protocol

import pytest

from hub.keys import GRIDS
from plugins.dispatch import DispatchPlugin
from tests.hub.conftest import (  # noqa: F401  (fixtures)
    Client,
    Hub,
    StartHub,
    bearer,
    demo_template,
    login,
    peers,
    start_hub,
)

VILLAGE = "370783-001-001"  # 东庄村 of the first town
BASIC = "370783-001-001-01"


class StartDispatch(Protocol):
    async def __call__(self, config: dict[str, Any] | None = ..., **other: Any) -> Hub: ...


@pytest.fixture
def start_dispatch(start_hub: StartHub) -> StartDispatch:  # noqa: F811
    """Start a demo-county hub with the dispatch plugin (and its configuration)."""

    async def start(config: dict[str, Any] | None = None, **other: Any) -> Hub:
        settings = {"config": {"dispatch": config}} if config else {}
        return await start_hub(
            with_plugins={"dispatch": DispatchPlugin()}, plugins=settings, **other
        )

    return start


@pytest.fixture
async def hub(start_dispatch: StartDispatch) -> Hub:
    return await start_dispatch()


class Api:
    """HTTP calls to the dispatch plugin as one signed-in person."""

    def __init__(self, client: Client, token: str) -> None:
        self.client = client
        self.headers = bearer(token)

    async def call(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = await self.client.request(
            method, f"/api/v1/dispatch{path}", json=body, headers=self.headers
        )
        data = await response.json()
        assert response.status == status, data
        return data

    async def report(self, status: int = 201, **fields: Any) -> dict[str, Any]:
        body = {"title": "垃圾堆放", "category": "env_sanitation", "grid": BASIC, **fields}
        result: dict[str, Any] = await self.call("POST", "/incidents", body, status)
        return result

    async def act(
        self, incident: dict[str, Any], action: str, status: int = 200, **body: Any
    ) -> dict[str, Any]:
        payload = {"version": incident["version"], **body}
        path = f"/incidents/{incident['id']}/actions/{action}"
        result: dict[str, Any] = await self.call("POST", path, payload, status)
        return result

    async def get(self, incident_id: int) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("GET", f"/incidents/{incident_id}")
        return result


async def api_as(client: Client, username: str) -> Api:
    return Api(client, await login(client, username))


async def person_id(client: Client, username: str) -> int:
    admin = bearer(await login(client, "admin"))
    response = await client.get("/api/v1/people", headers=admin)
    body = await response.json()
    found = [p for p in body if p["username"] == username]
    assert found, body
    return int(found[0]["id"])


def centre(client: Client, code: str = BASIC) -> dict[str, float]:
    """A point inside the grid (its centre), as an incident location."""
    node = client.app[GRIDS].index.by_code(code)
    assert node.centre is not None
    return {"lon": node.centre[0], "lat": node.centre[1]}


def to_person(person_id: int) -> list[dict[str, str]]:
    """The assignees of a dispatch to one person."""
    return [{"kind": "person", "target": str(person_id)}]
