"""aiortc client peers for media tests: a tone sender that records what it hears."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import numpy.typing as npt
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame

from loadtests.tone import RATE, Tone

Samples = npt.NDArray[np.float64]


WRAP = 1 << 32  # RTP timestamps are 32-bit


class Listener:
    """One aiortc peer: sends a tone, keeps every received frame with its arrival time and its
    place on the sender's timeline (RTP timestamps, unwrapped, in samples)."""

    def __init__(self, hz: float, amplitude: float = 8000.0, video: bool = False) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTrack(Tone(hz, amplitude))
        if video:
            self.pc.addTransceiver("video", direction="recvonly")
        self.heard: list[tuple[float, int, Samples]] = []
        self._last_pts: int | None = None
        self._sent_at = 0  # where the latest frame sits on the sender's timeline
        self.arrived = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self.pc.on("track", self._track)

    def _track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self.tasks.append(asyncio.create_task(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, AudioFrame)
                channels = len(frame.layout.channels)
                data = np.frombuffer(bytes(frame.planes[0]), np.int16)
                mono = data[: frame.samples * channels : channels].astype(np.float64)
                self.heard.append((time.monotonic(), self._place(frame), mono))
                self.arrived.set()
        except MediaStreamError:
            return

    def _place(self, frame: AudioFrame) -> int:
        pts = int(frame.pts or 0)
        if self._last_pts is not None:
            self._sent_at += (pts - self._last_pts) % WRAP
        self._last_pts = pts
        return self._sent_at

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def listen(self, seconds: float, skip: float = 0.3) -> Samples:
        """`seconds` of what the sender sent, from the first frame that arrives `skip` s or
        more from now (bounded wait).

        Measured on the sender's timeline, not by arrival: a test process starved of CPU on a
        busy machine receives a second of audio late and at once, and a window of arrival times
        would then hold none of it."""
        start = time.monotonic() + skip
        async with asyncio.timeout(seconds + skip + 10):
            first = await self._first_arrival(start)
            end = first + int(seconds * RATE)
            while self.heard[-1][1] < end:
                await self._next_frame()
        return np.concatenate([s for _, at, s in self.heard if first <= at < end])

    async def _first_arrival(self, start: float) -> int:
        """The sender's time of the first frame arriving at `start` or later."""
        while True:
            later = next((at for arrived, at, _ in self.heard if arrived >= start), None)
            if later is not None:
                return later
            await self._next_frame()

    async def _next_frame(self) -> None:
        self.arrived.clear()
        await self.arrived.wait()

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.pc.close()


def level(samples: Samples, hz: float) -> float:
    """Amplitude of the `hz` component (Hann window, peak of the nearby bins)."""
    window = np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(samples * window)) * 2 / window.sum()
    center = round(hz * len(samples) / RATE)
    return float(spectrum[max(0, center - 3) : center + 4].max())


def levels(samples: Samples, tones: dict[str, float]) -> dict[str, float]:
    return {name: round(level(samples, hz)) for name, hz in tones.items()}
