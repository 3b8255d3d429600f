"""Two real aiortc peers set up a call only through the hub's `call.signal`; audio flows both ways.

ICE stays on loopback: aioice's host-address discovery skips 127.0.0.1, so the test replaces it
with one that returns 127.0.0.1 only, and the peers get no STUN/TURN servers (aiortc would add a
public STUN server if `iceServers` were left unset). Every candidate either side gathers, and the
selected pair, are checked to be 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import time
from array import array
from typing import Any

import aioice.ice
import pytest
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp
from av import AudioFrame

from tests.hub.sockets import Peer
from tests.signaling.conftest import CallHub

RATE, PTIME = 48_000, 0.02
CALLER_HZ, CALLEE_HZ = 440.0, 1000.0
WANTED_S = 1.0  # of received audio per side
DEADLINE_S = 20.0
LOOPBACK = "127.0.0.1"


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [LOOPBACK] if use_ipv4 else []

    monkeypatch.setattr(aioice.ice, "get_host_addresses", host_addresses)


class Tone(AudioStreamTrack):
    """A sine at `hz`, 20 ms frames of 48 kHz mono s16, paced in real time."""

    def __init__(self, hz: float) -> None:
        super().__init__()
        self.hz, self.sent, self.started = hz, 0, 0.0

    async def recv(self) -> AudioFrame:
        n = int(RATE * PTIME)
        if self.sent == 0:
            self.started = time.time()
        else:
            await asyncio.sleep(self.started + self.sent / RATE - time.time())
        step = 2 * math.pi * self.hz / RATE
        samples = array("h", (int(12_000 * math.sin(step * (self.sent + i))) for i in range(n)))
        frame = AudioFrame(format="s16", layout="mono", samples=n)
        frame.planes[0].update(samples.tobytes())
        frame.pts, frame.sample_rate = self.sent, RATE
        frame.time_base = fractions.Fraction(1, RATE)
        self.sent += n
        return frame


def power(samples: list[int], hz: float, rate: int) -> float:
    """Goertzel: the signal's power at `hz`."""
    coeff = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


