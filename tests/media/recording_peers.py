"""Helpers of the recording and camera tests: aiortc peers (loopback-only gathering is the
autouse fixture of tests/media/conftest.py), tones, decoding, a generated test video."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError

from media.protocol import unpack
from media.worker import registry
from media.worker.rooms import WorkerLimits
from media.worker.server import Worker

RATE, PTIME = 48_000, 0.02
LOOPBACK = "127.0.0.1"
EVENT_WAIT_S = 10.0
Answer = Callable[[RTCSessionDescription], Awaitable[RTCSessionDescription]]


class Events:
    """The events a media worker emits, as a queue (its outbox), with a wait for one."""

    def __init__(self, worker: Worker) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        worker.outboxes.add(self.queue)

    async def next(self, event: str, name: str | None = None) -> dict[str, Any]:
        async with asyncio.timeout(EVENT_WAIT_S):
            while True:
                message = unpack(await self.queue.get())
                data: dict[str, Any] = message["data"]
                if message.get("event") == event and (name is None or data.get("name") == name):
                    return data


def in_process_worker(*extensions: str) -> Worker:
    """The media worker's real control logic, in this process (no control socket)."""
    return Worker(registry.load(extensions), WorkerLimits(), 50, "test-worker")


def joiner(worker: Worker, room: str, peer: str) -> Answer:
    """Answers offers through the worker's own `peer.join`."""

    async def answer(offer: RTCSessionDescription) -> RTCSessionDescription:
        args = {"room": room, "peer": peer, "sdp": offer.sdp}
        reply = await worker.handle("peer.join", args)
        return RTCSessionDescription(sdp=reply["sdp"], type="answer")

    return answer


def new_peer() -> RTCPeerConnection:
    """A peer with no STUN/TURN (aiortc would add a public STUN server if left unset)."""
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


async def publish(
    answer: Answer, *tracks: MediaStreamTrack, direction: str = "sendonly"
) -> tuple[RTCPeerConnection, asyncio.Event]:
    """A peer offering `tracks` to `answer`; the event is set once it connects."""
    pc, connected = new_peer(), asyncio.Event()
    for track in tracks:
        pc.addTransceiver(track, direction=direction)

    @pc.on("connectionstatechange")
    def changed() -> None:
        if pc.connectionState == "connected":
            connected.set()

    await pc.setLocalDescription(await pc.createOffer())
    await pc.setRemoteDescription(await answer(pc.localDescription))
    return pc, connected


def candidates_of(sdp: str) -> list[str]:
    """The connection addresses of the candidates in an SDP."""
    return [line.split()[4] for line in sdp.splitlines() if line.startswith("a=candidate:")]


def decode_audio(source: Path | io.BytesIO) -> tuple[np.ndarray, float]:
    """The mono samples of a file's first audio stream and the container's duration (s)."""
    with av.open(str(source) if isinstance(source, Path) else source, mode="r") as container:
        duration = (container.duration or 0) / 1_000_000
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        chunks = [
            f.to_ndarray().reshape(-1)
            for frame in container.decode(audio=0)
            for f in resampler.resample(frame)
        ]
    return np.concatenate(chunks), duration


def tone_power(samples: np.ndarray, hz: float) -> float:
    """Share of the signal's energy within 20 Hz of `hz` (0..1)."""
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / RATE)
    total = float(spectrum.sum()) or 1.0
    return float(spectrum[np.abs(freqs - hz) < 20].sum()) / total


def make_test_video(path: Path, seconds: float = 3.0, fps: int = 15) -> None:
    """A VP8 WebM test pattern: a bar moving across a gradient, `fps` pictures a second."""
    width, height = 320, 240
    with av.open(str(path), mode="w") as container:
        stream: Any = container.add_stream("libvpx", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        ramp = np.tile(np.linspace(0, 255, width, dtype=np.uint8), (height, 1))
        for i in range(int(seconds * fps)):
            rgb = np.stack([ramp, np.roll(ramp, i * 8, axis=1), np.full_like(ramp, 80)], axis=2)
            rgb[:, (i * 10) % width : (i * 10) % width + 12] = 255
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


class Viewer:
    """A receive-only video peer that counts the pictures it decodes."""

    def __init__(self, want: int) -> None:
        self.pc, self.frames, self.want = new_peer(), 0, want
        self.enough = asyncio.Event()
        self.readers: list[asyncio.Future[None]] = []
        self.pc.addTransceiver("video", direction="recvonly")
        self.pc.on("track", self._track)

    async def connect(self, answer: Answer) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.pc.setRemoteDescription(await answer(self.pc.localDescription))

    def _track(self, track: MediaStreamTrack) -> None:
        self.readers.append(asyncio.ensure_future(self._count(track)))

    async def _count(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                self.frames += 1
                if self.frames >= self.want:
                    self.enough.set()
