"""The `recorder` room kind: publishers send audio (and video) to the media worker, which
writes one file.

Each publisher joins the room with a send-only offer (``peer.join``; the worker answers). Audio
of all publishers is mixed onto one wall-clock timeline; the first video track is recorded when
the room was opened with a ``video_size``. The file is finished when the room closes or when its
last publisher has left; either way the room emits ``recording.ended`` once, with the
``recording_id`` and the file's facts (size, sha256, duration_s).

Options (``room.open``): ``path`` (absolute file path, chosen by the hub), ``recording_id``
(the hub's row), ``video_size`` (``[width, height]``, optional), ``started_at`` (Unix time the
recorded thing began, e.g. a call's answer: the file starts then, with silence until the first
publisher is heard; at most two minutes back).

Peer options (``peer.join``): ``relay`` — the peer hears the others live (media/recording/relay.py;
an SOS raiser and the commander listening); ``listener`` — the peer may join sending nothing and
does not keep the room open: the recording ends when the last publisher (non-listener) has
left and none joined again within ``REJOIN_GRACE_S``;
a listener whose offer receives video sees the recorded camera live (media/recording/view.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any, ClassVar

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import Packet
from av.audio.frame import AudioFrame
from av.video.frame import VideoFrame

from media.protocol import ControlError
from media.recording.relay import Relay
from media.recording.view import LiveVideo
from media.recording.writer import FileFacts, MediaFile, Mono, Samples, Timeline
from media.worker.rooms import Peer, Room, RoomContext

TICK_S = 0.02
# A recording outlives its last publisher this long: an app that reloads (or rejoins under the
# same peer id, which drops its earlier connection first) carries on in the same file.
REJOIN_GRACE_S = 3.0
MAX_BEHIND_S = 120.0  # a recording starts at most this long before its room opened
MAX_VIDEO_BACKLOG = 15  # pictures waiting for the thread; more are decoded, not encoded


class Recording:
    """One file being recorded from live tracks (audio mixed, at most one video).

    Decoding, encoding and file writes run on one thread of the recording's own (in order);
    the event loop only mixes. When video falls behind, pictures are decoded but not encoded.
    """

    def __init__(
        self, path: Path, video_size: tuple[int, int] | None, behind_s: float = 0.0
    ) -> None:
        """`behind_s`: how long ago the recorded thing began (the file starts with silence)."""
        self.file = MediaFile(path, video_size)
        self.timeline = Timeline(time.monotonic() - min(max(0.0, behind_s), MAX_BEHIND_S))
        self.frames_in = 0
        self.video_from: str | None = None
        self.video_skipped = 0
        self.heard: Callable[[str, Samples], None] | None = None  # a live relay's ear
        self.seen: Callable[[Any], None] | None = None  # live video's eye (listeners)
        self.paused = False  # nothing written meanwhile (no publisher; one may come back)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="recorder")
        self._video_sent = 0  # written by the loop only
        self._video_done = 0  # written by the thread only
        self._tasks: dict[str, list[asyncio.Task[None]]] = {}
        self._ticker = asyncio.create_task(self._tick(), name=f"recorder:{path.name}")
        self._facts: FileFacts | None = None

    def add(self, party: str, track: MediaStreamTrack, codec: str = "vp8") -> None:
        """Read a track: audio into the mix; the first video (decoded with `codec` when the
        worker hands on encoded packets) into the file."""
        if track.kind == "audio":
            self._spawn(party, self._audio(party, track))
        elif self.video_from is None:
            self.video_from = party
            self._spawn(party, self._video(track, codec))

    def remove(self, party: str) -> None:
        for task in self._tasks.pop(party, []):
            task.cancel()
        if self.video_from == party:
            self.video_from = None

    async def finish(self, end: float | None = None) -> FileFacts:
        """Stop reading, pad to `end` (monotonic; now by default), close the file (once; later
        calls return the same)."""
        if self._facts is None:
            end = time.monotonic() if end is None else end
            for party in list(self._tasks):
                self.remove(party)
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            for block in self.timeline.drain(end):
                self._thread.submit(self.file.write_audio, block)
            loop = asyncio.get_running_loop()
            self._facts = await loop.run_in_executor(self._thread, self.file.close)
            self._thread.shutdown(wait=False)
        return self._facts

    def _spawn(self, party: str, work: Awaitable[None]) -> None:
        self._tasks.setdefault(party, []).append(asyncio.ensure_future(work))

    async def _audio(self, party: str, track: MediaStreamTrack) -> None:
        mono = Mono()
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if isinstance(frame, AudioFrame):
                    self.frames_in += 1
                    samples = mono(frame)
                    self.timeline.push(party, samples, time.monotonic())
                    if self.heard is not None:
                        self.heard(party, samples)

    async def _video(self, track: MediaStreamTrack, codec: str) -> None:
        decoder = av.CodecContext.create(codec, "r")
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if isinstance(frame, Packet | VideoFrame):
                    if self.seen is not None:
                        self.seen(frame)
                    encode = self._video_sent - self._video_done < MAX_VIDEO_BACKLOG
                    self.video_skipped += not encode
                    self._video_sent += 1
                    at = time.monotonic() - self.timeline.t0
                    self._thread.submit(self._picture, decoder, frame, at, encode)

    def _picture(self, decoder: Any, frame: Any, at: float, encode: bool) -> None:
        """On the thread: decode a forwarded packet (a media worker does not decode video)."""
        try:
            pictures = _decode(decoder, frame) if isinstance(frame, Packet) else [frame]
            for picture in pictures if encode else ():
                self.file.write_video(picture, at)
        finally:
            self._video_done += 1

    async def _tick(self) -> None:
        next_at = time.monotonic()
        while True:
            next_at += TICK_S
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            if self.paused:
                continue
            for block in self.timeline.pull(time.monotonic()):
                self._thread.submit(self.file.write_audio, block)


class RecorderRoom(Room):
    kind: ClassVar[str] = "recorder"

    def __init__(self, ctx: RoomContext) -> None:
        super().__init__(ctx)
        self.path, self.video_size = _options(ctx.options)
        self.recording_id = str(ctx.options.get("recording_id") or "")
        since = ctx.options.get("started_at")
        self.behind_s = time.time() - since if isinstance(since, int | float) else 0.0
        self.recording: Recording | None = None
        self.relay: Relay | None = None
        self.listeners: set[str] = set()
        self.video = LiveVideo()
        self.ended = False
        self._ending: asyncio.TimerHandle | None = None  # the end after the last publisher left
        self._end_task: asyncio.Task[dict[str, Any]] | None = None

    async def start(self) -> None:
        self.recording = Recording(self.path, self.video_size, self.behind_s)
        self.recording.seen = self.video.seen

    async def attach(self, peer: Peer) -> None:
        if self.ended or self.recording is None:
            raise ControlError("recording.ended", "this recording has ended")
        listener = bool(peer.options.get("listener"))
        if not listener and not peer.inbound("audio") and not peer.inbound("video"):
            raise ControlError("recording.no_media", "the offer sends no audio or video")
        if listener:
            self.listeners.add(peer.id)
            self.video.add(peer)
        else:
            self._keep()
        if peer.options.get("relay"):
            self._relay().add(peer.id, peer.pc)
        for track in peer.inbound("audio"):
            self.recording.add(peer.id, track)
        for transceiver in peer.pc.getTransceivers():
            if transceiver.kind == "video" and transceiver.receiver.track in peer.inbound("video"):
                self.recording.add(peer.id, transceiver.receiver.track, _codec(transceiver))
                if self.recording.video_from == peer.id:
                    self.video.recorded(peer, transceiver.receiver.track)

    async def detach(self, peer_id: str) -> None:
        if self.recording is not None:
            self.recording.remove(peer_id)
        if self.relay is not None:
            self.relay.remove(peer_id)
        self.video.remove(peer_id)
        self.listeners.discard(peer_id)
        if not set(self.peers) - {peer_id} - self.listeners and self._ending is None:
            loop = asyncio.get_running_loop()
            self._ending = loop.call_later(REJOIN_GRACE_S, self._end_later, time.monotonic())
            if self.recording is not None:
                self.recording.paused = True

    def _keep(self) -> None:
        """A publisher joined: the recording goes on."""
        self._stop_ending()
        if self.recording is not None:
            self.recording.paused = False

    def _stop_ending(self) -> None:
        if self._ending is not None:
            self._ending.cancel()
            self._ending = None

    def _end_later(self, left_at: float) -> None:
        """Nobody published again: the file ends when the last publisher left."""
        self._ending = None
        if not set(self.peers) - self.listeners and not self.ended:
            self._end_task = asyncio.ensure_future(self._end(left_at))

    async def control(self, action: str, args: dict[str, Any]) -> dict[str, Any]:
        if action == "stats" and self.recording is not None:
            relayed = 0 if self.relay is None else self.relay.blocks_in
            publishers = sorted(set(self.peers) - self.listeners)
            return {
                "frames_in": self.recording.frames_in,
                "publishers": publishers,
                "listeners": sorted(self.listeners),
                "relayed_blocks": relayed,
                "video_to_listeners": self.video.packets,
            }
        if action == "stop":
            return await self._end()
        return await super().control(action, args)

    async def close(self) -> None:
        await self._end()

    async def _end(self, at: float | None = None) -> dict[str, Any]:
        assert self.recording is not None
        self._stop_ending()
        first = not self.ended
        self.ended = True
        if self.relay is not None:
            await self.relay.close()
            self.relay = None
        self.video.close()
        facts = asdict(await self.recording.finish(at))
        if first:
            self.ctx.emit("recording.ended", {"recording_id": self.recording_id, **facts})
        return facts

    def _relay(self) -> Relay:
        """The room's live relay, started by the first peer that wants to hear the others."""
        if self.relay is None:
            assert self.recording is not None
            self.relay = Relay(self.ctx.room_id)
            self.recording.heard = self.relay.heard
        return self.relay


