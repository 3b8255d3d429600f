"""The `camera` room kind: one source decoded once, its pictures fanned out to every viewer.

A viewer joins with a receive-only video offer (``peer.join``); the room adds a track of its own
to the viewer's connection. The source (an RTSP URL, or a media file played in a loop) is opened
on the first viewer and closed ``grace_s`` after the last one left; ``control("stats")`` counts
the decoders opened and the pictures decoded, so one can check that N viewers cost one decode.

Options (``room.open``): ``source_kind`` ("rtsp" | "file"), ``source``, ``grace_s`` (default 10),
``loop`` (files; default true). When a source ends by itself (an RTSP camera dropped, a file
that does not loop) the feed stops; the next viewer to join opens it again.

A source that cannot be opened is `camera.unreachable` with one message, after the same time
(OPEN_TIMEOUT_S) whether the port was closed, silent or not RTSP: what a viewer learns must not
map the camera's network. The cause is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import time
from collections.abc import Callable
from typing import Any, ClassVar, NoReturn

from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError
from av.video.frame import VideoFrame

from media.protocol import ControlError
from media.worker.rooms import Peer, Room, RoomContext

log = logging.getLogger("gridhub.media.camera")
CLOCK = 90_000
TIME_BASE = fractions.Fraction(1, CLOCK)
OPEN_TIMEOUT_S = 5
RTSP_OPTIONS = {"rtsp_transport": "tcp"}


class ViewerTrack(MediaStreamTrack):
    """What one viewer is sent: always the newest picture (a slow viewer skips, never queues)."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._frame: VideoFrame | None = None
        self._new = asyncio.Event()
        self.sent = 0

    def put(self, frame: VideoFrame) -> None:
        self._frame = frame
        self._new.set()

    async def recv(self) -> VideoFrame:
        await self._new.wait()
        if self.readyState != "live" or self._frame is None:
            raise MediaStreamError
        self._new.clear()
        self.sent += 1
        return self._frame

    def stop(self) -> None:
        super().stop()
        self._new.set()


class CameraFeed:
    """Opens the source on demand, reads its pictures once, hands each to every viewer."""

    def __init__(self, source_kind: str, source: str, loop: bool = True) -> None:
        self.source_kind, self.source, self.loop = source_kind, source, loop
        self.on_ended: Callable[[], None] | None = None  # the source ended by itself
        self.viewers: set[ViewerTrack] = set()
        self.decoders_started = 0
        self.frames_decoded = 0
        self._player: MediaPlayer | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def running(self) -> bool:
        return self._player is not None

    async def start(self) -> None:
        if self._player is not None:
            return
        started = time.monotonic()
        try:
            player = await asyncio.to_thread(self._open)
        except Exception as exc:
            await self._unreachable(started, str(exc))
        if player.video is None:
            await self._unreachable(started, "the source has no video")
        self._player = player
        self.decoders_started += 1
        self._tasks = [asyncio.create_task(self._read(player, player.video))]
        if player.audio is not None:  # not relayed; read so the player's queue stays empty
            self._tasks.append(asyncio.create_task(self._drain(player.audio)))

    async def _unreachable(self, started: float, cause: str) -> NoReturn:
        log.warning(
            "camera source cannot be opened", extra={"kind": self.source_kind, "cause": cause}
        )
        if self.source_kind == "rtsp":  # a refusal takes as long as a timeout
            await asyncio.sleep(max(0.0, started + OPEN_TIMEOUT_S - time.monotonic()))
        raise ControlError("camera.unreachable", "the camera cannot be reached")

    async def stop(self) -> None:
        player, self._player = self._player, None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for track in (player.video, player.audio) if player is not None else ():
            if track is not None:
                track.stop()

    def _open(self) -> MediaPlayer:
        if self.source_kind == "rtsp":
            return MediaPlayer(self.source, options=RTSP_OPTIONS, timeout=OPEN_TIMEOUT_S)
        return MediaPlayer(self.source, loop=self.loop)

    async def _read(self, player: MediaPlayer, track: MediaStreamTrack) -> None:
        t0 = time.monotonic()
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if not isinstance(frame, VideoFrame):
                    continue
                self.frames_decoded += 1
                # Own timestamps: a looping file restarts its pts, RTP must not go backwards.
                frame.pts, frame.time_base = int((time.monotonic() - t0) * CLOCK), TIME_BASE
                for viewer in self.viewers:
                    viewer.put(frame)
        log.info("camera source ended", extra={"source_kind": self.source_kind})
        if self._player is player:  # not stopped by us: the source ended (or the camera left)
            self._player = None  # the next viewer opens it again
            for other in self._tasks:
                if other is not asyncio.current_task():
                    other.cancel()
            if player.audio is not None:
                player.audio.stop()
            if self.on_ended is not None:
                self.on_ended()

    @staticmethod
    async def _drain(track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()


class CameraRoom(Room):
    kind: ClassVar[str] = "camera"

    def __init__(self, ctx: RoomContext) -> None:
        super().__init__(ctx)
        source_kind, source, self.grace_s = _options(ctx.options)
        self.feed = CameraFeed(source_kind, source, ctx.options.get("loop") is not False)
        self.feed.on_ended = lambda: ctx.emit("source_ended", self.stats())
        self.tracks: dict[str, ViewerTrack] = {}
        self._idle: asyncio.TimerHandle | None = None

    async def attach(self, peer: Peer) -> None:
        if not any(t.kind == "video" for t in peer.pc.getTransceivers()):
            raise ControlError("camera.no_video_offer", "offer to receive video")
        self._cancel_idle()
        await self.feed.start()
        track = ViewerTrack()
        peer.pc.addTrack(track)
        self.tracks[peer.id] = track
        self.feed.viewers.add(track)

    async def detach(self, peer_id: str) -> None:
        track = self.tracks.pop(peer_id, None)
        if track is not None:
            self.feed.viewers.discard(track)
            track.stop()
        if not self.tracks and self.feed.running:
            self._cancel_idle()
            self._idle = asyncio.get_running_loop().call_later(self.grace_s, self._go_idle)

    async def control(self, action: str, args: dict[str, Any]) -> dict[str, Any]:
        if action == "stats":
            return self.stats()
        if action == "viewers":  # the hub drops those whose grants no longer allow the camera
            return {"viewers": sorted(self.tracks)}
        return await super().control(action, args)

    def stats(self) -> dict[str, Any]:
        return {
            "viewers": len(self.tracks),
            "running": self.feed.running,
            "decoders_started": self.feed.decoders_started,
            "frames_decoded": self.feed.frames_decoded,
            "frames_sent": {peer: track.sent for peer, track in self.tracks.items()},
        }

    async def close(self) -> None:
        self._cancel_idle()
        await self.feed.stop()

    def _go_idle(self) -> None:
        self._idle = None
        if not self.tracks:
            task = asyncio.ensure_future(self.feed.stop())
            task.add_done_callback(lambda _: self.ctx.emit("idle", self.stats()))

    def _cancel_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None


def _options(options: dict[str, Any]) -> tuple[str, str, float]:
    kind, source = options.get("source_kind"), options.get("source")
    grace = options.get("grace_s", 10.0)
    if kind not in ("rtsp", "file") or not isinstance(source, str) or not source:
        raise ControlError("control.bad_args", "a camera room needs source_kind and source")
    if not isinstance(grace, int | float) or not 0 <= grace <= 3600:
        raise ControlError("control.bad_args", "`grace_s` must be 0..3600")
    return kind, source, float(grace)


def register(registry: Any) -> None:
    """Worker extension hook (media.worker.registry.EXTENSIONS)."""
    registry.room_kind(CameraRoom)
