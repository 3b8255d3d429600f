"""Demo-county hubs with one embedded media worker, for the recording and camera API tests."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription

from hub.keys import GRIDS, SETTINGS
from media.pool import MediaPool
from media.wiring import MEDIA
from tests.hub.conftest import Client, StartHub, bearer, login_pair
from tests.hub.sockets import Peer, connect
from tests.media.recording_peers import Answer, make_test_video, publish

READY_S = 30.0
POLL_S = 0.05


@dataclass
class RecHub:
    client: Client
    peers: list[Peer]
    pcs: list[RTCPeerConnection] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def pool(self) -> MediaPool:
        pool: MediaPool = self.client.app[MEDIA]
        return pool

    @property
    def data_dir(self) -> Path:
        return Path(self.client.app[SETTINGS].data_dir)

    def grid(self, code: str) -> int:
        grid_id: int = self.client.app[GRIDS].index.by_code(code).id
        return grid_id

    async def token(self, username: str) -> str:
        if username not in self.tokens:
            self.tokens[username] = (await login_pair(self.client, username))["access_token"]
        return self.tokens[username]

    async def auth(self, username: str) -> dict[str, str]:
        return bearer(await self.token(username))

    async def person_id(self, username: str) -> int:
        me = await self.client.get("/api/v1/auth/me", headers=await self.auth(username))
        return int((await me.json())["person_id"])

    async def socket(self, username: str) -> Peer:
        peer = await connect(self.client, await self.token(username))
        self.peers.append(peer)
        return peer

    async def publish(
        self, username: str, kind: str, ref: int, *tracks: MediaStreamTrack
    ) -> tuple[RTCPeerConnection, asyncio.Event, dict[str, Any]]:
        """Publish `tracks` to the recorder of a call/SOS over HTTP; fails on non-200."""
        reply: dict[str, Any] = {}

        async def answer(offer: RTCSessionDescription) -> RTCSessionDescription:
            body = {"kind": kind, "ref": ref, "sdp": offer.sdp}
            response = await self.client.post(
                "/api/v1/recordings/publish", json=body, headers=await self.auth(username)
            )
            reply.update(await response.json())
            assert response.status == 200, reply
            return RTCSessionDescription(sdp=reply["sdp"], type=reply["type"])

        pc, connected = await publish(answer, *tracks)
        self.pcs.append(pc)
        return pc, connected, reply

    async def recording(self, username: str, recording_id: str) -> dict[str, Any]:
        response = await self.client.get(
            f"/api/v1/recordings/{recording_id}", headers=await self.auth(username)
        )
        body: dict[str, Any] = await response.json()
        assert response.status == 200, body
        return body

    async def until_done(
        self, username: str, recording_id: str, within: float = 15.0
    ) -> dict[str, Any]:
        """Poll the metadata until the worker has finished the file (bounded)."""
        deadline = time.monotonic() + within
        while (row := await self.recording(username, recording_id))["state"] == "recording":
            assert time.monotonic() < deadline, "the recording did not finish in time"
            await asyncio.sleep(POLL_S)
        return row


async def until(check: Callable[[], bool], within: float = 10.0) -> None:
    """Poll an observable condition with a bounded deadline."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(POLL_S)


async def gate_video(hub: RecHub) -> Path:
    """A generated test video in the hub's data directory, for a file camera."""
    path = hub.data_dir / "cameras" / "gate.webm"
    path.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(make_test_video, path)
    return path


def camera_watcher(
    hub: RecHub, username: str, camera_id: int, viewers: list[str] | None = None
) -> Answer:
    """Answers offers through POST /cameras/{id}/watch as `username`; notes each viewer id."""

    async def answer(offer: RTCSessionDescription) -> RTCSessionDescription:
        response = await hub.client.post(
            f"/api/v1/cameras/{camera_id}/watch",
            json={"sdp": offer.sdp},
            headers=await hub.auth(username),
        )
        body = await response.json()
        assert response.status == 200, body
        if viewers is not None:
            viewers.append(body["viewer_id"])
        return RTCSessionDescription(sdp=body["sdp"], type=body["type"])

    return answer


StartRec = Callable[..., Awaitable[RecHub]]


@contextlib.asynccontextmanager
async def rec_hubs(start_hub: StartHub, peers: list[Peer]) -> AsyncIterator[StartRec]:
    """Starts hubs with one embedded media worker; closes the test's peer connections after."""
    made: list[RecHub] = []

    async def start(
        recording: dict[str, Any] | None = None,
        cameras: dict[str, Any] | None = None,
        **other: Any,
    ) -> RecHub:
        media = {
            "embedded_workers": 1,
            "restart_backoff_s": 0.2,
            "recording": recording or {},
            "cameras": cameras or {},
        }
        hub = RecHub((await start_hub(media=media, **other)).client, peers)
        async with asyncio.timeout(READY_S):
            await hub.pool.wait_for(lambda: all(s.state == "up" for s in hub.pool.slots.values()))
        made.append(hub)
        return hub

    yield start
    for hub in made:
        for pc in hub.pcs:
            await pc.close()
