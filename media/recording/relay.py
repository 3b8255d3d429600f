"""Live relay inside a recorder room: each party hears the others while the file is written.

An SOS is recorded by a `recorder` room; a commander who takes the SOS joins the same room as a
*listener* and hears the raiser's microphone live, and what the commander says (talk-back)
reaches the raiser. Only peers that joined with the ``relay`` option get an outgoing track;
everyone's audio (listeners' too) is offered to them, so the file and the live sound agree.

Every 20 ms the relay takes at most one block of 960 samples from each party and, for each
relayed peer, encodes the sum of the *other* parties to Opus (silence when nobody speaks):
one encode per relayed peer, which is cheap for the two or three people around an SOS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import numpy as np
from aiortc import RTCPeerConnection

from media.worker.audio import SILENCE, Encoder, PacketTrack, clip
from media.worker.rooms import FRAME_SAMPLES, PCM, SAMPLE_RATE

log = logging.getLogger("gridhub.media.recording")
TICK_S = FRAME_SAMPLES / SAMPLE_RATE
MAX_BUFFERED = 10 * FRAME_SAMPLES  # 200 ms per party; older samples are dropped (latency)


class Relay:
    def __init__(self, room_id: str) -> None:
        self.room_id = room_id
        self.outs: dict[str, tuple[PacketTrack, Encoder]] = {}
        self._buffers: dict[str, PCM] = {}
        self.pts = 0
        self.blocks_in = 0  # blocks taken from parties (stats)
        self._ticker = asyncio.create_task(self._tick_forever(), name=f"relay:{room_id}")

    def add(self, party: str, pc: RTCPeerConnection) -> None:
        """Send `party` what the others say (fills the audio m-line its offer made)."""
        track = PacketTrack()
        pc.addTrack(track)
        self.outs[party] = (track, Encoder())

    def remove(self, party: str) -> None:
        self._buffers.pop(party, None)
        out = self.outs.pop(party, None)
        if out is not None:
            out[0].stop()

    def heard(self, party: str, samples: PCM) -> None:
        """A party's decoded audio (48 kHz mono, any length)."""
        buffered = self._buffers.get(party)
        joined = samples if buffered is None else np.concatenate([buffered, samples])
        self._buffers[party] = joined[-MAX_BUFFERED:]

    async def close(self) -> None:
        self._ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._ticker
        for party in list(self.outs):
            self.remove(party)

    def _take(self) -> dict[str, PCM]:
        blocks: dict[str, PCM] = {}
        for party, buffered in self._buffers.items():
            if len(buffered) >= FRAME_SAMPLES:
                blocks[party] = buffered[:FRAME_SAMPLES]
                self._buffers[party] = buffered[FRAME_SAMPLES:]
        self.blocks_in += len(blocks)
        return blocks

    def _tick(self) -> None:
        blocks = self._take()
        for party, (track, encoder) in self.outs.items():
            others = [pcm for source, pcm in blocks.items() if source != party]
            total = np.sum(np.stack(others).astype(np.int32), axis=0) if others else None
            packet = encoder.encode(SILENCE if total is None else clip(total), self.pts)
            if packet is not None:
                track.push(packet)
        self.pts += FRAME_SAMPLES

    async def _tick_forever(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            due = max(due + TICK_S, loop.time() - 5 * TICK_S)  # far behind: skip, never burst
            await asyncio.sleep(max(0.0, due - loop.time()))
            try:
                self._tick()
            except Exception:
                log.exception("relay tick failed", extra={"room": self.room_id})
