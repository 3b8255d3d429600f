"""The camera gateway against a real RTSP camera: Debian's GStreamer RTSP server
(tests/media/rtsp_camera.py, H.264 pictures and G.711 sound) on a free loopback port. Viewers
are real aiortc peers; the camera is killed and started again on the same port while they
watch, and the gateway dials it again and feeds the same viewers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from media.worker.server import Worker
from tests.media.recording_peers import (
    Answer,
    Events,
    Viewer,
    in_process_worker,
    joiner,
    new_peer,
)
from tests.media.rtsp import RtspCamera, free_port

FLOW_S = 15.0  # an RTSP open probes the streams for about 2 s
WANT = 10


@pytest.fixture
async def camera() -> AsyncIterator[RtspCamera]:
    server = RtspCamera(free_port())  # the same port when it is started again
    await server.start()
    try:
        yield server
    finally:
        await server.kill()


@pytest.fixture
def worker() -> Worker:
    return in_process_worker("media.camera.room")


class Watcher:
    """A viewer that also asks for sound: counts what it decodes, per kind."""

    def __init__(self) -> None:
        self.pc = new_peer()
        self.counts = {"video": 0, "audio": 0}
        self._changed = asyncio.Event()
        self._readers: list[asyncio.Task[None]] = []
        self.pc.addTransceiver("video", direction="recvonly")
        self.pc.addTransceiver("audio", direction="recvonly")
        self.pc.on(
            "track", lambda track: self._readers.append(asyncio.create_task(self._count(track)))
        )

    async def connect(self, answer: Answer) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.pc.setRemoteDescription(await answer(self.pc.localDescription))

    async def _count(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                self.counts[track.kind] += 1
                self._changed.set()

    async def reach(self, video: int, audio: int) -> None:
        """Until at least `video` pictures and `audio` sound frames were decoded."""
        while self.counts["video"] < video or self.counts["audio"] < audio:
            await self._changed.wait()
            self._changed.clear()

    async def close(self) -> None:
        await self.pc.close()
        for reader in self._readers:
            reader.cancel()


async def stats(worker: Worker) -> dict[str, object]:
    return await worker.handle("room.control", {"room": "cam", "action": "stats"})


async def test_a_camera_that_goes_away_is_dialled_again_with_its_sound(
    worker: Worker, camera: RtspCamera
) -> None:
    events = Events(worker)
    options = {"source_kind": "rtsp", "source": camera.url, "grace_s": 0.5}
    await worker.handle("room.open", {"room": "cam", "kind": "camera", "options": options})
    listener, quiet = Watcher(), Viewer(WANT)  # one asks for sound, one does not
    await listener.connect(joiner(worker, "cam", "listener"))
    await quiet.connect(joiner(worker, "cam", "quiet"))
    await asyncio.wait_for(asyncio.gather(listener.reach(WANT, WANT), quiet.enough.wait()), FLOW_S)
    first = await stats(worker)
    assert first["decoders_started"] == 1
    assert isinstance(first["audio_frames"], int)
    assert first["audio_frames"] >= WANT
    assert set(first["audio_sent"]) == {"listener"}  # type: ignore[arg-type]

    await camera.kill()  # the camera goes away while both watch
    lost = (await events.next("room", "source_lost"))["data"]
    assert (lost["running"], lost["reconnecting"], lost["viewers"]) == (False, True, 2)
    seen = dict(listener.counts)
    await camera.start()  # ... and comes back on the same address
    back = (await events.next("room", "source_back"))["data"]
    assert (back["running"], back["reconnects"], back["decoders_started"]) == (True, 1, 2)
    # the same peer connections get pictures and sound again: nobody had to rejoin
    flowing = listener.reach(seen["video"] + WANT, seen["audio"] + WANT)
    await asyncio.wait_for(flowing, FLOW_S)

    await camera.kill()  # gone again, and this time everybody leaves while it is redialled
    assert (await events.next("room", "source_lost"))["data"]["reconnecting"] is True
    await asyncio.gather(listener.close(), quiet.pc.close())
    idle = (await events.next("room", "idle"))["data"]
    assert (idle["running"], idle["reconnecting"], idle["viewers"]) == (False, False, 0)
    await worker.handle("room.close", {"room": "cam"})
