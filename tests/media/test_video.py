"""Video in a group call is forwarded by the worker without transcoding, to the slots offered."""

from __future__ import annotations

import asyncio
import fractions

import numpy as np
from aiortc import MediaStreamTrack
from av import VideoFrame

from tests.media.conftest import MediaHub
from tests.media.rtc import Listener

WIDTH, HEIGHT, FPS = 160, 120, 15


class Camera(MediaStreamTrack):
    """A small moving test picture at FPS frames/s."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    async def recv(self) -> VideoFrame:
        await asyncio.sleep(1 / FPS)
        pixels = np.full((HEIGHT, WIDTH, 3), (self.count * 7) % 256, dtype=np.uint8)
        frame = VideoFrame.from_ndarray(pixels, format="rgb24")
        frame.pts, frame.time_base = self.count * 6000, fractions.Fraction(1, 90_000)
        self.count += 1
        return frame


async def test_video_of_one_reaches_the_other(media_hub: MediaHub) -> None:
    channel = {"channel_id": await media_hub.village_channel()}
    sender, viewer = await media_hub.socket("v01.lead"), await media_hub.socket("w01")
    camera = Listener(500.0)
    camera.pc.addTrack(Camera())
    media_hub.listeners.append(camera)
    reply = await sender.ok("group.join", {**channel, "sdp": await camera.offer()})
    await camera.answer(reply["sdp"])

    watcher = Listener(800.0, video=True)
    media_hub.listeners.append(watcher)
    track: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()

    def arrived(remote: MediaStreamTrack) -> None:
        if remote.kind == "video":
            track.set_result(remote)

    watcher.pc.on("track", arrived)
    reply = await viewer.ok("group.join", {**channel, "sdp": await watcher.offer()})
    await watcher.answer(reply["sdp"])

    slots = reply["video"] or (await viewer.next("group.video"))["slots"]
    lead = await media_hub.person_id("v01.lead")
    assert [slot["person_id"] for slot in slots] == [lead]
    video = await asyncio.wait_for(track, 10)
    sizes = set()
    for _ in range(5):
        frame = await asyncio.wait_for(video.recv(), 10)
        assert isinstance(frame, VideoFrame)
        sizes.add((frame.width, frame.height))
    assert sizes == {(WIDTH, HEIGHT)}
