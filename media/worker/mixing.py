"""The "mixed" room kind: group audio (mix-minus), push-to-talk gating, video forwarding.

Every 20 ms the room takes at most one decoded frame from each peer, picks the loudest
``max_mixed`` audible peers (not muted, and inside the gate when one is set: push-to-talk),
sums them, and encodes:

* one shared Opus stream of the full mix, sent as-is to every peer that is not in the mix;
* one mix-minus stream for each mixed peer (the mix without its own voice).

So a room costs ``max_mixed + 1`` encodes per tick however many listen; aiortc sends the
ready packets without encoding again. Taps (e.g. a recorder) get the full mix each tick.
Video is forwarded without transcoding by ``media.worker.video``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from media.protocol import ControlError
from media.worker.audio import SILENCE, Encoder, PacketTrack, clip, mono, rms
from media.worker.registry import Registry
from media.worker.rooms import FRAME_SAMPLES, PCM, MixTap, Peer, Room, RoomContext
from media.worker.speaker import SpeakerDetector
from media.worker.video import VideoForwarder

log = logging.getLogger("gridhub.media.mixing")
TICK_S = FRAME_SAMPLES / 48_000
JITTER_FRAMES = 4  # frames kept per peer; older ones are dropped


@dataclass(eq=False)
class Member:
    peer: Peer
    out: PacketTrack
    encoder: Encoder = field(default_factory=Encoder)
    inbox: deque[PCM] = field(default_factory=lambda: deque(maxlen=JITTER_FRAMES))
    muted: bool = False
    reader: asyncio.Task[None] | None = None


class MixedRoom(Room):
    kind = "mixed"

    def __init__(self, ctx: RoomContext) -> None:
        super().__init__(ctx)
        self.members: dict[str, Member] = {}
        self.gate: set[str] | None = None  # None: everyone may be heard
        self.shared = Encoder()
        self.speaker = SpeakerDetector()
        self.video = VideoForwarder(ctx.limits.max_video, ctx.emit)
        self.taps: dict[str, MixTap] = {}
        self.pts = 0
        self.skipped_ticks = 0
        self._ticker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        for name, args in dict(self.ctx.options.get("taps") or {}).items():
            await self._add_tap(name, dict(args or {}))
        if self.ctx.options.get("mode") == "ptt":
            self.gate = set()
        self._ticker = asyncio.create_task(self._tick_forever(), name=f"mix:{self.ctx.room_id}")

    async def attach(self, peer: Peer) -> None:
        member = Member(peer, PacketTrack(), muted=bool(peer.options.get("muted")))
        peer.pc.addTrack(member.out)
        inbound = peer.inbound("audio")
        if inbound:
            member.reader = asyncio.create_task(self._read(member, inbound[0]))
        self.members[peer.id] = member
        self.video.attach(peer)

    async def detach(self, peer_id: str) -> None:
        member = self.members.pop(peer_id, None)
        self.video.detach(peer_id)
        if member is None:
            return
        if member.reader is not None:
            member.reader.cancel()
        member.out.stop()
        if self.speaker.current == peer_id:
            self.ctx.emit("speaker", {"peer": None})
        self.speaker.forget(peer_id)

    async def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        for tap in self.taps.values():
            await tap.close()
        self.taps.clear()

    # ---- commands from the hub ---------------------------------------------------------

    async def control(self, action: str, args: dict[str, Any]) -> dict[str, Any]:
        if action == "mute":
            return self._mute(args)
        if action == "gate":
            peers = args.get("peers")
            self.gate = None if peers is None else {str(p) for p in peers}
            return {"gate": None if self.gate is None else sorted(self.gate)}
        if action == "tap":
            await self._add_tap(str(args.get("name")), dict(args.get("args") or {}))
            return {"taps": sorted(self.taps)}
        if action == "untap":
            tap = self.taps.pop(str(args.get("name")), None)
            if tap is not None:
                await tap.close()
            return {"taps": sorted(self.taps)}
        if action == "stats":
            return self.stats()
        return await super().control(action, args)

    def _mute(self, args: dict[str, Any]) -> dict[str, Any]:
        muted = bool(args.get("muted", True))
        targets = list(self.members) if args.get("all") else [str(p) for p in args["peers"]]
        changed = [p for p in targets if p in self.members and self.members[p].muted != muted]
        for peer_id in changed:
            self.members[peer_id].muted = muted
        return {"changed": changed, "muted": muted}

    def stats(self) -> dict[str, Any]:
        return {
            "members": len(self.members),
            "skipped_ticks": self.skipped_ticks,
            "ticks": self.pts // FRAME_SAMPLES,
            "dropped": sum(m.out.dropped for m in self.members.values()),
            "speaker": self.speaker.current,
        }

    async def _add_tap(self, name: str, args: dict[str, Any]) -> None:
        factory = self.ctx.taps.get(name)
        if factory is None:
            raise ControlError("room.unknown_tap", f"this worker has no tap {name!r}")
        if name not in self.taps:
            self.taps[name] = await factory(self.ctx, args)

    # ---- the mixer ---------------------------------------------------------------------

    async def _read(self, member: Member, track: MediaStreamTrack) -> None:
        try:
            while True:
                member.inbox.append(mono(await track.recv()))  # type: ignore[arg-type]
        except MediaStreamError:
            return

    async def _tick_forever(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            due += TICK_S
            delay = due - loop.time()
            if delay < -5 * TICK_S:  # far behind: skip the missed ticks rather than burst
                skipped = int(-delay / TICK_S)
                self.skipped_ticks += skipped
                self.pts += skipped * FRAME_SAMPLES  # receivers see the gap as lost frames
                due += skipped * TICK_S
            await asyncio.sleep(max(0.0, delay))
            try:
                self._tick()
            except Exception:
                log.exception("mix tick failed", extra={"room": self.ctx.room_id})

    def _audible(self, peer_id: str, member: Member) -> bool:
        return not member.muted and (self.gate is None or peer_id in self.gate)

    def _tick(self) -> None:
        frames = {p: m.inbox.popleft() for p, m in self.members.items() if m.inbox}
        energies = dict.fromkeys(self.members, 0.0)
        for peer_id, pcm in frames.items():
            if self._audible(peer_id, self.members[peer_id]):
                energies[peer_id] = rms(pcm)
        heard = sorted((p for p in frames if energies[p] > 0), key=lambda p: -energies[p])
        mixed = heard[: self.ctx.limits.max_mixed]
        self._mix(mixed, frames)
        if self.speaker.update(energies):
            self.ctx.emit("speaker", {"peer": self.speaker.current})
        self.pts += FRAME_SAMPLES

    def _mix(self, mixed: list[str], frames: dict[str, PCM]) -> None:
        total = np.zeros(FRAME_SAMPLES, dtype=np.int32)
        for peer_id in mixed:
            total += frames[peer_id]
        full = clip(total) if mixed else SILENCE
        shared = self.shared.encode(full, self.pts)
        for peer_id, member in self.members.items():
            if peer_id in mixed:
                packet = member.encoder.encode(clip(total - frames[peer_id]), self.pts)
            else:
                packet = shared
            if packet is not None:
                member.out.push(packet)
        for tap in self.taps.values():
            tap.write(full, self.pts)


def register(registry: Registry) -> None:
    registry.room_kind(MixedRoom)
