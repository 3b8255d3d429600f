"""The recorder room: publishers send audio (and video) to the media worker, which writes a file.

Each publisher opens a send-only RTCPeerConnection to the room (one offer, one answer; aiortc
puts every candidate in the answer, so no trickle is needed). Audio of all publishers is mixed
onto one wall-clock timeline; the first video track is recorded when the room records video.
The room ends when it is stopped or when its last publisher has gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av.audio.frame import AudioFrame
from av.video.frame import VideoFrame

from media.recording.writer import FileFacts, MediaFile, Mono, Timeline

log = logging.getLogger("gridhub.media.recording")
TICK_S = 0.02
OnEnded = Callable[["RecorderRoom", FileFacts], Awaitable[None]]


class RoomClosed(Exception):
    """The room has ended; no more publishers."""


class RecorderRoom:
    def __init__(
        self, key: str, path: Path, video_size: tuple[int, int] | None, on_ended: OnEnded
    ) -> None:
        self.key, self.path = key, path
        self.file = MediaFile(path, video_size)
        self.timeline = Timeline(time.monotonic())
        self.publishers: dict[str, RTCPeerConnection] = {}
        self.frames_in = 0
        self._on_ended = on_ended
        self._video_from: str | None = None
        self._finishing = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._ticker = asyncio.create_task(self._tick(), name=f"recorder:{key}")
        self._ended: asyncio.Future[FileFacts] = asyncio.get_running_loop().create_future()

    @property
    def ended(self) -> bool:
        return self._ended.done()

    async def publish(self, party: str, offer: RTCSessionDescription) -> RTCSessionDescription:
        """Answer a publisher's offer; a party publishing again replaces its connection."""
        if self.ended:
            raise RoomClosed(self.key)
        old = self.publishers.pop(party, None)
        if old is not None:
            await old.close()
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.publishers[party] = pc
        pc.on("track", lambda track: self._consume(party, track))
        pc.on("connectionstatechange", lambda: self._check_gone(party, pc))
        await pc.setRemoteDescription(offer)
        await pc.setLocalDescription(await pc.createAnswer())
        return pc.localDescription

    async def stop(self) -> FileFacts:
        """End the room (idempotent): close publishers, flush and close the file."""
        if not self._ended.done():
            await self._finish()
        return await self._ended

    def _consume(self, party: str, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._spawn(self._audio(party, track))
        elif self._video_from is None:
            self._video_from = party
            self._spawn(self._video(track))

    def _spawn(self, work: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _audio(self, party: str, track: MediaStreamTrack) -> None:
        mono = Mono()
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if isinstance(frame, AudioFrame):
                    self.frames_in += 1
                    self.timeline.push(party, mono(frame), time.monotonic())

    async def _video(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if isinstance(frame, VideoFrame):
                    self.file.write_video(frame, time.monotonic() - self.timeline.t0)

    async def _tick(self) -> None:
        next_at = time.monotonic()
        while True:
            next_at += TICK_S
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            for block in self.timeline.pull(time.monotonic()):
                self.file.write_audio(block)

    def _check_gone(self, party: str, pc: RTCPeerConnection) -> None:
        if pc.connectionState not in ("failed", "closed"):
            return
        if self.publishers.get(party) is pc:
            del self.publishers[party]
        if not self.publishers and not self._ended.done():
            self._spawn(self._finish())

    async def _finish(self) -> None:
        if self._finishing:
            return
        self._finishing = True
        end = time.monotonic()
        self._ticker.cancel()
        for pc in list(self.publishers.values()):
            await pc.close()
        self.publishers.clear()
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._ticker
        for block in self.timeline.drain(end):
            self.file.write_audio(block)
        facts = await asyncio.to_thread(self.file.close)
        self._ended.set_result(facts)
        await self._on_ended(self, facts)
