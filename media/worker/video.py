"""Video forwarding without transcoding (SFU-style) for mixed rooms.

On a worker, inbound video tracks yield the *encoded* frames (``av.Packet``, VP8/H264 as
received, see ``forward_encoded_video``), and outgoing ``SlotTrack``s hand such packets to
aiortc, which only re-packetises them. The first ``max_video`` peers that send video are
*sources*; every video m-line a peer offers is a *slot* that shows one source other than the
peer itself. When a slot's source changes the source is asked for a key frame (PLI), and the
room emits ``video`` with the peer's slot map ``[{mid, source}]``.
"""

from __future__ import annotations

import asyncio
import fractions
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import MediaStreamTrack, rtcrtpreceiver
from aiortc.codecs.base import Decoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError
from av import Packet

from media.worker.audio import EncodedPacket
from media.worker.rooms import Peer

VIDEO_TIME_BASE = fractions.Fraction(1, 90_000)


class PassthroughDecoder(Decoder):
    """Hands the reassembled encoded frame on instead of decoding it."""

    def decode(self, encoded_frame: JitterFrame) -> list[Any]:
        packet = Packet(encoded_frame.data)
        packet.pts, packet.time_base = encoded_frame.timestamp, VIDEO_TIME_BASE
        return [packet]


def forward_encoded_video() -> None:
    """Make every inbound video track of this process yield encoded packets."""
    original = getattr(rtcrtpreceiver, "get_decoder")  # noqa: B009  (not re-exported)

    def get_decoder(codec: Any) -> Decoder:
        if codec.mimeType.lower().startswith("video/"):
            return PassthroughDecoder()
        decoder: Decoder = original(codec)
        return decoder

    setattr(rtcrtpreceiver, "get_decoder", get_decoder)  # noqa: B010


class SlotTrack(MediaStreamTrack):
    kind = "video"

    def __init__(self, mid: str | None) -> None:
        super().__init__()
        self.mid = mid
        self.source: str | None = None
        self.queue: asyncio.Queue[EncodedPacket | None] = asyncio.Queue(30)

    def push(self, packet: EncodedPacket | None) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(packet)

    async def recv(self) -> EncodedPacket:
        packet = await self.queue.get()
        if packet is None or self.readyState != "live":
            raise MediaStreamError
        return packet

    def stop(self) -> None:
        super().stop()
        self.push(None)


@dataclass(eq=False)
class Source:
    peer: Peer
    track: MediaStreamTrack
    viewers: set[SlotTrack] = field(default_factory=set)
    task: asyncio.Task[None] | None = None

    async def pump(self) -> None:
        try:
            while True:
                packet = await self.track.recv()
                for slot in self.viewers:
                    slot.push(packet)  # type: ignore[arg-type]
        except MediaStreamError:
            return

    async def key_frame(self) -> None:
        receiver = self.peer.receiver_of(self.track)
        for ssrc in receiver.getSynchronizationSources() if receiver else ():
            await receiver._send_rtcp_pli(ssrc.source)


class VideoForwarder:
    def __init__(self, max_sources: int, emit: Callable[[str, dict[str, Any]], None]) -> None:
        self.max_sources, self.emit = max_sources, emit
        self.sources: dict[str, Source] = {}
        self.slots: dict[str, list[SlotTrack]] = {}
        self.waiting: dict[str, Peer] = {}  # peers that send video but are not forwarded
        self.requests: set[asyncio.Task[None]] = set()

    def attach(self, peer: Peer) -> None:
        slots = []
        for transceiver in peer.pc.getTransceivers():
            if transceiver.kind == "video":
                slot = SlotTrack(transceiver.mid)
                peer.pc.addTrack(slot)
                slots.append(slot)
        self.slots[peer.id] = slots
        if peer.inbound("video"):
            self.waiting[peer.id] = peer
        self._arrange()

    def detach(self, peer_id: str) -> None:
        self.waiting.pop(peer_id, None)
        for slot in self.slots.pop(peer_id, []):
            slot.stop()
        source = self.sources.pop(peer_id, None)
        if source is not None and source.task is not None:
            source.task.cancel()
        self._arrange()

    def _arrange(self) -> None:
        for peer_id in list(self.waiting):
            if len(self.sources) >= self.max_sources:
                break
            peer = self.waiting.pop(peer_id)
            source = Source(peer, peer.inbound("video")[0])
            source.task = asyncio.create_task(source.pump())
            self.sources[peer_id] = source
        for viewer, slots in self.slots.items():
            self._fill(viewer, slots)

    def _fill(self, viewer: str, slots: list[SlotTrack]) -> None:
        offered = [s for s in self.sources if s != viewer]
        changed = False
        for index, slot in enumerate(slots):
            wanted = offered[index] if index < len(offered) else None
            if slot.source == wanted:
                continue
            if slot.source in self.sources:
                self.sources[slot.source].viewers.discard(slot)
            slot.source, changed = wanted, True
            if wanted is not None:
                self.sources[wanted].viewers.add(slot)
                task = asyncio.create_task(self.sources[wanted].key_frame())
                self.requests.add(task)
                task.add_done_callback(self.requests.discard)
        if changed:
            layout = [{"mid": s.mid, "source": s.source} for s in slots]
            self.emit("video", {"peer": viewer, "slots": layout})