def _codec(transceiver: Any) -> str:
    """The negotiated video codec's decoder name ("vp8", "h264")."""
    codecs = getattr(transceiver, "_codecs", None) or []
    name = codecs[0].mimeType.split("/")[-1].lower() if codecs else "vp8"
    return name if name in ("vp8", "h264") else "vp8"


def _decode(decoder: Any, packet: Any) -> list[VideoFrame]:
    try:
        return [f for f in decoder.decode(packet) if isinstance(f, VideoFrame)]
    except av.FFmpegError:  # a lost packet: wait for the next key frame
        return []


def _options(options: dict[str, Any]) -> tuple[Path, tuple[int, int] | None]:
    path = options.get("path")
    if not isinstance(path, str) or not Path(path).is_absolute():
        raise ControlError("control.bad_args", "a recorder room needs an absolute `path`")
    size = options.get("video_size")
    if size is None:
        return Path(path), None
    if (
        not isinstance(size, list | tuple)
        or len(size) != 2
        or not all(isinstance(v, int) and 16 <= v <= 1920 for v in size)
    ):
        raise ControlError("control.bad_args", "`video_size` must be [width, height] in 16..1920")
    return Path(path), (size[0], size[1])


def register(registry: Any) -> None:
    """Worker extension hook (media.worker.registry.EXTENSIONS)."""
    registry.room_kind(RecorderRoom)
