"""aiortc call parties whose signaling goes only through the hub's `call.signal`.

ICE stays on loopback: aioice's host-address discovery skips 127.0.0.1, so the `loopback_only`
fixture (conftest) replaces it with one that returns 127.0.0.1 only, and the peers get no
STUN/TURN servers (aiortc would add a public STUN server if `iceServers` were left unset).
"""

from __future__ import annotations

import asyncio
import math
from array import array
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp

from tests.hub.sockets import Peer

RATE, PTIME = 48_000, 0.02
LOOPBACK = "127.0.0.1"


def power(samples: list[int], hz: float, rate: int) -> float:
    """Goertzel: the signal's power at `hz`."""
    coeff = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


async def listen(track: MediaStreamTrack, seconds: float) -> tuple[int, list[int], int]:
    """Frames received and the first channel's samples, until `seconds` of audio came in."""
    frames, rate = 0, RATE
    samples: list[int] = []
    while len(samples) < seconds * rate:
        frame: Any = await track.recv()
        rate, channels = frame.sample_rate, len(frame.layout.channels)
        pcm = array("h", bytes(frame.planes[0]))  # the plane may carry padding past the samples
        samples += pcm[: frame.samples * channels : channels]
        frames += 1
    return frames, samples[len(samples) // 2 :], rate  # skip the codec's start-up


async def frames(track: MediaStreamTrack, count: int) -> list[Any]:
    return [await track.recv() for _ in range(count)]


def without_candidates(sdp: str) -> tuple[str, list[str]]:
    """The SDP minus its candidate lines (they are trickled), and those candidates."""
    lines = sdp.splitlines()
    found = [line[len("a=") :] for line in lines if line.startswith("a=candidate:")]
    kept = [line for line in lines if not line.startswith(("a=candidate:", "a=end-of-cand"))]
    return "\r\n".join(kept) + "\r\n", found


def remote_candidate(body: dict[str, Any]) -> RTCIceCandidate | None:
    if not body["candidate"]:
        return None
    candidate = candidate_from_sdp(body["candidate"][len("candidate:") :])
    candidate.sdpMid, candidate.sdpMLineIndex = body["sdpMid"], body["sdpMLineIndex"]
    return candidate


class Side:
    """One call party: an aiortc peer connection whose signaling goes over the hub socket.

    `send` are the tracks it adds before its first offer or answer; `receive` the kinds it
    only receives (recvonly transceivers, added before it offers). Remote tracks arrive in
    `tracks` by kind. `config` replaces the default (no STUN/TURN servers), e.g. relay-only ICE.
    """

    def __init__(
        self,
        peer: Peer,
        call_id: int,
        send: list[MediaStreamTrack],
        receive: tuple[str, ...] = (),
        config: RTCConfiguration | None = None,
    ) -> None:
        self.peer, self.call_id, self.pending = peer, call_id, list(send)
        self.pc = RTCPeerConnection(config or RTCConfiguration(iceServers=[]))
        self.receive = receive
        loop = asyncio.get_running_loop()
        self.tracks: dict[str, asyncio.Future[MediaStreamTrack]] = {
            kind: loop.create_future() for kind in ("audio", "video")
        }
        self.pc.on("track", lambda track: self.tracks[track.kind].set_result(track))
        self.task: asyncio.Task[None] | None = None

    def _add_pending(self) -> None:
        for track in self.pending:
            self.pc.addTrack(track)
        self.pending.clear()

    async def signal(self, kind: str, **body: Any) -> dict[str, Any]:
        return await self.peer.call("call.signal", {"call_id": self.call_id, "kind": kind, **body})

    async def send_description(self, kind: str) -> None:
        sdp, candidates = without_candidates(self.pc.localDescription.sdp)
        reply = await self.signal(kind, sdp=sdp)
        assert reply["ok"], reply
        for line in [*candidates, ""]:  # trickle ICE in order (each waits for the hub's ack)
            body = {"candidate": line, "sdpMid": "0", "sdpMLineIndex": 0}
            assert (await self.signal("candidate", candidate=body))["ok"]

    async def offer(self, add: MediaStreamTrack | None = None) -> None:
        """Offer (again, after adding `add`: renegotiation)."""
        self._add_pending()
        for kind in self.receive:
            self.pc.addTransceiver(kind, direction="recvonly")
        self.receive = ()
        if add is not None:
            self.pc.addTrack(add)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.send_description("offer")

    async def handle(self, signal: dict[str, Any]) -> None:
        kind = signal["kind"]
        if kind == "candidate":
            await self.pc.addIceCandidate(remote_candidate(signal["candidate"]))
            return
        description_type = "answer" if kind == "answer" else "offer"
        await self.pc.setRemoteDescription(RTCSessionDescription(signal["sdp"], description_type))
        if description_type == "offer":
            self._add_pending()
            await self.pc.setLocalDescription(await self.pc.createAnswer())
            await self.send_description("answer")

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self.handle(await self.peer.queue("call.signal").get())

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.pc.close()

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

    def assert_loopback(self) -> None:
        local, pairs = self.candidates()
        assert local
        assert set(local) == {LOOPBACK}
        assert pairs
        assert all(pair == (LOOPBACK, LOOPBACK) for pair in pairs)
