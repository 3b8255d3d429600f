"""A client process of the media benchmark: many aiortc peers in one mixed room.

Each peer sends pre-encoded Opus (a tone for speakers, silence for the others; encoded once
per process, so clients stay cheap) and records, for every audio frame it receives, the
arrival time and RTP timestamp. Received audio is not decoded: the client's aiortc
receivers hand the encoded frames on (the worker's output is checked for content by the
tests in tests/media). Results go back to the benchmark as plain dicts.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, CodecContext, Packet

from media.client import WorkerClient
from media.ice import gather_only
from media.worker.audio import EncodedPacket
from media.worker.inline import decode_inline
from media.worker.video import PassthroughDecoder, forward_encoded_video

RATE, FRAME = 48_000, 960
TIME_BASE = fractions.Fraction(1, RATE)
CONNECT_TIMEOUT_S = 60.0


def opus_loop(hz: float, seconds: float = 1.0) -> list[Any]:
    """`seconds` of a sine at `hz` (0: silence) as Opus packets, to be sent in a loop."""
    codec = CodecContext.create("libopus", "w")
    codec.bit_rate, codec.format, codec.layout = 32_000, "s16", "mono"
    codec.sample_rate, codec.time_base = RATE, TIME_BASE
    packets: list[Any] = []
    for index in range(int(seconds * RATE / FRAME)):
        t = (index * FRAME + np.arange(FRAME)) / RATE
        pcm = (8000 * np.sin(2 * np.pi * hz * t)).astype(np.int16)
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = RATE, index * FRAME, TIME_BASE
        packets += codec.encode(frame)
    return packets


class Sender(MediaStreamTrack):
    kind = "audio"

    def __init__(self, packets: list[Any]) -> None:
        super().__init__()
        self.packets, self.sent, self.started = packets, 0, 0.0

    async def recv(self) -> EncodedPacket:
        if self.sent == 0:
            self.started = time.monotonic()
        else:
            await asyncio.sleep(self.started + self.sent * FRAME / RATE - time.monotonic())
        source = self.packets[self.sent % len(self.packets)]
        packet = Packet(bytes(source))
        packet.pts, packet.time_base = self.sent * FRAME, TIME_BASE
        self.sent += 1
        return packet


@dataclass(eq=False)
class BenchPeer:
    pc: RTCPeerConnection
    arrivals: list[float] = field(default_factory=list)
    stamps: list[int] = field(default_factory=list)
    first: asyncio.Event = field(default_factory=asyncio.Event)

    async def read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                packet = await track.recv()
                stamp = int(packet.pts or 0)
                if self.stamps:  # RTP timestamps wrap at 2**32
                    turns = round((self.stamps[-1] - stamp) / 2**32)
                    stamp += turns * 2**32
                self.arrivals.append(time.time())
                self.stamps.append(stamp)
                self.first.set()
        except MediaStreamError:
            return

    def counts(self, start: float, end: float, late_s: float) -> dict[str, int]:
        arrivals, stamps = np.array(self.arrivals), np.array(self.stamps, dtype=np.int64)
        inside = (arrivals >= start) & (arrivals < end)
        if not inside.any():
            return {"received": 0, "lost": int((end - start) * RATE / FRAME), "late": 0}
        offsets = arrivals - stamps / RATE
        late = offsets[inside] - offsets[arrivals >= start - 5.0].min() > late_s
        unique = np.unique(stamps[inside])
        expected = int((unique[-1] - unique[0]) // FRAME) + 1
        return {
            "received": int(inside.sum()),
            "lost": max(0, expected - len(unique)),
            "late": int(late.sum()),
        }


def decode_nothing() -> None:
    """Received audio frames stay encoded too (see the module docstring)."""
    from aiortc import rtcrtpreceiver

    forward_encoded_video()
    video_only = getattr(rtcrtpreceiver, "get_decoder")  # noqa: B009

    def get_decoder(codec: Any) -> Any:
        if codec.mimeType.lower() == "audio/opus":
            return PassthroughDecoder()
        return video_only(codec)

    setattr(rtcrtpreceiver, "get_decoder", get_decoder)  # noqa: B010


async def join(client: WorkerClient, room: str, name: str, packets: list[Any]) -> BenchPeer:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    peer = BenchPeer(pc)
    pc.addTrack(Sender(packets))
    pc.on("track", lambda track: asyncio.ensure_future(peer.read(track)))
    await pc.setLocalDescription(await pc.createOffer())
    reply = await client.request(
        "peer.join", {"room": room, "peer": name, "sdp": pc.localDescription.sdp}
    )
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
    return peer


async def run(job: dict[str, Any], ready: Any, go: Any, results: Any) -> None:
    gather_only(["127.0.0.1"])
    decode_nothing()
    decode_inline()
    client = WorkerClient(job["url"], job["secret"], lambda event, data: None)
    await client.connect()
    loops = {hz: opus_loop(hz) for hz in set(job["tones"])}
    peers = []
    for name, hz in zip(job["names"], job["tones"], strict=True):
        peers.append(await join(client, job["room"], name, loops[hz]))
    async with asyncio.timeout(CONNECT_TIMEOUT_S):
        await asyncio.gather(*(peer.first.wait() for peer in peers))
    ready.put(job["index"])
    start, end = await asyncio.get_running_loop().run_in_executor(None, go.get)
    await asyncio.sleep(max(0.0, end + 0.5 - time.time()))
    late_s = job["late_ms"] / 1000
    results.put([peer.counts(start, end, late_s) for peer in peers])
    for peer in peers:
        await peer.pc.close()
    await client.close()


def boost(pid: int, nice: int, realtime: int = 0) -> None:
    """Niceness of the process and of its autogroup (with autogroups, the kernel shares CPU
    between sessions first, so a process's own niceness alone does little on a busy box);
    or, with `realtime` > 0, the SCHED_RR policy at that priority."""
    if realtime:
        os.sched_setscheduler(pid, os.SCHED_RR, os.sched_param(realtime))
    if not nice:
        return
    os.setpriority(os.PRIO_PROCESS, pid, nice)
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))


def main(job: dict[str, Any], ready: Any, go: Any, results: Any) -> None:
    """A multiprocessing target (spawned): pin to the given CPUs and run the peers."""
    if job.get("cpus"):
        os.sched_setaffinity(0, set(job["cpus"]))
    os.setsid()
    boost(os.getpid(), int(job.get("nice", 0)), int(job.get("realtime", 0)))
    asyncio.run(run(job, ready, go, results))
