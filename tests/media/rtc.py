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


class Listener:
    """One aiortc peer: sends a tone, keeps every received frame with its arrival time."""

    def __init__(self, hz: float, amplitude: float = 8000.0, video: bool = False) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTrack(Tone(hz, amplitude))
        if video:
            self.pc.addTransceiver("video", direction="recvonly")
        self.heard: list[tuple[float, Samples]] = []
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
                self.heard.append((time.monotonic(), mono))
                self.arrived.set()
        except MediaStreamError:
            return

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def listen(self, seconds: float, skip: float = 0.3) -> Samples:
        """The audio that arrives from `skip` s from now, for `seconds` s (bounded wait)."""
        start = time.monotonic() + skip
        end = start + seconds
        async with asyncio.timeout(seconds + skip + 10):
            while not self.heard or self.heard[-1][0] < end:
                self.arrived.clear()
                await self.arrived.wait()
        chunks = [s for at, s in self.heard if start <= at < end]
        assert chunks, "no audio arrived"
        return np.concatenate(chunks)

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
