"""The test tone: an aiortc audio track of a sine, the one copy the load tests and the test suite
send (a caller's voice, a group member, a recorded party)."""

from __future__ import annotations

import asyncio
import fractions
import time

import numpy as np
from aiortc import MediaStreamTrack
from av import AudioFrame

RATE, FRAME = 48_000, 960  # 48 kHz, 20 ms frames


class Tone(MediaStreamTrack):
    """A sine at `hz` (0: silence), 20 ms frames of 48 kHz mono s16, paced in real time;
    `marked` is set once `mark_s` seconds of it were sent (0: never)."""

    kind = "audio"

    def __init__(self, hz: float, amplitude: float = 8000.0, mark_s: float = 0.0) -> None:
        super().__init__()
        self.hz, self.amplitude, self.sent, self.started = hz, amplitude, 0, 0.0
        self.mark, self.marked = int(mark_s * RATE), asyncio.Event()

    async def recv(self) -> AudioFrame:
        if self.sent == 0:
            self.started = time.monotonic()
        else:
            await asyncio.sleep(self.started + self.sent / RATE - time.monotonic())
        t = (self.sent + np.arange(FRAME)) / RATE
        pcm = (self.amplitude * np.sin(2 * np.pi * self.hz * t)).astype(np.int16)
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.pts, frame.sample_rate = self.sent, RATE
        frame.time_base = fractions.Fraction(1, RATE)
        self.sent += FRAME
        if self.mark and self.sent >= self.mark:
            self.marked.set()
        return frame
