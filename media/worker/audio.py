"""Audio plumbing for mixed rooms: Opus encoding, packet tracks, PCM from decoded frames."""

from __future__ import annotations

import asyncio
import fractions
from typing import Any, TypeAlias

import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, CodecContext, Packet

from media.worker.rooms import FRAME_SAMPLES, PCM, SAMPLE_RATE

TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
BITRATE = 32_000
EncodedPacket: TypeAlias = "Packet[Any]"
SILENCE: PCM = np.zeros(FRAME_SAMPLES, dtype=np.int16)


class Encoder:
    """One Opus stream (mono, 20 ms, VoIP tuning); its packets carry the room's tick pts."""

    def __init__(self) -> None:
        codec = CodecContext.create("libopus", "w")
        codec.bit_rate = BITRATE
        codec.format = "s16"
        codec.layout = "mono"
        codec.sample_rate = SAMPLE_RATE
        codec.time_base = TIME_BASE
        codec.options = {"application": "voip", "frame_duration": "20"}
        self.codec = codec

    def encode(self, pcm: PCM, pts: int) -> EncodedPacket | None:
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, pts, TIME_BASE
        packets = self.codec.encode(frame)
        if not packets:
            return None
        packet: EncodedPacket = packets[-1]
        packet.pts, packet.time_base = pts, TIME_BASE
        return packet


class PacketTrack(MediaStreamTrack):
    """An outgoing track fed with ready Opus packets (aiortc sends them without re-encoding)."""

    kind = "audio"

    def __init__(self, depth: int = 5) -> None:
        super().__init__()
        self.queue: asyncio.Queue[EncodedPacket | None] = asyncio.Queue(depth)
        self.dropped = 0

    def push(self, packet: EncodedPacket) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(packet)

    async def recv(self) -> EncodedPacket:
        packet = await self.queue.get()
        if packet is None or self.readyState != "live":
            raise MediaStreamError
        return packet

    def stop(self) -> None:
        super().stop()
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


def mono(frame: AudioFrame) -> PCM:
    """First channel of a decoded s16 frame, exactly FRAME_SAMPLES long."""
    channels = len(frame.layout.channels)
    data = np.frombuffer(bytes(frame.planes[0]), dtype=np.int16, count=frame.samples * channels)
    pcm: PCM = data[::channels].copy()
    if len(pcm) == FRAME_SAMPLES:
        return pcm
    fitted: PCM = np.zeros(FRAME_SAMPLES, dtype=np.int16)
    fitted[: min(len(pcm), FRAME_SAMPLES)] = pcm[:FRAME_SAMPLES]
    return fitted


def clip(total: np.ndarray) -> PCM:
    out: PCM = np.clip(total, -32768, 32767).astype(np.int16)
    return out


def rms(pcm: PCM) -> float:
    samples = pcm.astype(np.float32)
    return float(np.sqrt(np.dot(samples, samples) / len(samples)))
