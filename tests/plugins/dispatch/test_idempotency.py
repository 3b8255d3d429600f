"""A staff report carrying a client_ref is filed once however often the app resends it."""

from __future__ import annotations

import asyncio

from tests.hub.conftest import Hub
from tests.plugins.dispatch.conftest import api_as


async def test_a_resent_report_returns_the_first_incident(hub: Hub) -> None:
    worker = await api_as(hub.client, "w01")
    first = await worker.report(client_ref="0f1e2d3c-offline-1")
    again, racing = await asyncio.gather(
        worker.report(client_ref="0f1e2d3c-offline-1"),
        worker.report(client_ref="0f1e2d3c-offline-1"),
    )
    assert again["id"] == racing["id"] == first["id"]
    assert again["number"] == first["number"]
    other = await worker.report(client_ref="0f1e2d3c-offline-2")
    assert other["id"] != first["id"]
    plain = [await worker.report(), await worker.report()]
    assert plain[0]["id"] != plain[1]["id"]


async def test_keys_belong_to_their_person(hub: Hub) -> None:
    worker, leader = await api_as(hub.client, "w01"), await api_as(hub.client, "v01.lead")
    mine = await worker.report(client_ref="same-key-123")
    theirs = await leader.report(client_ref="same-key-123")
    assert theirs["id"] != mine["id"]


async def test_a_malformed_key_is_refused_and_files_nothing(hub: Hub) -> None:
    worker = await api_as(hub.client, "w01")
    before = await worker.call("GET", "/incidents")
    for bad in ("short", "has space in it", "x" * 65):
        body = await worker.report(status=422, client_ref=bad)
        assert body["error"]["code"] == "request.invalid"
        assert body["error"]["details"]["problems"][0]["field"] == "client_ref"
    assert await worker.call("GET", "/incidents") == before