async def listen(track: MediaStreamTrack) -> tuple[int, list[int], int]:
    """Frames received and the first channel's samples, until WANTED_S of audio came in."""
    frames, samples, rate = 0, [], RATE
    while len(samples) < WANTED_S * rate:
        frame = await track.recv()
        rate, channels = frame.sample_rate, len(frame.layout.channels)
        pcm = array("h", bytes(frame.planes[0]))  # the plane may carry padding past the samples
        samples += pcm[: frame.samples * channels : channels]
        frames += 1
    return frames, samples[len(samples) // 2 :], rate  # skip the codec's start-up


def without_candidates(sdp: str) -> tuple[str, list[str]]:
    """The SDP minus its candidate lines (they are trickled), and those candidates."""
    lines = sdp.splitlines()
    found = [line[len("a=") :] for line in lines if line.startswith("a=candidate:")]
    kept = [line for line in lines if not line.startswith(("a=candidate:", "a=end-of-cand"))]
    return "\r\n".join(kept) + "\r\n", found


class Side:
    """One call party: an aiortc peer connection whose signaling goes over the hub socket."""

    def __init__(self, peer: Peer, call_id: int, hz: float) -> None:
        self.peer, self.call_id = peer, call_id
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.tone = Tone(hz)
        self.remote: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()
        self.pc.on("track", lambda track: self.remote.set_result(track))

    async def send_description(self, kind: str) -> None:
        description = self.pc.localDescription
        sdp, candidates = without_candidates(description.sdp)
        await self.peer.ok("call.signal", {"call_id": self.call_id, "kind": kind, "sdp": sdp})
        for line in candidates:  # trickle ICE, in order (each waits for the hub's ack)
            body = {"candidate": line, "sdpMid": "0", "sdpMLineIndex": 0}
            await self.peer.ok(
                "call.signal", {"call_id": self.call_id, "kind": "candidate", "candidate": body}
            )
        end = {"candidate": "", "sdpMid": "0", "sdpMLineIndex": 0}
        await self.peer.ok(
            "call.signal", {"call_id": self.call_id, "kind": "candidate", "candidate": end}
        )

    async def offer(self) -> None:
        self.pc.addTrack(self.tone)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.send_description("offer")

    async def handle(self, signal: dict[str, Any]) -> None:
        if signal["kind"] in ("offer", "answer"):
            description = RTCSessionDescription(sdp=signal["sdp"], type=signal["kind"])
            await self.pc.setRemoteDescription(description)
            if signal["kind"] == "offer":
                self.pc.addTrack(self.tone)
                await self.pc.setLocalDescription(await self.pc.createAnswer())
                await self.send_description("answer")
            return
        await self.pc.addIceCandidate(remote_candidate(signal["candidate"]))

    async def run(self) -> None:
        while True:
            await self.handle(await self.peer.queue("call.signal").get())

    def candidates(self) -> tuple[list[str], list[tuple[str, str]]]:
        """Hosts of every local candidate, and the (local, remote) hosts of the selected pair."""
        transport = self.pc.getTransceivers()[0].receiver.transport.transport
        local = [c.ip for c in transport.iceGatherer.getLocalCandidates()]
        connection = transport.iceGatherer._connection
        pairs = [
            (pair.local_candidate.host, pair.remote_candidate.host)
            for pair in connection._nominated.values()
        ]
        return local, pairs


def remote_candidate(body: dict[str, Any]) -> RTCIceCandidate | None:
    if not body["candidate"]:
        return None
    candidate = candidate_from_sdp(body["candidate"][len("candidate:") :])
    candidate.sdpMid, candidate.sdpMLineIndex = body["sdpMid"], body["sdpMLineIndex"]
    return candidate


async def connected_call(hub: CallHub) -> tuple[Peer, Peer, int]:
    lead, worker = await hub.person("v01.lead"), await hub.person("w01")
    caller, callee = await hub.device(lead), await hub.device(worker)
    invite = {"callee_id": worker.person_id, "media": "audio", "client_call_id": "media-1"}
    call_id = (await caller.ok("call.invite", invite))["call_id"]
    await callee.next("call.ringing")
    await callee.ok("call.accept", {"call_id": call_id})
    await caller.next("call.state", lambda d: d["state"] == "active")
    return caller, callee, call_id


async def test_two_aiortc_peers_talk_through_hub_signaling(hub: CallHub) -> None:
    caller_peer, callee_peer, call_id = await connected_call(hub)
    caller = Side(caller_peer, call_id, CALLER_HZ)
    callee = Side(callee_peer, call_id, CALLEE_HZ)
    loops = [asyncio.create_task(side.run()) for side in (caller, callee)]
    try:
        await caller.offer()
        heard = await asyncio.wait_for(
            asyncio.gather(listen(await caller.remote), listen(await callee.remote)),
            DEADLINE_S,
        )
        for side in (caller, callee):
            local, pairs = side.candidates()
            assert local
            assert set(local) == {LOOPBACK}
            assert pairs
            assert all(pair == (LOOPBACK, LOOPBACK) for pair in pairs)
    finally:
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        await caller.pc.close()
        await callee.pc.close()
    (caller_frames, at_caller, rate_a), (callee_frames, at_callee, rate_b) = heard
    assert caller_frames >= WANTED_S / PTIME / 2
    assert callee_frames >= WANTED_S / PTIME / 2
    # Each side hears the other's tone, not its own.
    assert power(at_caller, CALLEE_HZ, rate_a) > 20 * power(at_caller, CALLER_HZ, rate_a)
    assert power(at_callee, CALLER_HZ, rate_b) > 20 * power(at_callee, CALLEE_HZ, rate_b)
    await caller_peer.ok("call.hangup", {"call_id": call_id})
