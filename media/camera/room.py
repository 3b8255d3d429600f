"""The `camera` room kind: one source decoded once, its pictures fanned out to every viewer.

A viewer joins with a receive-only video offer (``peer.join``); the room adds a track of its own
to the viewer's connection. The source (an RTSP URL, or a media file played in a loop) is opened
on the first viewer and closed ``grace_s`` after the last one left; ``control("stats")`` counts
the decoders opened and the pictures decoded, so one can check that N viewers cost one decode.

Options (``room.open``): ``source_kind`` ("rtsp" | "file"), ``source``, ``grace_s`` (default 10),
``loop`` (files; default true). An RTSP camera that drops while people watch is dialled again
(``source_lost``, then ``source_back`` with the same viewers' tracks fed again); a file that
ends (not looping) stops the feed (``source_ended``) and the next viewer opens it again. A
viewer whose offer also receives audio gets the camera's sound when it has some (decoded once
too, encoded per viewer like the pictures).

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
from av.audio.frame import AudioFrame
from av.video.frame import VideoFrame

from media.protocol import ControlError
from media.worker.rooms import Peer, Room, RoomContext

log = logging.getLogger("gridhub.media.camera")
CLOCK = 90_000
TIME_BASE = fractions.Fraction(1, CLOCK)
OPEN_TIMEOUT_S = 5
RTSP_OPTIONS = {"rtsp_transport": "tcp"}
REDIAL_FIRST_S = 0.5  # a dropped camera is dialled again after this, then twice as long ...
REDIAL_MAX_S = 8.0  # ... up to this
AUDIO_BACKLOG = 25  # sound frames (20 ms each) a listener may fall behind


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


class ListenerTrack(MediaStreamTrack):
    """The camera's sound for one viewer: every frame in order (sound cannot skip like
    pictures), at most AUDIO_BACKLOG of them; a listener that falls further behind loses the
    oldest."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._frames: asyncio.Queue[AudioFrame | None] = asyncio.Queue(AUDIO_BACKLOG)
        self.sent = 0

    def put(self, frame: AudioFrame | None) -> None:
        if self._frames.full():
            self._frames.get_nowait()
        self._frames.put_nowait(frame)

    async def recv(self) -> AudioFrame:
        frame = await self._frames.get()
        if self.readyState != "live" or frame is None:
            raise MediaStreamError
        self.sent += 1
        return frame

    def stop(self) -> None:
        super().stop()
        self.put(None)


