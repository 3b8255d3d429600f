"""Callers: pairs of aiortc peers in 1:1 audio calls set up only through the hub's signaling.

For each pair (two load accounts on one grid, so they may call each other), the caller
invites, the callee accepts when ``call.ringing`` arrives, and the caller's aiortc peer sends
its offer and trickled candidates as ``call.signal``; the callee answers the same way. Both
send a tone; once audio arrives, the call is held ``hold_s`` and hung up. Measured:
``call.ring`` (invite → ringing at the callee), ``call.setup`` (invite → first audio frame at
the caller), ``call.signal.ack``, ``call.hangup.ack``, frames received. ICE uses 127.0.0.1
only (aioice's host discovery is replaced in this process): both peers run here, so their
media never leaves loopback whatever the hub's address. Group audio is not simulated: the
repository has no media service API yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp

from loadtests.context import Context, call, close_counting, open_socket
from loadtests.provision import Member
from loadtests.realtime.lean import LeanSocket
from loadtests.tone import Tone
from media.ice import gather_only

RATE, PTIME, STEP_S = 48_000, 0.02, 20.0
LOOPBACK = "127.0.0.1"


def loopback_only() -> None:
    gather_only([LOOPBACK])


def remote_track(pc: RTCPeerConnection) -> asyncio.Future[MediaStreamTrack]:
    """Resolves with the first track the other side sends."""
    future: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()

    def arrived(track: MediaStreamTrack) -> None:
        if not future.done():
            future.set_result(track)

    pc.on("track", arrived)
    return future


class Party:
    """One side of a call: a socket (events queued by name) and an aiortc peer."""

    def __init__(self, ctx: Context, sock: LeanSocket, hz: float) -> None:
        self.ctx, self.sock, self.hz = ctx, sock, hz
        self.queues: dict[str, asyncio.Queue[Any]] = {}
        sock.handler = lambda event, data, at: self.queue(event).put_nowait((data, at))
        self.pc: RTCPeerConnection | None = None
        self.call_id = 0
        self.remote: asyncio.Future[MediaStreamTrack] | None = None

    def queue(self, event: str) -> asyncio.Queue[Any]:
        return self.queues.setdefault(event, asyncio.Queue())

    async def ringing(self, call_id: int) -> float:
        """When ``call.ringing`` for this call arrived (older ones are skipped)."""
        async with asyncio.timeout(STEP_S):
            while True:
                data, at = await self.queue("call.ringing").get()
                if isinstance(data, dict) and data.get("call_id") == call_id:
                    return float(at)

    def fresh_peer(self, call_id: int) -> None:
        self.call_id = call_id
        self.queues.pop("call.signal", None)  # nothing left over from an earlier call
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.remote = remote_track(self.pc)
        self.pc.addTrack(Tone(self.hz))

    async def signal(self, kind: str, **body: Any) -> None:
        payload = {"call_id": self.call_id, "kind": kind, **body}
        await call(self.ctx.rec, self.sock, "call.signal", payload, "call.signal.ack")

    async def send_description(self, kind: str) -> None:
        assert self.pc is not None
        lines = self.pc.localDescription.sdp.splitlines()
        found = [x[2:] for x in lines if x.startswith("a=candidate:")]
        kept = [x for x in lines if not x.startswith(("a=candidate:", "a=end-of-cand"))]
        await self.signal(kind, sdp="\r\n".join(kept) + "\r\n")
        for line in [*found, ""]:
            await self.signal(
                "candidate", candidate={"candidate": line, "sdpMid": "0", "sdpMLineIndex": 0}
            )

    async def handle_signals(self) -> None:
        """Apply the other side's signals until cancelled (the call's end)."""
        while True:
            data, _at = await self.queue("call.signal").get()
            assert self.pc is not None
            if data["kind"] in ("offer", "answer"):
                await self.pc.setRemoteDescription(RTCSessionDescription(data["sdp"], data["kind"]))
                if data["kind"] == "offer":
                    await self.pc.setLocalDescription(await self.pc.createAnswer())
                    await self.send_description("answer")
            elif data["candidate"]["candidate"]:
                body = data["candidate"]
                candidate = candidate_from_sdp(body["candidate"][len("candidate:") :])
                candidate.sdpMid, candidate.sdpMLineIndex = body["sdpMid"], body["sdpMLineIndex"]
                await self.pc.addIceCandidate(candidate)

    async def close_peer(self) -> None:
        if self.pc is not None:
            await self.pc.close()
        self.pc = None


async def frames_for(track: MediaStreamTrack, seconds: float) -> int:
    frames, until = 0, time.time() + seconds
    with contextlib.suppress(TimeoutError, Exception):
        while time.time() < until:
            await asyncio.wait_for(track.recv(), STEP_S)
            frames += 1
    return frames


async def one_call(ctx: Context, caller: Party, callee: Party, callee_id: int) -> None:
    rec, sent = ctx.rec, time.time()
    invite = {"callee_id": callee_id, "media": "audio", "client_call_id": str(uuid.uuid4())}
    reply = await call(rec, caller.sock, "call.invite", invite, "call.invite.ack")
    if reply is None:
        return
    call_id = int(reply["call_id"])
    try:
        await answer_and_talk(ctx, caller, callee, call_id, sent)
    finally:
        await call(rec, caller.sock, "call.hangup", {"call_id": call_id}, "call.hangup.ack")
        await asyncio.gather(caller.close_peer(), callee.close_peer())


async def answer_and_talk(
    ctx: Context, caller: Party, callee: Party, call_id: int, sent: float
) -> None:
    rec = ctx.rec
    at = await callee.ringing(call_id)
    rec.latency("call.ring", at - sent)
    if await call(rec, callee.sock, "call.accept", {"call_id": call_id}, "call.accept.ack") is None:
        return
    caller.fresh_peer(call_id)
    callee.fresh_peer(call_id)
    loops = [asyncio.create_task(p.handle_signals()) for p in (caller, callee)]
    try:
        await talk(ctx, caller, callee, sent)
    finally:
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)


async def talk(ctx: Context, caller: Party, callee: Party, sent: float) -> None:
    assert caller.pc is not None
    assert caller.remote is not None
    assert callee.remote is not None
    await caller.pc.setLocalDescription(await caller.pc.createOffer())
    await caller.send_description("offer")
    track = await asyncio.wait_for(caller.remote, STEP_S)
    await asyncio.wait_for(track.recv(), STEP_S)
    ctx.rec.latency("call.setup", time.time() - sent)
    hold = ctx.scenario.callers.hold_s
    heard = await asyncio.gather(
        frames_for(track, hold), frames_for(await asyncio.wait_for(callee.remote, STEP_S), hold)
    )
    ctx.rec.count("call.audio_frames", sum(heard))
    ctx.rec.count("calls.completed" if min(heard) > 0 else "calls.silent")


async def run_pair(ctx: Context, pair: tuple[Member, Member], tokens: dict[str, str]) -> None:
    callee_id = pair[1].person_id
    socks = [
        await open_socket(ctx, ctx.url(i), tokens[m.username], "callers")
        for i, m in enumerate(pair)
        if m.username in tokens
    ]
    live = [s for s in socks if s is not None]
    try:
        if len(live) < 2:
            return
        caller, callee = Party(ctx, live[0], 440.0), Party(ctx, live[1], 1000.0)
        c = ctx.scenario.callers
        for _ in range(c.calls_per_pair):
            if not ctx.running():
                return
            try:
                await one_call(ctx, caller, callee, callee_id)
            except TimeoutError:
                ctx.rec.error("call.timeout")
            await ctx.sleep_until(time.time() + c.pause_s)
    finally:
        await asyncio.gather(*(close_counting(ctx, s) for s in live))


async def run_callers(ctx: Context, tokens: dict[str, str]) -> None:
    loopback_only()
    members = ctx.directory.callers
    pairs = [(members[i], members[i + 1]) for i in range(0, len(members) - 1, 2)]
    await ctx.sleep_until(ctx.start + ctx.scenario.ramp_s / 2)
    await asyncio.gather(*(run_pair(ctx, pair, tokens) for pair in pairs))
