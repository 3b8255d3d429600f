"""Live camera views follow grants: a viewer whose roles no longer cover the camera's grid, or
who is disabled, is dropped from the view at once; other viewers keep watching."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hub.keys import BUS
from tests.hub.conftest import StartHub
from tests.hub.sockets import Peer
from tests.media.recording_hub import RecHub, StartRec, camera_watcher, gate_video, rec_hubs
from tests.media.recording_peers import Viewer

CONNECT_S = 15.0
WANT = 5  # pictures each viewer must decode before the change
VILLAGE = "370783-001-001"  # 东庄村: v01.cmd; town1.cmd and county.dispatch above it
OTHER_VILLAGE = "370783-001-002"  # 王家村


@pytest.fixture
async def hub(start_hub: StartHub, peers: list[Peer]) -> AsyncIterator[RecHub]:
    start: StartRec
    async with rec_hubs(start_hub, peers) as start:
        yield await start(cameras={"grace_s": 0.3})


async def camera(hub: RecHub) -> int:
    path = await gate_video(hub)
    grid = hub.grid(VILLAGE)
    body = {"name": "村口", "source_kind": "file", "source": str(path), "grid_id": grid}
    response = await hub.client.post("/api/v1/cameras", json=body, headers=await hub.auth("admin"))
    assert response.status == 201, await response.text()
    camera_id: int = (await response.json())["camera_id"]
    return camera_id


async def watching(hub: RecHub, camera_id: int) -> list[str]:
    """Who is in the camera's room on the worker (viewer ids start with the person id)."""
    handle = hub.pool.room(f"camera:{camera_id}")
    assert handle is not None
    viewers: list[str] = (await handle.control("viewers"))["viewers"]
    return sorted(v.split("-", 1)[0] for v in viewers)


async def change(hub: RecHub, method: str, path: str, **body: object) -> None:
    """An admin's change of a person; returns once every listener of the bus has handled it."""
    admin = await hub.auth("admin")
    response = await hub.client.request(method, path, json=body or None, headers=admin)
    assert response.status in (200, 204), await response.text()
    await hub.client.app[BUS].flush()


async def test_a_demoted_or_disabled_viewer_is_dropped_from_the_view(hub: RecHub) -> None:
    camera_id = await camera(hub)
    names = ("v01.cmd", "town1.cmd", "county.dispatch")
    viewers = [Viewer(WANT) for _ in names]
    hub.pcs += [v.pc for v in viewers]
    for username, viewer in zip(names, viewers, strict=True):
        await viewer.connect(camera_watcher(hub, username, camera_id))
    await asyncio.wait_for(asyncio.gather(*(v.enough.wait() for v in viewers)), CONNECT_S)
    ids = {u: str(await hub.person_id(u)) for u in names}
    assert await watching(hub, camera_id) == sorted(ids.values())

    moved = [{"role": "commander", "grid": OTHER_VILLAGE}]
    await change(hub, "PATCH", f"/api/v1/people/{ids['v01.cmd']}", roles=moved)
    assert await watching(hub, camera_id) == sorted([ids["town1.cmd"], ids["county.dispatch"]])
    # The dropped viewer's picture ends: its track is closed by the worker.
    await asyncio.wait_for(viewers[0].readers[0], CONNECT_S)

    await change(hub, "POST", f"/api/v1/people/{ids['county.dispatch']}/disable")
    assert await watching(hub, camera_id) == [ids["town1.cmd"]]
    await asyncio.wait_for(viewers[2].readers[0], CONNECT_S)

    still = viewers[1].frames
    viewers[1].want, viewers[1].enough = still + WANT, asyncio.Event()
    await asyncio.wait_for(viewers[1].enough.wait(), CONNECT_S)  # town1.cmd keeps watching