class CameraFeed:
    """Opens the source on demand, reads its pictures (and sound) once, hands each to every
    viewer. A live camera (RTSP) that drops while people watch is dialled again, with a growing
    pause, until it answers or the last viewer leaves; viewers keep their tracks and see the
    picture again. A file that ends (not looping) lets go; the next viewer opens it again."""

    def __init__(self, source_kind: str, source: str, loop: bool = True) -> None:
        self.source_kind, self.source, self.loop = source_kind, source, loop
        self.on_ended: Callable[[], None] | None = None  # the source ended by itself
        self.on_lost: Callable[[], None] | None = None  # the camera dropped: redialling
        self.on_back: Callable[[], None] | None = None  # ... and answered again
        self.viewers: set[ViewerTrack] = set()
        self.listeners: set[ListenerTrack] = set()
        self.decoders_started = 0
        self.frames_decoded = 0
        self.audio_frames = 0
        self.reconnects = 0
        self.has_audio = False
        self._player: MediaPlayer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._redial: asyncio.Task[None] | None = None
        self._t0: float | None = None  # own timestamps across reopenings: RTP never goes back
        self._samples = 0

    @property
    def running(self) -> bool:
        return self._player is not None

    @property
    def reconnecting(self) -> bool:
        return self._redial is not None

    async def start(self) -> None:
        if self._player is not None or self._redial is not None:
            return  # open, or being dialled again: a new viewer waits for the picture
        started = time.monotonic()
        try:
            player = await asyncio.to_thread(self._open)
        except Exception as exc:
            await self._unreachable(started, str(exc))
        if player.video is None:
            _stop_tracks(player)
            await self._unreachable(started, "the source has no video")
        self._begin(player, player.video)

    def _begin(self, player: MediaPlayer, video: MediaStreamTrack) -> None:
        self._player = player
        self.decoders_started += 1
        self.has_audio = player.audio is not None
        if self._t0 is None:
            self._t0 = time.monotonic()
        self._tasks = [asyncio.create_task(self._read(player, video))]
        if player.audio is not None:
            self._tasks.append(asyncio.create_task(self._relay(player.audio)))

    async def _unreachable(self, started: float, cause: str) -> NoReturn:
        log.warning(
            "camera source cannot be opened", extra={"kind": self.source_kind, "cause": cause}
        )
        if self.source_kind == "rtsp":  # a refusal takes as long as a timeout
            await asyncio.sleep(max(0.0, started + OPEN_TIMEOUT_S - time.monotonic()))
        raise ControlError("camera.unreachable", "the camera cannot be reached")

    async def stop(self) -> None:
        redial, self._redial = self._redial, None
        if redial is not None:
            redial.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await redial
        player, self._player = self._player, None
        await self._end_tasks()
        if player is not None:
            _stop_tracks(player)

    async def _end_tasks(self) -> None:
        tasks, self._tasks = self._tasks, []
        current = asyncio.current_task()
        for task in tasks:
            if task is not current:
                task.cancel()
        for task in tasks:
            if task is not current:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _open(self) -> MediaPlayer:
        if self.source_kind == "rtsp":
            return MediaPlayer(self.source, options=RTSP_OPTIONS, timeout=OPEN_TIMEOUT_S)
        return MediaPlayer(self.source, loop=self.loop)

    async def _read(self, player: MediaPlayer, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if not isinstance(frame, VideoFrame):
                    continue
                self.frames_decoded += 1
                # Own timestamps: a looping file restarts its pts, RTP must not go backwards.
                elapsed = time.monotonic() - (self._t0 or 0.0)
                frame.pts, frame.time_base = int(elapsed * CLOCK), TIME_BASE
                for viewer in self.viewers:
                    viewer.put(frame)
        log.info("camera source ended", extra={"source_kind": self.source_kind})
        if self._player is player:  # not stopped by us: the source ended (or the camera left)
            self._player = None
            await self._end_tasks()
            _stop_tracks(player)
            self._lost()

    def _lost(self) -> None:
        if self.source_kind == "rtsp" and self.viewers:
            self._redial = asyncio.create_task(self._dial_again())
            if self.on_lost is not None:
                self.on_lost()
        elif self.on_ended is not None:  # the next viewer opens it again
            self.on_ended()

    async def _dial_again(self) -> None:
        pause = REDIAL_FIRST_S
        while True:
            await asyncio.sleep(pause)
            pause = min(pause * 2, REDIAL_MAX_S)
            try:
                player = await asyncio.to_thread(self._open)
            except Exception as exc:
                log.info("camera still unreachable", extra={"cause": str(exc)})
                continue
            if player.video is not None:
                break
            _stop_tracks(player)
        self._redial = None
        self.reconnects += 1
        log.info("camera source back", extra={"reconnects": self.reconnects})
        self._begin(player, player.video)
        if self.on_back is not None:
            self.on_back()

    async def _relay(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if not isinstance(frame, AudioFrame):
                    continue
                self.audio_frames += 1
                # counted in samples across reopenings, like the pictures' clock
                frame.pts, frame.time_base = self._samples, fractions.Fraction(1, frame.rate)
                self._samples += frame.samples
                for listener in self.listeners:
                    listener.put(frame)


def _stop_tracks(player: MediaPlayer) -> None:
    for track in (player.video, player.audio):
        if track is not None:
            track.stop()


class CameraRoom(Room):
    kind: ClassVar[str] = "camera"

    def __init__(self, ctx: RoomContext) -> None:
        super().__init__(ctx)
        source_kind, source, self.grace_s = _options(ctx.options)
        self.feed = CameraFeed(source_kind, source, ctx.options.get("loop") is not False)
        self.feed.on_ended = lambda: ctx.emit("source_ended", self.stats())
        self.feed.on_lost = lambda: ctx.emit("source_lost", self.stats())
        self.feed.on_back = lambda: ctx.emit("source_back", self.stats())
        self.tracks: dict[str, ViewerTrack] = {}
        self.listeners: dict[str, ListenerTrack] = {}
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
        if self.feed.has_audio and any(t.kind == "audio" for t in peer.pc.getTransceivers()):
            listener = ListenerTrack()  # the viewer offered to receive sound, and there is some
            peer.pc.addTrack(listener)
            self.listeners[peer.id] = listener
            self.feed.listeners.add(listener)

    async def detach(self, peer_id: str) -> None:
        track = self.tracks.pop(peer_id, None)
        if track is not None:
            self.feed.viewers.discard(track)
            track.stop()
        listener = self.listeners.pop(peer_id, None)
        if listener is not None:
            self.feed.listeners.discard(listener)
            listener.stop()
        if not self.tracks and (self.feed.running or self.feed.reconnecting):
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
            "reconnecting": self.feed.reconnecting,
            "reconnects": self.feed.reconnects,
            "decoders_started": self.feed.decoders_started,
            "frames_decoded": self.feed.frames_decoded,
            "audio_frames": self.feed.audio_frames,
            "frames_sent": {peer: track.sent for peer, track in self.tracks.items()},
            "audio_sent": {peer: track.sent for peer, track in self.listeners.items()},
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
