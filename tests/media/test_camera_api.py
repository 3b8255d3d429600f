"""The camera gateway through the hub and a real media worker: a generated test video reaches two
commanders' aiortc viewers from one decoder; registration is validated and scoped."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiortc import RTCSessionDescription

from tests.hub.conftest import StartHub, error_code
from tests.hub.sockets import Peer
from tests.media.recording_hub import RecHub, StartRec, rec_hubs, until
from tests.media.recording_peers import Answer, Viewer, make_test_video

CONNECT_S = 15.0
WANT = 20  # pictures each viewer must decode
VILLAGE = "370783-001-001"  # 东庄村: v01.cmd; town1.cmd above it; v02.cmd elsewhere


@pytest.fixture
async def hub(start_hub: StartHub, peers: list[Peer]) -> AsyncIterator[RecHub]:
    start: StartRec
    async with rec_hubs(start_hub, peers) as start:
        yield await start(cameras={"grace_s": 0.3})


@pytest.fixture
async def video(hub: RecHub) -> Path:
    path = hub.data_dir / "cameras" / "gate.webm"
    path.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(make_test_video, path)
    return path


async def register(hub: RecHub, username: str, **body: Any) -> tuple[int, dict[str, Any]]:
    response = await hub.client.post("/api/v1/cameras", json=body, headers=await hub.auth(username))
    return response.status, await response.json()


def watcher(hub: RecHub, username: str, camera_id: int, viewers: list[str]) -> Answer:
    async def answer(offer: RTCSessionDescription) -> RTCSessionDescription:
        response = await hub.client.post(
            f"/api/v1/cameras/{camera_id}/watch",
            json={"sdp": offer.sdp},
            headers=await hub.auth(username),
        )
        body = await response.json()
        assert response.status == 200, body
        viewers.append(body["viewer_id"])
        return RTCSessionDescription(sdp=body["sdp"], type=body["type"])

    return answer


async def stats(hub: RecHub, camera_id: int) -> dict[str, Any]:
    response = await hub.client.get(
        f"/api/v1/cameras/{camera_id}/stats", headers=await hub.auth("v01.cmd")
    )
    body: dict[str, Any] = await response.json()
    assert response.status == 200, body
    return body


async def test_two_commanders_watch_one_decode(hub: RecHub, video: Path) -> None:
    grid = hub.grid(VILLAGE)
    status, camera = await register(
        hub, "v01.cmd", name="村口", source_kind="file", source=str(video), grid_id=grid
    )
    assert status == 201, camera
    camera_id, viewers = camera["camera_id"], list[str]()
    one, two = Viewer(WANT), Viewer(WANT)
    hub.pcs += [one.pc, two.pc]
    await one.connect(watcher(hub, "v01.cmd", camera_id, viewers))
    await two.connect(watcher(hub, "town1.cmd", camera_id, viewers))
    await asyncio.wait_for(asyncio.gather(one.enough.wait(), two.enough.wait()), CONNECT_S)

    seen = await stats(hub, camera_id)
    assert (seen["viewers"], seen["running"], seen["decoders_started"]) == (2, True, 1)
    assert seen["frames_decoded"] >= max(one.frames, two.frames)

    for username, viewer in (("v01.cmd", viewers[0]), ("town1.cmd", viewers[1])):
        left = await hub.client.delete(
            f"/api/v1/cameras/{camera_id}/watch/{viewer}", headers=await hub.auth(username)
        )
        assert left.status == 204
    # The worker reports the room idle after the grace; the hub closes it.
    await until(lambda: hub.pool.room(f"camera:{camera_id}") is None)
    assert (await stats(hub, camera_id))["running"] is False


async def test_scope_and_roles(hub: RecHub, video: Path) -> None:
    grid = hub.grid(VILLAGE)
    _, camera = await register(
        hub, "v01.cmd", name="桥头", source_kind="file", source=str(video), grid_id=grid
    )
    camera_id = camera["camera_id"]
    status, body = await register(
        hub, "w01", name="x", source_kind="file", source=str(video), grid_id=grid
    )
    assert (status, body["error"]["code"]) == (403, "auth.role_required")
    status, body = await register(
        hub, "v02.cmd", name="x", source_kind="file", source=str(video), grid_id=grid
    )
    assert (status, body["error"]["code"]) == (403, "scope.forbidden")

    for outsider in ("v02.cmd", "w01"):
        watch = await hub.client.post(
            f"/api/v1/cameras/{camera_id}/watch",
            json={"sdp": "v=0\r\n" * 3},
            headers=await hub.auth(outsider),
        )
        assert watch.status == 403
        listed = await hub.client.get("/api/v1/cameras", headers=await hub.auth(outsider))
        assert camera_id not in [c["camera_id"] for c in await listed.json()]
    listed = await hub.client.get("/api/v1/cameras", headers=await hub.auth("town1.cmd"))
    assert camera_id in [c["camera_id"] for c in await listed.json()]
    stranger_leave = await hub.client.delete(
        f"/api/v1/cameras/{camera_id}/watch/999-abcd", headers=await hub.auth("v01.cmd")
    )
    assert (stranger_leave.status, await error_code(stranger_leave)) == (
        403,
        "camera.not_your_viewer",
    )


async def test_bad_sources_are_refused_and_nothing_is_stored(hub: RecHub, video: Path) -> None:
    grid = hub.grid(VILLAGE)
    text_file = hub.data_dir / "cameras" / "notes.webm"
    text_file.write_text("not a video")
    outside = hub.data_dir / "elsewhere.webm"
    await asyncio.to_thread(shutil.copyfile, video, outside)
    cases = [
        ({"source_kind": "rtsp", "source": "http://cam.example/stream"}, "camera.source_invalid"),
        ({"source_kind": "rtsp", "source": "rtsp://"}, "camera.source_invalid"),
        ({"source_kind": "rtsp", "source": "rtsp://cam:99999/x"}, "camera.source_invalid"),
        ({"source_kind": "file", "source": "cameras/gate.webm"}, "camera.source_invalid"),
        ({"source_kind": "file", "source": str(outside)}, "camera.source_forbidden"),
        ({"source_kind": "file", "source": str(video) + ".gone"}, "camera.source_missing"),
        ({"source_kind": "file", "source": str(text_file)}, "camera.source_unreadable"),
        ({"source_kind": "usb", "source": "/dev/video0"}, "request.invalid"),
    ]
    for source, code in cases:
        status, body = await register(hub, "v01.cmd", name="bad", grid_id=grid, **source)
        assert (status, body["error"]["code"]) == (422, code), source
    status, body = await register(hub, "v01.cmd", name=" ", source_kind="file", source=str(video))
    assert (status, body["error"]["code"]) == (422, "request.invalid")
    listed = await hub.client.get("/api/v1/cameras", headers=await hub.auth("admin"))
    assert await listed.json() == []

    status, camera = await register(
        hub, "admin", name="rtsp", source_kind="rtsp", source="rtsp://u:secret@127.0.0.1:8554/a"
    )
    assert status == 201
    assert camera["source"] == "rtsp://********@127.0.0.1:8554/a"


async def test_changing_and_removing_a_camera(hub: RecHub, video: Path) -> None:
    grid = hub.grid(VILLAGE)
    _, camera = await register(
        hub, "v01.cmd", name="路口", source_kind="file", source=str(video), grid_id=grid
    )
    url, auth = f"/api/v1/cameras/{camera['camera_id']}", await hub.auth("v01.cmd")
    renamed = await hub.client.patch(url, json={"name": "十字路口", "enabled": False}, headers=auth)
    assert (renamed.status, (await renamed.json())["enabled"]) == (200, False)
    watch = await hub.client.post(url + "/watch", json={"sdp": "v=0\r\n" * 3}, headers=auth)
    assert (watch.status, await error_code(watch)) == (409, "camera.disabled")
    orphan = await hub.client.patch(url, json={"grid_id": None}, headers=auth)
    assert (orphan.status, await error_code(orphan)) == (422, "camera.grid_required")
    bad = await hub.client.patch(url, json={"source_kind": "rtsp"}, headers=auth)  # a file path
    assert (bad.status, await error_code(bad)) == (422, "camera.source_invalid")
    other = await hub.client.delete(url, headers=await hub.auth("v02.cmd"))
    assert (other.status, await error_code(other)) == (403, "scope.forbidden")
    assert (await hub.client.delete(url, headers=auth)).status == 204
    gone = await hub.client.get(url, headers=auth)
    assert (gone.status, await error_code(gone)) == (404, "camera.not_found")
