"""The embedded media worker: supervised (restarted after a crash), authenticated control."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from asyncio.subprocess import PIPE
from typing import Any

import aiohttp
import pytest

from hub.keys import CHANNELS
from media.pool import MediaPool
from media.protocol import SECRET_ENV
from tests.hub.conftest import bearer
from tests.media.conftest import MediaHub, StartMedia


async def workers(hub: MediaHub, token: str) -> Any:
    reply = await hub.client.get("/api/v1/media/workers", headers=bearer(token))
    assert reply.status == 200
    return await reply.json()


def restarted(pool: MediaPool, old_pid: int) -> bool:
    slot = pool.slots["embedded-1"]
    return slot.state == "up" and slot.pid != old_pid and bool(slot.load.get("capacity"))


async def test_killed_worker_is_restarted_and_reports_capacity(media_hub: MediaHub) -> None:
    token = await media_hub.token("county.cmd")
    before = await (
        await media_hub.client.get("/api/v1/media/workers", headers=bearer(token))
    ).json()
    assert [w["state"] for w in before] == ["up"]
    old_pid = before[0]["pid"]
    peer = await media_hub.socket("w01")
    channel = await media_hub.village_channel()
    await media_hub.join(peer, "group.join", {"channel_id": channel}, 700.0)

    os.kill(old_pid, signal.SIGKILL)
    ended = await peer.next("group.ended")
    assert ended["reason"] == "media_worker_lost"
    async with asyncio.timeout(20):
        await media_hub.pool.wait_for(lambda: restarted(media_hub.pool, old_pid))
    after = await (
        await media_hub.client.get("/api/v1/media/workers", headers=bearer(token))
    ).json()
    assert after[0]["restarts"] == 1
    assert after[0]["pid"] != old_pid
    assert after[0]["capacity"] == 200
    assert after[0]["participants"] == 0
    figures = await (await media_hub.client.get("/metrics")).text()
    assert "gridhub_media_worker_restarts 1.0" in figures
    assert "gridhub_media_workers_up 1.0" in figures
    _listener, again = await media_hub.join(peer, "group.join", {"channel_id": channel}, 700.0)
    assert again["room_id"] == f"call:{channel}"


async def test_worker_list_needs_a_command_role(media_hub: MediaHub) -> None:
    token = await media_hub.token("w01")
    reply = await media_hub.client.get("/api/v1/media/workers", headers=bearer(token))
    assert reply.status == 403
    assert (await reply.json())["error"]["code"] == "auth.role_required"


async def test_control_channel_refuses_a_wrong_secret(media_hub: MediaHub) -> None:
    url = media_hub.pool.slots["embedded-1"].url
    assert url is not None
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(url, headers={"Authorization": "Bearer wrong"})
        assert refused.value.status == 401
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(url)


async def test_rooms_go_to_the_least_loaded_worker(start_media: StartMedia) -> None:
    hub = await start_media(embedded_workers=2)
    commander = await hub.socket("town1.cmd")  # commander over both villages
    villages = {}
    for channel in await hub.client.app[CHANNELS].channels_of(await hub.person_id("w01")):
        if channel.kind == "grid" and channel.name == "东庄村":
            villages["first"] = channel.id
    for channel in await hub.client.app[CHANNELS].channels_of(await hub.person_id("w06")):
        if channel.kind == "grid" and channel.name != "东庄村" and channel.grid_id:
            villages.setdefault("second", channel.id)
    rooms = []
    for channel_id in villages.values():
        _listener, reply = await hub.join(commander, "group.join", {"channel_id": channel_id}, 0)
        rooms.append(reply["room_id"])
    placed = {hub.pool.placement[room] for room in rooms}
    assert placed == {"embedded-1", "embedded-2"}


async def test_an_external_worker_is_dialled_and_redialled(start_media: StartMedia) -> None:
    secret = "external-test-secret"
    command = [sys.executable, "-m", "media.worker", "--parent-stdin", "--id", "outside"]
    env = {**os.environ, SECRET_ENV: secret}
    worker = await asyncio.create_subprocess_exec(*command, stdin=PIPE, stdout=PIPE, env=env)
    try:
        assert worker.stdout is not None
        port = json.loads(await worker.stdout.readline())["port"]
        url = f"ws://127.0.0.1:{port}/control"
        hub = await start_media(embedded_workers=0, external_workers=[url], secret=secret)
        slot = hub.pool.slots["external-1"]
        assert slot.pid == worker.pid
        peer = await hub.socket("w01")
        _listener, reply = await hub.join(
            peer, "group.join", {"channel_id": await hub.village_channel()}, 600.0
        )
        assert hub.pool.placement[reply["room_id"]] == "external-1"
        assert slot.client is not None
        await slot.client.close()  # the connection drops: the room is lost, the hub redials
        assert (await peer.next("group.ended"))["reason"] == "media_worker_lost"
        async with asyncio.timeout(20):
            await hub.pool.wait_for(lambda: slot.state == "up" and slot.restarts == 1)
    finally:
        worker.terminate()
        await worker.wait()
