"""Group audio: aiortc peers in group calls of the media service (docs/media.md).

Each room is the grid channel of one basic grid; its ``members`` load accounts (``load-gNNNN``,
provisioned on that grid, so they are the channel's members) join one after the other with a
complete SDP offer carrying one audio track (a tone), ``group.join`` answers with the media
worker's SDP, and each member listens to the room's mix. Measured: ``group.join.ack``,
``group.audio`` (join sent → first audio frame from the room), frames received while held,
``group.leave.ack``. ICE gathers 127.0.0.1 only in this process (the hub's media workers gather
on ``media.ice_addresses``, 127.0.0.1 by default).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from av import AudioFrame

from loadtests.callers import STEP_S, loopback_only, remote_track
from loadtests.context import Context, call, channels_of, close_counting, open_socket
from loadtests.provision import Member
from loadtests.realtime.lean import LeanSocket
from loadtests.tone import Tone


def loud(frame: AudioFrame) -> bool:
    """Whether a received frame carries sound (the others' tones), not the mix's silence."""
    pcm = np.frombuffer(bytes(frame.planes[0]), dtype=np.int16)
    return (
        bool(pcm.size)
        and int(np.abs(pcm[: frame.samples * len(frame.layout.channels)]).max()) > LOUD
    )


async def listen(track: MediaStreamTrack, seconds: float) -> tuple[int, int]:
    """Frames received for ``seconds``, and how many of them were not silent."""
    frames = voiced = 0
    async with asyncio.timeout(seconds + STEP_S):
        until = time.time() + seconds
        while time.time() < until:
            frame = await track.recv()
            frames += 1
            voiced += isinstance(frame, AudioFrame) and loud(frame)
    return frames, voiced


LOUD = 1000  # sample amplitude; the tones are sent at 8,000


class GroupMember:
    def __init__(self, ctx: Context, member: Member, sock: LeanSocket, hz: float) -> None:
        self.ctx, self.member, self.sock, self.hz = ctx, member, sock, hz
        self.pc: RTCPeerConnection | None = None
        self.room_id = ""

    async def channel_id(self) -> int | None:
        grid_id = self.ctx.grid_id(self.member.grid)
        for channel in await channels_of(self.ctx.rec, self.sock) or []:
            if channel.get("kind") == "grid" and channel.get("grid_id") == grid_id:
                return int(channel["id"])
        self.ctx.rec.error("group.no_grid_channel")
        return None

    async def join(self, channel_id: int) -> MediaStreamTrack | None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        arrived = remote_track(self.pc)
        self.pc.addTrack(Tone(self.hz))
        await self.pc.setLocalDescription(await self.pc.createOffer())  # gathers fully
        body = {"channel_id": channel_id, "sdp": self.pc.localDescription.sdp}
        reply = await call(self.ctx.rec, self.sock, "group.join", body, "group.join.ack")
        if reply is None:
            return None
        self.room_id = str(reply["room_id"])
        await self.pc.setRemoteDescription(RTCSessionDescription(reply["sdp"], "answer"))
        return await asyncio.wait_for(arrived, STEP_S)

    async def talk(self, channel_id: int, until: float) -> None:
        sent = time.time()
        track = await self.join(channel_id)
        if track is None:
            return
        await asyncio.wait_for(track.recv(), STEP_S)
        self.ctx.rec.latency("group.audio", time.time() - sent)
        frames, voiced = await listen(track, max(0.5, until - time.time()))
        self.ctx.rec.count("group.audio_frames", frames)
        self.ctx.rec.count("group.voiced_frames", voiced)
        self.ctx.rec.count("group.members_heard" if voiced else "group.members_silent")

    async def leave(self) -> None:
        if self.room_id:
            body = {"room_id": self.room_id}
            await call(self.ctx.rec, self.sock, "group.leave", body, "group.leave.ack")
        if self.pc is not None:
            await self.pc.close()
        await close_counting(self.ctx, self.sock)


async def run_room(ctx: Context, members: list[Member], tokens: dict[str, str]) -> None:
    """Members join one by one over the ramp, stay ``hold_s`` after the last join, leave."""
    g = ctx.scenario.groups
    people: list[GroupMember] = []
    for i, member in enumerate(m for m in members if m.username in tokens):
        sock = await open_socket(ctx, ctx.url(i), tokens[member.username], "groups")
        if sock is not None:
            sock.handler = lambda event, data, at: None
            people.append(GroupMember(ctx, member, sock, 300.0 + 60.0 * i))
    channel_id = await people[0].channel_id() if people else None
    try:
        if channel_id is None:
            return
        spacing = ctx.scenario.ramp_s / max(len(people), 1)
        until = min(ctx.end, ctx.start + ctx.scenario.ramp_s + g.hold_s)
        jobs: list[Any] = []
        for i, person in enumerate(people):
            await ctx.sleep_until(ctx.start + i * spacing)
            jobs.append(asyncio.create_task(guard(ctx, person.talk(channel_id, until))))
        await asyncio.gather(*jobs)
    finally:
        await asyncio.gather(*(p.leave() for p in people), return_exceptions=True)


async def guard(ctx: Context, job: Any) -> None:
    try:
        await job
    except TimeoutError:
        ctx.rec.error("group.timeout")


async def run_groups(ctx: Context, tokens: dict[str, str]) -> None:
    loopback_only()
    size = ctx.scenario.groups.members
    members = ctx.directory.groups
    rooms = [members[i : i + size] for i in range(0, len(members), size)]
    await asyncio.gather(*(run_room(ctx, room, tokens) for room in rooms))
